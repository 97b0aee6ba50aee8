import { test, describe, beforeEach, afterEach, mock } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';

import { getSigningCertificate, sign, supportedSignatureAlgorithms } from './sign.js';
import { authenticate } from './authenticate.js';
import { Dialogs } from '../services/dialogs.js';
import { ExtensionError } from '../../shared/errors.js';
import { deferred, dialogIdOf, fakeApi, scriptedHost, until } from '../../../test-support/fakes.js';

const ORIGIN = 'https://bank.example';
const LOGIN_ID = 'jnyefFDGlaZn59q20UsfdQ';
const CHALLENGE = { origin: ORIGIN, serverNonce: 'c2VydmVy', hostNonce: 'aG9zdA==', signature: 'c2ln' };
const SERVER = { subject: 'CN=bank.example', fingerprint: '6c1f' };
const HASH = createHash('sha256').update('the contract').digest('base64');

// A signing certificate as list-certificates reports it: its fingerprint is
// the SHA-256 of its DER, as the host's is.
function signingCert(n, extra = {}) {
  const der = Buffer.from(`certificate ${n}`);
  return {
    fingerprint: createHash('sha256').update(der).digest('hex'),
    certificate: der.toString('base64'),
    subject: `CN=Holder ${n}`, issuer: 'CN=Test CA', holder: `Holder ${n}`,
    notBefore: '2026-11-27T21:10:17Z', notAfter: '2029-03-01T21:10:17Z',
    keyType: 'EC', algorithm: 'ES256', keyUsage: ['nonRepudiation'],
    reader: `Reader ${n}`, tokenLabel: `Token ${n} sign`, pinPad: false, pinState: 'ok',
    ...extra,
  };
}

const isCode = (code) => (e) => {
  assert.ok(e instanceof ExtensionError, `expected an ExtensionError, got ${e?.stack ?? e}`);
  assert.equal(e.code, code);
  return true;
};

function setup({ certificates = [signingCert(1)], pin = '654321' } = {}) {
  const api = fakeApi();
  const dialogs = new Dialogs(api);
  const host = scriptedHost({
    'verify-server': () => ({ server: SERVER }),
    'list-certificates': (args) => ({ certificates: args?.purpose === 'sign' ? certificates : [] }),
    sign: (args) => {
      if (args.pin !== pin) throw new ExtensionError('ERR_PIN_INCORRECT', 'wrong', { triesLeft: 2 });
      return { signature: 'c2lnbmF0dXJl', signatureAlgorithm: { cryptoAlgorithm: 'ECC', hashFunction: args.hashFunction, paddingScheme: 'NONE' } };
    },
  });
  const context = { api, host, dialogs, sessions: { async rememberLogin() { throw new Error('a signature is no login'); } } };
  const send = (n, op, value) => {
    const reply = deferred();
    const stage = dialogs.open.get(dialogIdOf(api, n))?.stage.number;
    dialogs.handleMessage({ type: 'dialog', dialog: dialogIdOf(api, n), op, value, stage }, { id: api.runtime.id, url: api.created[n].url }, reply.resolve);
    return reply.promise;
  };
  const windowOpened = (n) => until(() => api.created.length > n, `window ${n}`);
  return { api, host, context, send, windowOpened };
}

const login = { loginId: LOGIN_ID, challenge: CHALLENGE };

beforeEach(() => mock.timers.enable({ apis: ['setTimeout'] }));
afterEach(() => mock.timers.reset());

describe('get-signing-certificate', () => {
  test('the site proves itself, the picker lists signing certificates only and shows even one; the choice is the answer', async () => {
    const t = setup();
    const answer = getSigningCertificate(t.context, { origin: ORIGIN, args: login });
    await t.windowOpened(0);
    const { view } = await t.send(0, 'hello');
    assert.equal(view.step, 'picker', 'one certificate is still chosen by the user');
    assert.equal(view.purpose, 'sign');
    assert.deepEqual(view.server, SERVER);
    assert.deepEqual(view.certificates.map((c) => c.fingerprint), [signingCert(1).fingerprint]);
    assert.equal(view.certificates[0].certificate, undefined, 'no DER in the window');
    assert.deepEqual(await t.send(0, 'submit', signingCert(1).fingerprint), { state: 'done' });
    const result = await answer;
    assert.equal(result.certificate, signingCert(1).certificate);
    assert.deepEqual(result.supportedSignatureAlgorithms.map((a) => a.hashFunction), ['SHA-256', 'SHA-384', 'SHA-512']);
    assert.equal(t.host.commands()[0], 'verify-server', 'the server first');
    for (const call of t.host.calls.filter((c) => c.command === 'list-certificates')) assert.deepEqual(call.args, { purpose: 'sign' });
    assert.ok(!t.host.commands().includes('sign'), 'no PIN, no signature');
  });

  test('the card leaves between the choice and the reading of its certificate: ERR_CERTIFICATE_NOT_FOUND', async () => {
    const t = setup();
    const lists = [[signingCert(1)], []];
    t.host.handlers['list-certificates'] = () => ({ certificates: lists.shift() ?? [] });
    const answer = getSigningCertificate(t.context, { origin: ORIGIN, args: login });
    await t.windowOpened(0);
    await t.send(0, 'hello');
    await t.send(0, 'submit', signingCert(1).fingerprint);
    await assert.rejects(answer, isCode('ERR_CERTIFICATE_NOT_FOUND'));
  });

  test('cancelled in the picker: ERR_USER_CANCELLED', async () => {
    const t = setup();
    const answer = getSigningCertificate(t.context, { origin: ORIGIN, args: login });
    await t.windowOpened(0);
    await t.send(0, 'hello');
    t.send(0, 'cancel'); // answered by the window closing, not a reply
    await assert.rejects(answer, isCode('ERR_USER_CANCELLED'));
  });
});

