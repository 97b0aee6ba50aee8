// More than one server, as a user meets it (issue 15): two cardbound-server
// instances behind Debian's haproxy, sharing one redis-server that keeps an
// append-only file, in headless Chromium with the extension, cardbound-host
// and the virtual card. TLS ends at haproxy and starts again from haproxy to
// each instance (tests/integration/haproxy.mjs).
//
// The balancer is round robin, with an order set per endpoint so that every
// step crosses instances, which plain round robin only does by chance: a
// login's challenge, login and confirm go A, B, A; presence challenges go
// A, B, A… and proofs B, A, B…, so each proof lands on the instance that did
// not issue its challenge; event streams go to B and logouts to A, so the
// end of a session always has to travel from A to B. Each falls back on the
// other instance when its own is down. What actually happened is read back
// from each instance's access log, not assumed from the configuration.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { benchEnv } from '../integration/bench_env.mjs';
import { startHaproxy } from '../integration/haproxy.mjs';
import { freePort, RedisServer } from '../integration/redis_server.mjs';
import { bench, LoginFlow } from './flow.mjs';
import { buildDir, launchBrowser, startSite } from './harness.mjs';

const env = benchEnv();
const pki = env.CARDBOUND_PKI_DIR;
const PIN = env.CARDBOUND_CARD_PIN;
const rootCa = readFileSync(join(pki, 'root-ca.pem'));
const MARI = 'Mari Card'; // card 0
// A proof every (interval + grace) / 2 = 3 s, a deadline 6 s after the last:
// room for a round lost while an instance or Redis is away.
const INTERVAL = 3;
const GRACE = 3;
const DEADLINE_MS = (INTERVAL + GRACE) * 1000;
const artefacts = join(buildDir, 'test-artifacts', 'scale');

let tmp;
let redis;
let ports; // {a, b, site}
const instances = {}; // name → the started site (harness.mjs startSite)
let balancer;
let browser;
let flow;
let page;
let origin;

const instanceArgs = () => ['--origin', origin, '--store', redis.url(0), '--rate-limit', '0', '--access-log', 'text',
  '--presence-interval', String(INTERVAL), '--presence-grace', String(GRACE)];
const startInstance = async (name) => {
  if (instances[name]) logged.push(...linesOf(name, instances[name])); // a restart: the old one's lines stay
  instances[name] = await startSite({ env, args: instanceArgs(), listen: `127.0.0.1:${ports[name]}` });
};

before(async () => {
  await bench('insert', '0');
  tmp = mkdtempSync(join(tmpdir(), 'cardbound-scale-browser-'));
  redis = await RedisServer.start({ dir: tmp, aof: true });
  ports = { a: await freePort(), b: await freePort(), site: await freePort() };
  origin = `https://localhost:${ports.site}`;
  await startInstance('a');
  await startInstance('b');
  balancer = await startHaproxy({
    dir: tmp, port: ports.site, ca: join(pki, 'root-ca.pem'),
    certFile: join(pki, 'server-localhost-chain.pem'), keyFile: join(pki, 'server-localhost.key'),
    instances: { a: ports.a, b: ports.b },
    routes: [
      { name: 'login', paths: ['/cardbound/challenge', '/cardbound/login', '/cardbound/confirm'], servers: ['a', 'b'] },
      { name: 'presence_challenges', paths: ['/cardbound/presence/challenge'], servers: ['a', 'b'] },
      { name: 'presence_proofs', paths: ['/cardbound/presence'], servers: ['b', 'a'] },
      { name: 'streams', paths: ['/cardbound/events'], servers: ['b'], backup: ['a'] },
      { name: 'ends', paths: ['/cardbound/logout'], servers: ['a'], backup: ['b'] },
    ],
  });
  browser = await launchBrowser({ env });
  flow = new LoginFlow(browser.context, { artefacts });
  page = await browser.context.newPage();
  await page.goto(`${origin}/`);
  await page.waitForSelector('#login:not([hidden])');
});

after(async () => {
  await browser?.close();
  await balancer?.stop();
  for (const s of Object.values(instances)) await s.stop();
  await redis?.stop();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
  await bench('insert', '0').catch(() => {});
});

// The access log of every instance so far, merged in time order:
// [{at (ms since the epoch), on ('a' or 'b'), method, path, status, us}].
// An instance restarted on the same port counts as the same name.
const logged = []; // the lines of instances since replaced
const linesOf = (on, site) => [...site.log().matchAll(
  /^\[(\S+ \S+)\] \[cardbound-server\] \[info\] \S+ "(\w+) (\S+)" (\d+) \d+ (\d+)us$/gm)]
  .map((m) => ({ at: new Date(m[1].replace(' ', 'T')).getTime(), on, method: m[2], path: m[3], status: Number(m[4]), us: Number(m[5]) }));
