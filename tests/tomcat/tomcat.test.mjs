// Cardbound in a real Tomcat 10.1 (Debian's, in a CATALINA_BASE of its own,
// HTTPS with the bench's localhost certificate) running the example WAR:
// first the endpoints as the JavaScript API and the extension use them (a
// node "card" signs), then Debian's Chromium with the extension, the host and
// the virtual cards: a card holder with the role sees /private/, one without
// gets 403, a pulled card ends the HttpSession, a killed host ends it at the
// presence deadline. Screenshots in build/test-artifacts/tomcat/.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { benchEnv, repoRoot } from '../integration/bench_env.mjs';
import { RpClient } from '../integration/rp_client.mjs';
import { bench, killHostOf, LoginFlow } from '../browser/flow.mjs';
import { launchBrowser } from '../browser/harness.mjs';
import { buildDir, realmName, startTomcat } from './tomcat.mjs';

const env = benchEnv();
const pki = env.CARDBOUND_PKI_DIR;
const PIN = env.CARDBOUND_CARD_PIN;
const INTERVAL = 2; // seconds between presence proofs
const GRACE = 1;
const artefacts = join(buildDir, 'test-artifacts', 'tomcat');

let tomcat;
let client;
let browser;
let flow;

before(async () => {
  await bench('insert', '0');
  await bench('insert', '1');
  // Mari (card 0) and Bob (the node card) have the role; Jaan (card 1) has an account without it.
  tomcat = await startTomcat({
    env, presenceInterval: INTERVAL, presenceGrace: GRACE,
    users: [
      { certificate: join(pki, 'card0.pem'), roles: 'cardholder' },
      { certificate: join(pki, 'client-p256.pem'), roles: 'cardholder' },
      { certificate: join(pki, 'card1.pem'), roles: '' },
    ],
  });
  client = new RpClient({ port: tomcat.port, origin: tomcat.origin, pki });
});

after(async () => {
  await browser?.close();
  client?.close();
  await tomcat?.stop();
  await bench('insert', '0').catch(() => {});
  await bench('insert', '1').catch(() => {});
});

const jsession = (res) => res.headers['set-cookie']?.find((c) => c.startsWith('JSESSIONID='))?.split(';')[0];
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

test('the realm name tool prints the subject as Tomcat looks it up', () => {
  assert.equal(realmName(join(pki, 'card0.pem')),
    'SERIALNUMBER=PNOEE-48001010007, SURNAME=Card, GIVENNAME=Mari, CN="Card,Mari,48001010007", O=Cardbound Test, C=EE');
});

test('docs/integration.md shows the example files as they are', () => {
  const guide = readFileSync(join(repoRoot, 'docs', 'integration.md'), 'utf8');
  const blocks = [...guide.matchAll(/<!-- example: (\S+) -->\n```\w*\n([\s\S]*?)```\n/g)];
  assert.ok(blocks.length >= 3, 'the guide marks the example files it shows');
  for (const [, file, text] of blocks) {
    assert.equal(text, readFileSync(join(repoRoot, file), 'utf8'), `${file} as the guide shows it`);
  }
});

