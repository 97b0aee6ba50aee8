// The HTTPS front under the loads that took the thread-per-connection server
// down (issue 14): many idle connections, slow clients, the connection cap,
// no file descriptors left; event streams woken only by their own session's
// end; HEAD; a first response without the Nagle delay. Needs only a test PKI
// (made here unless CARDBOUND_PKI_DIR names one): OCSP is off.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect as tcpConnect, createServer as tcpServer } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { apiClient, root, startServer } from './https_client.mjs';

let pki, madePki, env, server, api;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const servers = [];

async function start(args = [], options) {
  const s = await startServer(env, ['--ocsp', 'off', ...args], options);
  servers.push(s);
  return s;
}

before(async () => {
  pki = process.env.CARDBOUND_PKI_DIR;
  if (!pki) {
    madePki = mkdtempSync(join(tmpdir(), 'cardbound-listener-pki-'));
    pki = madePki;
    execFileSync(join(root, 'tests/pki/make-pki'), [pki], { stdio: 'ignore' });
  }
  env = { CARDBOUND_PKI_DIR: pki };
  server = await start(['--presence-interval', '30']);
  api = apiClient({ pki, port: server.port });
});

after(() => {
  for (const s of servers) s.proc.kill();
  if (madePki) rmSync(madePki, { recursive: true, force: true });
});

// Plain TCP connections that never send a byte; resolves once all are up.
async function idleConnections(port, n) {
  const sockets = [];
  await Promise.all(Array.from({ length: n }, () => new Promise((resolve, reject) => {
    const s = tcpConnect({ host: '127.0.0.1', port }, resolve);
    s.on('error', reject);
    sockets.push(s);
  })));
  return sockets;
}

// When the server closes `socket`: ms after `since`.
const closedAfter = (socket, since) => new Promise((resolve) => {
  socket.on('error', () => {});
  socket.on('close', () => resolve(Date.now() - since));
});

const tls = (port) => new Promise((resolve, reject) => {
  const s = tlsConnect({ host: '127.0.0.1', port, servername: 'localhost', ca: api.ca }, () => resolve(s));
  s.on('error', reject);
});

// Everything the server sends until it closes the connection.
const readAll = (socket) => new Promise((resolve) => {
  let data = '';
  socket.on('data', (d) => { data += d; });
  socket.on('close', () => resolve(data));
  socket.on('error', () => {});
});

async function timedHealthz(port) {
  const t0 = Date.now();
  const res = await apiClient({ pki, port }).http('GET', '/healthz');
  return { status: res.status, ms: Date.now() - t0 };
}

const metric = async (port, name) =>
  Number((await apiClient({ pki, port }).http('GET', '/metrics')).json.match(new RegExp(`^${name} (\\d+)$`, 'm'))?.[1]);

test('1,000 idle and 1,000 slow-header connections held open: /healthz and a full login still answer within 1 s', async () => {
  // Long header deadlines, so that all of them are still held while we ask.
  const s = await start(['--header-timeout', '120', '--rate-limit', '0']);
  const idle = await idleConnections(s.port, 1000);
  // TLS connections that send a request's first line and then a header byte
  // now and then, never finishing (slowloris); opened in batches.
  const slow = [];
  for (let i = 0; i < 1000; i += 100)
    slow.push(...await Promise.all(Array.from({ length: 100 }, async () => {
      const c = await tls(s.port);
      c.on('error', () => {});
      c.write('GET /healthz HTTP/1.1\r\nX-Slow: ');
      return c;
    })));
  const drip = setInterval(() => { for (const c of slow) if (!c.destroyed) c.write('x'); }, 1000);
  try {
    await sleep(300);
    assert.ok(await metric(s.port, 'cardbound_open_connections') >= 2000, 'the server holds them itself');
    const client = apiClient({ pki, port: s.port });
    for (let i = 0; i < 3; i++) {
      const { status, ms } = await timedHealthz(s.port);
      assert.equal(status, 200);
      assert.ok(ms < 1000, `/healthz took ${ms} ms`);
      const t0 = Date.now();
      await client.login();
      assert.ok(Date.now() - t0 < 1000, `challenge, login and confirm took ${Date.now() - t0} ms`);
      await sleep(200);
    }
    assert.equal(slow.filter((c) => c.destroyed).length, 0, 'the slow clients were still held');
  } finally {
    clearInterval(drip);
    for (const c of [...idle, ...slow]) c.destroy();
  }
});

