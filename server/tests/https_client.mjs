// A client of cardbound-server for the node tests: starts a server, speaks
// its HTTP API over real HTTPS, and plays the card with a key of the test
// PKI (a login, presence proofs), as the browser and the host would.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { RpClient } from '../../tests/integration/rp_client.mjs';

export const root = new URL('../..', import.meta.url).pathname;
export const buildDir = process.env.CARDBOUND_BUILD_DIR ?? join(root, 'build');
export const serverPath = process.env.CARDBOUND_SERVER ?? join(buildDir, 'server/cardbound-server');

// Starts `cardbound-server --demo --listen 127.0.0.1:0 ARGS` with the PKI of
// `env` (CARDBOUND_PKI_DIR); resolves when it listens. `shell` runs it
// through bash with that prefix (e.g. 'ulimit -n 80;'); `exec` through a
// command that execs it, so that the pid is still the server's (e.g.
// ['setpriv', '--pdeathsig', 'KILL', '--'], for it to die with this process).
export async function startServer(env, args, { shell, exec = [] } = {}) {
  const argv = ['--demo', '--listen', '127.0.0.1:0', ...args];
  const [command, ...commandArgs] = [...exec, serverPath, ...argv];
  const proc = shell
    ? spawn('bash', ['-c', `${shell} exec "$0" "$@"`, serverPath, ...argv],
      { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
    : spawn(command, commandArgs, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  proc.stderr.on('data', (d) => { stderr += d; });
  const line = await new Promise((resolve, reject) => {
    proc.stdout.on('data', (d) => resolve(d.toString()));
    proc.on('exit', (c) => reject(new Error(`server exited ${c}: ${stderr}`)));
  });
  return { proc, port: Number(line.match(/127\.0\.0\.1:(\d+)/)[1]), stderr: () => stderr };
}

// The API of the server at `port` for the site `origin`, with the card of
// `pki` (client-p256): the relying-party client the Tomcat tests use too.
export function apiClient({ pki, port, origin, localAddress }) {
  return new RpClient({ pki, port, origin, localAddress });
}
