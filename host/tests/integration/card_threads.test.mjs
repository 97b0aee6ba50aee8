// The host's card threads against cards that misbehave on cue: two private
// SoftHSM2 tokens behind the fault-injecting module (tests/pkcs11_fault).
// One token's slow login must not delay another token's presence proofs,
// status or logout; a card pulled or broken in the middle of a signature is
// answered with its documented code, without a hang, a crash or a login
// left behind.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Host, benchEnv, fingerprintOf } from './host_client.mjs';
import { ORIGIN, authenticate, confirm, presenceChallenge } from './login_flow.mjs';
import { makeFaultTokens } from '../../../tests/integration/fault_module.mjs';

const env = benchEnv();
const pki = env.CARDBOUND_PKI_DIR;
const PIN = env.CARDBOUND_USER_PIN;
// Another site: another origin whose host the test server's certificate names.
const OTHER = 'https://localhost:9443';
const slowCard = fingerprintOf(join(pki, 'client-p256.pem')); // on token fault-a
const otherCard = fingerprintOf(join(pki, 'client-p384.pem')); // on token fault-b
// The reference server's presence deadline: interval (30 s) + grace (10 s).
// A proof must come long before it; 10 s is the grace alone.
const PRESENCE_BOUND_MS = 10_000;

let tokens;
let host;

before(() => {
  tokens = makeFaultTokens({
    pkiDir: pki, labels: ['fault-a', 'fault-b'], keys: { 'fault-a': 'client-p256', 'fault-b': 'client-p384' }, pin: PIN, log: true,
  });
  host = new Host({ modules: [tokens.modulePath], caFiles: [join(pki, 'root-ca.pem')], env: tokens.env });
});

after(async () => {
  if (host) {
    const { code, signal } = await host.close();
    assert.equal(signal, null, 'the host must not die by a signal');
    assert.equal(code, 0);
  }
  tokens?.cleanup();
});

// A confirmed presence session of `origin` on the card `fingerprint`.
async function session(origin, fingerprint, pin = PIN) {
  const a = await authenticate(host, { pki, fingerprint, pin, origin });
  assert.equal(a.answer.error, undefined, JSON.stringify(a.answer.error));
  const c = await confirm(host, { pki, loginId: a.begin.loginId, challenge: a.challenge, token: a.answer.result.token, origin });
  assert.equal(c.answer.error, undefined, JSON.stringify(c.answer.error));
  return c.sessionTag;
}

const presence = (origin, tag, timeoutMs) =>
  host.request('presence', { origin, args: { challenge: presenceChallenge(pki, tag, undefined, origin) }, timeoutMs });

test('a login held 60 s on one card: another site\'s presence proofs, status and logout are answered meanwhile', async () => {
  const tag = await session(OTHER, otherCard);
  tokens.setFaults(['C_Login fault-a delay=60000']);
  try {
    const begin = await host.call('begin-login', { origin: ORIGIN });
    const { serverMessage } = await import('./host_client.mjs');
    const challenge = serverMessage('challenge', {
      key: join(pki, 'server-localhost.key'), chain: join(pki, 'server-localhost-chain.pem'), origin: ORIGIN, 'host-nonce': begin.hostNonce,
    });
    await host.call('verify-server', { origin: ORIGIN, args: { loginId: begin.loginId, challenge } });
    const started = performance.now();
    const held = host.request('authenticate', { origin: ORIGIN, args: { loginId: begin.loginId, certificate: slowCard, pin: PIN }, timeoutMs: 120_000 });
    let done = false;
    held.then(() => { done = true; });

    let rounds = 0;
    while (performance.now() - started < 55_000) {
      const t0 = performance.now();
      const p = await presence(OTHER, tag, PRESENCE_BOUND_MS);
      assert.equal(p.error, undefined, `presence round ${rounds}: ${JSON.stringify(p.error)}`);
      const s = await host.request('status', { timeoutMs: PRESENCE_BOUND_MS });
      assert.equal(s.error, undefined);
      assert.ok(performance.now() - t0 < PRESENCE_BOUND_MS);
      assert.equal(done, false, 'the login is still held by the card');
      rounds++;
      await new Promise((r) => setTimeout(r, 4000));
    }
    assert.ok(rounds >= 10, `${rounds} presence rounds while the login was held`);
    // A logout of the other site's session, for a card that is not busy.
    const out = await host.request('logout', { origin: OTHER, args: { sessionTag: tag }, timeoutMs: PRESENCE_BOUND_MS });
    assert.deepEqual(out.result, { endedSessions: 1, cardsLoggedOut: 1 });

    const answer = await held;
    assert.equal(answer.error, undefined, JSON.stringify(answer.error));
    assert.ok(performance.now() - started >= 59_000, 'the card really held the login for 60 s');
    assert.match(tokens.readLog(), /C_Login/);
  } finally {
    tokens.clearFaults();
    await host.request('logout', { origin: ORIGIN });
  }
});

