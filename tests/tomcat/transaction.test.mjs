// Transaction confirmation in a real Tomcat 10.1 (the example WAR,
// cardbound-tomcat's CardboundServlet): POST /cardbound/transaction/challenge
// and POST /cardbound/transaction as cardbound-server answers them
// (docs/protocol.md §4.4, §4.5, §6), a node "card" of the bench's PKI
// signing. No browser and no card: the bench's PKI only.
import assert from 'node:assert/strict';
import { createHash, createPublicKey, verify } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { benchEnv } from '../integration/bench_env.mjs';
import { RpClient } from '../integration/rp_client.mjs';
import { startTomcat } from './tomcat.mjs';

const env = benchEnv();
const pki = env.CARDBOUND_PKI_DIR;
const TEXT = 'Pay 1,200.00 EUR to ACME Ltd — ÕÄÖÜ €';
const sha = (d) => createHash('sha256').update(d).digest();

let tomcat;
let client;

before(async () => {
  tomcat = await startTomcat({ env, ocsp: 'off', users: [{ certificate: join(pki, 'client-p256.pem'), roles: 'cardholder' }] });
  client = new RpClient({ port: tomcat.port, origin: tomcat.origin, pki });
});

after(async () => {
  client?.close();
  await tomcat?.stop();
});

// The card's answer, as the host's confirm-transaction makes it: the digest
// H("cardbound-transaction:1" 0x00 H(origin) H(sessionTag) H(text) H(nonce)).
function confirmation(c, { text = c.text, origin = client.origin, certificate = client.cardCert } = {}) {
  const preimage = Buffer.concat([Buffer.from('cardbound-transaction:1\0'), sha(origin), sha(c.sessionTag), sha(text), sha(c.nonce)]);
  return { format: 'cardbound-transaction:1', sessionTag: c.sessionTag, text, nonce: c.nonce,
    certificate: certificate.toString('base64'), algorithm: 'ES256', signature: client.cardSign(preimage) };
}

const ask = (cookie, text) => client.http('POST', '/cardbound/transaction/challenge', { cookie, body: { text } });
const answer = (cookie, conf) => client.http('POST', '/cardbound/transaction', { cookie, body: { confirmation: conf } });

test('a confirmed text: the signed challenge, the card\'s confirmation, the identity; one use', async () => {
  const { cookie, receipt } = await client.login();
  const res = await ask(cookie, TEXT);
  assert.equal(res.status, 200, JSON.stringify(res.json));
  const c = res.json.challenge;
  assert.deepEqual(Object.keys(c), ['format', 'origin', 'sessionTag', 'text', 'nonce', 'issuedAt', 'expiresAt', 'signatureAlgorithm', 'signature']);
  assert.equal(c.format, 'cardbound-transaction-challenge:1');
  assert.equal(c.origin, tomcat.origin);
  assert.equal(c.sessionTag, receipt.sessionTag);
  assert.equal(c.text, TEXT);
  // Signed by the connector's key over the documented lines, the text last.
  const input = [c.format, c.origin, c.sessionTag, c.nonce, c.issuedAt, c.expiresAt, c.text].join('\n');
  const siteKey = createPublicKey(readFileSync(join(pki, 'server-localhost.pem')));
  assert.ok(verify('sha256', Buffer.from(input), { key: siteKey, dsaEncoding: 'ieee-p1363' }, Buffer.from(c.signature, 'base64')));
  const ok = await answer(cookie, confirmation(c));
  assert.equal(ok.status, 200, JSON.stringify(ok.json));
  assert.equal(ok.json.confirmed, true);
  assert.equal(ok.json.text, TEXT);
  const session = await client.http('GET', '/cardbound/session', { cookie });
  assert.deepEqual(ok.json.identity, session.json.identity, 'the identity as GET /cardbound/session gives it');
  const replay = await answer(cookie, confirmation(c));
  assert.deepEqual([replay.status, replay.json], [401, { error: 'TRANSACTION_UNKNOWN' }]);
});

