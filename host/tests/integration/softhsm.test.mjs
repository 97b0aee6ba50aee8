// cardbound-host against SoftHSM2 (EC P-256, EC P-384, RSA): list, login,
// Web eID token checked by openssl, confirm, presence, and the refusals.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { readFileSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { Host, benchEnv, buildDir, fingerprintOf, opensslVerifies, loginPreimage, presencePreimage } from './host_client.mjs';
import { ORIGIN, authenticate, confirm, presenceChallenge } from './login_flow.mjs';

// The version the host must say: the protocol registry's.
const { version } = JSON.parse(readFileSync(new URL('../../../protocol/registry.json', import.meta.url), 'utf8'));

const env = benchEnv();
const pki = env.CARDBOUND_PKI_DIR;
let host;

before(() => {
  host = new Host({ modules: [env.CARDBOUND_SOFTHSM_MODULE], caFiles: [join(pki, 'root-ca.pem')] });
});
after(async () => {
  const { code, signal } = await host.close();
  assert.equal(signal, null, 'the host must not die by a signal');
  assert.equal(code, 0);
});

test('list-certificates describes the three SoftHSM2 keys (RSA signs PSS: SoftHSM2 does raw RSA)', async () => {
  const { certificates } = await host.call('list-certificates');
  for (const [name, keyType, algorithm, curve] of [
    ['client-p256', 'EC', 'ES256', 'P-256'], ['client-p384', 'EC', 'ES384', 'P-384'], ['client-rsa2048', 'RSA', 'PS256', null]]) {
    const c = certificates.find((x) => x.fingerprint === fingerprintOf(join(pki, `${name}.pem`)));
    assert.ok(c, `${name} is listed`);
    assert.equal(c.keyType, keyType);
    assert.equal(c.algorithm, algorithm);
    assert.equal(c.curve, curve);
    assert.equal(c.tokenLabel, env.CARDBOUND_SOFT_TOKEN);
    assert.deepEqual(c.keyUsage, ['digitalSignature']);
    assert.deepEqual(c.extendedKeyUsage, ['clientAuth']);
    // SoftHSM2 reports "count low" after a wrong PIN until the next good login.
    assert.ok(['ok', 'count-low'].includes(c.pinState), c.pinState);
    assert.equal(c.pinPad, false);
    assert.equal(Buffer.from(c.certificate, 'base64').equals(readFileSync(join(pki, `${name}.der`))), true);
  }
});