test('a card pulled in the middle of a presence signature: ERR_NO_CARD, the session ends, and the next login checks the PIN', async () => {
  const tag = await session(ORIGIN, slowCard);
  tokens.setFaults(['C_Sign fault-a rv=CKR_DEVICE_REMOVED']);
  const pulled = await presence(ORIGIN, tag);
  assert.equal(pulled.error?.code, 'ERR_NO_CARD');
  tokens.clearFaults();
  const after = await presence(ORIGIN, tag);
  assert.equal(after.error?.code, 'ERR_NOT_LOGGED_IN', 'the session ended with the card');
  // No login was left behind: a wrong PIN is refused, the right one works.
  const wrong = await authenticate(host, { pki, fingerprint: slowCard, pin: '000000' });
  assert.equal(wrong.answer.error?.code, 'ERR_PIN_INCORRECT');
  await session(ORIGIN, slowCard);
  await host.call('logout', { origin: ORIGIN });
});

test('a card pulled in the middle of the login signature: ERR_NO_CARD, and the same login may try again', async () => {
  tokens.setFaults(['C_Sign fault-a rv=CKR_DEVICE_REMOVED once']);
  const a = await authenticate(host, { pki, fingerprint: slowCard, pin: PIN });
  assert.equal(a.answer.error?.code, 'ERR_NO_CARD');
  const again = await host.request('authenticate', { origin: ORIGIN, args: { loginId: a.begin.loginId, certificate: slowCard, pin: PIN } });
  assert.equal(again.error, undefined, JSON.stringify(again.error));
  tokens.clearFaults();
  await host.call('logout', { origin: ORIGIN });
});

for (const [fn, ckr, code, extra] of [
  ['C_Sign', 'CKR_DEVICE_ERROR', 'ERR_NO_CARD', {}],
  ['C_Login', 'CKR_TOKEN_NOT_PRESENT', 'ERR_NO_CARD', {}],
  ['C_Login', 'CKR_PIN_LOCKED', 'ERR_PIN_BLOCKED', {}],
  ['C_Sign', 'CKR_FUNCTION_FAILED', 'ERR_PKCS11', { pkcs11Error: '0x00000006' }],
]) {
  test(`${ckr} from ${fn} during a login is ${code}; the other card's session goes on`, async () => {
    const tag = await session(OTHER, otherCard);
    tokens.setFaults([`${fn} fault-a rv=${ckr}`]);
    try {
      const a = await authenticate(host, { pki, fingerprint: slowCard, pin: PIN });
      assert.equal(a.answer.error?.code, code, JSON.stringify(a.answer.error));
      for (const [k, v] of Object.entries(extra)) assert.equal(a.answer.error[k], v);
    } finally {
      tokens.clearFaults();
    }
    const p = await presence(OTHER, tag);
    assert.equal(p.error, undefined, JSON.stringify(p.error));
    // Nothing stale on the faulty card: it logs in again, with the PIN checked.
    const wrong = await authenticate(host, { pki, fingerprint: slowCard, pin: '000000' });
    assert.equal(wrong.answer.error?.code, 'ERR_PIN_INCORRECT');
    const right = await authenticate(host, { pki, fingerprint: slowCard, pin: PIN });
    assert.equal(right.answer.error, undefined, JSON.stringify(right.answer.error));
    await host.call('logout', { origin: OTHER });
  });
}