const accessLog = () => [...logged, ...Object.entries(instances).flatMap(([on, site]) => linesOf(on, site))]
  .sort((x, y) => x.at - y.at);
const posts = (path, since = 0) => accessLog().filter((l) => l.method === 'POST' && l.path === path && l.at >= since);

// A request straight to one instance (not through the balancer), with the
// browser's cookies for the site: {status, text}.
async function direct(on, method, path) {
  const cookie = (await browser.context.cookies(origin)).map((c) => `${c.name}=${c.value}`).join('; ');
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: ports[on], path, method, ca: rootCa,
      servername: 'localhost', headers: { cookie, ...(method === 'POST' ? { origin, 'content-type': 'application/json' } : {}) } },
    (res) => {
      let text = '';
      res.on('data', (d) => { text += d; });
      res.on('end', () => resolve({ status: res.statusCode, text }));
    });
    req.on('error', reject);
    req.end(method === 'POST' ? '{}' : undefined);
  });
}
const me = async (on) => (await direct(on, 'GET', '/api/me')).status;
const openStreams = async (on) => Number((await direct(on, 'GET', '/metrics')).text.match(/^cardbound_open_event_streams (\d+)$/m)?.[1]);

// What the page shows: {state: 'in' or 'out', reason (of an end)}.
const loggedInState = async () => ({
  state: (await page.getAttribute('#state', 'class')).match(/\b(in|out)\b/)?.[1], reason: await page.getAttribute('#state', 'data-reason'),
});

test('a login through the balancer: challenge, login and confirm on alternating instances, ' +
  'and each presence proof on the instance that did not issue its challenge', async () => {
  const started = Date.now();
  await flow.login(page, { holder: MARI, pin: PIN, shots: true });
  assert.match(await page.textContent('#state'), /Welcome, Mari Card/);
  const steps = ['/cardbound/challenge', '/cardbound/login', '/cardbound/confirm']
    .map((p) => posts(p, started).find((l) => l.status === 200)?.on);
  assert.deepEqual(steps, ['a', 'b', 'a'], `challenge, login and confirm were served by ${steps.join(', ')}`);
  assert.equal(await me('a'), 200);
  assert.equal(await me('b'), 200);

  // Three rounds of presence.
  await sleep(3.5 * (DEADLINE_MS / 2));
  const rounds = accessLog().filter((l) => l.method === 'POST' && l.at >= started && /^\/cardbound\/presence(\/challenge)?$/.test(l.path));
  const proofs = [];
  rounds.forEach((l, i) => {
    if (l.path !== '/cardbound/presence') return;
    const challenge = rounds.slice(0, i).findLast((c) => c.path === '/cardbound/presence/challenge');
    proofs.push({ challengeOn: challenge?.on, proofOn: l.on, status: l.status });
  });
  assert.ok(proofs.length >= 3, `presence proofs so far: ${JSON.stringify(proofs)}`);
  for (const p of proofs) {
    assert.equal(p.status, 204, `a proof refused: ${JSON.stringify(proofs)}`);
    assert.notEqual(p.proofOn, p.challengeOn, `a proof on the instance of its challenge: ${JSON.stringify(proofs)}`);
  }
  assert.deepEqual(new Set(proofs.map((p) => p.proofOn)), new Set(['a', 'b']), 'proofs land on both instances');
  assert.equal((await loggedInState()).state, 'in');
  console.log(`# ${proofs.length} presence proofs, alternating: ${proofs.map((p) => `${p.challengeOn}→${p.proofOn}`).join(' ')}`);
});

test('the card pulled: a tab whose event stream B holds hears the logout that A served within 100 ms; ' +
  '/api/me is 401 on both', async () => {
  // A second page of the site that only listens, as a site's other pages
  // may: the extension tells the tab that logged in about the pull at once,
  // so only a tab like this one shows the end travelling between instances.
  const listener = await browser.context.newPage();
  await listener.goto(`${origin}/healthz`);
  await listener.evaluate(() => new Promise((resolve, reject) => {
    const events = new EventSource('/cardbound/events');
    window.ended = null;
    events.addEventListener('session-ended', (e) => { window.ended = { at: Date.now(), data: e.data }; events.close(); });
    events.addEventListener('open', () => resolve());
    setTimeout(() => reject(new Error('the event stream did not open in 5 s')), 5000);
  }));
  assert.equal(await openStreams('a'), 0, 'A holds no event stream');
  assert.equal(await openStreams('b'), 2, 'B holds the streams of both tabs');

  const pulled = Date.now();
  await bench('pull', '0');
  try {
    await page.waitForSelector('#state.out', { timeout: 5000 });
    assert.equal((await loggedInState()).reason, 'card-removed');
    await listener.waitForFunction(() => window.ended !== null, null, { timeout: 5000 });
    const ended = await listener.evaluate(() => window.ended);
    assert.equal(ended.data, '{"reason":"card-removed"}');
    const logouts = posts('/cardbound/logout', pulled - 1000);
    assert.equal(logouts.length, 1, `one logout: ${JSON.stringify(logouts)}`);
    assert.equal(logouts[0].on, 'a');
    assert.equal(logouts[0].status, 204);
    // The access log's time is when the answer went out; the request came in
    // its handling time earlier.
    const ms = ended.at - (logouts[0].at - logouts[0].us / 1000);
    console.log(`# the logout served by A reached the tab on B's stream ${ms.toFixed(0)} ms after A got it ` +
      `(${ended.at - pulled} ms after the pull)`);
    assert.ok(ms <= 100, `the tab on B heard the logout ${ms.toFixed(0)} ms after A got it`);
    assert.equal(await me('a'), 401);
    assert.equal(await me('b'), 401);
  } finally {
    await bench('insert', '0');
    await listener.close();
  }
});

