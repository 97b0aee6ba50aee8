// Benchmark of cardbound-host: prints figures and ratios, never fails on
// speed. Run through scripts/bench-host (which brings the bench up).
//   start:  host start to first answer, median of 50 starts
//   status: round trip of one status request, median of 1000
//   sign:   authenticate against SoftHSM2 (EC P-256), median of 30, next to
//           pkcs11-tool making the same signature in the same run
//   memory: the host's peak RSS after all of it
import { spawn, execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Host, benchEnv, fingerprintOf, hostPath, serverMessage } from '../tests/integration/host_client.mjs';
import { ORIGIN, serverFiles } from '../tests/integration/login_flow.mjs';

const env = benchEnv();
const pki = env.CARDBOUND_PKI_DIR;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (ms) => (ms < 1 ? `${(ms * 1000).toFixed(0)} µs` : `${ms.toFixed(2)} ms`);

function frame(obj) {
  const body = Buffer.from(JSON.stringify(obj));
  const head = Buffer.alloc(4);
  head.writeUInt32LE(body.length);
  return Buffer.concat([head, body]);
}

async function startToFirstAnswer(config) {
  const t0 = performance.now();
  const p = spawn(hostPath, [], { env: { ...process.env, ...env, CARDBOUND_HOST_CONFIG: config, CARDBOUND_HOST_LOG: '/dev/null' } });
  await new Promise((resolve) => {
    let got = Buffer.alloc(0);
    p.stdout.on('data', (c) => { got = Buffer.concat([got, c]); if (got.length >= 4 && got.length >= 4 + got.readUInt32LE(0)) resolve(); });
    p.stdin.write(frame({ id: '1', command: 'status' }));
  });
  const t = performance.now() - t0;
  p.stdin.end();
  await new Promise((r) => p.on('exit', r));
  return t;
}

const dir = mkdtempSync(join(tmpdir(), 'cardbound-bench-'));
const config = join(dir, 'host.json');
writeFileSync(config, JSON.stringify({ pkcs11Modules: [env.CARDBOUND_SOFTHSM_MODULE], caFiles: [join(pki, 'root-ca.pem')], useSystemTrust: false }));

const starts = [];
for (let i = 0; i < 50; i++) starts.push(await startToFirstAnswer(config));

const host = new Host({ modules: [env.CARDBOUND_SOFTHSM_MODULE], caFiles: [join(pki, 'root-ca.pem')] });
const trips = [];
for (let i = 0; i < 1000; i++) {
  const t0 = performance.now();
  await host.call('status');
  trips.push(performance.now() - t0);
}

const fingerprint = fingerprintOf(join(pki, 'client-p256.pem'));
const auths = [];
for (let i = 0; i < 30; i++) {
  const begin = await host.call('begin-login', { origin: ORIGIN });
  const challenge = serverMessage('challenge', { ...serverFiles(pki), origin: ORIGIN, 'host-nonce': begin.hostNonce });
  const t0 = performance.now();
  // The same work as one login of the extension: the server's chain, then the card.
  await host.call('verify-server', { origin: ORIGIN, args: { loginId: begin.loginId, challenge } });
  await host.call('authenticate', { origin: ORIGIN, args: { loginId: begin.loginId, certificate: fingerprint, pin: env.CARDBOUND_USER_PIN } });
  auths.push(performance.now() - t0);
}
const rss = readFileSync(`/proc/${host.proc.pid}/status`, 'utf8').match(/VmHWM:\s+(\d+) kB/)[1] / 1024;
await host.close();

// Baseline: pkcs11-tool loads the module, logs in and makes the same ECDSA
// P-256 signature over a SHA-256 digest.
const digest = join(dir, 'digest');
writeFileSync(digest, Buffer.alloc(32, 7));
const tools = [];
for (let i = 0; i < 30; i++) {
  const t0 = performance.now();
  execFileSync('pkcs11-tool', ['--module', env.CARDBOUND_SOFTHSM_MODULE, '--token-label', env.CARDBOUND_SOFT_TOKEN,
    '--login', '--pin', env.CARDBOUND_USER_PIN, '--sign', '--id', '02', '--mechanism', 'ECDSA', '-i', digest,
    '-o', join(dir, 'sig')], { stdio: 'ignore', env: { ...process.env, ...env } });
  tools.push(performance.now() - t0);
}

const m = { start: median(starts), trip: median(trips), auth: median(auths), tool: median(tools) };
console.log('cardbound-host benchmark (SoftHSM2, EC P-256)');
console.log(`  start to first answer   median ${fmt(m.start)} of 50   (target < 20 ms: ${(m.start / 20).toFixed(2)}x)`);
console.log(`  status round trip       median ${fmt(m.trip)} of 1000 (target < 1 ms: ${(m.trip / 1).toFixed(2)}x)`);
console.log(`  verify + authenticate   median ${fmt(m.auth)} of 30 (verify-server: the chain; authenticate: login + sign + token)`);
console.log(`  pkcs11-tool same sign   median ${fmt(m.tool)} of 30 (process + module load + login + sign)`);
console.log(`  sign ratio              ${(m.auth / m.tool).toFixed(2)} (authenticate / pkcs11-tool; target <= 1.2)`);
console.log(`  peak RSS                ${rss.toFixed(1)} MiB (target < 15 MiB)`);