test('2,000 open event streams: a logout reaches its own tabs within 100 ms, and no other', async () => {
  const s = await start(['--rate-limit', '0']);
  const api = apiClient({ pki, port: s.port });
  const sessions = [];
  for (let i = 0; i < 40; i++) sessions.push(await api.login());
  const tabs = [];
  for (let i = 0; i < 2000; i += 200) {
    const batch = [];
    for (let j = i; j < i + 200; j++) {
      const tab = api.eventStream(sessions[j % 40].cookie, { timeout: 60_000 });
      tab.session = j % 40;
      tab.ended.catch(() => {});
      tabs.push(tab);
      batch.push(tab.connected);
    }
    await Promise.all(batch);
  }
  try {
    assert.equal(await metric(s.port, 'cardbound_open_event_streams'), 2000);
    const own = tabs.filter((t) => t.session === 7);
    const t0 = Date.now();
    assert.equal((await api.http('POST', '/cardbound/logout', { cookie: sessions[7].cookie, body: {} })).status, 204);
    assert.deepEqual(await Promise.all(own.map((t) => t.ended)), own.map(() => 'logout'));
    const last = Math.max(...own.map((t) => t.received.at(-1).at)) - t0;
    assert.ok(last < 100, `the last of its ${own.length} tabs heard the logout ${last} ms after the request`);
    await sleep(300);
    const others = tabs.filter((t) => t.session !== 7);
    assert.equal(others.filter((t) => t.received.some((c) => c.text.includes('session-ended'))).length, 0,
      'the other sessions\' tabs heard nothing');
    assert.equal(await metric(s.port, 'cardbound_open_event_streams'), 2000 - own.length);
  } finally {
    for (const t of tabs) t.close();
    for (const [i, { cookie }] of sessions.entries())
      if (i !== 7) await api.http('POST', '/cardbound/logout', { cookie, body: {} });
  }
  await sleep(300);
  assert.equal(await metric(s.port, 'cardbound_open_event_streams'), 0, 'closed tabs\' streams end');
});

test('a session end wakes only its own event streams, and those at once', async () => {
  const a = await api.login(), b = await api.login();
  const tabA = api.eventStream(a.cookie), tabB = api.eventStream(b.cookie);
  const connected = (tab) => tab.received.some((c) => c.text.includes(': connected'));
  for (let i = 0; i < 50 && !(connected(tabA) && connected(tabB)); i++) await sleep(20);
  assert.ok(connected(tabA) && connected(tabB), 'both streams open');

  let t0 = Date.now();
  assert.equal((await api.http('POST', '/cardbound/logout', { cookie: b.cookie, body: {} })).status, 204);
  assert.equal(await tabB.ended, 'logout');
  assert.ok(Date.now() - t0 < 500, `B's end reached B's tab in ${Date.now() - t0} ms`);
  await sleep(300);
  assert.deepEqual(tabA.received.map((c) => c.text), [': connected\n\n'], 'A heard nothing of B\'s end');

  t0 = Date.now();
  await api.http('POST', '/cardbound/logout', { cookie: a.cookie, body: { reason: 'card-removed' } });
  assert.equal(await tabA.ended, 'card-removed');
  assert.ok(Date.now() - t0 < 500, `A's end reached A's tab in ${Date.now() - t0} ms`);
  await sleep(100);
  assert.equal(await metric(server.port, 'cardbound_open_event_streams'), 0, 'both streams closed');
});

test('a closed tab\'s event stream ends at once, not at the next keep-alive', async () => {
  const { cookie } = await api.login();
  const tabs = [api.eventStream(cookie), api.eventStream(cookie)];
  for (let i = 0; i < 50 && tabs.some((t) => t.received.length === 0); i++) await sleep(20);
  assert.equal(await metric(server.port, 'cardbound_open_event_streams'), 2);
  for (const t of tabs) { t.close(); t.ended.catch(() => {}); }
  await sleep(300);
  assert.equal(await metric(server.port, 'cardbound_open_event_streams'), 0);
  await api.http('POST', '/cardbound/logout', { cookie, body: {} });
});