test('an instance killed mid-session: the session goes on through the other, and its replacement serves it', async () => {
  await flow.login(page, { holder: MARI, pin: PIN });
  instances.a.proc.kill('SIGKILL');
  await instances.a.stop();
  const killed = Date.now();
  // Two whole deadlines without A.
  await sleep(2 * DEADLINE_MS);
  assert.deepEqual(await loggedInState(), { state: 'in', reason: null });
  const proofs = posts('/cardbound/presence', killed).filter((l) => l.status === 204);
  assert.ok(proofs.length >= 3, `proofs since A died: ${JSON.stringify(proofs)}`);
  assert.ok(proofs.every((l) => l.on === 'b'));
  assert.equal(await me('b'), 200);

  // A rolling restart: A again, on its port.
  await startInstance('a');
  assert.equal(await me('a'), 200);
  const back = Date.now();
  await sleep(2 * DEADLINE_MS);
  assert.ok(posts('/cardbound/presence', back).some((l) => l.on === 'a' && l.status === 204), 'A proves again');
  assert.deepEqual(await loggedInState(), { state: 'in', reason: null });
});

test('Redis killed and started again from its append-only file: the session survives', async () => {
  await redis.stop('SIGKILL');
  const restarted = Date.now();
  await redis.start();
  await sleep(2 * DEADLINE_MS);
  assert.deepEqual(await loggedInState(), { state: 'in', reason: null });
  assert.equal(await me('a'), 200);
  assert.equal(await me('b'), 200);
  assert.ok(posts('/cardbound/presence', restarted).filter((l) => l.status === 204).length >= 2, 'presence goes on');
});

test('Redis stopped: the site answers 503, the session ends at its deadline; Redis back: a new login works', async () => {
  await redis.stop();
  const stopped = Date.now();
  const a = await direct('a', 'GET', '/api/me');
  assert.equal(a.status, 503);
  assert.match(a.text, /STORE_UNAVAILABLE/);
  assert.equal((await direct('b', 'POST', '/cardbound/presence/challenge')).status, 503);
  const through = await page.evaluate(async () => (await fetch('/api/me')).status);
  assert.equal(through, 503, 'through the balancer too');
  await page.waitForSelector('#state.out', { timeout: DEADLINE_MS + 10000 });
  const { reason } = await loggedInState();
  assert.equal(reason, 'connection-lost');
  const endedAfter = Date.now() - stopped;
  console.log(`# with Redis stopped, the page ended its session ${endedAfter} ms later (deadline ${DEADLINE_MS} ms)`);
  assert.ok(endedAfter <= DEADLINE_MS + 5000, `ended ${endedAfter} ms after Redis stopped`);
  await flow.shot(page, 'redis-stopped');

  await redis.start();
  // The old session is not brought back from the file: its deadline passed.
  // No 503 either: the instances replace the connections Redis closed.
  assert.equal(await me('a'), 401);
  assert.equal(await me('b'), 401);
  // haproxy takes the instances back as their /healthz answers 200 again:
  // each backend (one a route) checks on its own every 300 ms, so the first
  // 200 through the default backend does not mean the challenge's route is
  // back. Three in a row, then longer than one check interval of every
  // backend.
  for (let ok = 0, until = Date.now() + 10000; ok < 3 && Date.now() < until;) {
    ok = (await page.evaluate(async () => (await fetch('/healthz')).status)) === 200 ? ok + 1 : 0;
    await sleep(100);
  }
  await sleep(1000);
  await flow.login(page, { holder: MARI, pin: PIN });
  assert.equal(await me('a'), 200);
  assert.equal(await me('b'), 200);
  await page.click('#logout');
  await page.waitForSelector('#state.out');
  assert.equal(await me('a'), 401);
});