describe('sign', () => {
  const args = (over = {}) => ({ ...login, certificate: signingCert(1).certificate, hash: HASH, hashFunction: 'SHA-256', ...over });

  test('straight to the signing PIN of the named certificate (no way back to a list); a wrong PIN, the right one, the signature', async () => {
    const t = setup({ certificates: [signingCert(2), signingCert(1)] });
    const answer = sign(t.context, { origin: ORIGIN, args: args() });
    await t.windowOpened(0);
    const { view } = await t.send(0, 'hello');
    assert.deepEqual([view.step, view.purpose, view.fixed], ['pin', 'sign', true]);
    assert.equal(view.certificate.fingerprint, signingCert(1).fingerprint, 'the certificate the site named');
    const wrong = await t.send(0, 'submit', '123456');
    assert.deepEqual([wrong.state, wrong.code, wrong.triesLeft], ['error', 'ERR_PIN_INCORRECT', 2]);
    assert.deepEqual(await t.send(0, 'submit', '654321'), { state: 'done' });
    const result = await answer;
    assert.deepEqual(result, { signature: 'c2lnbmF0dXJl', signatureAlgorithm: { cryptoAlgorithm: 'ECC', hashFunction: 'SHA-256', paddingScheme: 'NONE' } });
    const signed = t.host.calls.filter((c) => c.command === 'sign').at(-1);
    assert.deepEqual(signed.args, { loginId: LOGIN_ID, certificate: signingCert(1).fingerprint, hash: HASH, hashFunction: 'SHA-256', pin: '654321' });
    assert.equal(signed.origin, ORIGIN);
  });

  test('"back" in a signing window (a stale window could send it) is answered with the PIN entry again; the signature goes on', async () => {
    const t = setup({ certificates: [signingCert(2), signingCert(1)] });
    const answer = sign(t.context, { origin: ORIGIN, args: args() });
    await t.windowOpened(0);
    await t.send(0, 'hello');
    const back = await t.send(0, 'back');
    assert.deepEqual([back.state, back.view.step, back.view.fixed], ['view', 'pin', true]);
    assert.equal(back.view.certificate.fingerprint, signingCert(1).fingerprint, 'still the named certificate');
    assert.deepEqual(await t.send(0, 'submit', '654321'), { state: 'done' });
    assert.equal((await answer).signature, 'c2lnbmF0dXJl');
  });

  test('a certificate no inserted card holds: ERR_CERTIFICATE_NOT_FOUND, and no window', async () => {
    const t = setup({ certificates: [signingCert(2)] });
    await assert.rejects(sign(t.context, { origin: ORIGIN, args: args() }), isCode('ERR_CERTIFICATE_NOT_FOUND'));
    assert.equal(t.api.created.length, 0);
  });

  test('refused before the host: hash function, hash, certificate, unknown arguments', async () => {
    const t = setup();
    for (const bad of [
      { hashFunction: 'SHA-1' }, { hashFunction: undefined }, { hash: 'not base64!' }, { hash: 'A'.repeat(132) }, { hash: '' },
      { certificate: 'MIIB' + '='.repeat(3) }, { certificate: 'A'.repeat(16388) }, { certificate: 42 }, { extra: 1 },
    ]) {
      await assert.rejects(sign(t.context, { origin: ORIGIN, args: args(bad) }), isCode('ERR_BAD_REQUEST'), JSON.stringify(bad).slice(0, 80));
    }
    assert.deepEqual(t.host.commands(), []);
  });

  test('one ceremony at a time: a signature asked while a login waits is ERR_BUSY', async () => {
    const t = setup();
    t.host.handlers['list-certificates'] = () => ({ certificates: [signingCert(1), signingCert(3)] });
    const waiting = authenticate(t.context, { origin: ORIGIN, args: login });
    await t.windowOpened(0);
    await assert.rejects(sign(t.context, { origin: ORIGIN, args: args() }), isCode('ERR_BUSY'));
    t.send(0, 'cancel');
    await assert.rejects(waiting, isCode('ERR_USER_CANCELLED'));
  });
});

test('supported algorithms follow the key and the padding its token makes', () => {
  assert.deepEqual(supportedSignatureAlgorithms({ keyType: 'RSA', algorithm: 'PS256' })[1], { cryptoAlgorithm: 'RSA', hashFunction: 'SHA-384', paddingScheme: 'PSS' });
  assert.deepEqual(supportedSignatureAlgorithms({ keyType: 'RSA', algorithm: 'RS256' })[0].paddingScheme, 'PKCS1.5');
  assert.deepEqual(supportedSignatureAlgorithms({ keyType: 'EC', algorithm: 'ES384' })[2], { cryptoAlgorithm: 'ECC', hashFunction: 'SHA-512', paddingScheme: 'NONE' });
});
