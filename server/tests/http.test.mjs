// The reference server over real HTTPS: the three-step login, access only
// after confirm, presence deadlines, logout for every tab, and the refusals.
// A node "card" signs with a key of the test PKI as a card would.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash, createPublicKey, randomBytes, verify, X509Certificate } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { benchEnv } from '../../tests/integration/bench_env.mjs';
import { join } from 'node:path';
import { apiClient, serverPath, startServer as start } from './https_client.mjs';
import { RpClient } from '../../tests/integration/rp_client.mjs';

const env = benchEnv();
const pki = env.CARDBOUND_PKI_DIR;
let server, port, api;

// The site's own files (--site), one directory of them protected.
const site = mkdtempSync(join(tmpdir(), 'cardbound-site-'));
mkdirSync(join(site, 'private'));
writeFileSync(join(site, 'index.html'), '<h1>my front page</h1>');
writeFileSync(join(site, 'private', 'index.html'), '<h1>for card holders only</h1>');
writeFileSync(join(site, '.secret'), 'hidden');
symlinkSync('/etc/hostname', join(site, 'escape.txt'));
symlinkSync(join(site, 'private'), join(site, 'alias')); // a public path into the protected part

const startServer = (args) => start(env, args);

before(async () => {
  ({ proc: server, port } = await startServer(['--presence-interval', '2', '--presence-grace', '1',
    '--site', site, '--protect', '/private/']));
  api = apiClient({ pki, port });
});
after(() => server.kill());

const http = (...args) => api.http(...args);
// Each "session-ended" reason the event stream receives.
const events = (cookie) => api.eventStream(cookie).ended;
const tokenFor = (nonce) => api.tokenFor(nonce);

async function login(options) {
  const l = await api.login(options);
  assert.match(l.setCookie, /^__Host-cardbound=[A-Za-z0-9_-]{43}; Path=\/; Secure; HttpOnly; SameSite=Strict$/);
  return l;
}
const prove = (cookie, tag) => api.prove(cookie, tag);

test('the full three-step login gives access; presence keeps it', async () => {
  const { cookie, receipt } = await login();
  const me = await http('GET', '/api/me', { cookie });
  assert.equal(me.status, 200);
  assert.equal(me.json.holder, 'Bob Ecp');
  assert.equal(me.json.personalCode, 'PNOEE-38001010002');
  for (let i = 0; i < 3; i++) {
    await new Promise((r) => setTimeout(r, 1200));
    const { res } = await prove(cookie, receipt.sessionTag);
    assert.equal(res.status, 204);
  }
  assert.equal((await http('GET', '/api/me', { cookie })).status, 200, 'alive after 3.6 s thanks to presence');
  const metrics = (await http('GET', '/metrics')).json;
  assert.match(metrics, /cardbound_presence_proofs_total [1-9]/);
});

test('without --site the demo page is served', async () => {
  const demo = await startServer([]);
  try {
    const page = await http('GET', '/', { to: demo.port });
    assert.equal(page.status, 200);
    assert.match(page.headers['content-type'], /^text\/html/);
    assert.match(page.json, /<title>Cardbound demo<\/title>/);
    assert.match(page.json, /import \* as cardbound from '\/cardbound.js'/);
  } finally {
    demo.proc.kill();
  }
});

test('--site serves the site\'s files; --protect keeps a path for live card sessions', async () => {
  const front = await http('GET', '/');
  assert.equal(front.status, 200);
  assert.equal(front.json, '<h1>my front page</h1>', 'the site\'s page, not the demo page');
  const anonymous = await http('GET', '/private/');
  assert.equal(anonymous.status, 303);
  assert.equal(anonymous.headers.location, '/');
  // The same page by other spellings and ways.
  for (const path of ['/private', '/private/index.html', '/alias/', '/alias/index.html']) {
    assert.equal((await http('GET', path)).status, 303, path);
  }
  assert.equal((await http('GET', `/${site}/private/index.html`)).status, 404, 'an absolute path after //');
  assert.equal((await http('GET', '/private/index.html?x=1')).status, 303, 'the query does not get around it');
  const unconfirmed = await login({ confirm: false });
  assert.equal((await http('GET', '/private/', { cookie: unconfirmed.cookie })).status, 303, 'a login without confirm is not enough');
  const { cookie } = await login();
  const inside = await http('GET', '/private/', { cookie });
  assert.equal(inside.status, 200);
  assert.equal(inside.json, '<h1>for card holders only</h1>');
  await http('POST', '/cardbound/logout', { cookie, body: {} });
  assert.equal((await http('GET', '/private/', { cookie })).status, 303, 'not after logout');
  for (const path of ['/.secret', '/escape.txt', '/../etc/hostname', '/%2e%2e/etc/hostname', '/..%2f.secret', '/nope.html']) {
    assert.equal((await http('GET', path)).status, 404, path);
  }
});

