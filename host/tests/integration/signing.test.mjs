// cardbound-host's document signatures (issue 17) against SoftHSM2: the
// token cardbound-soft-sign stands for a card whose signing key sits behind
// a PIN of its own (CARDBOUND_SIGN_PIN), as OpenSC shows an eID card's
// signing PIN as a token of its own. Signatures over SHA-256/384/512 hashes
// are checked with openssl against the signing certificates; the refusals
// come before any PIN.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { Host, benchEnv, fingerprintOf, opensslVerifies, sha } from './host_client.mjs';
import { ORIGIN, authenticate, confirm, jwsName, presenceChallenge, signHash, verifiedLogin } from './login_flow.mjs';

const env = benchEnv();
const pki = env.CARDBOUND_PKI_DIR;
const SIGN_PIN = env.CARDBOUND_SIGN_PIN;
const DOCUMENT = Buffer.from('The contract, as the site shows it.\n');
const HASHES = { 'SHA-256': 'sha256', 'SHA-384': 'sha384', 'SHA-512': 'sha512' };
const hashOf = (fn, data = DOCUMENT) => sha(HASHES[fn], data).toString('base64');
const fp = (name) => fingerprintOf(join(pki, `${name}.pem`));
let host;

before(() => {
  host = new Host({ modules: [env.CARDBOUND_SOFTHSM_MODULE], caFiles: [join(pki, 'root-ca.pem')] });
});
after(async () => {
  const { code, signal } = await host.close();
  assert.equal(signal, null, 'the host must not die by a signal');
  assert.equal(code, 0);
});

test('list-certificates lists signing certificates only for purpose "sign", login certificates only for logins', async () => {
  const signing = (await host.call('list-certificates', { args: { purpose: 'sign' } })).certificates;
  const login = (await host.call('list-certificates')).certificates;
  const names = (list) => new Set(list.map((c) => c.fingerprint));
  for (const name of ['sign-p256', 'sign-rsa2048']) {
    assert.ok(names(signing).has(fp(name)), `${name} is a signing certificate`);
    assert.ok(!names(login).has(fp(name)), `${name} is not offered for logins`);
    const c = signing.find((x) => x.fingerprint === fp(name));
    assert.deepEqual(c.keyUsage, ['nonRepudiation']);
    assert.equal(c.tokenLabel, 'cardbound-soft-sign');
  }
  for (const name of ['client-p256', 'client-rsa2048']) {
    assert.ok(names(login).has(fp(name)));
    assert.ok(!names(signing).has(fp(name)), `${name} is not offered for signing`);
  }
  const bad = await host.request('list-certificates', { args: { purpose: 'encrypt' } });
  assert.equal(bad.error?.code, 'ERR_BAD_REQUEST');
});

for (const [name, kind] of [['sign-p256', 'ECC'], ['sign-rsa2048', 'RSA']]) {
  for (const hashFunction of Object.keys(HASHES)) {
    test(`${name} signs a ${hashFunction} hash with the signing PIN; openssl verifies it over the document`, async () => {
      const { answer } = await signHash(host, { pki, fingerprint: fp(name), pin: SIGN_PIN, hash: hashOf(hashFunction), hashFunction });
      assert.equal(answer.error, undefined, JSON.stringify(answer.error));
      const { signature, signatureAlgorithm } = answer.result;
      assert.equal(signatureAlgorithm.cryptoAlgorithm, kind);
      assert.equal(signatureAlgorithm.hashFunction, hashFunction);
      // SoftHSM2 makes raw RSA signatures, so its RSA keys sign PSS.
      assert.equal(signatureAlgorithm.paddingScheme, kind === 'ECC' ? 'NONE' : 'PSS');
      const certDer = readFileSync(join(pki, `${name}.der`));
      const alg = jwsName(signatureAlgorithm);
      const bytes = Buffer.from(signature, 'base64');
      assert.ok(opensslVerifies({ certDer, alg, preimage: DOCUMENT, signature: bytes }), 'openssl verifies the signature');
      assert.ok(!opensslVerifies({ certDer, alg, preimage: Buffer.from('another document'), signature: bytes }),
        'and only over this document');
    });
  }
}

test('one verified challenge signs one hash: the login is used up', async () => {
  const { begin, challenge, verified } = await verifiedLogin(host, { pki });
  assert.equal(verified.error, undefined);
  const args = { loginId: begin.loginId, certificate: fp('sign-p256'), hash: hashOf('SHA-256'), hashFunction: 'SHA-256', pin: SIGN_PIN };
  assert.equal((await host.request('sign', { origin: ORIGIN, args })).error, undefined);
  const again = await host.request('sign', { origin: ORIGIN, args });
  assert.equal(again.error?.code, 'ERR_LOGIN_UNKNOWN');
  const token = { signature: Buffer.from('a signature is no token').toString('base64') };
  const confirmed = await confirm(host, { pki, loginId: begin.loginId, challenge, token });
  assert.equal(confirmed.answer.error?.code, 'ERR_LOGIN_UNKNOWN', 'a signature is no login');
});

