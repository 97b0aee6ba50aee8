// Two cardbound-server instances sharing one real redis-server (issue 15):
// a login's three steps spread over both, presence proofs alternating, a
// replay refused by the other instance, a logout on A heard by an event
// stream held by B within 100 ms, an instance killed mid-session, Redis
// frozen (the I/O threads go on serving), and Redis
// stopped (503 STORE_UNAVAILABLE, /healthz 503, B's streams closed) and
// started again (both recover without a restart); a transaction asked on
// one and confirmed once on the other. Starts its own
// redis-server on a free loopback port and its own test PKI (OCSP off);
// fails, never skips, without redis-server.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { createHash, randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RpClient } from '../../tests/integration/rp_client.mjs';
import { RedisServer, redisBinary } from '../../tests/integration/redis_server.mjs';
import { root, startServer } from './https_client.mjs';

// Both instances serve one site: the origin a browser sends, signed into
// every challenge, is the balancer's, not either instance's own port.
const ORIGIN = 'https://localhost:8443';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

let pki, tmp, env, redis, redisPort, storeUrl; // redis: a RedisServer
let A, B; // {proc, port, stderr}
let a, b; // RpClient of each instance (same origin, same card)
const servers = [];

async function startInstance() {
  const s = await startServer(env, ['--ocsp', 'off', '--origin', ORIGIN, '--store', storeUrl, '--rate-limit', '0']);
  servers.push(s);
  return s;
}

before(async () => {
  redisBinary(); // fail first, and clearly, without it
  tmp = mkdtempSync(join(tmpdir(), 'cardbound-scale-'));
  pki = join(tmp, 'pki');
  execFileSync(join(root, 'tests/pki/make-pki'), [pki], { stdio: 'ignore' });
  env = { CARDBOUND_PKI_DIR: pki };
  redis = await RedisServer.start({ dir: tmp }); // no persistence
  redisPort = redis.port;
  storeUrl = redis.url(0);
  [A, B] = await Promise.all([startInstance(), startInstance()]);
  a = new RpClient({ pki, port: A.port, origin: ORIGIN });
  b = new RpClient({ pki, port: B.port, origin: ORIGIN });
});

after(async () => {
  for (const s of servers) s.proc.kill('SIGKILL');
  await redis?.stop();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

// One request to an instance (`on`: A or B), with the shared origin.
const call = (on, method, path, options = {}) => a.http(method, path, { ...options, to: on.port });
const post = (on, path, body, cookie) => call(on, 'POST', path, { body, cookie });

// The three steps, each on the instance given: {cookie, tag, nonce (the
// receipt's presence nonce, answered by confirm)}.
async function login({ challengeOn, loginOn, confirmOn }) {
  const ch = await post(challengeOn, '/cardbound/challenge', { hostNonce: randomBytes(32).toString('base64') });
  assert.equal(ch.status, 200, `challenge: ${JSON.stringify(ch.json)}`);
  const res = await post(loginOn, '/cardbound/login', { serverNonce: ch.json.serverNonce, token: a.tokenFor(ch.json.serverNonce) });
  assert.equal(res.status, 200, `login: ${JSON.stringify(res.json)}`);
  const cookie = res.headers['set-cookie'][0].split(';')[0];
  const { receipt } = res.json;
  const c = await post(confirmOn, '/cardbound/confirm', { proof: a.proofFor(receipt.sessionTag, receipt.presenceNonce) }, cookie);
  assert.equal(c.status, 200, `confirm: ${JSON.stringify(c.json)}`);
  return { cookie, tag: receipt.sessionTag };
}

// A presence challenge on one instance, its proof on another: {res, proof}.
async function prove(session, challengeOn, proveOn) {
  const pc = await post(challengeOn, '/cardbound/presence/challenge', {}, session.cookie);
  assert.equal(pc.status, 200, `presence challenge: ${JSON.stringify(pc.json)}`);
  const proof = a.proofFor(session.tag, pc.json.nonce);
  return { res: await post(proveOn, '/cardbound/presence', { proof }, session.cookie), proof };
}

const me = async (on, session) => (await call(on, 'GET', '/api/me', { cookie: session.cookie })).status;

// An event stream held by an instance, as a tab holds it: `ready` resolves
// with the first thing the server sends; `closed` when the server ends the
// stream; `text()` all it sent; `endedAt` when "session-ended" arrived.
function eventStream(on, session) {
  const s = { chunks: [], text: () => s.chunks.map((c) => c.text).join('') };
  let ready;
  s.ready = new Promise((resolve) => { ready = resolve; });
  s.closed = new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port: on.port, path: '/cardbound/events', ca: a.ca, servername: 'localhost',
      headers: { cookie: session.cookie } }, (res) => {
      s.status = res.statusCode;
      res.on('data', (d) => {
        s.chunks.push({ at: Date.now(), text: d.toString() });
        if (s.endedAt === undefined && s.text().includes('event: session-ended')) s.endedAt = Date.now();
        ready();
      });
      res.on('close', () => { ready(); resolve(); });
    });
    req.on('error', () => { ready(); resolve(); });
    req.end();
    s.close = () => req.destroy();
  });
  return s;
}