for (const [name, alg] of [['client-p256', 'ES256'], ['client-p384', 'ES384'], ['client-rsa2048', 'PS256']]) {
  test(`${name}: authenticate gives a web-eid:1.0 token that openssl verifies, then confirm and presence`, async () => {
    const fingerprint = fingerprintOf(join(pki, `${name}.pem`));
    const { begin, challenge, answer } = await authenticate(host, { pki, fingerprint, pin: env.CARDBOUND_USER_PIN });
    assert.equal(answer.error, undefined, JSON.stringify(answer.error));
    const token = answer.result.token;
    assert.equal(token.format, 'web-eid:1.0');
    assert.equal(token.algorithm, alg);
    assert.match(token.appVersion, /^cardbound-host\//);
    const certDer = Buffer.from(token.unverifiedCertificate, 'base64');
    assert.ok(certDer.equals(readFileSync(join(pki, `${name}.der`))));
    const signature = Buffer.from(token.signature, 'base64');
    assert.ok(opensslVerifies({ certDer, alg, preimage: loginPreimage(alg, ORIGIN, challenge.serverNonce), signature }),
      'openssl verifies the login signature');
    assert.ok(!opensslVerifies({ certDer, alg, preimage: loginPreimage(alg, 'https://evil.example', challenge.serverNonce), signature }),
      'the signature is bound to the origin');

    // The relying party's verifier accepts what the host made (CRL checked).
    const tokenFile = join(host.dir, `${name}-token.json`);
    writeFileSync(tokenFile, JSON.stringify(token));
    const verified = spawnSync(join(buildDir, 'server/cardbound-verify'), ['--token', tokenFile, '--origin', ORIGIN,
      '--nonce', challenge.serverNonce, '--trust', join(pki, 'ca-chain.pem'), '--crl', join(pki, 'intermediate-ca.crl.pem')], { encoding: 'utf8' });
    assert.equal(verified.status, 0, `cardbound-verify: ${verified.stdout} ${verified.stderr}`);
    assert.equal(JSON.parse(verified.stdout).algorithm, alg);

    const c = await confirm(host, { pki, loginId: begin.loginId, challenge, token });
    assert.equal(c.answer.error, undefined, JSON.stringify(c.answer.error));
    const proof = c.answer.result.proof;
    assert.equal(proof.format, 'cardbound-presence:1');
    assert.equal(proof.nonce, c.presenceNonce);
    assert.ok(opensslVerifies({ certDer, alg, preimage: presencePreimage(alg, ORIGIN, c.sessionTag, c.presenceNonce),
      signature: Buffer.from(proof.signature, 'base64') }), 'openssl verifies the first presence proof');
    assert.ok(!opensslVerifies({ certDer, alg, preimage: loginPreimage(alg, ORIGIN, c.presenceNonce),
      signature: Buffer.from(proof.signature, 'base64') }), 'a presence proof is no login signature');

    const pc = presenceChallenge(pki, c.sessionTag);
    const p = await host.call('presence', { origin: ORIGIN, args: { challenge: pc } });
    assert.ok(opensslVerifies({ certDer, alg, preimage: presencePreimage(alg, ORIGIN, c.sessionTag, pc.nonce),
      signature: Buffer.from(p.proof.signature, 'base64') }), 'presence without a PIN');
    const replay = await host.request('presence', { origin: ORIGIN, args: { challenge: pc } });
    assert.equal(replay.error?.code, 'ERR_SERVER_NOT_TRUSTED');
    assert.equal(replay.error?.reason, 'replay');
    const elsewhere = await host.request('presence', { origin: 'https://other.example', args: { challenge: presenceChallenge(pki, c.sessionTag) } });
    assert.equal(elsewhere.error?.code, 'ERR_NOT_LOGGED_IN');
    const out = await host.call('logout', { origin: ORIGIN, args: { sessionTag: c.sessionTag } });
    assert.equal(out.endedSessions, 1);
    const after = await host.request('presence', { origin: ORIGIN, args: { challenge: presenceChallenge(pki, c.sessionTag) } });
    assert.equal(after.error?.code, 'ERR_NOT_LOGGED_IN');
  });
}

test('a wrong PIN gives ERR_PIN_INCORRECT and the host keeps working', async () => {
  const fingerprint = fingerprintOf(join(pki, 'client-p256.pem'));
  const { answer } = await authenticate(host, { pki, fingerprint, pin: '000000' });
  assert.equal(answer.error?.code, 'ERR_PIN_INCORRECT');
  const status = await host.call('status');
  assert.equal(status.version, version);
  const again = await authenticate(host, { pki, fingerprint, pin: env.CARDBOUND_USER_PIN });
  assert.equal(again.answer.error, undefined);
});

test('a PIN of the wrong length is ERR_PIN_INVALID, and only after the server was verified', async () => {
  const fingerprint = fingerprintOf(join(pki, 'client-p256.pem'));
  const short = await authenticate(host, { pki, fingerprint, pin: '12' });
  assert.equal(short.answer.error?.code, 'ERR_PIN_INVALID');
  const server = { key: join(pki, 'client-other-ca.key'), chain: join(pki, 'client-other-ca.pem') };
  const untrusted = await authenticate(host, { pki, fingerprint, pin: '12', server });
  assert.equal(untrusted.answer.error?.code, 'ERR_SERVER_NOT_TRUSTED');
});

test('the PIN is checked even while the token is logged in for another site', async () => {
  const fingerprint = fingerprintOf(join(pki, 'client-p256.pem'));
  const first = await authenticate(host, { pki, fingerprint, pin: env.CARDBOUND_USER_PIN });
  assert.equal(first.answer.error, undefined);
  const second = await authenticate(host, { pki, fingerprint, pin: '999999', origin: 'https://localhost' });
  assert.equal(second.answer.error?.code, 'ERR_PIN_INCORRECT');
  assert.equal(second.answer.error?.pinState, 'count-low', 'the answer says how the PIN stands');
  const third = await authenticate(host, { pki, fingerprint, pin: env.CARDBOUND_USER_PIN });
  assert.equal(third.answer.error, undefined);
});

test('an untrusted server gets ERR_SERVER_NOT_TRUSTED before the PIN is looked at', async () => {
  const fingerprint = fingerprintOf(join(pki, 'client-p256.pem'));
  // Signed by a key whose certificate comes from an unrelated CA; the PIN is
  // wrong on purpose: the answer shows which check came first.
  const server = { key: join(pki, 'client-other-ca.key'), chain: join(pki, 'client-other-ca.pem') };
  const { answer } = await authenticate(host, { pki, fingerprint, pin: '000000', server });
  assert.equal(answer.error?.code, 'ERR_SERVER_NOT_TRUSTED');
  assert.equal(answer.error?.reason, 'untrusted');
});

test('a server certificate not made for TLS servers is untrusted, even from our CA', async () => {
  const fingerprint = fingerprintOf(join(pki, 'client-p256.pem'));
  // A client certificate (EKU clientAuth) of the trusted CA signs the challenge.
  const dir = (await import('node:fs')).mkdtempSync(join((await import('node:os')).tmpdir(), 'cardbound-eku-'));
  const chain = join(dir, 'chain.pem');
  writeFileSync(chain, readFileSync(join(pki, 'client-p256.pem'), 'utf8') + readFileSync(join(pki, 'intermediate-ca.pem'), 'utf8'));
  const { answer } = await authenticate(host, { pki, fingerprint, pin: env.CARDBOUND_USER_PIN, server: { key: join(pki, 'client-p256.key'), chain } });
  assert.equal(answer.error?.code, 'ERR_SERVER_NOT_TRUSTED');
  assert.equal(answer.error?.reason, 'untrusted');
});

test('a challenge for another login, a foreign origin and an unverified login are refused', async () => {
  const fingerprint = fingerprintOf(join(pki, 'client-p256.pem'));
  const a = await host.call('begin-login', { origin: ORIGIN });
  const b = await host.call('begin-login', { origin: ORIGIN });
  const { serverMessage } = await import('./host_client.mjs');
  const { serverFiles } = await import('./login_flow.mjs');
  const forB = serverMessage('challenge', { ...serverFiles(pki), origin: ORIGIN, 'host-nonce': b.hostNonce });
  const wrong = await host.request('verify-server', { origin: ORIGIN, args: { loginId: a.loginId, challenge: forB } });
  assert.equal(wrong.error?.code, 'ERR_SERVER_NOT_TRUSTED');
  assert.equal(wrong.error?.reason, 'nonce');
  // The login whose server did not verify takes no PIN.
  const unverified = await host.request('authenticate', { origin: ORIGIN, args: { loginId: a.loginId, certificate: fingerprint, pin: env.CARDBOUND_USER_PIN } });
  assert.equal(unverified.error?.code, 'ERR_BAD_REQUEST');
  assert.match(unverified.error?.message, /verify-server comes before authenticate/);
  const phish = await host.request('verify-server', { origin: 'https://127.0.0.1:8443', args: { loginId: b.loginId, challenge: forB } });
  assert.equal(phish.error?.code, 'ERR_LOGIN_UNKNOWN', 'a login belongs to the origin that began it');
  const verified = await host.call('verify-server', { origin: ORIGIN, args: { loginId: b.loginId, challenge: forB } });
  assert.match(verified.server.subject, /CN=localhost/);
  // authenticate names the verified login; a challenge of its own is refused.
  const again = await host.request('authenticate', { origin: ORIGIN, args: { loginId: b.loginId, challenge: forB, certificate: fingerprint, pin: env.CARDBOUND_USER_PIN } });
  assert.equal(again.error?.code, 'ERR_BAD_REQUEST');
  assert.match(again.error?.message, /unknown argument 'challenge'/);
  const other = await host.request('authenticate', { origin: 'https://127.0.0.1:8443', args: { loginId: b.loginId, certificate: fingerprint, pin: env.CARDBOUND_USER_PIN } });
  assert.equal(other.error?.code, 'ERR_LOGIN_UNKNOWN');
  const signed = await host.request('authenticate', { origin: ORIGIN, args: { loginId: b.loginId, certificate: fingerprint, pin: env.CARDBOUND_USER_PIN } });
  assert.equal(signed.error, undefined, JSON.stringify(signed.error));
  const twice = await host.request('authenticate', { origin: ORIGIN, args: { loginId: b.loginId, certificate: fingerprint, pin: env.CARDBOUND_USER_PIN } });
  assert.equal(twice.error?.code, 'ERR_BAD_REQUEST', 'a login signs once');
  const reverify = await host.request('verify-server', { origin: ORIGIN, args: { loginId: b.loginId, challenge: forB } });
  assert.equal(reverify.error?.code, 'ERR_BAD_REQUEST', 'a signed login cannot take another challenge');
});

test('confirm refuses a receipt signed by another key or naming another token, and ERR_ORIGIN_MISMATCH for a challenge of another site', async () => {
  const { serverMessage, sha } = await import('./host_client.mjs');
  const fingerprint = fingerprintOf(join(pki, 'client-p256.pem'));
  const { begin, challenge, answer } = await authenticate(host, { pki, fingerprint, pin: env.CARDBOUND_USER_PIN });
  const { token } = answer.result;
  const receiptArgs = {
    origin: ORIGIN, 'server-nonce': challenge.serverNonce,
    'token-hash': sha('sha256', Buffer.from(token.signature, 'base64')).toString('base64'),
    'session-tag': 'q5b3Q0xW2J4lF9-3c2yJ0g', 'presence-nonce': challenge.serverNonce,
  };
  // Signed by a key of the right format but not the verified server's.
  const forged = serverMessage('receipt', { ...receiptArgs, key: join(pki, 'client-p256.key') });
  const r1 = await host.request('confirm', { origin: ORIGIN, args: { loginId: begin.loginId, receipt: forged } });
  assert.equal(r1.error?.code, 'ERR_SERVER_NOT_TRUSTED');
  assert.equal(r1.error?.reason, 'signature');
  // The server's own key, but for another token.
  const otherToken = serverMessage('receipt', { ...receiptArgs, key: join(pki, 'server-localhost.key'),
    'token-hash': sha('sha256', Buffer.from('another token')).toString('base64') });
  const r2 = await host.request('confirm', { origin: ORIGIN, args: { loginId: begin.loginId, receipt: otherToken } });
  assert.equal(r2.error?.code, 'ERR_SERVER_NOT_TRUSTED');
  assert.equal(r2.error?.reason, 'receipt-mismatch');
  // A challenge made for another origin, presented on this one.
  const other = await host.call('begin-login', { origin: ORIGIN });
  const { serverFiles } = await import('./login_flow.mjs');
  const foreign = serverMessage('challenge', { ...serverFiles(pki), origin: 'https://bank.example', 'host-nonce': other.hostNonce });
  const r3 = await host.request('verify-server', { origin: ORIGIN, args: { loginId: other.loginId, challenge: foreign } });
  assert.equal(r3.error?.code, 'ERR_ORIGIN_MISMATCH');
});

test('a long session does not run the host out of PKCS#11 sessions: 60 presence proofs, then 20 logins', async () => {
  // libp11 keeps a pool of at most 16 sessions per slot; a leak would hang.
  const fingerprint = fingerprintOf(join(pki, 'client-p256.pem'));
  const { begin, challenge, answer } = await authenticate(host, { pki, fingerprint, pin: env.CARDBOUND_USER_PIN });
  const c = await confirm(host, { pki, loginId: begin.loginId, challenge, token: answer.result.token });
  for (let i = 0; i < 60; i++) {
    const p = await host.request('presence', { origin: ORIGIN, args: { challenge: presenceChallenge(pki, c.sessionTag) }, timeoutMs: 5000 });
    assert.equal(p.error, undefined, `presence ${i}: ${JSON.stringify(p.error)}`);
  }
  for (let i = 0; i < 20; i++) {
    const r = await authenticate(host, { pki, fingerprint, pin: env.CARDBOUND_USER_PIN });
    assert.equal(r.answer.error, undefined, `login ${i}`);
  }
});
