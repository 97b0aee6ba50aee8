// What the HTTPS benches of cardbound-server share: a PKI of their own, a
// process's CPU time, sessions to prove presence with, and a loop that runs
// every worker for a fixed time, so that load-bench (one instance) and
// scale-bench (one against two) load the server the same way.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { root } from '../tests/https_client.mjs';

// A fresh test PKI (tests/pki/make-pki) in a new temporary directory.
export function makePki(prefix) {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  execFileSync(join(root, 'tests/pki/make-pki'), [dir], { stdio: 'ignore' });
  return dir;
}

// CPU seconds (user + system) that process `pid` has used so far.
export const cpuSeconds = (pid) => readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')
  .slice(11, 13).reduce((t, v) => t + Number(v), 0) / 100; // utime + stime, in ticks of 10 ms

// One confirmed session for each RpClient: [{c, cookie, receipt}].
export async function sessions(clients) {
  const out = [];
  for (const c of clients) out.push({ c, ...(await c.login()) });
  return out;
}

// One presence round of a session (a challenge, answered): true when the
// proof is accepted.
export const prove = async (p) => (await p.c.prove(p.cookie, p.receipt.sessionTag)).res.status === 204;

// Runs `step(worker)` over and over for every worker at once, each waiting
// for its previous step, until `seconds` have passed: {done (steps that
// answered true), refused (false), wall (seconds, the last step's end
// included)}. A step that throws stops the run.
export async function forSeconds(workers, seconds, step) {
  let done = 0, refused = 0;
  const t0 = performance.now();
  await Promise.all(workers.map(async (w) => {
    while (performance.now() - t0 < seconds * 1000) {
      if (await step(w)) done++; else refused++;
    }
  }));
  return { done, refused, wall: (performance.now() - t0) / 1000 };
}
