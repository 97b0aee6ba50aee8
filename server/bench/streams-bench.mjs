// Open tabs at scale: holds N event streams (one per tab, over 100 sessions)
// on one cardbound-server and prints what they cost it (RSS per stream),
// /healthz latency while they are open, and how fast a logout reaches its
// own tabs. Loopback only; starts and stops its own server with a PKI of
// its own (OCSP off). Usage: node server/bench/streams-bench.mjs [STREAMS]
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { apiClient, root, startServer } from '../tests/https_client.mjs';

const streams = Number(process.argv[2] ?? 10000);
if (!Number.isInteger(streams) || streams < 100 || streams > 50000) {
  console.error('usage: streams-bench.mjs [STREAMS: 100-50000, default 10000]');
  process.exit(2);
}
const sessions = 100;
const pki = mkdtempSync(join(tmpdir(), 'cardbound-streams-pki-'));
execFileSync(join(root, 'tests/pki/make-pki'), [pki], { stdio: 'ignore' });
const server = await startServer({ CARDBOUND_PKI_DIR: pki }, ['--ocsp', 'off', '--rate-limit', '0',
  '--presence-interval', '3600', '--max-connections', String(streams + 1000)]);
const api = apiClient({ pki, port: server.port });
const rssKiB = () => Number(readFileSync(`/proc/${server.proc.pid}/status`, 'utf8').match(/VmRSS:\s+(\d+)/)[1]);
const percentile = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))];
const progress = (text) => process.stderr.write(`\r${text}`);

async function healthzTimes(n) {
  const times = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    const res = await api.http('GET', '/healthz');
    if (res.status !== 200) throw new Error(`/healthz answered ${res.status}`);
    times.push(performance.now() - t0);
  }
  return times;
}

try {
  const logins = [];
  for (let i = 0; i < sessions; i++) logins.push(await api.login());
  await healthzTimes(20); // warm
  const idle = await healthzTimes(200);
  const before = rssKiB();
  const tabs = [];
  const opened0 = performance.now();
  // Opened in batches, as tabs come and go, not as one burst of handshakes.
  for (let i = 0; i < streams; i += 200) {
    const batch = [];
    for (let j = i; j < Math.min(streams, i + 200); j++) {
      const tab = api.eventStream(logins[j % sessions].cookie, { timeout: 3_600_000 });
      tab.session = j % sessions;
      tabs.push(tab);
      batch.push(tab.connected);
    }
    await Promise.all(batch);
    progress(`  ${tabs.length} streams open`);
  }
  const openSeconds = (performance.now() - opened0) / 1000;
  process.stderr.write('\n');
  await new Promise((r) => setTimeout(r, 1000));
  const after = rssKiB();
  const open = await healthzTimes(200);
  // A logout reaches its own tabs (streams / 100 of them), and only those.
  const own = tabs.filter((t) => t.session === 0);
  const t0 = Date.now();
  const res = await api.http('POST', '/cardbound/logout', { cookie: logins[0].cookie, body: {} });
  if (res.status >= 300) throw new Error(`logout answered ${res.status}`);
  await Promise.all(own.map((t) => t.ended));
  const logoutMs = Date.now() - t0;
  const ownEnds = own.map((t) => t.received.at(-1).at - t0);
  for (const t of tabs) t.close();

  const f = (x) => x.toFixed(1);
  console.log(`cardbound-server event streams (${sessions} sessions, loopback TLS)`);
  console.log(`  streams held            ${streams} (opened in ${openSeconds.toFixed(1)} s)`);
  console.log(`  RSS per stream          ${((after - before) * 1024 / streams / 1024).toFixed(1)} KiB (RSS ${before} -> ${after} KiB; target < 40 KiB)`);
  console.log(`  /healthz p50 / p99      ${f(percentile(open, 0.5))} / ${f(percentile(open, 0.99))} ms with them open (target p99 < 50 ms); ` +
    `${f(percentile(idle, 0.5))} / ${f(percentile(idle, 0.99))} ms without; ratio p99 ${(percentile(open, 0.99) / percentile(idle, 0.99)).toFixed(2)}`);
  console.log(`  logout -> own tabs      all ${own.length} ended within ${logoutMs} ms (last event ${Math.max(...ownEnds)} ms after the request)`);
} finally {
  server.proc.kill();
  rmSync(pki, { recursive: true, force: true });
}
// The tabs' own give-up timers (an hour) would keep node waiting.
process.exit(0);
