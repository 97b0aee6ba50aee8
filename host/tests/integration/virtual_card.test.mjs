// cardbound-host against the virtual card through OpenSC and pcscd: login,
// wrong PIN, presence without a PIN, and card removal seen at once.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Host, benchEnv, benchPath, fingerprintOf, opensslVerifies, loginPreimage } from './host_client.mjs';
import { ORIGIN, authenticate, confirm, presenceChallenge, signHash } from './login_flow.mjs';

// The version the host must say: the protocol registry's.
const { version } = JSON.parse(readFileSync(new URL('../../../protocol/registry.json', import.meta.url), 'utf8'));

const env = benchEnv();
const pki = env.CARDBOUND_PKI_DIR;
const reader = env.CARDBOUND_READER_0;
const card0 = fingerprintOf(join(pki, 'card0.pem'));
let host;

const bench = (...args) => execFileSync(benchPath, args, { stdio: ['ignore', 'ignore', 'inherit'] });

before(() => {
  bench('insert', '0');
  bench('reset-pin', '0');
  host = new Host({ modules: [env.CARDBOUND_OPENSC_MODULE], caFiles: [join(pki, 'root-ca.pem')] });
});
after(async () => {
  bench('insert', '0');
  const { code, signal } = await host.close();
  assert.equal(signal, null);
  assert.equal(code, 0);
});

test('status sees both virtual readers with their cards', async () => {
  const status = await host.call('status');
  assert.equal(status.readerMonitor, true);
  const names = status.readers.filter((r) => r.cardPresent).map((r) => r.name);
  assert.ok(names.includes(env.CARDBOUND_READER_0) && names.includes(env.CARDBOUND_READER_1), JSON.stringify(status.readers));
});

test('the card certificate is listed with its reader and PIN state', async () => {
  const { certificates } = await host.call('list-certificates');
  const c = certificates.find((x) => x.fingerprint === card0);
  assert.ok(c, 'card 0 is listed');
  assert.equal(c.reader, reader);
  assert.equal(c.algorithm, 'PS256', 'OpenSC offers raw RSA for the CAC card, so PSS');
  assert.equal(c.holder, 'Mari Card');
  assert.equal(c.pinState, 'ok');
});

test('wrong PIN, right PIN, presence, pull: the whole life of a card login', async () => {
  const wrong = await authenticate(host, { pki, fingerprint: card0, pin: '99999999' });
  assert.equal(wrong.answer.error?.code, 'ERR_PIN_INCORRECT');
  assert.equal(wrong.answer.error?.sitesLoggedOut, undefined, 'no site was logged in with the card');
  assert.equal((await host.call('status')).version, version, 'the host keeps working after a wrong PIN');

  const { begin, challenge, answer } = await authenticate(host, { pki, fingerprint: card0, pin: env.CARDBOUND_CARD_PIN });
  assert.equal(answer.error, undefined, JSON.stringify(answer.error));
  const token = answer.result.token;
  assert.equal(token.algorithm, 'PS256');
  assert.ok(opensslVerifies({ certDer: Buffer.from(token.unverifiedCertificate, 'base64'), alg: 'PS256',
    preimage: loginPreimage('PS256', ORIGIN, challenge.serverNonce), signature: Buffer.from(token.signature, 'base64') }),
  'openssl verifies the card signature with the certificate');

  const c = await confirm(host, { pki, loginId: begin.loginId, challenge, token });
  assert.equal(c.answer.error, undefined, JSON.stringify(c.answer.error));
  for (let i = 0; i < 3; i++) {
    const p = await host.request('presence', { origin: ORIGIN, args: { challenge: presenceChallenge(pki, c.sessionTag) } });
    assert.equal(p.error, undefined, 'presence works without a PIN while the card is in');
  }

  // The pull runs asynchronously so that the event is timed as it arrives.
  const pulledAt = performance.now();
  const pulling = promisify(execFile)(benchPath, ['pull', '0']);
  const removed = await host.waitForEvent((e) => e.event === 'card-removed' && e.data.reader === reader, 5000);
  const latency = removed.receivedAt - pulledAt;
  await pulling;
  console.log(`pull-to-card-removed latency: ${latency.toFixed(0)} ms (from the start of 'bench pull')`);
  assert.ok(latency < 1000, `card-removed arrived after ${latency.toFixed(0)} ms`);
  assert.ok(removed.data.certificates.includes(card0), 'the event names the certificates of the removed card');

  const gone = await host.request('presence', { origin: ORIGIN, args: { challenge: presenceChallenge(pki, c.sessionTag) } });
  assert.equal(gone.error?.code, 'ERR_NO_CARD');

  bench('insert', '0');
  const inserted = await host.waitForEvent((e) => e.event === 'card-inserted' && e.data.reader === reader, 5000);
  assert.ok(inserted);
  const still = await host.request('presence', { origin: ORIGIN, args: { challenge: presenceChallenge(pki, c.sessionTag) } });
  assert.equal(still.error?.code, 'ERR_NOT_LOGGED_IN', 'a re-inserted card needs a new login');

  const again = await authenticate(host, { pki, fingerprint: card0, pin: env.CARDBOUND_CARD_PIN });
  assert.equal(again.answer.error, undefined, 'a new login works after re-insertion');
});