test('the endpoints refuse as cardbound-server does', async () => {
  const nonce = Buffer.alloc(32, 7).toString('base64');
  const cross = await client.http('POST', '/cardbound/challenge', { body: { hostNonce: nonce }, originHeader: 'https://evil.example' });
  assert.deepEqual([cross.status, cross.json], [403, { error: 'ORIGIN_MISMATCH' }]);
  const none = await client.http('POST', '/cardbound/challenge', { body: { hostNonce: nonce }, originHeader: null });
  assert.equal(none.status, 403, 'a POST without Origin');
  const bad = await client.http('POST', '/cardbound/challenge', { raw: '[1,2' });
  assert.deepEqual([bad.status, bad.json], [400, { error: 'BAD_REQUEST' }]);
  const array = await client.http('POST', '/cardbound/challenge', { raw: '[]' });
  assert.deepEqual([array.status, array.json], [400, { error: 'BAD_REQUEST' }]);
  const big = await client.http('POST', '/cardbound/challenge', { raw: JSON.stringify({ hostNonce: nonce, pad: 'x'.repeat(70_000) }) });
  assert.deepEqual([big.status, big.json], [400, { error: 'BAD_REQUEST' }], 'a body over 64 KiB');
  const shortNonce = await client.http('POST', '/cardbound/challenge', { body: { hostNonce: 'c2hvcnQ=' } });
  assert.deepEqual([shortNonce.status, shortNonce.json], [401, { error: 'TOKEN_MALFORMED' }]);
  const unknown = await client.http('POST', '/cardbound/nothing', { body: {} });
  assert.deepEqual([unknown.status, unknown.json], [404, { error: 'NOT_FOUND' }]);
  const session = await client.http('GET', '/cardbound/session');
  assert.deepEqual([session.status, session.json], [401, { error: 'SESSION_UNKNOWN' }]);
  const confirm = await client.http('POST', '/cardbound/confirm', { body: { proof: {} } });
  assert.deepEqual([confirm.status, confirm.json], [401, { error: 'SESSION_UNKNOWN' }]);
  assert.equal(await client.events(), 'no-session', 'an event stream without a session ends at once');
  const js = await client.http('GET', '/cardbound.js');
  assert.equal(js.status, 200);
  assert.match(js.headers['content-type'], /^text\/javascript/);
  assert.equal(js.json, readFileSync(join(repoRoot, 'js', 'cardbound.js'), 'utf8'), 'the JavaScript API from the jar, byte for byte');
});

test('a login by the protocol: the signed challenge, one use of its nonce, the cookie, confirm, presence', async () => {
  const challenge = await client.http('POST', '/cardbound/challenge', { body: { hostNonce: Buffer.alloc(32, 1).toString('base64') } });
  assert.equal(challenge.status, 200);
  assert.equal(challenge.json.origin, tomcat.origin);
  assert.equal(challenge.json.signatureAlgorithm, 'ES256', "signed with the connector's P-256 key");
  assert.equal(challenge.json.certificateChain.length, 2, "the connector's chain: localhost and the issuing CA");
  const token = client.tokenFor(challenge.json.serverNonce);
  const login = await client.http('POST', '/cardbound/login', { body: { serverNonce: challenge.json.serverNonce, token } });
  assert.equal(login.status, 200, JSON.stringify(login.json));
  assert.match(login.headers['set-cookie'][0], /^__Host-cardbound=[A-Za-z0-9_-]{43}; Path=\/; Secure; HttpOnly; SameSite=Strict$/);
  const again = await client.http('POST', '/cardbound/login', { body: { serverNonce: challenge.json.serverNonce, token } });
  assert.deepEqual([again.status, again.json], [401, { error: 'NONCE_REUSED' }]);
  const cookie = login.headers['set-cookie'][0].split(';')[0];
  const early = await client.http('GET', '/private/whoami', { cookie });
  assert.equal(early.status, 303, 'no access before confirm');
  const { receipt } = login.json;
  const confirm = await client.http('POST', '/cardbound/confirm', { cookie, body: { proof: client.proofFor(receipt.sessionTag, receipt.presenceNonce) } });
  assert.equal(confirm.status, 200);
  assert.equal(confirm.json.identity.holder, 'Bob Ecp');
  assert.equal(confirm.json.presenceInterval, INTERVAL);
  const other = await client.login();
  assert.notEqual(other.cookie, cookie, 'a second browser (no cookie) logs in on its own');
  const conflict = await client.http('POST', '/cardbound/login', { cookie, body: { serverNonce: 'x', token } });
  assert.deepEqual([conflict.status, conflict.json], [409, { error: 'SESSION_EXISTS' }]);
  for (let i = 0; i < 2; i++) {
    await sleep(1200);
    assert.equal((await client.prove(cookie, receipt.sessionTag)).res.status, 204);
  }
  const me = await client.http('GET', '/private/whoami', { cookie });
  assert.equal(me.status, 200, 'alive after 2.4 s of presence');
  assert.equal(me.json.authType, 'CARDBOUND');
  assert.equal(me.json.cardholder, true);
  assert.equal(me.json.user, realmName(join(pki, 'client-p256.pem')));
  // A replayed proof ends the session, for its event stream too.
  const stream = client.eventStream(cookie);
  await stream.connected;
  const { ended } = stream;
  const { proof } = await client.prove(cookie, receipt.sessionTag);
  const replay = await client.http('POST', '/cardbound/presence', { cookie, body: { proof } });
  assert.deepEqual([replay.status, replay.json], [401, { error: 'NONCE_REUSED' }]);
  assert.equal(await ended, 'presence-refused');
  assert.equal((await client.http('GET', '/cardbound/session', { cookie })).status, 401);
});