const reasonOf = (stream) => stream.text().match(/event: session-ended\ndata: (.*)\n\n/)?.[1];

// A stream that the instance holds open (it has subscribed): retried while
// it answers ": reconnect" (not subscribed yet), up to `ms`.
async function heldStream(on, session, ms = 5000) {
  for (const until = Date.now() + ms; ;) {
    const s = eventStream(on, session);
    await s.ready;
    if (s.text().includes(': connected')) return s;
    s.close();
    if (Date.now() > until) assert.fail(`no event stream held by port ${on.port} within ${ms} ms: got ${JSON.stringify(s.text())}`);
    await sleep(100);
  }
}

test('one login over both instances: challenge on A, login on B, confirm on A; /api/me on both', async () => {
  const s = await login({ challengeOn: A, loginOn: B, confirmOn: A });
  assert.equal(await me(A, s), 200);
  assert.equal(await me(B, s), 200);
  // A nonce is single-use across instances: the same challenge answered
  // again on the other instance is refused.
  const ch = await post(A, '/cardbound/challenge', { hostNonce: randomBytes(32).toString('base64') });
  const token = a.tokenFor(ch.json.serverNonce);
  assert.equal((await post(B, '/cardbound/login', { serverNonce: ch.json.serverNonce, token })).status, 200);
  const again = await post(A, '/cardbound/login', { serverNonce: ch.json.serverNonce, token });
  assert.equal(again.status, 401);
  assert.equal(again.json.error, 'NONCE_REUSED');
});

test('presence proofs alternate between A and B; a proof replayed on the other instance is refused', async () => {
  const s = await login({ challengeOn: B, loginOn: A, confirmOn: B });
  for (let i = 0; i < 6; i++) {
    const [x, y] = i % 2 ? [A, B] : [B, A];
    const { res } = await prove(s, x, y);
    assert.equal(res.status, 204, `proof ${i}: ${JSON.stringify(res.json)}`);
  }
  // Held by A, so the end made by B must travel.
  const stream = await heldStream(A, s);
  const { res, proof } = await prove(s, A, A);
  assert.equal(res.status, 204);
  const replay = await post(B, '/cardbound/presence', { proof }, s.cookie);
  assert.equal(replay.status, 401);
  assert.equal(replay.json.error, 'NONCE_REUSED');
  // A refused proof ends the session, everywhere: A's stream hears B's end.
  await Promise.race([stream.closed, sleep(2000)]);
  assert.equal(reasonOf(stream), '{"reason":"presence-refused"}');
  assert.equal(await me(A, s), 401);
  assert.equal(await me(B, s), 401);
});

test('a stream held by B hears a logout sent to A within 100 ms; /api/me is 401 on both after', async () => {
  const s = await login({ challengeOn: A, loginOn: A, confirmOn: A });
  const stream = await heldStream(B, s);
  const sent = Date.now();
  const res = await post(A, '/cardbound/logout', {}, s.cookie);
  assert.equal(res.status, 204);
  await Promise.race([stream.closed, sleep(2000)]);
  assert.equal(reasonOf(stream), '{"reason":"logout"}');
  const ms = stream.endedAt - sent;
  console.log(`# logout on A heard by B's stream after ${ms} ms`);
  assert.ok(ms <= 100, `B's stream heard the logout after ${ms} ms`);
  assert.equal(await me(A, s), 401);
  assert.equal(await me(B, s), 401);
});