test('the event stream of an ended or unknown session says no-session at once', async () => {
  const { cookie } = await login();
  await http('POST', '/cardbound/logout', { cookie, body: {} });
  const t0 = Date.now();
  assert.equal(await events(cookie), 'no-session', 'a cookie of a session that ended before the stream opened');
  assert.equal(await events('__Host-cardbound=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'), 'no-session');
  assert.ok(Date.now() - t0 < 2000, 'no waiting for a keep-alive');
});

test('bad options are refused at start: origin, port, numbers, a --config without a file', async () => {
  const cases = [
    [['--origin', 'https://localhost:8443/'], /--origin must be/, 2],
    [['--origin', 'https://Login.example'], /--origin must be/, 2],
    [['--origin', 'http://login.example'], /--origin must be/, 2],
    [['--listen', '127.0.0.1:70000'], /must be 0 to 65535/, 1],
    [['--listen', '127.0.0.1:-65000'], /must be 0 to 65535/, 1],
    [['--presence-interval', '5s'], /bad value for --presence-interval/, 2],
    [['--threads', '0'], /--threads is 1-256/, 2],
    [['--max-connections', '0'], /--max-connections 1-10000000/, 2],
    [['--idle-timeout', '5s'], /bad value for --idle-timeout/, 2],
    [['--config'], /--config needs a file/, 2],
    [['--site', '/nonexistent/cardbound-site'], /is not a directory/, 1],
    [['--site', site, '--protect', 'private/'], /must start with '\/'/, 1],
    // A --trust file that holds a card's certificate, not a CA's: refused at start, named.
    [['--trust', join(pki, 'client-p256.pem')], /client-p256\.pem: .* is not a CA certificate .*cannot be a trust anchor/, 1],
  ];
  for (const [args, message, status] of cases) {
    const proc = spawn(serverPath, ['--demo', ...args], { env: { ...process.env, ...env } });
    let err = '';
    proc.stderr.on('data', (d) => { err += d; });
    assert.equal(await new Promise((r) => proc.on('exit', r)), status, args.join(' '));
    assert.match(err, message, args.join(' '));
  }
});

test('--protect without --site, or of the front page, is refused', async () => {
  for (const [args, message, status] of [[['--protect', '/x/'], /--protect needs --site/, 2],
    [['--site', site, '--protect', '/'], /would protect the front page/, 1]]) {
    const proc = spawn(serverPath, ['--demo', '--listen', '127.0.0.1:0', ...args], { env: { ...process.env, ...env } });
    let err = '';
    proc.stderr.on('data', (d) => { err += d; });
    const code = await new Promise((r) => proc.on('exit', r));
    assert.equal(code, status, args.join(' '));
    assert.match(err, message);
  }
});