test('each refusal with its code', async () => {
  const { cookie } = await client.login();
  const other = await client.login(); // a second browser: its own session
  const c1 = (await ask(cookie, TEXT)).json.challenge;
  const changed = await answer(cookie, confirmation(c1, { text: 'Pay 9,999.00 EUR to EVIL Ltd' }));
  assert.deepEqual([changed.status, changed.json], [401, { error: 'TRANSACTION_TEXT_CHANGED' }]);
  const late = await answer(cookie, confirmation(c1));
  assert.deepEqual([late.status, late.json], [401, { error: 'TRANSACTION_UNKNOWN' }], 'one try per question');
  const c2 = (await ask(cookie, TEXT)).json.challenge;
  const wrongCard = await answer(cookie, confirmation(c2, { certificate: readFileSync(join(pki, 'client-p384.der')) }));
  assert.deepEqual([wrongCard.status, wrongCard.json], [401, { error: 'TRANSACTION_WRONG_CARD' }]);
  const c3 = (await ask(cookie, TEXT)).json.challenge;
  const otherOrigin = await answer(cookie, confirmation(c3, { origin: 'https://evil.example' }));
  assert.deepEqual([otherOrigin.status, otherOrigin.json], [401, { error: 'TRANSACTION_SIGNATURE_INVALID' }]);
  const theirs = (await ask(other.cookie, TEXT)).json.challenge;
  const foreign = await answer(cookie, confirmation(theirs));
  assert.deepEqual([foreign.status, foreign.json], [401, { error: 'TRANSACTION_UNKNOWN' }], "another session's question");
  assert.equal((await answer(other.cookie, confirmation(theirs))).status, 200, 'still theirs to answer');
  const malformed = await answer(cookie, { ...confirmation(c3), extra: 1 });
  assert.deepEqual([malformed.status, malformed.json], [401, { error: 'TOKEN_MALFORMED' }]);
  const missing = await client.http('POST', '/cardbound/transaction', { cookie, body: {} });
  assert.deepEqual([missing.status, missing.json], [401, { error: 'TOKEN_MALFORMED' }]);
  for (const text of ['', 'Pay 1 EUR\nto ACME', 'Pay 1 EUR to \u202eEMCA', 'x'.repeat(401), undefined, 7]) {
    const bad = await ask(cookie, text);
    assert.deepEqual([bad.status, bad.json], [400, { error: 'TRANSACTION_TEXT_INVALID' }], JSON.stringify(text));
  }
  assert.equal((await ask(cookie, 'x'.repeat(400))).status, 200);
  // Bytes that are not UTF-8 are not patched into a text: the body is refused.
  const latin1 = Buffer.concat([Buffer.from('{"text":"Pay 1 '), Buffer.from([0xe9]), Buffer.from(' EUR"}')]);
  const notUtf8 = await client.http('POST', '/cardbound/transaction/challenge', { cookie, raw: latin1 });
  assert.deepEqual([notUtf8.status, notUtf8.json], [400, { error: 'BAD_REQUEST' }]);
  // The session goes on through all of it.
  assert.equal((await client.http('GET', '/cardbound/session', { cookie })).status, 200);
});

test('the session and Origin rules of the other endpoints', async () => {
  const none = await ask(undefined, TEXT);
  assert.deepEqual([none.status, none.json], [401, { error: 'SESSION_UNKNOWN' }]);
  const noneAnswer = await answer(undefined, {});
  assert.deepEqual([noneAnswer.status, noneAnswer.json], [401, { error: 'SESSION_UNKNOWN' }]);
  const unconfirmed = await client.login({ confirm: false });
  const early = await ask(unconfirmed.cookie, TEXT);
  assert.deepEqual([early.status, early.json], [401, { error: 'NOT_CONFIRMED' }]);
  const { cookie } = await client.login();
  const cross = await client.http('POST', '/cardbound/transaction/challenge', { cookie, body: { text: TEXT }, originHeader: 'https://evil.example' });
  assert.deepEqual([cross.status, cross.json], [403, { error: 'ORIGIN_MISMATCH' }]);
  const noOrigin = await client.http('POST', '/cardbound/transaction', { cookie, body: { confirmation: {} }, originHeader: null });
  assert.equal(noOrigin.status, 403);
  await client.http('POST', '/cardbound/logout', { cookie, body: {} });
  const ended = await ask(cookie, TEXT);
  assert.deepEqual([ended.status, ended.json], [401, { error: 'SESSION_UNKNOWN' }]);
});