test('a wrong signing PIN is refused with the tries left, and the login stays for another try', async () => {
  const { begin, verified } = await verifiedLogin(host, { pki });
  assert.equal(verified.error, undefined);
  const args = { loginId: begin.loginId, certificate: fp('sign-p256'), hash: hashOf('SHA-256'), hashFunction: 'SHA-256' };
  // The login PIN of the other tokens is not the signing PIN.
  assert.notEqual(env.CARDBOUND_USER_PIN, SIGN_PIN);
  const wrong = await host.request('sign', { origin: ORIGIN, args: { ...args, pin: env.CARDBOUND_USER_PIN } });
  assert.equal(wrong.error?.code, 'ERR_PIN_INCORRECT');
  const right = await host.request('sign', { origin: ORIGIN, args: { ...args, pin: SIGN_PIN } });
  assert.equal(right.error, undefined, JSON.stringify(right.error));
});

// The signing key has a token of its own here (as an eID card's signing PIN):
// its wrong PIN logs out that token only, so no site is said to be logged
// out and a session of the login token proves on; a wrong PIN on the login
// token does put that session at stake.
test('a wrong signing PIN names no site logged out when the signing key has a token of its own', async () => {
  const { begin, challenge, answer } = await authenticate(host, { pki, fingerprint: fp('client-p256'), pin: env.CARDBOUND_USER_PIN });
  assert.equal(answer.error, undefined, JSON.stringify(answer.error));
  const c = await confirm(host, { pki, loginId: begin.loginId, challenge, token: answer.result.token });
  assert.equal(c.answer.error, undefined, JSON.stringify(c.answer.error));
  const prove = () => host.request('presence', { origin: ORIGIN, args: { challenge: presenceChallenge(pki, c.sessionTag) } });
  const sign = (pin) => signHash(host, { pki, fingerprint: fp('sign-p256'), pin, hash: hashOf('SHA-256'), hashFunction: 'SHA-256' });
  try {
    assert.equal((await sign(SIGN_PIN)).answer.error, undefined, 'the signing token was logged in once');
    const wrong = (await sign(env.CARDBOUND_USER_PIN)).answer.error;
    assert.equal(wrong?.code, 'ERR_PIN_INCORRECT');
    assert.equal(wrong?.sitesLoggedOut, undefined);
    assert.equal((await prove()).error, undefined, 'the session proves on');
    const other = await authenticate(host, { pki, fingerprint: fp('client-p256'), pin: SIGN_PIN });
    assert.equal(`${other.answer.error?.code} ${other.answer.error?.sitesLoggedOut}`, 'ERR_PIN_INCORRECT 1');
  } finally {
    // Good PINs again: SoftHSM2 says "count low" after a wrong one until then.
    await sign(SIGN_PIN);
    await authenticate(host, { pki, fingerprint: fp('client-p256'), pin: env.CARDBOUND_USER_PIN });
    await host.request('logout', { origin: ORIGIN, args: {} });
  }
});

test('refused before any PIN: a hash of the wrong length, an unknown hash function, no verify-server, the wrong kind of certificate', async () => {
  const sign = (over) => signHash(host, { pki, fingerprint: fp('sign-p256'), pin: SIGN_PIN, hash: hashOf('SHA-256'), hashFunction: 'SHA-256', ...over });
  const code = async (over) => (await sign(over)).answer.error?.code;
  assert.equal(await code({ hash: hashOf('SHA-384') }), 'ERR_BAD_REQUEST', 'a SHA-384 hash named SHA-256');
  assert.equal(await code({ hash: hashOf('SHA-256'), hashFunction: 'SHA-512' }), 'ERR_BAD_REQUEST');
  assert.equal(await code({ hash: 'not base64!' }), 'ERR_BAD_REQUEST');
  assert.equal(await code({ hashFunction: 'SHA-1', hash: sha('sha1', DOCUMENT).toString('base64') }), 'ERR_BAD_REQUEST');
  assert.equal(await code({ pin: '123' }), 'ERR_PIN_INVALID', 'a PIN of 3 characters');
  assert.equal(await code({ pin: '1'.repeat(65) }), 'ERR_PIN_INVALID', 'a PIN of 65 characters');
  assert.equal(await code({ fingerprint: fp('client-p256'), pin: env.CARDBOUND_USER_PIN }), 'ERR_CERTIFICATE_NOT_FOUND',
    'a login certificate signs no documents');

  // A signing certificate logs nobody in.
  const login = await authenticate(host, { pki, fingerprint: fp('sign-p256'), pin: SIGN_PIN });
  assert.equal(login.answer.error?.code, 'ERR_CERTIFICATE_NOT_FOUND');

  // No signature for a site that has not proved itself.
  const begin = await host.call('begin-login', { origin: ORIGIN });
  const early = await host.request('sign', {
    origin: ORIGIN,
    args: { loginId: begin.loginId, certificate: fp('sign-p256'), hash: hashOf('SHA-256'), hashFunction: 'SHA-256', pin: SIGN_PIN },
  });
  assert.equal(early.error?.code, 'ERR_BAD_REQUEST');
  assert.match(early.error.message, /verify-server/);

  // None of these cost a PIN try: the token still says "ok".
  const { certificates } = await host.call('list-certificates', { args: { purpose: 'sign' } });
  assert.equal(certificates.find((c) => c.fingerprint === fp('sign-p256')).pinState, 'ok');
});