test('the JavaScript API is served, and /healthz and /metrics answer', async () => {
  const api = await http('GET', '/cardbound.js');
  assert.equal(api.status, 200);
  assert.match(api.headers['content-type'], /^text\/javascript/);
  assert.equal(api.json, readFileSync(new URL('../../js/cardbound.js', import.meta.url), 'utf8'), 'js/cardbound.js as it is');
  assert.equal((await http('GET', '/healthz')).json, 'ok\n');
  assert.match((await http('GET', '/metrics')).json, /^# HELP cardbound_http_requests_total/m);
  assert.equal((await http('GET', '/nope')).status, 404);
});

test('no confirm, no access', async () => {
  const { cookie } = await login({ confirm: false });
  const me = await http('GET', '/api/me', { cookie });
  assert.equal(me.status, 401);
  assert.equal(me.json.error, 'NOT_CONFIRMED');
});

test('a missed presence deadline ends the session and the event stream says so', async () => {
  const { cookie } = await login();
  const ended = events(cookie);
  assert.equal(await ended, 'presence-late');
  const me = await http('GET', '/api/me', { cookie });
  assert.equal(me.status, 401);
});

test('logout ends the session for every tab', async () => {
  const { cookie } = await login();
  const tab1 = events(cookie), tab2 = events(cookie);
  await new Promise((r) => setTimeout(r, 200));
  assert.equal((await http('POST', '/cardbound/logout', { cookie, body: {} })).status, 204);
  assert.deepEqual(await Promise.all([tab1, tab2]), ['logout', 'logout']);
  assert.equal((await http('GET', '/api/me', { cookie })).status, 401);
});

test('GET /cardbound/session: the identity and the time left for a live session, 401 otherwise', async () => {
  const none = await http('GET', '/cardbound/session');
  assert.equal(none.status, 401);
  assert.equal(none.json.error, 'SESSION_UNKNOWN');
  const unconfirmed = await login({ confirm: false });
  assert.equal((await http('GET', '/cardbound/session', { cookie: unconfirmed.cookie })).json.error, 'NOT_CONFIRMED');
  const { cookie, receipt } = await login();
  const live = await http('GET', '/cardbound/session', { cookie });
  assert.equal(live.status, 200);
  assert.equal(live.json.sessionTag, receipt.sessionTag, 'which session: the public tag of the receipt');
  assert.equal(live.headers['cache-control'], 'no-store');
  assert.equal(live.json.identity.holder, 'Bob Ecp');
  assert.equal(live.json.presenceInterval, 2);
  // interval 2 s + grace 1 s from the confirm just now
  assert.ok(live.json.expiresIn >= 2 && live.json.expiresIn <= 3, `expiresIn ${live.json.expiresIn}`);
  await http('POST', '/cardbound/logout', { cookie, body: {} });
  assert.equal((await http('GET', '/cardbound/session', { cookie })).json.error, 'SESSION_UNKNOWN');
});

test('a second login from a browser with a live session is refused (SESSION_EXISTS); the first one lives on', async () => {
  const first = await login();
  const challenge = (await http('POST', '/cardbound/challenge', { body: { hostNonce: randomBytes(32).toString('base64') } })).json;
  const again = await http('POST', '/cardbound/login', { cookie: first.cookie,
    body: { serverNonce: challenge.serverNonce, token: tokenFor(challenge.serverNonce) } });
  assert.equal(again.status, 409);
  assert.equal(again.json.error, 'SESSION_EXISTS');
  assert.equal(again.headers['set-cookie'], undefined, 'the cookie of the live session stays');
  assert.equal((await http('GET', '/api/me', { cookie: first.cookie })).status, 200);
  // An abandoned, unconfirmed login is replaced by the next one.
  const abandoned = await login({ confirm: false });
  const c2 = (await http('POST', '/cardbound/challenge', { body: { hostNonce: randomBytes(32).toString('base64') } })).json;
  const next = await http('POST', '/cardbound/login', { cookie: abandoned.cookie,
    body: { serverNonce: c2.serverNonce, token: tokenFor(c2.serverNonce) } });
  assert.equal(next.status, 200);
  assert.equal((await http('GET', '/cardbound/session', { cookie: abandoned.cookie })).json.error, 'SESSION_UNKNOWN',
    'the abandoned login is gone');
  await http('POST', '/cardbound/logout', { cookie: first.cookie, body: {} });
});

test('logout says why to every tab: the user, or the card leaving its reader', async () => {
  const { cookie } = await login();
  const bad = await http('POST', '/cardbound/logout', { cookie, body: { reason: 'presence-late' } });
  assert.equal(bad.status, 400, 'only logout and card-removed');
  assert.equal((await http('GET', '/api/me', { cookie })).status, 200, 'a refused logout ends nothing');
  const tab = events(cookie);
  await new Promise((r) => setTimeout(r, 200));
  assert.equal((await http('POST', '/cardbound/logout', { cookie, body: { reason: 'card-removed' } })).status, 204);
  assert.equal(await tab, 'card-removed');
  assert.equal((await http('GET', '/api/me', { cookie })).status, 401);
});

test('forged cookies, cross-origin posts, replayed tokens and proofs are refused', async () => {
  const forged = await http('GET', '/api/me', { cookie: `__Host-cardbound=${randomBytes(32).toString('base64url')}` });
  assert.equal(forged.status, 401);
  const cross = await http('POST', '/cardbound/challenge', { body: { hostNonce: randomBytes(32).toString('base64') }, originHeader: 'https://evil.example' });
  assert.equal(cross.status, 403);
  const { cookie, receipt, challenge } = await login();
  const replayLogin = await http('POST', '/cardbound/login', { body: { serverNonce: challenge.serverNonce, token: tokenFor(challenge.serverNonce) } });
  assert.equal(replayLogin.json.error, 'NONCE_REUSED');
  const { res, proof } = await prove(cookie, receipt.sessionTag);
  assert.equal(res.status, 204);
  const replay = await http('POST', '/cardbound/presence', { cookie, body: { proof } });
  assert.equal(replay.status, 401);
  assert.equal(replay.json.error, 'NONCE_REUSED');
  assert.equal((await http('GET', '/api/me', { cookie })).status, 401, 'a refused proof ends the session');
  const revoked = readFileSync(join(pki, 'client-revoked.der'));
  const ch = (await http('POST', '/cardbound/challenge', { body: { hostNonce: randomBytes(32).toString('base64') } })).json;
  const t = { ...tokenFor(ch.serverNonce), unverifiedCertificate: revoked.toString('base64') };
  const bad = await http('POST', '/cardbound/login', { body: { serverNonce: ch.serverNonce, token: t } });
  assert.equal(bad.status, 401);
  assert.equal(bad.json.error, 'CERT_REVOKED');
});

test('a configuration file sets what flags do not, and refuses unknown keys', async () => {
  const { mkdtempSync, writeFileSync } = await import('node:fs');
  const { spawnSync } = await import('node:child_process');
  const dir = mkdtempSync('/tmp/cardbound-server-config-');
  writeFileSync(`${dir}/bad.json`, JSON.stringify({ listen: '127.0.0.1:0', presenceIntervall: 5 }));
  const bad = spawnSync(serverPath, ['--config', `${dir}/bad.json`, '--demo'],
    { env: { ...process.env, ...env }, encoding: 'utf8', timeout: 10000 });
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /unknown key 'presenceIntervall'/);
  writeFileSync(`${dir}/good.json`, JSON.stringify({ listen: '127.0.0.1:0', origin: 'https://cards.example', ocsp: 'off' }));
  const good = spawn(serverPath, ['--config', `${dir}/good.json`, '--demo'],
    { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  const line = await new Promise((resolve) => good.stdout.once('data', (d) => resolve(d.toString())));
  good.kill();
  assert.match(line, /for https:\/\/cards\.example/);
});

// Transaction confirmation (docs/protocol.md §4.4, §4.5, §6). Each test starts its
// own server with the default presence interval (30 s), so a session needs
// no presence proofs while it confirms.
const sha = (d) => createHash('sha256').update(d).digest();
const TEXT = 'Pay 1,200.00 EUR to ACME Ltd — invoice №42';

// What the card answers: signed by `card` (an RpClient: its key and
// certificate) over `signedText`; `text` is what the page says was confirmed.
function confirmationFor(card, challenge, { text = challenge.text, signedText = text } = {}) {
  const preimage = Buffer.concat([Buffer.from('cardbound-transaction:1\0'), sha(challenge.origin),
    sha(challenge.sessionTag), sha(signedText), sha(challenge.nonce)]);
  return { format: 'cardbound-transaction:1', sessionTag: challenge.sessionTag, text, nonce: challenge.nonce,
    certificate: card.cardCert.toString('base64'), algorithm: 'ES256', signature: card.cardSign(preimage) };
}

async function transactionServer() {
  const s = await startServer([]);
  const client = apiClient({ pki, port: s.port });
  return { ...s, client, stop: () => { client.close(); s.proc.kill(); } };
}

test('transaction: the server asks, the session\'s card confirms the exact text, once', async () => {
  const s = await transactionServer();
  try {
    const { client } = s;
    const { cookie, receipt } = await client.login();
    const asked = await client.http('POST', '/cardbound/transaction/challenge', { cookie, body: { text: TEXT } });
    assert.equal(asked.status, 200);
    assert.equal(asked.headers['cache-control'], 'no-store');
    const { challenge } = asked.json;
    assert.deepEqual(Object.keys(challenge).sort(), ['expiresAt', 'format', 'issuedAt', 'nonce', 'origin',
      'sessionTag', 'signature', 'signatureAlgorithm', 'text']);
    assert.equal(challenge.format, 'cardbound-transaction-challenge:1');
    assert.equal(challenge.origin, client.origin);
    assert.equal(challenge.sessionTag, receipt.sessionTag);
    assert.equal(challenge.text, TEXT);
    assert.equal(Buffer.from(challenge.nonce, 'base64').length, 32);
    assert.equal(Date.parse(challenge.expiresAt) - Date.parse(challenge.issuedAt), 120_000);
    // Signed with the key of the server's certificate, over the lines of §4.5.
    const serverCert = new X509Certificate(Buffer.from((await client.challenge()).certificateChain[0], 'base64'));
    const input = ['cardbound-transaction-challenge:1', challenge.origin, challenge.sessionTag, challenge.nonce,
      challenge.issuedAt, challenge.expiresAt, challenge.text].join('\n');
    assert.equal(challenge.signatureAlgorithm, 'ES256');
    assert.ok(verify('sha256', Buffer.from(input), { key: createPublicKey(serverCert.publicKey.export({ format: 'pem', type: 'spki' })),
      dsaEncoding: 'ieee-p1363' }, Buffer.from(challenge.signature, 'base64')), 'the server\'s signature verifies');

    const confirmation = confirmationFor(client, challenge);
    const done = await client.http('POST', '/cardbound/transaction', { cookie, body: { confirmation } });
    assert.equal(done.status, 200, JSON.stringify(done.json));
    assert.equal(done.json.confirmed, true);
    assert.equal(done.json.text, TEXT);
    assert.equal(done.json.identity.holder, 'Bob Ecp');
    assert.deepEqual(done.json.identity, (await client.http('GET', '/cardbound/session', { cookie })).json.identity,
      'the identity as /cardbound/session gives it');
    const replay = await client.http('POST', '/cardbound/transaction', { cookie, body: { confirmation } });
    assert.equal(replay.status, 401);
    assert.equal(replay.json.error, 'TRANSACTION_UNKNOWN');

    const metrics = (await client.http('GET', '/metrics')).json;
    assert.match(metrics, /^cardbound_transactions_asked_total 1$/m);
    assert.match(metrics, /^cardbound_transactions_confirmed_total 1$/m);
    assert.match(metrics, /^cardbound_transactions_refused_total\{code="TRANSACTION_UNKNOWN"\} 1$/m);
    // The log names the confirmation, never its text.
    await new Promise((r) => setTimeout(r, 100));
    assert.match(s.stderr(), new RegExp(`transaction confirmed: session [A-Za-z0-9_-]+, text of ${Buffer.byteLength(TEXT)} bytes, nonce ${challenge.nonce.slice(0, 8).replace(/[+/]/g, '\\$&')}\\.\\.\\.`));
    assert.match(s.stderr(), /transaction refused: TRANSACTION_UNKNOWN/);
    assert.ok(!s.stderr().includes('ACME'), 'no text in the log');
  } finally {
    s.stop();
  }
});

test('transaction: refusals, each with its own code', async () => {
  const s = await transactionServer();
  try {
    const { client } = s;
    const { cookie } = await client.login();
    const ask = (body, who = cookie) => client.http('POST', '/cardbound/transaction/challenge', { cookie: who, body });
    const answer = (confirmation, who = cookie) => client.http('POST', '/cardbound/transaction', { cookie: who, body: { confirmation } });

    // Texts the trusted window would not show as they are: 400.
    for (const body of [{ text: '' }, { text: 'a'.repeat(401) }, { text: 'Pay 10 EUR\nto ACME' },
      { text: 'Pay 10 EUR to \u202EEMCA' }, { text: 'Pay\u200B10 EUR' }, { text: 'Pay\t10' }, {}, { text: 42 }]) {
      const r = await ask(body);
      assert.equal(r.status, 400, JSON.stringify(body));
      assert.equal(r.json.error, 'TRANSACTION_TEXT_INVALID', JSON.stringify(body));
    }
    assert.equal((await ask({ text: '€'.repeat(133) + 'x' })).status, 200, '400 bytes of UTF-8 is the most');

    // Each refusal uses its question up: the right answer after it is TRANSACTION_UNKNOWN.
    const other = new RpClient({ pki, port: s.port, card: 'client-revoked' }); // another card of the CA
    const cases = [
      ['TRANSACTION_TEXT_CHANGED', (c) => confirmationFor(client, c, { text: 'Pay 9,999.00 EUR to EVIL Ltd' })],
      ['TRANSACTION_SIGNATURE_INVALID', (c) => confirmationFor(client, c, { signedText: 'Pay 9,999.00 EUR to EVIL Ltd' })],
      ['TRANSACTION_WRONG_CARD', (c) => confirmationFor(other, c)],
      ['TRANSACTION_SIGNATURE_INVALID', (c) => ({ ...confirmationFor(other, c), certificate: client.cardCert.toString('base64') })],
      ['TRANSACTION_UNKNOWN', (c) => ({ ...confirmationFor(client, { ...c, nonce: randomBytes(32).toString('base64') }) })],
    ];
    for (const [code, make] of cases) {
      const { challenge } = (await ask({ text: TEXT })).json;
      const r = await answer(make(challenge));
      assert.equal(r.status, 401, code);
      assert.equal(r.json.error, code);
      if (code !== 'TRANSACTION_UNKNOWN') {
        assert.equal((await answer(confirmationFor(client, challenge))).json.error, 'TRANSACTION_UNKNOWN', `used up after ${code}`);
      }
    }
    other.close();

    // Another session's question: not this session's to answer, nor to use up.
    const second = await apiClient({ pki, port: s.port }).login();
    const theirs = (await ask({ text: TEXT }, second.cookie)).json.challenge;
    assert.equal((await answer(confirmationFor(client, theirs))).json.error, 'TRANSACTION_UNKNOWN');
    assert.equal((await answer(confirmationFor(client, theirs), second.cookie)).status, 200);

    // A malformed confirmation (the presence proof's code), a body that is no JSON object.
    const { challenge } = (await ask({ text: TEXT })).json;
    for (const bad of [undefined, 'x', { ...confirmationFor(client, challenge), extra: 1 },
      { ...confirmationFor(client, challenge), format: 'cardbound-presence:1' }]) {
      const r = await answer(bad);
      assert.equal(r.status, 401);
      assert.equal(r.json.error, 'TOKEN_MALFORMED', JSON.stringify(bad));
    }
    const notJson = await client.http('POST', '/cardbound/transaction', { cookie, raw: '{"confirmation":' });
    assert.equal(notJson.status, 400);
    assert.equal(notJson.json.error, 'BAD_REQUEST');
    assert.equal((await answer(confirmationFor(client, challenge))).status, 200, 'nothing malformed used the question up');

    // Without a live, confirmed session.
    for (const who of [null, `__Host-cardbound=${randomBytes(32).toString('base64url')}`]) {
      assert.equal((await ask({ text: TEXT }, who)).json.error, 'SESSION_UNKNOWN');
      assert.equal((await answer(confirmationFor(client, challenge), who)).json.error, 'SESSION_UNKNOWN');
    }
    const unconfirmed = await client.login({ confirm: false });
    assert.equal((await ask({ text: TEXT }, unconfirmed.cookie)).json.error, 'NOT_CONFIRMED');
    const last = (await ask({ text: TEXT })).json.challenge;
    await client.http('POST', '/cardbound/logout', { cookie, body: {} });
    const afterLogout = await answer(confirmationFor(client, last));
    assert.equal(afterLogout.status, 401);
    assert.equal(afterLogout.json.error, 'SESSION_UNKNOWN');
  } finally {
    s.stop();
  }
});

test('transaction: only the site\'s own pages may ask or answer (Origin), and a refused post uses nothing up', async () => {
  const s = await transactionServer();
  try {
    const { client } = s;
    const { cookie } = await client.login();
    for (const originHeader of ['https://evil.example', `https://localhost:${s.port + 1}`, null]) {
      const asked = await client.http('POST', '/cardbound/transaction/challenge', { cookie, body: { text: TEXT }, originHeader });
      assert.equal(asked.status, 403, String(originHeader));
      assert.equal(asked.json.error, 'ORIGIN_MISMATCH');
    }
    const { challenge } = (await client.http('POST', '/cardbound/transaction/challenge', { cookie, body: { text: TEXT } })).json;
    const confirmation = confirmationFor(client, challenge);
    const cross = await client.http('POST', '/cardbound/transaction', { cookie, body: { confirmation }, originHeader: 'https://evil.example' });
    assert.equal(cross.status, 403);
    assert.equal(cross.json.error, 'ORIGIN_MISMATCH');
    assert.equal((await client.http('POST', '/cardbound/transaction', { cookie, body: { confirmation } })).status, 200);
    // GET is no way in either.
    assert.equal((await client.http('GET', '/cardbound/transaction/challenge', { cookie })).status, 404);
  } finally {
    s.stop();
  }
});
