// cardbound-host's transaction confirmations (issue 17) against SoftHSM2: a
// live presence session (login and confirm with client-p256), then the
// server's signed transaction challenge. verify-transaction hands the text
// to the window; confirm-transaction has the session's card sign it after
// the PIN, checked with openssl. Refused: another server's key, another
// origin, another session, a stale challenge, a text the window could not
// show as it is.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { Host, benchEnv, fingerprintOf, opensslVerifies, serverMessage, transactionPreimage } from './host_client.mjs';
import { ORIGIN, authenticate, confirm, serverFiles } from './login_flow.mjs';

const env = benchEnv();
const pki = env.CARDBOUND_PKI_DIR;
const PIN = env.CARDBOUND_USER_PIN;
const TEXT = 'Pay 1,200 EUR to ACME Ltd (invoice 2026-118)';
let host;
let sessionTag;

const challenge = (over = {}) => serverMessage('transaction', {
  key: serverFiles(pki).key, origin: ORIGIN, 'session-tag': sessionTag, text: TEXT, ...over,
});

before(async () => {
  host = new Host({ modules: [env.CARDBOUND_SOFTHSM_MODULE], caFiles: [join(pki, 'root-ca.pem')] });
  const fingerprint = fingerprintOf(join(pki, 'client-p256.pem'));
  const login = await authenticate(host, { pki, fingerprint, pin: PIN });
  assert.equal(login.answer.error, undefined, JSON.stringify(login.answer.error));
  const c = await confirm(host, { pki, loginId: login.begin.loginId, challenge: login.challenge, token: login.answer.result.token });
  assert.equal(c.answer.error, undefined, JSON.stringify(c.answer.error));
  sessionTag = c.sessionTag;
});
after(async () => {
  const { code, signal } = await host.close();
  assert.equal(signal, null, 'the host must not die by a signal');
  assert.equal(code, 0);
});

test('verify-transaction gives the text and the session\'s certificate; confirm-transaction signs them with the PIN', async () => {
  const c = challenge();
  const verified = await host.call('verify-transaction', { origin: ORIGIN, args: { challenge: c } });
  assert.equal(verified.text, TEXT);
  assert.equal(verified.certificate, fingerprintOf(join(pki, 'client-p256.pem')));
  assert.match(verified.server.subject, /CN=localhost/, 'the server verified at login');

  const { confirmation } = await host.call('confirm-transaction', { origin: ORIGIN, args: { challenge: c, pin: PIN } });
  assert.equal(confirmation.format, 'cardbound-transaction:1');
  assert.deepEqual([confirmation.sessionTag, confirmation.text, confirmation.nonce], [sessionTag, TEXT, c.nonce]);
  const certDer = Buffer.from(confirmation.certificate, 'base64');
  assert.ok(certDer.equals(readFileSync(join(pki, 'client-p256.der'))));
  const signature = Buffer.from(confirmation.signature, 'base64');
  const verifies = (text, origin = ORIGIN) => opensslVerifies({
    certDer, alg: confirmation.algorithm, preimage: transactionPreimage(confirmation.algorithm, origin, sessionTag, text, c.nonce), signature,
  });
  assert.ok(verifies(TEXT), 'openssl verifies the confirmation over origin, session, text and nonce');
  assert.ok(!verifies('Pay 1,201 EUR to ACME Ltd (invoice 2026-118)'), 'and no other text');
  assert.ok(!verifies(TEXT, 'https://evil.example'), 'nor another origin');

  // The session goes on: presence still answers.
  const presence = serverMessage('presence', { key: serverFiles(pki).key, origin: ORIGIN, 'session-tag': sessionTag, nonce: c.nonce });
  assert.equal((await host.request('presence', { origin: ORIGIN, args: { challenge: presence } })).error, undefined);
});

test('a PIN of the wrong length and a wrong PIN are refused; the right one confirms', async () => {
  const c = challenge();
  for (const pin of ['123', '1'.repeat(65)]) {
    const invalid = await host.request('confirm-transaction', { origin: ORIGIN, args: { challenge: c, pin } });
    assert.equal(invalid.error?.code, 'ERR_PIN_INVALID', `a PIN of ${pin.length} characters`);
  }
  const wrong = await host.request('confirm-transaction', { origin: ORIGIN, args: { challenge: c, pin: '000000' } });
  assert.equal(wrong.error?.code, 'ERR_PIN_INCORRECT');
  const right = await host.request('confirm-transaction', { origin: ORIGIN, args: { challenge: c, pin: PIN } });
  assert.equal(right.error, undefined, JSON.stringify(right.error));
});

test('refused before any PIN: another server, another origin, another session, a stale challenge, a text that is not one printable line', async () => {
  const code = async (c, origin = ORIGIN, command = 'confirm-transaction') => {
    const answer = await host.request(command, { origin, args: { challenge: c, ...(command === 'confirm-transaction' ? { pin: PIN } : {}) } });
    return answer.error ? [answer.error.code, answer.error.reason ?? null] : ['ok', null];
  };
  for (const command of ['verify-transaction', 'confirm-transaction']) {
    assert.deepEqual(await code(challenge({ key: join(pki, 'server-other-ca.key') }), ORIGIN, command), ['ERR_SERVER_NOT_TRUSTED', 'signature']);
    assert.deepEqual(await code(challenge({ origin: 'https://evil.example' }), ORIGIN, command), ['ERR_ORIGIN_MISMATCH', null]);
    assert.deepEqual(await code(challenge({ 'session-tag': 'b3RoZXItc2Vzc2lvbi10YWc' }), ORIGIN, command), ['ERR_NOT_LOGGED_IN', null]);
    assert.deepEqual(await code(challenge({ 'issued-offset': '-400', lifetime: '200' }), ORIGIN, command), ['ERR_SERVER_NOT_TRUSTED', 'expired']);
    for (const text of ['Pay 1 EUR\nto ACME', 'Pay 1 EUR to \u202eEMCA', 'x'.repeat(401)]) {
      const c = challenge({ text });
      assert.deepEqual(await code(c, ORIGIN, command), ['ERR_BAD_REQUEST', null], JSON.stringify(text).slice(0, 40));
    }
  }
  // An origin the page is not on: the challenge is for ORIGIN.
  assert.deepEqual(await code(challenge(), 'https://evil.example'), ['ERR_NOT_LOGGED_IN', null]);
});