test('a body announced over 64 KiB is refused with 413 at once, before it is sent', async () => {
  const s = await tls(server.port);
  const all = readAll(s);
  s.write(`POST /cardbound/challenge HTTP/1.1\r\nHost: localhost\r\nOrigin: https://localhost:${server.port}\r\n` +
    'Content-Type: application/json\r\nContent-Length: 1000000\r\n\r\n');
  assert.match(await all, /^HTTP\/1\.1 413 /);
});

test('HEAD gets the GET\'s headers and no body; not a 404', async () => {
  // Two requests on one connection: a body after HEAD's headers would show
  // up before the GET's status line.
  const s = await tls(server.port);
  const all = readAll(s);
  s.write('HEAD /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n' +
    'GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n');
  const [head, get] = (await all).split(/(?=HTTP\/1\.1 )/);
  assert.match(head, /^HTTP\/1\.1 200 OK\r\n/);
  assert.match(head, /\r\nContent-Length: 3\r\n/i, 'the length of the GET\'s body');
  assert.ok(head.endsWith('\r\n\r\n'), `nothing after HEAD's headers: ${JSON.stringify(head)}`);
  assert.match(get, /^HTTP\/1\.1 200 OK\r\n[^]*\r\n\r\nok\n$/);
  for (const [path, status] of [['/nope', 404], ['/cardbound/events', 405], ['/cardbound.js', 200]]) {
    const res = await api.http('HEAD', path);
    assert.equal(res.status, status, path);
    assert.equal(res.json, '', path);
  }
});

test('a fresh connection\'s first response comes without the Nagle delay (TCP_NODELAY)', async () => {
  const times = [];
  for (let i = 0; i < 9; i++) {
    const s = await tls(server.port);
    const all = readAll(s);
    const t0 = process.hrtime.bigint();
    s.write('GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n');
    await new Promise((resolve) => s.on('data', (d) => { if (d.toString().endsWith('ok\n')) resolve(); }));
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
    s.destroy();
    await all;
  }
  times.sort((x, y) => x - y);
  const median = times[Math.floor(times.length / 2)];
  // Nagle with delayed ACKs holds the body's TLS record about 40 ms.
  assert.ok(median < 25, `median first response ${median.toFixed(1)} ms (${times.map((t) => t.toFixed(1)).join(', ')})`);
});

test('every wait is bounded: silent, slow-header, idle and slow-body clients are cut off', async () => {
  const s = await start(['--header-timeout', '1', '--body-timeout', '1', '--idle-timeout', '1']);
  const t0 = Date.now();
  const [silent] = await idleConnections(s.port, 1);
  const silentClosed = closedAfter(silent, t0);

  const slow = await tls(s.port);
  const slowClosed = closedAfter(slow, t0);
  slow.write('GET /healthz HTTP/1.1\r\n');
  const drip = setInterval(() => { if (!slow.destroyed) slow.write('X'); }, 100);

  const idle = await tls(s.port);
  const idleData = readAll(idle);
  idle.write('GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n');
  const idleStart = Date.now();
  const idleClosed = closedAfter(idle, idleStart);

  const body = await tls(s.port);
  const bodyClosed = closedAfter(body, Date.now());
  body.write(`POST /cardbound/challenge HTTP/1.1\r\nHost: localhost\r\nOrigin: https://localhost:${s.port}\r\n` +
    'Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{"hostNonce":');

  try {
    for (const [name, closed] of [['silent', silentClosed], ['slow headers', slowClosed],
      ['idle keep-alive', idleClosed], ['slow body', bodyClosed]]) {
      const ms = await Promise.race([closed, sleep(4000).then(() => Infinity)]);
      assert.ok(ms >= 700 && ms < 3500, `${name}: closed after ${ms} ms`);
    }
    assert.match(await idleData, /^HTTP\/1\.1 200 OK[^]*ok\n$/, 'the idle one got its answer first');
  } finally {
    clearInterval(drip);
    for (const c of [silent, slow, idle, body]) c.destroy();
  }
});