test('a transaction asked on A is confirmed on B, once: a replay on either is TRANSACTION_UNKNOWN', async () => {
  const session = await login({ challengeOn: A, loginOn: B, confirmOn: A });
  const text = 'Pay 1,200.00 EUR to ACME Ltd';
  const asked = await post(A, '/cardbound/transaction/challenge', { text }, session.cookie);
  assert.equal(asked.status, 200, JSON.stringify(asked.json));
  const c = asked.json.challenge;
  assert.equal(c.sessionTag, session.tag);
  const sha = (d) => createHash('sha256').update(d).digest();
  const confirmation = { format: 'cardbound-transaction:1', sessionTag: c.sessionTag, text, nonce: c.nonce,
    certificate: a.cardCert.toString('base64'), algorithm: 'ES256',
    signature: a.cardSign(Buffer.concat([Buffer.from('cardbound-transaction:1\0'), sha(c.origin), sha(c.sessionTag), sha(text), sha(c.nonce)])) };
  const done = await post(B, '/cardbound/transaction', { confirmation }, session.cookie);
  assert.equal(done.status, 200, JSON.stringify(done.json));
  assert.equal(done.json.confirmed, true);
  assert.equal(done.json.text, text);
  for (const on of [A, B]) {
    const replay = await post(on, '/cardbound/transaction', { confirmation }, session.cookie);
    assert.equal(replay.status, 401);
    assert.equal(replay.json.error, 'TRANSACTION_UNKNOWN');
  }
  // A changed text is told as such on the other instance too.
  const again = (await post(B, '/cardbound/transaction/challenge', { text }, session.cookie)).json.challenge;
  const changed = await post(A, '/cardbound/transaction', { confirmation: { ...confirmation, nonce: again.nonce, text: 'Pay 9,999 EUR to EVIL' } }, session.cookie);
  assert.equal(changed.json.error, 'TRANSACTION_TEXT_CHANGED');
  await post(A, '/cardbound/logout', {}, session.cookie);
});

test('cardbound_redis_round_trips_total: a presence challenge costs one round trip, a proof one', async () => {
  const s = await login({ challengeOn: A, loginOn: B, confirmOn: B }); // B has seen it: no read
  const trips = async (on) => {
    const m = await call(on, 'GET', '/metrics');
    assert.equal(m.status, 200);
    const v = m.json.match(/^cardbound_redis_round_trips_total (\d+)$/m)?.[1];
    assert.ok(v !== undefined, 'the counter is there with --store redis://…');
    return Number(v);
  };
  const started = Date.now();
  const [a0, b0] = [await trips(A), await trips(B)];
  const n = 20;
  for (let i = 0; i < n; i++) assert.equal((await prove(s, A, B)).res.status, 204);
  const [a1, b1] = [await trips(A), await trips(B)];
  // Besides the n steps: the second scrape's own ZCARD (the sessions gauge)
  // and the expiry sweep's ZRANGEBYSCORE, once every 250 ms.
  const others = Math.ceil((Date.now() - started) / 250) + 2;
  for (const [what, d] of [['A, presence challenges', a1 - a0], ['B, presence proofs', b1 - b0]]) {
    console.log(`# ${what}: ${d} round trips for ${n} (at most ${others} of them not the steps')`);
    assert.ok(d >= n && d <= n + others, `${what}: ${d} round trips for ${n}`);
  }
});

test('an instance killed mid-session: the session goes on through the other', async () => {
  const s = await login({ challengeOn: A, loginOn: A, confirmOn: A });
  assert.equal((await prove(s, A, A)).res.status, 204);
  A.proc.kill('SIGKILL');
  await new Promise((r) => (A.proc.exitCode !== null || A.proc.signalCode !== null ? r() : A.proc.on('exit', r)));
  assert.equal((await prove(s, B, B)).res.status, 204);
  assert.equal(await me(B, s), 200);
  // Its replacement (a rolling restart) serves the same session.
  A = await startInstance();
  assert.equal((await prove(s, A, B)).res.status, 204);
  assert.equal(await me(A, s), 200);
});

test('Redis frozen: requests that need it wait on threads of their own, and the I/O threads go on serving', async () => {
  const s = await login({ challengeOn: A, loginOn: B, confirmOn: A });
  redis.freeze();
  try {
    // More requests waiting on Redis than A has threads of any kind.
    const started = Date.now();
    const waiting = Array.from({ length: 40 }, () => call(A, 'GET', '/api/me', { cookie: s.cookie }));
    await sleep(200);
    const t0 = Date.now();
    const page = await call(A, 'GET', '/');
    const pageMs = Date.now() - t0;
    assert.equal(page.status, 200);
    console.log(`# with Redis frozen and 40 requests waiting on it, / answered in ${pageMs} ms`);
    assert.ok(pageMs < 500, `/ took ${pageMs} ms while requests waited on a frozen Redis`);
    // Each waits at most the client's timeouts: refused, never hung.
    for (const res of await Promise.all(waiting)) {
      assert.equal(res.status, 503);
      assert.equal(res.json.error, 'STORE_UNAVAILABLE');
    }
    console.log(`# all 40 answered 503 within ${Date.now() - started} ms`);
  } finally {
    redis.thaw();
  }
  for (const until = Date.now() + 5000; (await me(A, s)) !== 200 && Date.now() < until;) await sleep(100);
  assert.equal(await me(A, s), 200, 'the session outlived the freeze');
});