test('a card pulled and put back between authenticate and confirm, or between presence proofs, is refused', async () => {
  const waitInserted = (from) => host.waitForEvent((e) => host.events.indexOf(e) >= from && e.event === 'card-inserted' && e.data.reader === reader, 5000);
  const a = await authenticate(host, { pki, fingerprint: card0, pin: env.CARDBOUND_CARD_PIN });
  assert.equal(a.answer.error, undefined);
  let from = host.events.length;
  bench('pull', '0');
  bench('insert', '0');
  await waitInserted(from);
  const c = await confirm(host, { pki, loginId: a.begin.loginId, challenge: a.challenge, token: a.answer.result.token });
  assert.equal(c.answer.error?.code, 'ERR_NO_CARD', 'the card that signed left since the login');

  const b = await authenticate(host, { pki, fingerprint: card0, pin: env.CARDBOUND_CARD_PIN });
  const ok = await confirm(host, { pki, loginId: b.begin.loginId, challenge: b.challenge, token: b.answer.result.token });
  assert.equal(ok.answer.error, undefined);
  from = host.events.length;
  bench('pull', '0');
  bench('insert', '0');
  await waitInserted(from);
  // No presence request saw the card gone; it is back, but it is not the same insertion.
  const p = await host.request('presence', { origin: ORIGIN, args: { challenge: presenceChallenge(pki, ok.sessionTag) } });
  assert.equal(p.error?.code, 'ERR_NO_CARD');
});

test('the host survives a pcscd restart: cards count as removed, then come back', async () => {
  const before = host.events.length;
  bench('restart-pcscd');
  const since = () => host.events.slice(before);
  await host.waitForEvent((e) => host.events.indexOf(e) >= before && e.event === 'card-inserted' && e.data.reader === reader, 10000);
  const names = since().map((e) => `${e.event} ${e.data.reader}`);
  assert.ok(names.includes(`card-removed ${reader}`), `removal reported: ${names.join(', ')}`);
  const status = await host.call('status');
  assert.equal(status.readerMonitor, true);
  assert.ok(status.readers.some((r) => r.name === reader && r.cardPresent), JSON.stringify(status.readers));
  const { certificates } = await host.call('list-certificates');
  assert.ok(certificates.some((c) => c.fingerprint === card0), 'the card is usable again');
  const login = await authenticate(host, { pki, fingerprint: card0, pin: env.CARDBOUND_CARD_PIN });
  assert.equal(login.answer.error, undefined, JSON.stringify(login.answer.error));
});