test('beyond --max-connections a small reserve answers /healthz (503 to the rest); beyond it connections close at once, logged once', async () => {
  const s = await start(['--max-connections', '4']);
  const held = await idleConnections(s.port, 4);
  await sleep(200);
  // Full: /healthz still answers, from the reserve; anything else is told to come back.
  const health = await timedHealthz(s.port);
  assert.equal(health.status, 200);
  assert.ok(health.ms < 1000, `/healthz at the cap took ${health.ms} ms`);
  const busy = await apiClient({ pki, port: s.port }).http('POST', '/cardbound/challenge', { body: { hostNonce: 'AAAA' } });
  assert.equal(busy.status, 503);
  assert.equal(busy.json.error, 'SERVER_BUSY');
  assert.equal(busy.headers['retry-after'], '1');
  // The reserve (32) holds a silent client only briefly; past it, connections close at once.
  const t0 = Date.now();
  const reserve = await idleConnections(s.port, 32);
  await sleep(200);
  const t1 = Date.now();
  const refused = await idleConnections(s.port, 30);
  const times = await Promise.all(refused.map((r) => closedAfter(r, t1)));
  assert.ok(Math.max(...times) < 1000, `refused within ${Math.max(...times)} ms`);
  const reserveTimes = await Promise.all(reserve.map((r) => closedAfter(r, t0)));
  assert.ok(Math.max(...reserveTimes) < 3500, `silent reserve connections cut off after ${Math.max(...reserveTimes)} ms`);
  for (const h of held) h.destroy();
  await sleep(200);
  assert.equal((await timedHealthz(s.port)).status, 200, 'served again once they closed');
  assert.ok(await metric(s.port, 'cardbound_connections_refused_total') >= 60);
  const lines = s.stderr().split('\n').filter((l) => l.includes('connections refused'));
  assert.equal(lines.length, 1, `one log line for 60 refusals: ${lines.join(' | ')}`);
});

test('out of file descriptors: the accept loop waits instead of spinning, and recovers', async () => {
  const s = await start(['--max-connections', '1000'], { shell: 'ulimit -n 64;' });
  const cpu = () => readFileSync(`/proc/${s.proc.pid}/stat`, 'utf8').split(') ')[1].split(' ')
    .slice(11, 13).reduce((t, v) => t + Number(v), 0); // utime + stime, in ticks
  const sockets = await idleConnections(s.port, 100); // more than 64 descriptors
  try {
    await sleep(300);
    const before = cpu();
    await sleep(1000);
    const ticks = cpu() - before;
    assert.ok(ticks < 30, `${ticks} ticks of CPU in 1 s with no descriptors left`);
  } finally {
    for (const c of sockets) c.destroy();
  }
  await sleep(500);
  const { status, ms } = await timedHealthz(s.port);
  assert.equal(status, 200);
  assert.ok(ms < 1000, `/healthz after recovery took ${ms} ms`);
  const lines = s.stderr().split('\n').filter((l) => l.includes('accepting connections fails'));
  assert.ok(lines.length >= 1 && lines.length <= 2, `logged ${lines.length} times`);
});

test('logins waiting on a silent OCSP responder do not stall the I/O thread', async () => {
  // A responder that accepts and never answers: each login waits out the
  // OCSP timeout (5 s) on the login pool while /healthz answers at once.
  const held = [];
  const silent = tcpServer((c) => held.push(c));
  await new Promise((r) => silent.listen(0, '127.0.0.1', r));
  try {
    const s = await startServer(env, ['--ocsp', `http://127.0.0.1:${silent.address().port}`, '--threads', '1']);
    servers.push(s);
    const slow = apiClient({ pki, port: s.port });
    const logins = Array.from({ length: 3 }, () => slow.login().then(() => 'ok', (e) => e.message));
    await sleep(300);
    assert.equal(held.length >= 1, true, 'the logins are waiting on the responder');
    const { status, ms } = await timedHealthz(s.port);
    assert.equal(status, 200);
    assert.ok(ms < 1000, `/healthz took ${ms} ms while logins waited`);
    for (const result of await Promise.all(logins)) assert.match(result, /REVOCATION_UNKNOWN/);
  } finally {
    for (const c of held) c.destroy();
    silent.close();
  }
});

