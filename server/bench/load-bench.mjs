// cardbound-server under load, each figure beside the limit it is measured
// against in the same run (loopback, its own PKI and server, OCSP off):
// - presence proofs/s over 64 keep-alive connections (64 sessions proving at
//   once) against the raw ECDSA P-256 verify rate of every core, and the
//   server's CPU per proof against the raw crypto a proof needs (the presence
//   challenge's signature and the proof's verify);
// - the full HTTP login (challenge, login, confirm) on one keep-alive
//   connection: the server's CPU per login against the raw crypto it needs
//   (two signatures, the token's and the confirm proof's verifies, the card
//   certificate's and the issuing CA's);
// - /healthz requests/s at 400 connections with wrk, errors counted.
// The client runs on the same cores as the server: the proofs/s figure is
// what this machine does with both; the CPU ratios are the server's own.
// Usage: node server/bench/load-bench.mjs [SECONDS]   (default 5 a run)
import { execFileSync } from 'node:child_process';
import { createPrivateKey, createPublicKey, randomBytes, sign, verify, X509Certificate } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { RpClient } from '../../tests/integration/rp_client.mjs';
import { startServer } from '../tests/https_client.mjs';
import { cpuSeconds, forSeconds, makePki, prove, sessions } from './bench_lib.mjs';

const seconds = Number(process.argv[2] ?? 5);
if (!(seconds >= 1 && seconds <= 120)) {
  console.error('usage: load-bench.mjs [SECONDS: 1-120, default 5]');
  process.exit(2);
}
const cores = cpus().length;
const pki = makePki('cardbound-load-pki-');
const server = await startServer({ CARDBOUND_PKI_DIR: pki }, ['--ocsp', 'off', '--rate-limit', '0',
  '--presence-interval', '3600']);
const serverCpu = () => cpuSeconds(server.proc.pid);
const client = (keepAlive = true) => new RpClient({ pki, port: server.port, keepAlive });

// Operations a second on one core, for `run`, over about a second.
function perSecond(run) {
  for (let i = 0; i < 200; i++) run();
  let n = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < 1000) { for (let i = 0; i < 50; i++) run(); n += 50; }
  return n / ((performance.now() - t0) / 1000);
}

try {
  // The raw crypto, as OpenSSL (through node) does it on one core.
  const serverKey = createPrivateKey(readFileSync(join(pki, 'server-localhost.key')));
  const cardKey = createPrivateKey(readFileSync(join(pki, 'client-p256.key')));
  const cardPub = createPublicKey(cardKey);
  const data = randomBytes(64);
  const sig = sign('sha256', data, cardKey);
  const signRate = perSecond(() => sign('sha256', data, serverKey));
  const verifyRate = perSecond(() => verify('sha256', data, cardPub, sig));
  const card = new X509Certificate(readFileSync(join(pki, 'client-p256.pem')));
  const issuing = new X509Certificate(readFileSync(join(pki, 'intermediate-ca.pem')));
  const rootCa = new X509Certificate(readFileSync(join(pki, 'root-ca.pem')));
  const chainRate = perSecond(() => card.verify(issuing.publicKey) && issuing.verify(rootCa.publicKey));

  // Presence: 64 sessions, each proving in a loop on its own connection.
  const provers = await sessions(Array.from({ length: 64 }, () => client()));
  for (const p of provers) await prove(p); // warm
  const cpu0 = serverCpu();
  const { done: proofs, refused, wall: presenceWall } = await forSeconds(provers, seconds, prove);
  const presenceCpu = serverCpu() - cpu0;
  for (const p of provers) p.c.close();

  // Logins, one after another on one connection.
  const loginClient = client();
  await loginClient.login();
  const cpu1 = serverCpu();
  const { done: logins } = await forSeconds([loginClient], seconds, async (c) => { await c.login(); return true; });
  const loginCpu = serverCpu() - cpu1;
  loginClient.close();

  // /healthz at 400 connections.
  const wrk = execFileSync('wrk', ['-t', String(cores), '-c', '400', '-d', `${seconds}s`, '--latency',
    `https://127.0.0.1:${server.port}/healthz`], { encoding: 'utf8' });
  const wrkRate = Number(wrk.match(/Requests\/sec:\s+([\d.]+)/)[1]);
  const wrkErrors = [...wrk.matchAll(/(connect|read|write|timeout) (\d+)/g)].reduce((t, m) => t + Number(m[2]), 0) +
    Number(wrk.match(/Non-2xx or 3xx responses: (\d+)/)?.[1] ?? 0);
  const wrkP99 = wrk.match(/99%\s+(\S+)/)[1];

  const us = (s) => `${(s * 1e6).toFixed(0)} µs`;
  const proofRaw = 1 / signRate + 1 / verifyRate;
  const loginRaw = 2 / signRate + 2 / verifyRate + 1 / chainRate;
  console.log(`cardbound-server under load (${cores} cores, loopback TLS, client on the same cores, ${seconds} s a run)`);
  console.log(`  raw ECDSA P-256         ${signRate.toFixed(0)} signs/s, ${verifyRate.toFixed(0)} verifies/s on one core; ` +
    `limit of all cores ${(verifyRate * cores).toFixed(0)} verifies/s`);
  console.log(`  presence, 64 conns      ${(proofs / presenceWall).toFixed(0)} proofs/s (${refused} refused); ` +
    `ratio ${((proofs / presenceWall) / (verifyRate * cores)).toFixed(2)} of the raw verify limit (target >= 0.5)`);
  console.log(`  server CPU a proof      ${us(presenceCpu / proofs)} (challenge + proof) against ${us(proofRaw)} raw ` +
    `(a signature and a verify): ratio ${(proofRaw / (presenceCpu / proofs)).toFixed(2)}`);
  console.log(`  server CPU a login      ${us(loginCpu / logins)} (challenge, login, confirm; ${logins} logins) against ` +
    `${us(loginRaw)} raw (2 signatures, 2 verifies, the card's and the CA's certificates): ratio ${(loginRaw / (loginCpu / logins)).toFixed(2)}`);
  console.log(`  /healthz, 400 conns     ${wrkRate.toFixed(0)} requests/s, ${wrkErrors} errors, p99 ${wrkP99} (wrk)`);
} finally {
  server.proc.kill();
  rmSync(pki, { recursive: true, force: true });
}
