// cardbound-server scaled out (issue 15): (a) one instance with the memory
// store against (b) two instances sharing one Redis, in the same run, with
// the same client (sessions, keep-alive connections, card), each figure
// printed for both and as the ratio b/a:
// - presence proofs/s (a challenge, then its proof), every session proving
//   in a loop at once;
// - logins/s (challenge, login, confirm), every client logging in in a loop
//   at once;
// - the CPU each costs the servers (instances and redis-server) and the
//   client, which shares the same cores;
// and, for (b), counted batch by batch (challenges apart from proofs):
// - Redis round trips a presence challenge, a presence proof (target: one)
//   and a login, from the instances' cardbound_redis_round_trips_total in
//   /metrics (printed as n/a while the server has no such metric);
// - Redis commands executed for each, from redis-server's INFO commandstats
//   (commands, not round trips: a pipeline, a MULTI ... EXEC or a script is
//   one round trip of several commands), and its socket reads.
// There is no balancer: the client sends each request to the next instance
// in turn, directly, so that a presence challenge and its proof (and a
// login's three steps) always go to different instances, the hardest case
// for the shared store. Starts its own PKI, redis-server (loopback, free
// port, no persistence) and instances (loopback, OCSP off, no rate limit),
// all killed with this process; each figure is bounded in time or count.
import { rmSync } from 'node:fs';
import { cpus } from 'node:os';
import { RpClient } from '../../tests/integration/rp_client.mjs';
import { startServer } from '../tests/https_client.mjs';
import { RedisServer, redisBinary, redisInfo } from '../../tests/integration/redis_server.mjs';
import { cpuSeconds, forSeconds, makePki, prove, sessions } from './bench_lib.mjs';

const usage = `usage: node server/bench/scale-bench.mjs [--seconds S] [--sessions N] [--rounds R]
  --seconds S   length of each timed run, 1-30 (default 3); there are four:
                presence and logins, each on (a) and on (b)
  --sessions N  sessions proving at once, and clients logging in at once,
                1-256 (default 64); each has one keep-alive connection to
                each instance it uses
  --rounds R    batches counted for the Redis figures, 1-50 (default 5): each
                is N presence challenges, then their N proofs, then N logins
Starts its own PKI, a redis-server (/usr/bin/redis-server or
$CARDBOUND_REDIS_SERVER) and three cardbound-server instances
($CARDBOUND_SERVER, or server/cardbound-server under $CARDBOUND_BUILD_DIR,
default the repository's build/), all on loopback, and stops them all when it
ends, also on SIGINT or SIGTERM (and with this process, through setpriv
--pdeathsig, if it is killed). Takes about 4 x S s plus 10-20 s.`;

const limits = { seconds: [1, 30, 3], sessions: [1, 256, 64], rounds: [1, 50, 5] };
const options = Object.fromEntries(Object.entries(limits).map(([k, [, , d]]) => [k, d]));
function fail(why) {
  console.error(`scale-bench: ${why}\n${usage}`);
  process.exit(2);
}
for (let i = 2; i < process.argv.length; i++) {
  const arg = process.argv[i];
  if (arg === '-h' || arg === '--help') { console.log(usage); process.exit(0); }
  const m = arg.match(/^--([a-z]+)(?:=(.*))?$/);
  if (!m || !(m[1] in limits)) fail(`unknown argument ${JSON.stringify(arg)}`);
  const text = m[2] ?? process.argv[++i];
  const [min, max] = limits[m[1]];
  if (text === undefined || !/^\d+$/.test(text) || Number(text) < min || Number(text) > max) {
    fail(`--${m[1]} wants a whole number from ${min} to ${max}, not ${JSON.stringify(text ?? '')}`);
  }
  options[m[1]] = Number(text);
}
const { seconds, sessions: sessionCount, rounds } = options;
redisBinary(); // fail first, and clearly, without it

// Every instance serves one site, as behind a balancer: the origin signed
// into challenges is the site's, not an instance's own port.
const ORIGIN = 'https://localhost:8443';
const SERVER_ARGS = ['--ocsp', 'off', '--rate-limit', '0', '--presence-interval', '3600', '--origin', ORIGIN];
const dieWithUs = ['setpriv', '--pdeathsig', 'KILL', '--'];