test('the HttpSession lives only with its card session: lateness, logout, a JSESSIONID alone', async () => {
  const { cookie } = await client.login();
  const first = await client.http('GET', '/private/whoami', { cookie });
  assert.equal(first.status, 200);
  const js = jsession(first);
  assert.ok(js, 'Tomcat made an HttpSession for the login');
  assert.equal((await client.http('GET', '/private/whoami', { cookie: `${cookie}; ${js}` })).status, 200);
  // No proofs: the timer ends the session at its deadline (interval + grace), and with it the HttpSession.
  const stream = client.eventStream(cookie, { timeout: 10_000 });
  await stream.connected;
  const { ended } = stream;
  const t0 = performance.now();
  assert.equal(await ended, 'presence-late');
  const lateMs = performance.now() - t0;
  assert.ok(lateMs < (INTERVAL + GRACE + 2.5) * 1000, `ended ${lateMs.toFixed(0)} ms after the last proof`);
  const after = await client.http('GET', '/private/whoami', { cookie: `${cookie}; ${js}` });
  assert.equal(after.status, 303, 'the old cookies log nobody in');

  // A logout ends the HttpSession at once.
  const second = await client.login();
  const js2 = jsession(await client.http('GET', '/private/whoami', { cookie: second.cookie }));
  const outStream = client.eventStream(second.cookie);
  await outStream.connected;
  const out = outStream.ended;
  const wrong = await client.http('POST', '/cardbound/logout', { cookie: second.cookie, body: { reason: 'timeout' } });
  assert.deepEqual([wrong.status, wrong.json], [400, { error: 'BAD_REQUEST' }], 'an unknown reason ends nothing');
  assert.equal((await client.http('GET', '/private/whoami', { cookie: `${second.cookie}; ${js2}` })).status, 200);
  assert.equal((await client.http('POST', '/cardbound/logout', { cookie: second.cookie, body: {} })).status, 204);
  assert.equal(await out, 'logout');
  assert.equal((await client.http('GET', '/private/whoami', { cookie: `${second.cookie}; ${js2}` })).status, 303);

  // A card login's JSESSIONID presented without its card cookie (stolen, or
  // left over) is refused, and fails closed: both sessions end.
  const third = await client.login();
  const js3 = jsession(await client.http('GET', '/private/whoami', { cookie: third.cookie }));
  const goneStream = client.eventStream(third.cookie);
  await goneStream.connected;
  const gone = goneStream.ended;
  assert.equal((await client.http('GET', '/private/whoami', { cookie: js3 })).status, 303, 'a JSESSIONID alone logs nobody in');
  assert.equal(await gone, 'logout');
  assert.equal((await client.http('GET', '/private/whoami', { cookie: `${third.cookie}; ${js3}` })).status, 303);
});

// The browser part: Chromium, the extension, the host and the virtual cards.
async function openSite() {
  const page = await browser.context.newPage();
  await page.goto(tomcat.url);
  await page.waitForSelector('#login:not([hidden])');
  return page;
}