test('the browser going away while a card is held ends the host at once', async () => {
  const own = new Host({ modules: [tokens.modulePath], caFiles: [join(pki, 'root-ca.pem')], env: tokens.env });
  tokens.setFaults(['C_Login fault-a delay=30000']);
  try {
    const logged = tokens.readLog().length;
    const a = authenticate(own, { pki, fingerprint: slowCard, pin: PIN }).catch(() => {});
    // The login is inside C_Login once the fault log says so.
    const held = () => /C_Login/.test(tokens.readLog().slice(logged));
    const deadline = performance.now() + 10_000;
    while (!held() && performance.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    assert.ok(held(), 'the card holds the login');
    const t0 = performance.now();
    const { code, signal } = await own.close();
    assert.equal(signal, null);
    assert.equal(code, 0);
    assert.ok(performance.now() - t0 < 15_000, 'the host did not wait for the card');
    await a;
  } finally {
    tokens.clearFaults();
  }
});

test('concurrent commands on two cards, with faults on cue: each request answered once, never ERR_INTERNAL', async () => {
  const own = new Host({ modules: [tokens.modulePath], caFiles: [join(pki, 'root-ca.pem')], env: tokens.env });
  const third = 'https://localhost:7443';
  const faults = [[], ['C_Sign fault-a rv=CKR_DEVICE_REMOVED once'], ['C_FindObjectsInit * delay=300'],
    ['C_Login fault-b rv=CKR_TOKEN_NOT_PRESENT once'], ['C_OpenSession fault-a delay=200'], ['C_Sign * rv=CKR_DEVICE_ERROR once']];
  const sessionOn = async (origin, fingerprint) => {
    const a = await authenticate(own, { pki, fingerprint, pin: PIN, origin });
    if (a.answer.error) return null;
    const c = await confirm(own, { pki, loginId: a.begin.loginId, challenge: a.challenge, token: a.answer.result.token, origin });
    return c.answer.error ? null : c.sessionTag;
  };
  const prove = (origin, tag) => own.request('presence', { origin, args: { challenge: presenceChallenge(pki, tag, undefined, origin) }, timeoutMs: 60_000 });
  try {
    for (let round = 0; round < faults.length * 2; round++) {
      tokens.setFaults(faults[round % faults.length]);
      const tagA = await sessionOn(ORIGIN, slowCard);
      const tagB = await sessionOn(OTHER, otherCard);
      const { serverMessage } = await import('./host_client.mjs');
      const begin = await own.call('begin-login', { origin: third });
      const challenge = serverMessage('challenge', {
        key: join(pki, 'server-localhost.key'), chain: join(pki, 'server-localhost-chain.pem'), origin: third, 'host-nonce': begin.hostNonce,
      });
      await own.call('verify-server', { origin: third, args: { loginId: begin.loginId, challenge } });
      const requests = [
        own.request('list-certificates', { timeoutMs: 60_000 }),
        own.request('list-certificates', { timeoutMs: 60_000 }),
        ...(tagA ? [prove(ORIGIN, tagA)] : []),
        ...(tagB ? [prove(OTHER, tagB), prove(OTHER, tagB)] : []),
        own.request('status', { timeoutMs: 60_000 }),
        own.request('authenticate', { origin: third, args: { loginId: begin.loginId, certificate: round % 2 ? slowCard : otherCard, pin: round % 3 ? PIN : '000000' }, timeoutMs: 60_000 }),
        own.request('logout', { origin: ORIGIN, timeoutMs: 60_000 }),
        own.request('logout', { origin: OTHER, args: { sessionTag: tagB ?? 'none' }, timeoutMs: 60_000 }),
        own.request('list-certificates', { timeoutMs: 60_000 }),
      ];
      const answers = await Promise.all(requests);
      for (const a of answers) assert.ok(a.result || a.error?.code, JSON.stringify(a));
      assert.deepEqual(answers.filter((a) => a.error?.code === 'ERR_INTERNAL'), []);
      await own.request('logout', { origin: third, timeoutMs: 60_000 });
    }
    assert.deepEqual(own.unmatched ?? [], [], 'no request answered twice');
  } finally {
    tokens.clearFaults();
    const { code, signal } = await own.close();
    assert.equal(signal, null);
    assert.equal(code, 0);
  }
});