// A client that sends each request to the next of `ports` in turn (from
// `first`): with two instances a presence challenge and its proof never go
// to the same one. It counts the proofs sent elsewhere than their challenge.
class RoundRobinClient extends RpClient {
  constructor(ports, first, options) {
    super({ ...options, port: ports[0] });
    this.ports = ports;
    this.next = first;
    this.crossed = 0;
    this.proofs = 0;
  }

  http(method, path, options = {}) {
    const to = options.to ?? this.ports[this.next++ % this.ports.length];
    if (path === '/cardbound/presence/challenge') this.challengedOn = to;
    if (path === '/cardbound/presence') { this.proofs++; if (to !== this.challengedOn) this.crossed++; }
    return super.http(method, path, { ...options, to });
  }
}

const pki = makePki('cardbound-scale-bench-');
const servers = [];
let redis;
let stopping;
function stopAll() {
  stopping ??= (async () => {
    for (const s of servers) s.proc.kill('SIGKILL');
    await redis?.stop();
    rmSync(pki, { recursive: true, force: true });
  })();
  return stopping;
}
for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]]) {
  process.on(signal, () => { stopAll().finally(() => process.exit(code)); });
}

const start = async (store) => {
  const s = await startServer({ CARDBOUND_PKI_DIR: pki }, [...SERVER_ARGS, '--store', store], { exec: dieWithUs });
  servers.push(s);
  return s;
};

// Sums every sample of `name` (with or without labels) in /metrics of the
// instance at `port`; null when there is none.
const admin = new RpClient({ pki, port: 0, origin: ORIGIN });
async function metric(port, name) {
  const res = await admin.http('GET', '/metrics', { to: port });
  if (res.status !== 200) throw new Error(`/metrics of port ${port}: ${res.status} ${res.json}`);
  const samples = [...res.json.matchAll(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'gm'))];
  return samples.length ? samples.reduce((t, m) => t + Number(m[1]), 0) : null;
}

