import { test, beforeEach, afterEach, mock } from 'node:test';
import assert from 'node:assert/strict';

import { confirmTransaction } from './transaction.js';
import { Dialogs } from '../services/dialogs.js';
import { ExtensionError } from '../../shared/errors.js';
import { deferred, dialogIdOf, fakeApi, scriptedHost, until } from '../../../test-support/fakes.js';

const ORIGIN = 'https://bank.example';
const SERVER = { subject: 'CN=bank.example', fingerprint: '6c1f' };
const FINGERPRINT = 'a'.repeat(64);
// What the page passes on: the extension never reads its text.
const CHALLENGE = { format: 'cardbound-transaction-challenge:1', text: 'what the page says', nonce: 'bm9uY2U=' };
const SERVER_TEXT = 'Pay 1,200 EUR to ACME Ltd';
const CONFIRMATION = { format: 'cardbound-transaction:1', text: SERVER_TEXT, signature: 'c2ln' };

const card = (fingerprint, extra = {}) => ({
  fingerprint, certificate: 'MIIB', subject: 'CN=Mari', issuer: 'CN=CA', holder: 'Mari Card', reader: 'Reader 0',
  notBefore: '2026-01-01T00:00:00Z', notAfter: '2029-01-01T00:00:00Z', keyType: 'RSA', algorithm: 'PS256', pinPad: false, pinState: 'ok', ...extra,
});

const isCode = (code) => (e) => {
  assert.ok(e instanceof ExtensionError, `expected an ExtensionError, got ${e?.stack ?? e}`);
  assert.equal(e.code, code);
  return true;
};

function setup({ certificates = [card('b'.repeat(64)), card(FINGERPRINT)], handlers = {} } = {}) {
  const api = fakeApi();
  const dialogs = new Dialogs(api);
  const host = scriptedHost({
    'verify-transaction': () => ({ text: SERVER_TEXT, certificate: FINGERPRINT, server: SERVER, expiresAt: '2026-11-29T18:02:00Z' }),
    'list-certificates': () => ({ certificates }),
    'confirm-transaction': (args) => {
      if (args.pin !== '123456') throw new ExtensionError('ERR_PIN_INCORRECT', 'wrong', { triesLeft: 2 });
      return { confirmation: CONFIRMATION };
    },
    ...handlers,
  });
  const context = { api, host, dialogs, sessions: {} };
  const send = (n, op, value) => {
    const reply = deferred();
    const stage = dialogs.open.get(dialogIdOf(api, n))?.stage.number;
    dialogs.handleMessage({ type: 'dialog', dialog: dialogIdOf(api, n), op, value, stage }, { id: api.runtime.id, url: api.created[n].url }, reply.resolve);
    return reply.promise;
  };
  return { api, host, context, send, windowOpened: (n) => until(() => api.created.length > n, `window ${n}`) };
}

beforeEach(() => mock.timers.enable({ apis: ['setTimeout'] }));
afterEach(() => mock.timers.reset());

test('the window shows the text the host verified (not the page\'s) with the session\'s card; the PIN confirms', async () => {
  const t = setup();
  const answer = confirmTransaction(t.context, { origin: ORIGIN, args: { challenge: CHALLENGE } });
  await t.windowOpened(0);
  const { view } = await t.send(0, 'hello');
  assert.deepEqual([view.step, view.purpose, view.fixed, view.text], ['pin', 'transaction', true, SERVER_TEXT]);
  assert.equal(view.certificate.fingerprint, FINGERPRINT, 'the card of the session, no picker');
  assert.deepEqual(view.server, SERVER);
  const wrong = await t.send(0, 'submit', '000000');
  assert.deepEqual([wrong.state, wrong.code], ['error', 'ERR_PIN_INCORRECT']);
  assert.deepEqual(await t.send(0, 'submit', '123456'), { state: 'done' });
  assert.deepEqual(await answer, { confirmation: CONFIRMATION });
  assert.equal(t.host.commands()[0], 'verify-transaction', 'the server first');
  for (const call of t.host.calls.filter((c) => c.command === 'list-certificates')) {
    assert.deepEqual(call.args, { purpose: 'login' }, 'the session\'s card is found among the login certificates');
  }
  const confirmed = t.host.calls.filter((c) => c.command === 'confirm-transaction').at(-1);
  assert.deepEqual(confirmed.args, { challenge: CHALLENGE, pin: '123456' }, 'the challenge as the page gave it; the host checks it again');
  assert.equal(confirmed.origin, ORIGIN);
});

test('a challenge the host refuses opens no window; its error goes to the page', async () => {
  const t = setup({ handlers: { 'verify-transaction': () => { throw new ExtensionError('ERR_SERVER_NOT_TRUSTED', 'no', { reason: 'signature' }); } } });
  await assert.rejects(confirmTransaction(t.context, { origin: ORIGIN, args: { challenge: CHALLENGE } }), isCode('ERR_SERVER_NOT_TRUSTED'));
  assert.equal(t.api.created.length, 0);
  assert.ok(!t.host.commands().includes('confirm-transaction'));
});

test('the session\'s card is not in a reader: ERR_CERTIFICATE_NOT_FOUND, no window', async () => {
  const t = setup({ certificates: [card('b'.repeat(64))] });
  await assert.rejects(confirmTransaction(t.context, { origin: ORIGIN, args: { challenge: CHALLENGE } }), isCode('ERR_CERTIFICATE_NOT_FOUND'));
  assert.equal(t.api.created.length, 0);
});

test('arguments: a challenge object and nothing else', async () => {
  const t = setup();
  for (const args of [{}, { challenge: 'text' }, { challenge: CHALLENGE, text: 'x' }]) {
    await assert.rejects(confirmTransaction(t.context, { origin: ORIGIN, args }), isCode('ERR_BAD_REQUEST'));
  }
  assert.deepEqual(t.host.commands(), []);
});
