// The card bench's environment for JavaScript tests and benchmarks: what
// `tests/bench/bench env` prints, as an object.
import { execFileSync } from 'node:child_process';

export const repoRoot = new URL('../..', import.meta.url).pathname;
export const benchPath = `${repoRoot}tests/bench/bench`;

export function benchEnv() {
  const text = execFileSync(benchPath, ['env'], { encoding: 'utf8' });
  return Object.fromEntries(text.split('\n').map((l) => l.match(/^export (\w+)='(.*)'$/))
    .filter(Boolean).map((m) => [m[1], m[2]]));
}