test('Redis stopped: 503 STORE_UNAVAILABLE with Retry-After, /healthz 503 saying why, B\'s streams end; ' +
  'Redis back: both recover without a restart', async () => {
  const s = await login({ challengeOn: A, loginOn: B, confirmOn: A });
  const stream = await heldStream(B, s);
  const stopped = Date.now();
  await redis.stop();

  // B's stream closes without a session end (the tab reconnects and asks).
  await Promise.race([stream.closed, sleep(3000)]);
  assert.ok(stream.text().includes(': reconnect'), `B's stream after Redis stopped: ${JSON.stringify(stream.text())}`);
  assert.equal(reasonOf(stream), undefined);
  console.log(`# B's stream closed ${stream.chunks.at(-1).at - stopped} ms after Redis was stopped`);

  const unavailable = (res, what) => {
    assert.equal(res.status, 503, `${what}: ${res.status} ${JSON.stringify(res.json)}`);
    assert.equal(res.json.error, 'STORE_UNAVAILABLE', what);
    assert.equal(res.headers['retry-after'], '1', what);
  };
  unavailable(await post(A, '/cardbound/challenge', { hostNonce: randomBytes(32).toString('base64') }), 'challenge');
  unavailable(await post(B, '/cardbound/login', { serverNonce: randomBytes(32).toString('base64'), token: a.tokenFor('x') }), 'login');
  unavailable(await post(A, '/cardbound/presence/challenge', {}, s.cookie), 'presence challenge');
  unavailable(await post(B, '/cardbound/presence', { proof: a.proofFor(s.tag, 'x') }, s.cookie), 'presence');
  unavailable(await call(A, 'GET', '/api/me', { cookie: s.cookie }), '/api/me');
  unavailable(await call(B, 'GET', '/cardbound/session', { cookie: s.cookie }), 'session');
  unavailable(await post(A, '/cardbound/logout', {}, s.cookie), 'logout');
  for (const on of [A, B]) {
    const h = await call(on, 'GET', '/healthz');
    assert.equal(h.status, 503);
    assert.match(h.json, new RegExp(`^store unavailable: Redis at redis://127\\.0\\.0\\.1:${redisPort}/0: .+`));
  }
  const metrics = await call(A, 'GET', '/metrics');
  assert.equal(metrics.status, 200);
  assert.ok(Number(metrics.json.match(/^cardbound_store_unavailable_total (\d+)$/m)?.[1]) >= 4, 'the counter counts');
  // A stream opened meanwhile is not held on state B cannot hear about.
  const meanwhile = eventStream(B, s);
  await Promise.race([meanwhile.closed, sleep(3000)]);
  assert.equal(meanwhile.text(), ': reconnect\n\n');

  await redis.start(); // the same port, empty (no persistence)
  for (const on of [A, B]) {
    const h = await call(on, 'GET', '/healthz');
    assert.equal(h.status, 200, `healthz once Redis is back: ${h.json}`);
  }
  // The session died with Redis's data: refused, not guessed. (Every pooled
  // connection Redis closed is replaced before its next use: no 503 now.)
  assert.equal(await me(A, s), 401);
  const fresh = await login({ challengeOn: B, loginOn: A, confirmOn: B });
  assert.equal(await me(A, fresh), 200);
  assert.equal(await me(B, fresh), 200);
  const other = await login({ challengeOn: A, loginOn: B, confirmOn: A });
  assert.equal(await me(B, other), 200);
  // B subscribed again by itself: its stream hears A's logout.
  const again = await heldStream(B, fresh);
  const sent = Date.now();
  assert.equal((await post(A, '/cardbound/logout', {}, fresh.cookie)).status, 204);
  await Promise.race([again.closed, sleep(2000)]);
  assert.equal(reasonOf(again), '{"reason":"logout"}');
  assert.ok(again.endedAt - sent <= 100, `heard after ${again.endedAt - sent} ms`);
});