async function whoami(page) {
  return page.evaluate(async () => {
    const r = await fetch('/private/whoami', { redirect: 'manual' });
    return { status: r.status, type: r.type, json: r.status === 200 ? await r.json() : null };
  });
}

async function cookies() {
  const all = await browser.context.cookies(tomcat.origin);
  return all.filter((c) => ['JSESSIONID', '__Host-cardbound'].includes(c.name)).map((c) => `${c.name}=${c.value}`).join('; ');
}

test('in Chromium: a card holder with the role sees /private/; pulling the card ends the HttpSession', async () => {
  browser = await launchBrowser({ env });
  flow = new LoginFlow(browser.context, { artefacts });
  const page = await openSite();
  assert.equal((await whoami(page)).type, 'opaqueredirect', 'no access before the login');
  await flow.login(page, { holder: 'Mari Card', pin: PIN, shots: true });
  assert.match(await page.textContent('#state'), /Welcome, Mari Card/);
  await page.goto(`${tomcat.origin}/private/`);
  await page.waitForSelector('#state[data-following="yes"]');
  assert.equal(await page.textContent('#user'), realmName(join(pki, 'card0.pem')), 'getUserPrincipal() is the card holder');
  await flow.shot(page, 'private');
  const me = await whoami(page);
  assert.deepEqual([me.status, me.json.cardholder, me.json.authType], [200, true, 'CARDBOUND']);
  const old = await cookies();
  assert.match(old, /JSESSIONID=/);
  // Several presence rounds on the private page keep the session.
  await sleep((INTERVAL + GRACE + 1) * 1000);
  assert.equal((await whoami(page)).status, 200, 'alive after several presence intervals');

  const pulled = performance.now();
  await bench('pull', '0');
  try {
    await page.waitForSelector('#state.out', { timeout: 10_000 });
    console.log(`# pull to the private page's logout: ${(performance.now() - pulled).toFixed(0)} ms`);
    assert.equal(await page.getAttribute('#state', 'data-reason'), 'card-removed');
    await flow.shot(page, 'private-card-removed');
    const replay = await client.http('GET', '/private/whoami', { cookie: old });
    assert.equal(replay.status, 303, 'the old JSESSIONID and card cookie are refused');
    assert.equal((await whoami(page)).type, 'opaqueredirect');
  } finally {
    await bench('insert', '0');
  }
  await page.close();
});

test('in Chromium: a card holder without the role gets 403', async () => {
  const page = await openSite();
  await flow.login(page, { holder: 'Jaan Card', pin: PIN });
  const me = await whoami(page);
  assert.equal(me.status, 403, 'the Realm knows Jaan but gives no cardholder role');
  const res = await page.goto(`${tomcat.origin}/private/`);
  assert.equal(res.status(), 403);
  await flow.shot(page, 'private-403');
  await page.goto(tomcat.url);
  await page.waitForSelector('#logout:not([hidden])');
  await page.click('#logout');
  await page.waitForSelector('#state.out');
  await page.close();
});

test('in Chromium: a killed host ends the session at the presence deadline', async () => {
  const page = await openSite();
  await flow.login(page, { holder: 'Mari Card', pin: PIN });
  await page.goto(`${tomcat.origin}/private/`);
  await page.waitForSelector('#state[data-following="yes"]');
  const old = await cookies();
  assert.equal((await client.http('GET', '/private/whoami', { cookie: old })).status, 200);
  assert.ok(killHostOf(browser) >= 1, 'found the host the browser started');
  const killed = performance.now();
  await page.waitForSelector('#state.out', { timeout: (INTERVAL + GRACE) * 1000 + 15_000 });
  const ms = performance.now() - killed;
  console.log(`# host killed to the private page's logout: ${ms.toFixed(0)} ms (deadline ${INTERVAL + GRACE} s)`);
  assert.equal((await client.http('GET', '/private/whoami', { cookie: old })).status, 303, 'the HttpSession ended with it');
  await flow.shot(page, 'private-host-killed');
  await page.close();
});