test('a client flooding challenges hits its rate limit (429, Retry-After); another client logs in', async () => {
  const s = await start(['--rate-limit', '5']); // bursts of 15
  const flooder = apiClient({ pki, port: s.port });
  const answers = await Promise.all(Array.from({ length: 40 }, () => flooder.http('POST', '/cardbound/challenge',
    { body: { hostNonce: Buffer.alloc(32, 3).toString('base64') } })));
  const limited = answers.filter((a) => a.status === 429);
  assert.ok(limited.length >= 20, `${limited.length} of 40 refused`);
  assert.deepEqual(limited[0].json, { error: 'RATE_LIMITED' });
  assert.match(limited[0].headers['retry-after'], /^[1-9]\d*$/);
  assert.ok(answers.filter((a) => a.status === 200).length >= 15, 'the burst went through');
  const other = apiClient({ pki, port: s.port, localAddress: '127.0.0.2' });
  const { cookie } = await other.login();
  assert.equal((await other.http('GET', '/api/me', { cookie })).status, 200, 'another address logs in meanwhile');
  assert.equal((await flooder.http('GET', '/healthz')).status, 200, 'only challenge and login are limited');
  const metrics = (await flooder.http('GET', '/metrics')).json;
  assert.match(metrics, /^cardbound_rate_limited_total (\d+)$/m);
  assert.ok(Number(metrics.match(/^cardbound_rate_limited_total (\d+)$/m)[1]) >= limited.length);
});

test('observability: an access log line a request, a refused login logged with its code and subject, latency histograms', async () => {
  const s = await start(['--access-log', 'json']);
  const client = apiClient({ pki, port: s.port });
  const { cookie, receipt } = await client.login();
  assert.equal((await client.prove(cookie, receipt.sessionTag)).res.status, 204);
  const token = client.tokenFor('bm90LWlzc3VlZC1ieS10aGlzLXNlcnZlci0zMi1ieXRlcw==');
  const refused = await client.http('POST', '/cardbound/login',
    { body: { serverNonce: 'bm90LWlzc3VlZC1ieS10aGlzLXNlcnZlci0zMi1ieXRlcw==', token } });
  assert.equal(refused.status, 401);
  await sleep(150); // one refused-login line a 100 ms at most
  // A certificate OpenSSL cannot read is named as such (the fuzzer found this crashing).
  const garbled = { ...token, unverifiedCertificate: Buffer.from('not a certificate at all').toString('base64') };
  const bad = await client.http('POST', '/cardbound/login', { body: { serverNonce: 'x', token: garbled } });
  assert.equal(bad.status, 401);
  await client.http('GET', '/healthz?secret=x');
  const metrics = (await client.http('GET', '/metrics')).json;
  await sleep(200);
  const lines = s.stderr().split('\n');
  const access = lines.filter((l) => l.includes('"path"')).map((l) => JSON.parse(l.slice(l.indexOf('{'))));
  assert.ok(access.some((a) => a.method === 'POST' && a.path === '/cardbound/login' && a.status === 200 && a.client === '127.0.0.1'));
  assert.ok(access.some((a) => a.path === '/healthz' && a.status === 200), 'the query is left out of the log');
  assert.ok(!s.stderr().includes('secret=x'));
  const line = lines.find((l) => l.includes('login refused'));
  assert.match(line ?? '', /login refused: NONCE_UNKNOWN \(certificate .*Bob.*\)/);
  assert.ok(lines.some((l) => /login refused: [A-Z_]+ \(certificate \(no readable certificate\)\)/.test(l)), 'a garbled certificate');
  assert.ok(!s.stderr().includes(token.signature), 'never the token');
  assert.ok(!s.stderr().includes(cookie.split('=')[1]), 'never the cookie');
  assert.match(metrics, /^cardbound_login_validation_seconds_count 3$/m);
  assert.match(metrics, /^cardbound_presence_seconds_count 1$/m);
  assert.match(metrics, /^cardbound_presence_seconds_bucket\{le="\+Inf"\} 1$/m);
});