test('wrong PINs count down to a blocked card, which refuses even the right PIN', async () => {
  const card1 = fingerprintOf(join(pki, 'card1.pem'));
  try {
    const first = await authenticate(host, { pki, fingerprint: card1, pin: '99999999' });
    assert.equal(first.answer.error?.code, 'ERR_PIN_INCORRECT');
    const second = await authenticate(host, { pki, fingerprint: card1, pin: '99999999' });
    assert.equal(second.answer.error?.code, 'ERR_PIN_INCORRECT');
    assert.equal(second.answer.error?.pinState, 'final-try');
    assert.equal(second.answer.error?.triesLeft, 1);
    const third = await authenticate(host, { pki, fingerprint: card1, pin: '99999999' });
    assert.equal(third.answer.error?.code, 'ERR_PIN_BLOCKED');
    const { certificates } = await host.call('list-certificates');
    assert.equal(certificates.find((c) => c.fingerprint === card1).pinState, 'locked');
    const right = await authenticate(host, { pki, fingerprint: card1, pin: env.CARDBOUND_CARD_PIN });
    assert.equal(right.answer.error?.code, 'ERR_PIN_BLOCKED');
  } finally {
    bench('reset-pin', '1');
  }
});

// Every PIN check is a real one, so a login logs the card out first: a wrong
// PIN (here another login) leaves the card logged out. A session already
// using the card lives on if the right PIN comes before its next proof; a
// proof before that fails, and ends the session. (The extension's PIN window
// warns of this: card_ceremony.js.)
test('a wrong PIN elsewhere logs the card out: a live session survives if the right PIN comes before its next proof', async () => {
  const { begin, challenge, answer } = await authenticate(host, { pki, fingerprint: card0, pin: env.CARDBOUND_CARD_PIN });
  assert.equal(answer.error, undefined, JSON.stringify(answer.error));
  const c = await confirm(host, { pki, loginId: begin.loginId, challenge, token: answer.result.token });
  assert.equal(c.answer.error, undefined, JSON.stringify(c.answer.error));
  const prove = () => host.request('presence', { origin: ORIGIN, args: { challenge: presenceChallenge(pki, c.sessionTag) } });
  try {
    // The error's code and the sites it says the card was logged out of.
    const login = async (pin) => {
      const { error } = (await authenticate(host, { pki, fingerprint: card0, pin })).answer;
      return error ? `${error.code} ${error.sitesLoggedOut}` : 'ok';
    };
    assert.equal((await prove()).error, undefined, 'the session proves while the card is logged in');
    assert.equal(await login('99999999'), 'ERR_PIN_INCORRECT 1', 'one site was logged in with the card');
    assert.equal(await login('99999999'), 'ERR_PIN_INCORRECT 1', 'and still is, with the card logged out');
    assert.equal(await login(env.CARDBOUND_CARD_PIN), 'ok');
    assert.equal((await prove()).error, undefined, 'the right PIN came first: the session proves');

    // A signature's wrong PIN: this card's signing key shares the login's
    // token (one PIN), so the session is at stake there too.
    const signing = await signHash(host, {
      pki, fingerprint: fingerprintOf(join(pki, 'card0-sign.pem')), pin: '99999999',
      hash: Buffer.alloc(32, 7).toString('base64'), hashFunction: 'SHA-256',
    });
    assert.equal(`${signing.answer.error?.code} ${signing.answer.error?.sitesLoggedOut}`, 'ERR_PIN_INCORRECT 1');
    assert.equal(await login(env.CARDBOUND_CARD_PIN), 'ok');

    assert.equal(await login('99999999'), 'ERR_PIN_INCORRECT 1');
    const lost = await prove();
    assert.equal(lost.error?.code, 'ERR_NO_CARD', 'a proof while the card is logged out fails');
    assert.match(lost.error?.message, /not logged in any more/);
    assert.equal(await login(env.CARDBOUND_CARD_PIN), 'ok');
    assert.equal((await prove()).error?.code, 'ERR_NOT_LOGGED_IN', 'and that ended the session: a later right PIN does not bring it back');
  } finally {
    bench('reset-pin', '0');
    await host.request('logout', { origin: ORIGIN, args: {} });
  }
});