try {
  redis = await RedisServer.start({ dir: pki });
  const [memory, A, B] = await Promise.all([start('memory'), start(redis.url()), start(redis.url())]);
  const configs = {
    a: { label: '(a) 1 instance, memory', instances: [memory] },
    b: { label: '(b) 2 instances + Redis', instances: [A, B] },
  };
  for (const [i, config] of Object.values(configs).entries()) {
    const ports = config.instances.map((s) => s.port);
    const clients = Array.from({ length: sessionCount },
      (_, k) => new RoundRobinClient(ports, k + i, { pki, origin: ORIGIN, keepAlive: true }));
    config.provers = await sessions(clients);
    for (const p of config.provers) if (!(await prove(p))) throw new Error(`${config.label}: a warm-up proof was refused`);
  }

  // One timed run of `step` on every session of a configuration, and the
  // CPU it cost each side.
  async function timed(config, step) {
    const cpu = () => ({ instances: config.instances.reduce((t, s) => t + cpuSeconds(s.proc.pid), 0),
      redis: cpuSeconds(redis.proc.pid), client: process.cpuUsage() });
    const c0 = cpu();
    const run = await forSeconds(config.provers, seconds, step);
    const c1 = cpu();
    const client = process.cpuUsage(c0.client);
    return { ...run, rate: run.done / run.wall, instancesCpu: c1.instances - c0.instances, redisCpu: c1.redis - c0.redis,
      clientCpu: (client.user + client.system) / 1e6 };
  }
  const login = async (p) => { await p.c.login(); return true; };
  // a then b for each kind, so that each ratio's two runs are next to each
  // other in time on a machine shared with others.
  const results = {};
  for (const kind of ['presence', 'logins']) {
    for (const [key, config] of Object.entries(configs)) {
      results[`${kind}.${key}`] = await timed(config, kind === 'presence' ? prove : login);
    }
  }

  // Redis per operation, on (b). A snapshot reads both instances' counter,
  // then redis-server's INFO, so that a window between two snapshots holds
  // one /metrics read of each instance (its ZCARD for cardbound_sessions
  // included) and one INFO. That cost, and the instances' own background
  // (the late-session sweep every 250 ms, the subscriber's PINGs), are
  // measured idle first and taken off each window.
  const snapshot = async () => {
    const trips = await Promise.all([A, B].map((s) => metric(s.port, 'cardbound_redis_round_trips_total')));
    const info = await redisInfo(redis.port, 'stats', 'commandstats');
    const counts = { reads: info.total_reads_processed };
    if (trips.every((t) => t !== null)) counts.trips = trips[0] + trips[1];
    for (const [k, v] of Object.entries(info)) {
      if (k.startsWith('cmdstat_') && k !== 'cmdstat_info') counts[`cmd.${k.slice(8)}`] = v.calls;
    }
    return { at: performance.now(), counts };
  };
  const delta = (s0, s1) => {
    const d = { seconds: (s1.at - s0.at) / 1000 };
    for (const k of new Set([...Object.keys(s0.counts), ...Object.keys(s1.counts)])) {
      d[k] = (s1.counts[k] ?? 0) - (s0.counts[k] ?? 0);
    }
    if (!('trips' in s0.counts && 'trips' in s1.counts)) delete d.trips;
    return d;
  };
  let overhead = null;
  for (let i = 0; i < 5; i++) {
    const d = delta(await snapshot(), await snapshot());
    overhead = overhead ? Object.fromEntries(Object.entries(d).map(([k, v]) => [k, Math.min(v, overhead[k] ?? v)])) : d;
  }
  const idle0 = await snapshot();
  await new Promise((r) => setTimeout(r, 1000));
  const idle = delta(idle0, await snapshot());
  const background = Object.fromEntries(Object.entries(idle).filter(([k]) => k !== 'seconds')
    .map(([k, v]) => [k, Math.max(0, v - (overhead[k] ?? 0)) / idle.seconds]));
  const net = (d) => Object.fromEntries(Object.entries(d).filter(([k]) => k !== 'seconds')
    .map(([k, v]) => [k, v - (overhead[k] ?? 0) - (background[k] ?? 0) * d.seconds]));

  const sums = { challenge: {}, proof: {}, login: {} };
  const add = (into, d) => { for (const [k, v] of Object.entries(net(d))) into[k] = (into[k] ?? 0) + v; };
  const provers = configs.b.provers;
  const post = (p, path, body) => p.c.http('POST', path, { cookie: p.cookie, body });
  for (let r = 0; r < rounds; r++) {
    const s0 = await snapshot();
    const challenges = await Promise.all(provers.map((p) => post(p, '/cardbound/presence/challenge', {})));
    const s1 = await snapshot();
    const proofs = await Promise.all(provers.map((p, i) =>
      post(p, '/cardbound/presence', { proof: p.c.proofFor(p.receipt.sessionTag, challenges[i].json.nonce) })));
    const s2 = await snapshot();
    await Promise.all(provers.map((p) => p.c.login()));
    const s3 = await snapshot();
    const bad = [...challenges.filter((c) => c.status !== 200), ...proofs.filter((c) => c.status !== 204)];
    if (bad.length) throw new Error(`counted round ${r}: ${bad[0].status} ${JSON.stringify(bad[0].json)}`);
    add(sums.challenge, delta(s0, s1));
    add(sums.proof, delta(s1, s2));
    add(sums.login, delta(s2, s3));
  }
  const counted = rounds * sessionCount;
  const crossed = provers.reduce((t, p) => t + p.c.crossed, 0), proofsB = provers.reduce((t, p) => t + p.c.proofs, 0);
  const proofsOn = await Promise.all([A, B].map((s) => metric(s.port, 'cardbound_presence_proofs_total')));

  // The report.
  const n = (v, digits = 0) => v.toFixed(digits);
  const us = (s) => `${(s * 1e6).toFixed(0)} µs`;
  const col = (s, w = 26) => String(s).padEnd(w);
  const line = (name, a, b, ratio = '') => console.log(`  ${col(name, 22)}${col(a)}${col(b)}${ratio}`);
  const [pa, pb, la, lb] = ['presence.a', 'presence.b', 'logins.a', 'logins.b'].map((k) => results[k]);
  console.log(`cardbound-server, one instance against two on Redis (${cpus().length} cores shared by the client, the ` +
    `instances and redis-server; loopback TLS; ${seconds} s a timed run; ${sessionCount} sessions at once)`);
  console.log(`  no balancer: the client sends each request to the next instance in turn, so on (b) every presence ` +
    `proof went to the other instance than its challenge (${crossed} of ${proofsB}; accepted by A ${proofsOn[0]}, by B ${proofsOn[1]})`);
  line('', configs.a.label, configs.b.label, 'ratio b/a');
  line('presence proofs/s', `${n(pa.rate)} (${pa.refused} refused)`, `${n(pb.rate)} (${pb.refused} refused)`, n(pb.rate / pa.rate, 2));
  line('logins/s', `${n(la.rate)}`, `${n(lb.rate)}`, n(lb.rate / la.rate, 2));
  line('server CPU a proof', us(pa.instancesCpu / pa.done), `${us(pb.instancesCpu / pb.done)} + ${us(pb.redisCpu / pb.done)} Redis`,
    n((pb.instancesCpu + pb.redisCpu) / pb.done / (pa.instancesCpu / pa.done), 2));
  line('server CPU a login', us(la.instancesCpu / la.done), `${us(lb.instancesCpu / lb.done)} + ${us(lb.redisCpu / lb.done)} Redis`,
    n((lb.instancesCpu + lb.redisCpu) / lb.done / (la.instancesCpu / la.done), 2));
  line('client CPU, presence', `${n(100 * pa.clientCpu / pa.wall)}% of a core`, `${n(100 * pb.clientCpu / pb.wall)}% of a core`);
  line('client CPU, logins', `${n(100 * la.clientCpu / la.wall)}% of a core`, `${n(100 * lb.clientCpu / lb.wall)}% of a core`);

  console.log(`  Redis a request on (b), ${rounds} batches of ${sessionCount} counted (${counted} presence challenges, ` +
    `${counted} proofs, ${counted} logins):`);
  const per = (sum, k) => (sum[k] ?? 0) / counted;
  if ('trips' in sums.proof) {
    console.log(`    round trips (instances' cardbound_redis_round_trips_total): presence challenge ${n(per(sums.challenge, 'trips'), 2)}, ` +
      `presence proof ${n(per(sums.proof, 'trips'), 2)} (target: one), login ${n(per(sums.login, 'trips'), 2)}`);
  } else {
    console.log('    round trips: n/a (metric absent: no cardbound_redis_round_trips_total in the instances\' /metrics)');
  }
  const breakdown = (sum) => Object.keys(sum).filter((k) => k.startsWith('cmd.') && Math.abs(per(sum, k)) >= 0.005)
    .sort((x, y) => per(sum, y) - per(sum, x)).map((k) => `${k.slice(4)} ${n(per(sum, k), 2)}`).join(', ');
  const commands = (sum) => Object.keys(sum).filter((k) => k.startsWith('cmd.')).reduce((t, k) => t + per(sum, k), 0);
  console.log('    commands executed (INFO commandstats, not round trips: MULTI, EXEC and the calls inside a script count each):');
  for (const [name, sum] of [['presence challenge', sums.challenge], ['presence proof', sums.proof], ['login', sums.login]]) {
    console.log(`      ${col(name, 20)}${n(commands(sum), 2)}  (${breakdown(sum)})`);
  }
  console.log(`    socket reads (INFO total_reads_processed; about one a round trip when a pipeline arrives in one read): ` +
    `presence challenge ${n(per(sums.challenge, 'reads'), 2)}, presence proof ${n(per(sums.proof, 'reads'), 2)} ` +
    `(target for round trips: one), login ${n(per(sums.login, 'reads'), 2)}`);
  const bgCommands = Object.keys(background).filter((k) => k.startsWith('cmd.')).reduce((t, k) => t + background[k], 0);
  const ohCommands = Object.keys(overhead).filter((k) => k.startsWith('cmd.')).reduce((t, k) => t + overhead[k], 0);
  console.log(`    taken off each batch: the instances' idle background (${n(bgCommands, 1)} commands/s, ` +
    `${n(background.reads, 1)} reads/s${'trips' in background ? `, ${n(background.trips, 1)} round trips/s` : ''}) and a ` +
    `snapshot's own cost (${n(ohCommands)} commands, ${n(overhead.reads)} reads${'trips' in overhead ? `, ${n(overhead.trips)} round trips` : ''})`);
} finally {
  await stopAll();
}
