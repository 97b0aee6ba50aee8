import { test, describe, beforeEach, afterEach, mock } from 'node:test';
import assert from 'node:assert/strict';

import { LOGIN_LIMIT_MS, authenticate } from './authenticate.js';
import { LOOK_EVERY_MS, RETRY_MS } from '../services/card_watch.js';
import { Dialogs } from '../services/dialogs.js';
import { CardSessions } from '../services/card_sessions.js';
import { ExtensionError } from '../../shared/errors.js';
import { deferred, dialogIdOf, fakeApi, flush, scriptedHost, settled, until } from '../../../test-support/fakes.js';

const ORIGIN = 'https://bank.example';
const LOGIN_ID = 'jnyefFDGlaZn59q20UsfdQ';
const CHALLENGE = { origin: ORIGIN, serverNonce: 'c2VydmVy', hostNonce: 'aG9zdA==', signature: 'c2ln' };
const TOKEN = { format: 'web-eid:1.0', signature: 'kq3X', algorithm: 'PS256', unverifiedCertificate: 'MIID' };
const SERVER = { subject: 'CN=bank.example', fingerprint: '6c1f' };

// A certificate as list-certificates reports it.
function hostCert(n, extra = {}) {
  return {
    fingerprint: `${n}`.repeat(64).slice(0, 64),
    certificate: 'MIIDXzCCAuagAwIBAgIRAPc4',
    subject: `CN=Holder ${n}`,
    issuer: 'CN=Cardbound Test Issuing CA',
    holder: `Holder ${n}`,
    serialNumber: 'F738',
    notBefore: '2026-11-27T21:10:17Z',
    notAfter: '2029-03-01T21:10:17Z',
    keyType: 'RSA',
    algorithm: 'PS256',
    reader: `Reader ${n}`,
    tokenLabel: `Token ${n}`,
    module: '/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so',
    pinPad: false,
    pinState: 'ok',
    ...extra,
  };
}

function hostError(code, details = {}) {
  return new ExtensionError(code, `host says ${code}`, details);
}

function isCode(code) {
  return (e) => {
    assert.ok(e instanceof ExtensionError, `expected an ExtensionError, got ${e?.stack ?? e}`);
    assert.equal(e.code, code);
    return true;
  };
}

// The background's parts around authenticate: a fake browser, the real
// Dialogs, a scripted host, and sessions that record rememberLogin.
function setup({ certificates = [hostCert(1)], pin = '1234', handlers = {} } = {}) {
  const api = fakeApi();
  const dialogs = new Dialogs(api);
  const host = scriptedHost({
    'verify-server': () => ({ server: SERVER, expiresAt: '2026-11-27T21:37:06Z' }),
    'list-certificates': () => ({ certificates }),
    authenticate: (args) => {
      if (args.pin !== undefined && args.pin !== pin) throw hostError('ERR_PIN_INCORRECT', { pinState: 'final-try', triesLeft: 1 });
      return { token: TOKEN };
    },
    ...handlers,
  });
  const remembered = [];
  const sessions = { async rememberLogin(loginId, card) { remembered.push([loginId, card]); } };
  const context = { api, host, dialogs, sessions };

  // A message from the n-th window the extension opened, made in the step
  // the window shows now (a window that is up to date) or in `stage`.
  function send(n, op, value, senderUrl = api.created[n].url, stage = dialogs.open.get(dialogIdOf(api, n))?.stage.number) {
    const reply = deferred();
    const replies = [];
    const returned = dialogs.handleMessage({ type: 'dialog', dialog: dialogIdOf(api, n), op, value, stage },
      { id: api.runtime.id, url: senderUrl }, (r) => { replies.push(r); reply.resolve(r); });
    return { returned, replies, reply: reply.promise };
  }
  const windowOpened = (n) => until(() => api.created.length > n, `window ${n}`);

  // A page request; `request` adds userActivated and signal.
  const run = (args = { loginId: LOGIN_ID, challenge: CHALLENGE }, request = {}) => authenticate(context, { origin: ORIGIN, args, ...request });

  // The views pushed to the n-th window, oldest first.
  const pushed = (n) => api.runtimeMessages.filter((m) => m.type === 'dialog-view' && m.dialog === dialogIdOf(api, n)).map((m) => m.view);
  // The views pushed to update the n-th window's latest step (not the push
  // that began it: the first of a stage after the first).
  const updates = (n) => {
    const views = pushed(n);
    const stage = views.at(-1)?.stage;
    const mine = views.filter((v) => v.stage === stage);
    return stage > 1 ? mine.slice(1) : mine;
  };
  const lists = () => host.commands().filter((c) => c === 'list-certificates').length;
  // No login leaves a listener behind on the host.
  const listeners = () => host.listeners.size;
  return { api, dialogs, host, remembered, sessions, context, send, windowOpened, run, pushed, updates, lists, listeners };
}

// To the PIN entry of the login's window (the n-th opened), through the
// picker if it shows one; returns the window's index.
async function pickFirst(t, n = 0) {
  await t.windowOpened(n);
  const { view } = await t.send(n, 'hello').reply;
  if (view.step === 'picker') {
    const { view: next } = await t.send(n, 'submit', view.certificates[0].fingerprint).reply;
    assert.equal(next.step, 'pin');
  } else {
    assert.equal(view.step, 'pin');
  }
  return n;
}

// Every test: the dialogs wait at most 5 minutes and a login at most 270 s;
// mocked timers keep those from holding the process, and tests move them.
beforeEach(() => {
  mock.timers.enable({ apis: ['setTimeout'] });
});
afterEach(() => {
  mock.timers.reset();
});

describe('authenticate', () => {
  test('the whole login in one window: picker, a wrong PIN, the right PIN, the token, the login remembered', async () => {
    const t = setup({ certificates: [hostCert(1), hostCert(2, { pinState: 'count-low' })] });
    const result = t.run();

    await t.windowOpened(0);
    const win = t.api.created[0];
    assert.match(win.url, /\/ui\/login\.html\?dialog=[0-9a-f-]{36}$/);
    assert.deepEqual(t.host.commands(), ['verify-server', 'list-certificates']);
    assert.deepEqual(t.host.calls[0], { command: 'verify-server', origin: ORIGIN, args: { loginId: LOGIN_ID, challenge: CHALLENGE } });

    const hello = await t.send(0, 'hello').reply;
    assert.equal(hello.state, 'view');
    assert.equal(hello.view.step, 'picker');
    assert.equal(hello.view.stage, 1);
    assert.equal(hello.view.origin, ORIGIN);
    assert.deepEqual(hello.view.server, SERVER);
    assert.equal(hello.view.certificates.length, 2);
    const shown = hello.view.certificates[1];
    assert.deepEqual(Object.keys(shown).sort(),
      ['fingerprint', 'holder', 'issuer', 'notAfter', 'notBefore', 'pinPad', 'pinState', 'reader', 'subject', 'tokenLabel']);
    assert.equal(shown.fingerprint, hostCert(2).fingerprint);
    assert.equal(shown.pinState, 'count-low');

    // The choice is answered with the PIN entry, in the same window.
    const picked = t.send(0, 'submit', shown.fingerprint);
    assert.equal(picked.returned, true);
    const pinView = { origin: ORIGIN, server: SERVER, purpose: 'login', step: 'pin', certificate: shown, pinPad: false, pinState: 'count-low', cardPresent: true, fixed: false, stage: 2 };
    assert.deepEqual(await picked.reply, { state: 'view', view: pinView });
    assert.deepEqual(t.pushed(0).at(-1), pinView, 'and pushed');
    assert.equal(t.api.created.length, 1, 'no second window');
    assert.deepEqual(t.api.removed, [], 'the window stays open');
    assert.deepEqual(await t.send(0, 'hello').reply, { state: 'view', view: pinView });

    const wrong = t.send(0, 'submit', '0000');
    assert.deepEqual(await wrong.reply, { state: 'error', code: 'ERR_PIN_INCORRECT', triesLeft: 1, pinState: 'final-try', sitesLoggedOut: 0 });
    assert.equal(await settled(result), false, 'a wrong PIN does not end the login');
    assert.equal(t.api.open.has(win.id), true, 'the window stays open');

    const right = t.send(0, 'submit', '1234');
    assert.deepEqual(await right.reply, { state: 'done' });
    assert.deepEqual(await result, { token: TOKEN });

    // The challenge was verified (and is kept) by the host in verify-server: authenticate names the login only.
    const auths = t.host.calls.filter((c) => c.command === 'authenticate');
    assert.deepEqual(auths.map((c) => c.origin), [ORIGIN, ORIGIN]);
    assert.deepEqual(auths.map((c) => c.args), [
      { loginId: LOGIN_ID, certificate: shown.fingerprint, pin: '0000' },
      { loginId: LOGIN_ID, certificate: shown.fingerprint, pin: '1234' },
    ]);
    assert.deepEqual(t.remembered, [[LOGIN_ID, { origin: ORIGIN, fingerprint: shown.fingerprint, reader: 'Reader 2' }]]);
    await until(() => t.api.removed.includes(win.id), 'the window to close');
    assert.equal(t.dialogs.open.size, 0);
  });

  test('exactly one certificate: straight to the PIN entry; "back" shows the list, fresh, and another choice goes on', async () => {
    const lists = [[hostCert(1)], [hostCert(1), hostCert(2)]];
    let n = 0;
    const t = setup({ handlers: { 'list-certificates': () => ({ certificates: lists[Math.min(n++, 1)] }) } });
    const result = t.run();
    await t.windowOpened(0);
    const { view } = await t.send(0, 'hello').reply;
    assert.equal(view.step, 'pin');
    assert.equal(view.certificate.fingerprint, hostCert(1).fingerprint);
    assert.deepEqual(t.host.commands(), ['verify-server', 'list-certificates'], 'listed once');

    const back = await t.send(0, 'back').reply;
    assert.equal(back.view.step, 'picker');
    assert.equal(back.view.stage, 2);
    assert.deepEqual(back.view.certificates.map((c) => c.fingerprint), [hostCert(1).fingerprint, hostCert(2).fingerprint], 'listed again');
    assert.equal(t.api.created.length, 1);

    const picked = await t.send(0, 'submit', hostCert(2).fingerprint).reply;
    assert.equal(picked.view.step, 'pin');
    assert.equal(picked.view.stage, 3);
    t.send(0, 'submit', '1234');
    assert.deepEqual(await result, { token: TOKEN });
    assert.equal(t.host.calls.at(-1).args.certificate, hostCert(2).fingerprint);
    assert.equal(t.listeners(), 0);
  });

  test('an action made in an earlier step is answered with the current view and never counts', async () => {
    const t = setup({ certificates: [hostCert(1), hostCert(2)] });
    const result = t.run();
    await t.windowOpened(0);
    const fingerprint = hostCert(1).fingerprint;
    assert.equal((await t.send(0, 'submit', fingerprint).reply).view.step, 'pin');
    // The same click again, from the picker (stage 1): not a PIN for the card.
    const late = await t.send(0, 'submit', fingerprint, undefined, 1).reply;
    assert.deepEqual([late.state, late.view.step, late.view.stage], ['view', 'pin', 2]);
    const noStage = await t.send(0, 'submit', '1234', undefined, null).reply;
    assert.equal(noStage.state, 'view');
    assert.equal(t.host.commands().includes('authenticate'), false);
    t.send(0, 'submit', '1234');
    assert.deepEqual(await result, { token: TOKEN });
  });

  test("a card event while the only certificate is listed: the picker is shown, not the PIN entry", async () => {
    const list = deferred();
    const t = setup({ handlers: { 'list-certificates': () => list.promise } });
    const result = t.run();
    await until(() => t.lists() === 1, 'the list');
    t.host.emit('reader-added', { reader: 'Reader 9' });
    list.resolve({ certificates: [hostCert(1)] });
    await t.windowOpened(0);
    assert.equal((await t.send(0, 'hello').reply).view.step, 'picker');
    t.send(0, 'cancel');
    await assert.rejects(result, isCode('ERR_USER_CANCELLED'));
  });

  test('a wrong PIN passes on how many sites the card was logged out of (the host says)', async () => {
    let details = { sitesLoggedOut: 2 };
    const t = setup({
      handlers: { authenticate: (args) => { if (args.pin === '1234') return { token: TOKEN }; throw hostError('ERR_PIN_INCORRECT', details); } },
    });
    const result = t.run();
    const pin = await pickFirst(t);
    assert.deepEqual(await t.send(pin, 'submit', '0000').reply,
      { state: 'error', code: 'ERR_PIN_INCORRECT', triesLeft: null, pinState: null, sitesLoggedOut: 2 });
    details = {};
    assert.deepEqual(await t.send(pin, 'submit', '0000').reply,
      { state: 'error', code: 'ERR_PIN_INCORRECT', triesLeft: null, pinState: null, sitesLoggedOut: 0 });
    t.send(pin, 'submit', '1234');
    assert.deepEqual(await result, { token: TOKEN });
  });

  test('with real CardSessions, the remembered login becomes a session at confirm', async () => {
    const t = setup();
    const sessions = new CardSessions();
    t.context.sessions = sessions;
    const result = t.run();
    const pin = await pickFirst(t);
    t.send(pin, 'submit', '1234');
    await result;
    const session = await sessions.confirm(LOGIN_ID, ORIGIN, 'tag', 3);
    assert.deepEqual(session, { origin: ORIGIN, sessionTag: 'tag', fingerprint: hostCert(1).fingerprint, reader: 'Reader 1', tabId: 3 });
  });

  test('a server that fails verification never gets a window, and its error goes to the page', async () => {
    const t = setup({
      handlers: { 'verify-server': () => { throw hostError('ERR_SERVER_NOT_TRUSTED', { reason: 'untrusted' }); } },
    });
    await assert.rejects(t.run(), (e) => isCode('ERR_SERVER_NOT_TRUSTED')(e) && e.details.reason === 'untrusted');
    await flush();
    assert.deepEqual(t.api.created, []);
    assert.deepEqual(t.host.commands(), ['verify-server']);
  });

  test('a failing list-certificates opens no window', async () => {
    const t = setup({ handlers: { 'list-certificates': () => { throw hostError('ERR_PKCS11'); } } });
    await assert.rejects(t.run(), isCode('ERR_PKCS11'));
    assert.deepEqual(t.api.created, []);
  });

  test("the picker's cancel is ERR_USER_CANCELLED; no PIN window, no PIN asked", async () => {
    const t = setup();
    const result = t.run();
    await t.windowOpened(0);
    const { returned } = t.send(0, 'cancel');
    assert.equal(returned, false);
    await assert.rejects(result, isCode('ERR_USER_CANCELLED'));
    await until(() => t.api.removed.length === 1, 'the picker to close');
    assert.equal(t.api.created.length, 1);
    assert.equal(t.host.commands().includes('authenticate'), false);
  });

  test('closing the picker window is ERR_USER_CANCELLED', async () => {
    const t = setup();
    const result = t.run();
    await t.windowOpened(0);
    t.api.userCloses(t.api.created[0].id);
    await assert.rejects(result, isCode('ERR_USER_CANCELLED'));
    assert.equal(t.api.created.length, 1);
    assert.deepEqual(t.api.removed, [], 'a closed window is not removed again');
  });

  test('closing the PIN window is ERR_USER_CANCELLED and nothing is remembered', async () => {
    const t = setup();
    const result = t.run();
    const pin = await pickFirst(t);
    t.api.userCloses(t.api.created[pin].id);
    await assert.rejects(result, isCode('ERR_USER_CANCELLED'));
    assert.deepEqual(t.remembered, []);
    assert.equal(t.host.commands().includes('authenticate'), false);
  });

  test("the PIN window's cancel is ERR_USER_CANCELLED", async () => {
    const t = setup();
    const result = t.run();
    const pin = await pickFirst(t);
    t.send(pin, 'cancel');
    await assert.rejects(result, isCode('ERR_USER_CANCELLED'));
    await until(() => t.api.removed.includes(t.api.created[pin].id), 'the PIN window to close');
  });

  test('a PIN of the wrong length or type never reaches the host', async () => {
    const t = setup();
    const result = t.run();
    const pin = await pickFirst(t);
    for (const bad of ['123', '', 'x'.repeat(65), 1234, null, undefined, ['1', '2', '3', '4']]) {
      const { reply } = t.send(pin, 'submit', bad);
      assert.deepEqual(await reply, { state: 'error', code: 'ERR_PIN_INVALID' }, JSON.stringify(bad));
    }
    assert.equal(t.host.commands().includes('authenticate'), false);
    assert.equal(await settled(result), false);
    t.send(pin, 'submit', '1234');
    assert.deepEqual(await result, { token: TOKEN });
  });

  test('PINs of 4 and of 64 characters are passed on', async () => {
    for (const pin of ['1234', '9'.repeat(64)]) {
      const t = setup({ pin });
      const result = t.run();
      const w = await pickFirst(t);
      t.send(w, 'submit', pin);
      await result;
      assert.equal(t.host.calls.at(-1).args.pin, pin);
    }
  });

  test('the host refusing the PIN as invalid is reported like a wrong PIN', async () => {
    let first = true;
    const t = setup({
      handlers: {
        authenticate: () => {
          if (first) { first = false; throw hostError('ERR_PIN_INVALID'); }
          return { token: TOKEN };
        },
      },
    });
    const result = t.run();
    const pin = await pickFirst(t);
    assert.deepEqual(await t.send(pin, 'submit', 'abcd').reply, { state: 'error', code: 'ERR_PIN_INVALID', triesLeft: null, pinState: null, sitesLoggedOut: 0 });
    t.send(pin, 'submit', '1234');
    assert.deepEqual(await result, { token: TOKEN });
  });

  test("a PIN that blocks: the window shows the blocked step and stays open; ERR_PIN_BLOCKED goes to the page", async () => {
    const t = setup({ handlers: { authenticate: () => { throw hostError('ERR_PIN_BLOCKED', { pinState: 'locked' }); } } });
    const result = t.run();
    const pin = await pickFirst(t);
    const pinWindowId = t.api.created[pin].id;
    const blocked = await t.send(pin, 'submit', '0000').reply;
    assert.deepEqual(blocked, { state: 'view', view: { origin: ORIGIN, server: SERVER, purpose: 'login', step: 'blocked', certificate: t.pushed(pin).at(-1).certificate, stage: 2 } });
    assert.equal(blocked.view.certificate.fingerprint, hostCert(1).fingerprint);
    assert.deepEqual(t.pushed(pin).at(-1), blocked.view, 'and pushed');
    await assert.rejects(result, isCode('ERR_PIN_BLOCKED'));
    await flush();
    await flush();
    assert.equal(t.api.removed.includes(pinWindowId), false, 'the user reads it and closes it');
    assert.equal(t.api.open.has(pinWindowId), true);
    assert.deepEqual(t.remembered, []);
    assert.deepEqual([...t.dialogs.open.values()].map((d) => d.closed), [true], 'the dialog itself is over');
    t.api.windows.onRemoved.fire(pinWindowId);
    assert.equal(t.dialogs.open.size, 0, 'and forgotten when the user closes the window');
  });

  test('a PIN typed again while the host is checking waits; a block answers it "closed"', async () => {
    const check = deferred();
    const t = setup({ handlers: { authenticate: () => check.promise } });
    const result = t.run();
    const pin = await pickFirst(t);
    const first = t.send(pin, 'submit', '0000');
    await until(() => t.host.commands().includes('authenticate'), 'the PIN check');
    const second = t.send(pin, 'submit', '1111');
    assert.equal(second.returned, true);
    check.reject(hostError('ERR_PIN_BLOCKED'));
    assert.equal((await first.reply).view.step, 'blocked');
    assert.deepEqual(await second.reply, { state: 'closed' });
    await assert.rejects(result, isCode('ERR_PIN_BLOCKED'));
    assert.equal(t.host.calls.filter((c) => c.command === 'authenticate').length, 1);
  });

  test('a PIN typed again while the host is checking is tried next after a wrong PIN', async () => {
    const checks = [deferred(), deferred()];
    let n = 0;
    const t = setup({ handlers: { authenticate: () => checks[n++].promise } });
    const result = t.run();
    const pin = await pickFirst(t);
    const first = t.send(pin, 'submit', '0000');
    await until(() => n === 1, 'the first check');
    const second = t.send(pin, 'submit', '1234');
    checks[0].reject(hostError('ERR_PIN_INCORRECT', { triesLeft: 2 }));
    assert.deepEqual(await first.reply, { state: 'error', code: 'ERR_PIN_INCORRECT', triesLeft: 2, pinState: null, sitesLoggedOut: 0 });
    await until(() => n === 2, 'the second check');
    assert.equal(t.host.calls.at(-1).args.pin, '1234');
    checks[1].resolve({ token: TOKEN });
    assert.deepEqual(await second.reply, { state: 'done' });
    assert.deepEqual(await result, { token: TOKEN });
  });

  test("another host error: the window is told 'failed' and closes; the error goes to the page", async () => {
    const t = setup({ handlers: { authenticate: () => { throw hostError('ERR_PKCS11', { pkcs11Error: '0x00000005' }); } } });
    const result = t.run();
    const pin = await pickFirst(t);
    assert.deepEqual(await t.send(pin, 'submit', '1234').reply, { state: 'failed', code: 'ERR_PKCS11' });
    await assert.rejects(result, isCode('ERR_PKCS11'));
    await until(() => t.api.removed.includes(t.api.created[pin].id), 'the PIN window to close');
    assert.deepEqual(t.remembered, []);
  });

  test('a card whose PIN is already locked: the picker marks it (pinState), choosing it shows it blocked, the host is not asked for a PIN', async () => {
    const t = setup({ certificates: [hostCert(1, { pinState: 'locked' }), hostCert(2)] });
    const result = t.run();
    await t.windowOpened(0);
    const { view } = await t.send(0, 'hello').reply;
    assert.equal(view.certificates[0].pinState, 'locked');
    const chosen = await t.send(0, 'submit', hostCert(1).fingerprint).reply;
    assert.equal(chosen.view.step, 'blocked');
    await assert.rejects(result, isCode('ERR_PIN_BLOCKED'));
    assert.equal(t.api.created.length, 1);
    await flush();
    assert.equal(t.api.open.has(t.api.created[0].id), true, 'left open for the user to read');
    assert.equal(t.host.commands().includes('authenticate'), false);
    assert.equal(t.listeners(), 0);
  });

  // The dialog is released before the window has loaded: its 'hello' must
  // still get the blocked view, not {state:'closed'} (the window would close).
  test('the only certificate, of a locked card: the window opens on its blocked view and can still fetch it', async () => {
    const t = setup({ certificates: [hostCert(1, { pinState: 'locked' })] });
    const result = t.run();
    await assert.rejects(result, isCode('ERR_PIN_BLOCKED'));
    const hello = await t.send(0, 'hello').reply;
    assert.equal(hello.state, 'view');
    assert.equal(hello.view.step, 'blocked');
    assert.equal(hello.view.certificate.fingerprint, hostCert(1).fingerprint);
  });

  test('a PIN-pad reader: no PIN goes from the window to the host', async () => {
    const t = setup({ certificates: [hostCert(1, { pinPad: true })] });
    const result = t.run();
    const pin = await pickFirst(t);
    const hello = await t.send(pin, 'hello').reply;
    assert.equal(hello.view.pinPad, true);
    assert.deepEqual(await t.send(pin, 'submit', null).reply, { state: 'done' });
    assert.deepEqual(await result, { token: TOKEN });
    const auth = t.host.calls.find((c) => c.command === 'authenticate');
    assert.equal('pin' in auth.args, false);
  });

  test('a PIN-pad reader ignores whatever value the window sends', async () => {
    const t = setup({ certificates: [hostCert(1, { pinPad: true })] });
    const result = t.run();
    const pin = await pickFirst(t);
    t.send(pin, 'submit', '12');
    await result;
    assert.equal('pin' in t.host.calls.find((c) => c.command === 'authenticate').args, false);
  });

  test('the picker lists again on refresh, and ignores a fingerprint it did not show', async () => {
    const lists = [[hostCert(1), hostCert(3)], [hostCert(1), hostCert(2)]];
    let n = 0;
    const t = setup({ handlers: { 'list-certificates': () => ({ certificates: lists[Math.min(n++, 1)] }) } });
    const result = t.run();
    await t.windowOpened(0);

    const unknown = t.send(0, 'submit', hostCert(2).fingerprint);
    const stay = await unknown.reply;
    assert.equal(stay.state, 'view');
    assert.equal(stay.view.step, 'picker');
    assert.equal(stay.view.certificates.length, 2);

    const refresh = t.send(0, 'refresh');
    assert.equal(refresh.returned, true);
    const view = await refresh.reply;
    assert.equal(view.state, 'view');
    assert.deepEqual(view.view.certificates.map((c) => c.fingerprint), [hostCert(1).fingerprint, hostCert(2).fingerprint]);
    assert.equal('module' in view.view.certificates[1], false);
    assert.equal('certificate' in view.view.certificates[1], false);
    assert.deepEqual((await t.send(0, 'hello').reply).view.certificates, view.view.certificates, 'the new list is the view');

    assert.equal((await t.send(0, 'submit', hostCert(2).fingerprint).reply).view.step, 'pin');
    t.send(0, 'submit', '1234');
    await result;
    assert.equal(t.host.calls.at(-1).args.certificate, hostCert(2).fingerprint);
  });

  test('no certificates: the picker shows an empty list until the user refreshes or cancels', async () => {
    const t = setup({ certificates: [] });
    const result = t.run();
    await t.windowOpened(0);
    assert.deepEqual((await t.send(0, 'hello').reply).view.certificates, []);
    t.send(0, 'cancel');
    await assert.rejects(result, isCode('ERR_USER_CANCELLED'));
  });

  test('dialog messages from outside the extension\'s ui/ are ignored', async () => {
    const t = setup();
    const result = t.run();
    const pin = await pickFirst(t);
    for (const url of ['https://bank.example/ui/pin.html', 'chrome-extension://someoneelse/ui/pin.html', `${t.api.runtime.getURL('content/bridge.js')}`]) {
      const forged = t.send(pin, 'submit', '1234', url);
      assert.equal(forged.returned, false);
      assert.deepEqual(forged.replies, []);
      const cancel = t.send(pin, 'cancel', undefined, url);
      assert.equal(cancel.returned, false);
    }
    await flush();
    assert.equal(t.host.commands().includes('authenticate'), false);
    assert.equal(await settled(result), false);
    t.send(pin, 'submit', '1234');
    assert.deepEqual(await result, { token: TOKEN });
  });

  test('a second login while one waits for the user is ERR_BUSY; the first goes on; then logins work again', async () => {
    const t = setup();
    const first = t.run();
    await t.windowOpened(0);
    await assert.rejects(t.run(), isCode('ERR_BUSY'));
    assert.equal(t.host.commands().filter((c) => c === 'verify-server').length, 1, 'the second never reached the host');
    assert.equal(t.api.created.length, 1);
    const pin = await pickFirst(t);
    t.send(pin, 'submit', '1234');
    assert.deepEqual(await first, { token: TOKEN });

    const again = t.run();
    await t.windowOpened(1);
    t.send(1, 'cancel');
    await assert.rejects(again, isCode('ERR_USER_CANCELLED'));
    const third = t.run();
    await t.windowOpened(2);
    t.send(2, 'cancel');
    await assert.rejects(third, isCode('ERR_USER_CANCELLED'));
  });

  test('ERR_BUSY already while the server is being verified; a failed login frees the way', async () => {
    const verify = deferred();
    const t = setup({ handlers: { 'verify-server': () => verify.promise } });
    const first = t.run();
    await until(() => t.host.calls.length === 1, 'verify-server');
    await assert.rejects(t.run(), isCode('ERR_BUSY'));
    verify.reject(hostError('ERR_ORIGIN_MISMATCH'));
    await assert.rejects(first, isCode('ERR_ORIGIN_MISMATCH'));
    t.host.handlers['verify-server'] = () => { throw hostError('ERR_LOGIN_UNKNOWN'); };
    await assert.rejects(t.run(), isCode('ERR_LOGIN_UNKNOWN'), 'not ERR_BUSY');
  });

  test('arguments are checked before anything else', async () => {
    const t = setup();
    const cases = [
      { loginId: LOGIN_ID, challenge: CHALLENGE, certificate: 'abc' },
      { loginId: LOGIN_ID, challenge: CHALLENGE, pin: '1234' },
      { loginId: LOGIN_ID },
      { challenge: CHALLENGE },
      { loginId: 'not a valid id!', challenge: CHALLENGE },
      { loginId: 'x'.repeat(65), challenge: CHALLENGE },
      { loginId: 42, challenge: CHALLENGE },
      { loginId: LOGIN_ID, challenge: 'text' },
      { loginId: LOGIN_ID, challenge: [CHALLENGE] },
      { loginId: LOGIN_ID, challenge: null },
    ];
    for (const args of cases) await assert.rejects(t.run(args), isCode('ERR_BAD_REQUEST'), JSON.stringify(args));
    for (const args of [null, [], 'text']) await assert.rejects(t.run(args), isCode('ERR_BAD_REQUEST'), JSON.stringify(args));
    assert.deepEqual(t.host.calls, []);
    assert.deepEqual(t.api.created, []);
  });

  test('a bad request while a login waits is still ERR_BAD_REQUEST (checked before busy)', async () => {
    const t = setup();
    const first = t.run();
    await t.windowOpened(0);
    await assert.rejects(t.run({ loginId: LOGIN_ID, challenge: CHALLENGE, extra: 1 }), isCode('ERR_BAD_REQUEST'));
    t.send(0, 'cancel');
    await assert.rejects(first, isCode('ERR_USER_CANCELLED'));
  });

});

// The page gives up on authenticate after 5 minutes, and the host forgets a
// login after 5 minutes; the extension ends the login first.
describe('authenticate: a login has a time limit', () => {
  test('the limit is below the page\'s 5 minutes and the windows\' idle limit', () => {
    assert.equal(LOGIN_LIMIT_MS, 270_000);
    assert.ok(LOGIN_LIMIT_MS < 5 * 60 * 1000);
  });

  test('a login left in the picker ends at 270 s as ERR_TIMEOUT: the window closes, the next login is not busy', async () => {
    const t = setup();
    const result = t.run();
    await t.windowOpened(0);
    mock.timers.tick(LOGIN_LIMIT_MS - 1);
    await flush();
    assert.equal(await settled(result), false, 'not a moment before');
    mock.timers.tick(1);
    await assert.rejects(result, (e) => isCode('ERR_TIMEOUT')(e) && /took too long/.test(e.message));
    await until(() => t.api.removed.includes(t.api.created[0].id), 'the picker to close');
    assert.equal(t.listeners(), 0);

    const next = t.run();
    await t.windowOpened(1);
    t.send(1, 'cancel');
    await assert.rejects(next, isCode('ERR_USER_CANCELLED'), 'not ERR_BUSY');
  });

  test('the limit counts from the request, across the picker and the PIN window', async () => {
    const t = setup();
    const result = t.run();
    await t.windowOpened(0);
    mock.timers.tick(200_000);
    const pin = await pickFirst(t);
    assert.deepEqual(await t.send(pin, 'submit', '0000').reply, { state: 'error', code: 'ERR_PIN_INCORRECT', triesLeft: 1, pinState: 'final-try', sitesLoggedOut: 0 });
    mock.timers.tick(LOGIN_LIMIT_MS - 200_000);
    await assert.rejects(result, isCode('ERR_TIMEOUT'));
    await until(() => t.api.removed.includes(t.api.created[pin].id), 'the PIN window to close');
    assert.deepEqual(t.remembered, []);
  });

  test('the limit reached while the card checks the PIN: ERR_TIMEOUT at once, the late token is dropped', async () => {
    const check = deferred();
    const t = setup({ handlers: { authenticate: () => check.promise } });
    const result = t.run();
    const pin = await pickFirst(t);
    t.send(pin, 'submit', '1234');
    await until(() => t.host.commands().includes('authenticate'), 'the PIN check');
    mock.timers.tick(LOGIN_LIMIT_MS);
    await assert.rejects(result, isCode('ERR_TIMEOUT'));
    check.resolve({ token: TOKEN });
    await flush();
    await flush();
    assert.deepEqual(t.remembered, []);
  });
});

// The windows follow the card: host events (card-inserted, card-removed,
// reader-added, reader-removed) change what they show while they are open.
describe('authenticate: the windows follow the card', () => {
  // list-certificates answers with whatever `now.certificates` holds then.
  function following(certificates = [hostCert(1)], extra = {}) {
    const now = { certificates };
    const t = setup({ ...extra, handlers: { 'list-certificates': () => ({ certificates: now.certificates }), ...extra.handlers } });
    return { t, now };
  }
  const fingerprints = (view) => view.certificates.map((c) => c.fingerprint);
  // Lets a retry's list answer and its next wait be set before the clock moves.
  async function settle() {
    for (let i = 0; i < 3; i++) await flush();
  }

  test('the picker lists again and pushes the list when a card is inserted, removed, or a reader comes or goes', async () => {
    const { t, now } = following([]);
    const result = t.run();
    await t.windowOpened(0);
    assert.deepEqual((await t.send(0, 'hello').reply).view.certificates, []);
    assert.equal(t.lists(), 1);

    now.certificates = [hostCert(1)];
    t.host.emit('card-inserted', { reader: 'Reader 1' });
    await until(() => t.pushed(0).length === 1, 'the new list to be pushed');
    assert.deepEqual(fingerprints(t.pushed(0)[0]), [hostCert(1).fingerprint]);
    assert.equal(t.pushed(0)[0].origin, ORIGIN, 'the rest of the view stays');
    assert.deepEqual(fingerprints((await t.send(0, 'hello').reply).view), [hostCert(1).fingerprint], 'hello has it too');

    now.certificates = [];
    t.host.emit('card-removed', { reader: 'Reader 1', certificates: [hostCert(1).fingerprint], cause: 'pcsc' });
    await until(() => t.lists() === 3, 'a list after the removal');
    await flush();
    assert.deepEqual(fingerprints(t.pushed(0).at(-1)), []);

    for (const event of ['reader-added', 'reader-removed']) {
      const before = t.lists();
      now.certificates = [hostCert(2)];
      t.host.emit(event, { reader: 'Reader 2' });
      await until(() => t.lists() === before + 1, `a list after ${event}`);
      await until(() => t.pushed(0).at(-1).certificates.length === 1, `the list after ${event}`);
      now.certificates = [];
    }

    // The list the window shows is the one a choice is checked against.
    t.host.emit('card-removed', { reader: 'Reader 2', certificates: [], cause: 'pcsc' });
    await until(() => t.pushed(0).at(-1).certificates.length === 0, 'Reader 2 emptied');
    assert.equal((await t.send(0, 'submit', hostCert(2).fingerprint).reply).state, 'view', 'a pulled card cannot be chosen');
    t.send(0, 'cancel');
    await assert.rejects(result, isCode('ERR_USER_CANCELLED'));
  });

  test("a pulled card's certificates go at once, and a list asked for before the removal does not bring them back", async () => {
    const answers = [];
    const t = setup({
      certificates: [hostCert(1), hostCert(2)],
      handlers: {
        'list-certificates': () => {
          if (answers.length === 0 && t.lists() === 1) return { certificates: [hostCert(1), hostCert(2)] };
          const d = deferred();
          answers.push(d);
          return d.promise;
        },
      },
    });
    const result = t.run();
    await t.windowOpened(0);
    t.host.emit('reader-added', { reader: 'Reader 3' });
    await until(() => answers.length === 1, 'the list after reader-added');

    t.host.emit('card-removed', { reader: 'Reader 1', certificates: [hostCert(1).fingerprint], cause: 'pcsc' });
    await until(() => t.pushed(0).length === 1, 'the removal to be pushed');
    assert.deepEqual(fingerprints(t.pushed(0)[0]), [hostCert(2).fingerprint], 'gone before any list answers');
    await until(() => answers.length === 2, 'a list after the removal');

    // The list from before the removal still has the card: it is too old to show.
    answers[0].resolve({ certificates: [hostCert(1), hostCert(2)] });
    await flush();
    await flush();
    assert.equal(t.pushed(0).length, 1);
    assert.deepEqual(fingerprints((await t.send(0, 'hello').reply).view), [hostCert(2).fingerprint]);
    assert.equal((await t.send(0, 'submit', hostCert(1).fingerprint).reply).state, 'view', 'the pulled card cannot be chosen');

    answers[1].resolve({ certificates: [hostCert(2)] });
    await until(() => t.pushed(0).length === 2, 'the new list');
    assert.deepEqual(fingerprints(t.pushed(0)[1]), [hostCert(2).fingerprint]);

    // "Look again" goes the same way: the newest list wins.
    const refresh = t.send(0, 'refresh');
    await until(() => answers.length === 3, 'the refresh list');
    t.host.emit('reader-removed', { reader: 'Reader 3' });
    await until(() => answers.length === 4, 'the list after reader-removed');
    answers[3].resolve({ certificates: [] });
    await until(() => t.pushed(0).length === 3, 'the newest list');
    answers[2].resolve({ certificates: [hostCert(1), hostCert(2)] });
    assert.deepEqual((await refresh.reply).view.certificates, [], 'the older refresh answer is not shown');
    t.send(0, 'cancel');
    await assert.rejects(result, isCode('ERR_USER_CANCELLED'));
  });

  test('after card-inserted the picker lists again, waiting longer each time, until the reader shows a certificate', async () => {
    const { t, now } = following([]);
    const result = t.run();
    await t.windowOpened(0);
    t.host.emit('card-inserted', { reader: 'Reader 1' });
    await until(() => t.lists() === 2, 'the list after the insert');
    await settle();

    mock.timers.tick(249);
    await settle();
    assert.equal(t.lists(), 2, 'not before 250 ms');
    mock.timers.tick(1);
    await until(() => t.lists() === 3, 'the first retry');
    await settle();
    now.certificates = [hostCert(2)]; // another reader's card: not the one awaited
    mock.timers.tick(499);
    await settle();
    assert.equal(t.lists(), 3, 'then 500 ms');
    mock.timers.tick(1);
    await until(() => t.lists() === 4, 'the second retry');
    await settle();
    assert.deepEqual(fingerprints(t.pushed(0).at(-1)), [hostCert(2).fingerprint]);
    now.certificates = [hostCert(2), hostCert(1)];
    mock.timers.tick(1000);
    await until(() => t.lists() === 5, 'the third retry');
    await settle();
    assert.deepEqual(fingerprints(t.pushed(0).at(-1)), [hostCert(2).fingerprint, hostCert(1).fingerprint]);
    mock.timers.tick(60_000);
    await settle();
    assert.equal(t.lists(), 5, 'no retry once the card is listed');
    t.send(0, 'cancel');
    await assert.rejects(result, isCode('ERR_USER_CANCELLED'));
  });

  test('the retries after card-inserted are bounded, and stop when the picker closes', async () => {
    const { t } = following([]);
    const result = t.run();
    await t.windowOpened(0);
    t.host.emit('card-inserted', { reader: 'Reader 1' });
    for (let n = 2; n <= 6; n++) {
      await until(() => t.lists() === n, `list ${n}`);
      await settle();
      mock.timers.tick(2000);
    }
    await settle();
    assert.equal(t.lists(), 6, 'the list after the event and 4 retries');

    t.host.emit('card-inserted', { reader: 'Reader 1' });
    await until(() => t.lists() === 7, 'a list after the second insert');
    await settle();
    t.send(0, 'cancel');
    await assert.rejects(result, isCode('ERR_USER_CANCELLED'));
    mock.timers.tick(60_000);
    await settle();
    assert.equal(t.lists(), 7, 'no retry after the picker closed');
    assert.equal(t.listeners(), 0);
  });

  for (const [how, removal] of [
    ['its reader', { reader: 'Reader 1', certificates: [], cause: 'pcsc' }],
    ['its certificate', { reader: 'Renamed Reader', certificates: ['ff'.repeat(32), hostCert(1).fingerprint], cause: 'pkcs11' }],
  ]) {
    test(`the PIN window is told at once when the card is pulled (matched by ${how}); another reader's card changes nothing`, async () => {
      const { t } = following([hostCert(1), hostCert(2)]);
      const result = t.run();
      const pin = await pickFirst(t);
      t.host.emit('card-removed', { reader: 'Reader 2', certificates: [hostCert(2).fingerprint], cause: 'pcsc' });
      t.host.emit('card-inserted', { reader: 'Reader 2' });
      await flush();
      await flush();
      assert.deepEqual(t.updates(pin), []);
      assert.equal(t.lists(), 1, 'the PIN window lists nothing while its card is there');

      t.host.emit('card-removed', removal);
      await until(() => t.updates(pin).length === 1, 'the card-absent view');
      const view = t.updates(pin)[0];
      assert.equal(view.cardPresent, false);
      assert.equal(view.certificate.fingerprint, hostCert(1).fingerprint);
      assert.equal((await t.send(pin, 'hello').reply).view.cardPresent, false);

      // No PIN goes to a card that is not there; the login waits.
      assert.deepEqual(await t.send(pin, 'submit', '1234').reply, { state: 'view', view });
      assert.equal(t.host.commands().includes('authenticate'), false);
      assert.equal(await settled(result), false);
      t.host.emit('card-removed', removal);
      await flush();
      assert.equal(t.updates(pin).length, 1, 'pushed once');
      t.send(pin, 'cancel');
      await assert.rejects(result, isCode('ERR_USER_CANCELLED'));
    });
  }

  test('the PIN window takes the PIN again when the card is back, perhaps in another reader', async () => {
    const { t, now } = following([hostCert(1)]);
    const result = t.run();
    const pin = await pickFirst(t);
    now.certificates = [];
    t.host.emit('card-removed', { reader: 'Reader 1', certificates: [hostCert(1).fingerprint], cause: 'pcsc' });
    await until(() => t.updates(pin).length === 1, 'the card-absent view');

    // The card goes into another reader; the module lists it only a moment later.
    t.host.emit('card-inserted', { reader: 'Reader 9' });
    await until(() => t.lists() === 2, 'a list after the insert');
    await settle();
    assert.equal(t.updates(pin).length, 1, 'not listed yet: still absent');
    now.certificates = [hostCert(2), hostCert(1, { reader: 'Reader 9', pinState: 'count-low' })];
    mock.timers.tick(250);
    await until(() => t.updates(pin).length === 2, 'the card-present view');
    const back = t.updates(pin)[1];
    assert.equal(back.cardPresent, true);
    assert.equal(back.certificate.reader, 'Reader 9');
    assert.equal(back.pinState, 'count-low');
    assert.equal('module' in back.certificate, false, 'described as the picker describes it');

    assert.deepEqual(await t.send(pin, 'submit', '1234').reply, { state: 'done' });
    assert.deepEqual(await result, { token: TOKEN });
    assert.deepEqual(t.remembered, [[LOGIN_ID, { origin: ORIGIN, fingerprint: hostCert(1).fingerprint, reader: 'Reader 9' }]]);
    assert.equal(t.listeners(), 0);
  });

  test('a list that started before the card was pulled again does not say it is back', async () => {
    const answers = [];
    const t = setup({
      handlers: {
        'list-certificates': () => {
          if (t.lists() === 1) return { certificates: [hostCert(1)] };
          const d = deferred();
          answers.push(d);
          return d.promise;
        },
      },
    });
    const result = t.run();
    const pin = await pickFirst(t);
    const removal = { reader: 'Reader 1', certificates: [hostCert(1).fingerprint], cause: 'pcsc' };
    t.host.emit('card-removed', removal);
    t.host.emit('card-inserted', { reader: 'Reader 1' });
    await until(() => answers.length === 1, 'a list after the insert');
    t.host.emit('card-removed', removal);
    answers[0].resolve({ certificates: [hostCert(1)] });
    await flush();
    await flush();
    assert.deepEqual(t.updates(pin).map((v) => v.cardPresent), [false]);
    t.send(pin, 'cancel');
    await assert.rejects(result, isCode('ERR_USER_CANCELLED'));
  });

  for (const code of ['ERR_CERTIFICATE_NOT_FOUND', 'ERR_NO_CARD']) {
    test(`${code} on the PIN keeps the window open, card absent; the login goes on when the card is back`, async () => {
      let answer = () => { throw hostError(code); };
      const { t, now } = following([hostCert(1)], { handlers: { authenticate: (args) => answer(args) } });
      const result = t.run();
      const pin = await pickFirst(t);
      now.certificates = [];
      const reply = await t.send(pin, 'submit', '1234').reply;
      assert.equal(reply.state, 'view');
      assert.equal(reply.view.cardPresent, false);
      await until(() => t.updates(pin).length === 1, 'the card-absent view pushed');
      assert.equal(await settled(result), false, 'the login does not fail');
      assert.equal(t.api.open.has(t.api.created[pin].id), true, 'the window stays open');

      now.certificates = [hostCert(1)];
      answer = () => ({ token: TOKEN });
      t.host.emit('card-inserted', { reader: 'Reader 1' });
      await until(() => t.updates(pin).at(-1).cardPresent === true, 'the card back');
      assert.deepEqual(await t.send(pin, 'submit', '1234').reply, { state: 'done' });
      assert.deepEqual(await result, { token: TOKEN });
    });
  }

  test('a card pulled and put back during the PIN check: the window finds it at once and asks again', async () => {
    let first = true;
    const t = setup({
      handlers: {
        authenticate: () => {
          if (first) { first = false; throw hostError('ERR_NO_CARD'); }
          return { token: TOKEN };
        },
      },
    });
    const result = t.run();
    const pin = await pickFirst(t);
    assert.equal((await t.send(pin, 'submit', '1234').reply).view.cardPresent, false);
    await until(() => t.updates(pin).at(-1)?.cardPresent === true, 'the card found again');
    t.send(pin, 'submit', '1234');
    assert.deepEqual(await result, { token: TOKEN });
  });

  test('a PIN-pad card pulled and put back: the view keeps pinPad and the pad is tried again', async () => {
    const { t, now } = following([hostCert(1, { pinPad: true })]);
    const result = t.run();
    const pin = await pickFirst(t);
    now.certificates = [];
    t.host.emit('card-removed', { reader: 'Reader 1', certificates: [], cause: 'pcsc' });
    await until(() => t.updates(pin).length === 1, 'absent');
    assert.deepEqual([t.updates(pin)[0].pinPad, t.updates(pin)[0].cardPresent], [true, false]);
    now.certificates = [hostCert(1, { pinPad: true })];
    t.host.emit('card-inserted', { reader: 'Reader 1' });
    await until(() => t.updates(pin).length === 2, 'present');
    assert.deepEqual([t.updates(pin)[1].pinPad, t.updates(pin)[1].cardPresent], [true, true]);
    assert.deepEqual(await t.send(pin, 'submit', null).reply, { state: 'done' });
    assert.deepEqual(await result, { token: TOKEN });
    assert.equal('pin' in t.host.calls.find((c) => c.command === 'authenticate').args, false);
  });

  // Moves the clock `ms` in steps, letting each retry list and set its next wait.
  async function pass(ms, step = 250) {
    for (let i = 0; i < ms; i += step) {
      mock.timers.tick(step);
      await settle();
    }
  }

  test('the PIN window keeps looking while its card is away: after 250 ms, 500 ms, 1 s, 2 s, then every 2 s', async () => {
    const { t, now } = following([hostCert(1)]);
    const result = t.run();
    const pin = await pickFirst(t);
    now.certificates = [];
    t.host.emit('card-removed', { reader: 'Reader 1', certificates: [hostCert(1).fingerprint], cause: 'pcsc' });
    await until(() => t.updates(pin).length === 1, 'the card-absent view');
    t.host.emit('card-inserted', { reader: 'Reader 1' }); // OpenSC is slow to see it
    await until(() => t.lists() === 2, 'the list after the insert');
    await settle();

    const waits = [...RETRY_MS, LOOK_EVERY_MS, LOOK_EVERY_MS, LOOK_EVERY_MS, LOOK_EVERY_MS];
    assert.deepEqual(waits.slice(0, 4), [250, 500, 1000, 2000]);
    for (const [k, ms] of waits.entries()) {
      mock.timers.tick(ms - 1);
      await settle();
      assert.equal(t.lists(), 2 + k, `not before ${ms} ms (wait ${k})`);
      mock.timers.tick(1);
      await until(() => t.lists() === 3 + k, `the look after wait ${k}`);
      await settle();
    }
    assert.deepEqual(t.updates(pin).map((v) => v.cardPresent), [false], 'still away');

    now.certificates = [hostCert(1)];
    mock.timers.tick(LOOK_EVERY_MS);
    await until(() => t.updates(pin).at(-1).cardPresent === true, 'the card back');
    const lists = t.lists();
    await pass(30_000, 1000);
    assert.equal(t.lists(), lists, 'no look once the card is back');
    assert.deepEqual(await t.send(pin, 'submit', '1234').reply, { state: 'done' });
    assert.deepEqual(await result, { token: TOKEN });
  });

  test('the look stops when the PIN window closes, and a newer removal or insert replaces it', async () => {
    const { t, now } = following([hostCert(1)]);
    const result = t.run();
    const pin = await pickFirst(t);
    now.certificates = [];
    const removal = { reader: 'Reader 1', certificates: [hostCert(1).fingerprint], cause: 'pcsc' };
    t.host.emit('card-removed', removal);
    t.host.emit('card-inserted', { reader: 'Reader 1' });
    await pass(10_000);
    const looked = t.lists();
    assert.ok(looked > 6, `looking past the first four waits (${looked} lists)`);

    // Pulled again: the look is stale and stops.
    t.host.emit('card-removed', removal);
    await pass(10_000);
    assert.equal(t.lists(), looked, 'no look after a newer removal');

    // In again: one look, not two.
    t.host.emit('card-inserted', { reader: 'Reader 1' });
    await until(() => t.lists() === looked + 1, 'the list after the insert');
    await settle();
    await pass(250);
    assert.equal(t.lists(), looked + 2);
    t.host.emit('card-inserted', { reader: 'Reader 2' });
    await until(() => t.lists() === looked + 3, 'the list after the second insert');
    await settle();
    await pass(3750);
    assert.equal(t.lists(), looked + 3 + 4, 'only the newest look goes on (250, 500, 1000, 2000 ms)');

    t.send(pin, 'cancel');
    await assert.rejects(result, isCode('ERR_USER_CANCELLED'));
    const closedAt = t.lists();
    await pass(60_000, 1000);
    assert.equal(t.lists(), closedAt, 'no look after the window closed');
    assert.equal(t.listeners(), 0);
  });

  test('a card inserted while the picker lists for the first time: the window lists again once open', async () => {
    const answers = [];
    const t = setup({
      handlers: {
        'list-certificates': () => {
          const d = deferred();
          answers.push(d);
          return d.promise;
        },
      },
    });
    const result = t.run();
    await until(() => answers.length === 1, 'the first list');
    t.host.emit('card-inserted', { reader: 'Reader 1' });
    answers[0].resolve({ certificates: [] }); // made before the card was in
    await t.windowOpened(0);
    await until(() => answers.length === 2, 'a fresh list for the open window');
    answers[1].resolve({ certificates: [hostCert(1)] });
    await until(() => t.pushed(0).length === 1, 'the new list');
    assert.deepEqual(fingerprints(t.pushed(0)[0]), [hostCert(1).fingerprint]);
    assert.equal((await t.send(0, 'submit', hostCert(1).fingerprint).reply).view.step, 'pin');
    t.send(0, 'submit', '1234');
    assert.deepEqual(await result, { token: TOKEN });
  });

  test('cards pulled and readers added while the picker window opens: shown once it is open, with one fresh list', async () => {
    const { t, now } = following([hostCert(1), hostCert(2)]);
    const opening = deferred();
    t.api.createHook = () => opening.promise;
    const result = t.run();
    await t.windowOpened(0); // asked for, not there yet
    now.certificates = [hostCert(2), hostCert(3)];
    t.host.emit('card-removed', { reader: 'Reader 1', certificates: [hostCert(1).fingerprint], cause: 'pcsc' });
    t.host.emit('reader-added', { reader: 'Reader 3' });
    assert.equal(t.lists(), 1, 'nothing listed for a window that is not there');
    opening.resolve();
    await until(() => t.pushed(0).length === 2, 'the pulled card gone, then the fresh list');
    assert.deepEqual(fingerprints(t.pushed(0)[0]), [hostCert(2).fingerprint], 'the pulled card goes at once');
    assert.deepEqual(fingerprints(t.pushed(0)[1]), [hostCert(2).fingerprint, hostCert(3).fingerprint]);
    assert.equal(t.lists(), 2, 'one list for both events');
    assert.equal((await t.send(0, 'submit', hostCert(1).fingerprint).reply).state, 'view', 'the pulled card cannot be chosen');
    t.send(0, 'cancel');
    await assert.rejects(result, isCode('ERR_USER_CANCELLED'));
  });

  test('a card inserted while the picker window opens is waited for as always', async () => {
    const { t, now } = following([]);
    const opening = deferred();
    t.api.createHook = () => opening.promise;
    const result = t.run();
    await t.windowOpened(0);
    t.host.emit('card-inserted', { reader: 'Reader 1' });
    opening.resolve();
    await until(() => t.lists() === 2, 'a list once the window is open');
    await settle();
    now.certificates = [hostCert(1)];
    mock.timers.tick(250);
    await until(() => t.pushed(0).at(-1)?.certificates.length === 1, 'the card, once the module lists it');
    t.send(0, 'cancel');
    await assert.rejects(result, isCode('ERR_USER_CANCELLED'));
  });

  // The only certificate: the window opens on the PIN entry, and the card
  // is followed from the list on.
  test('the card pulled while the window opens on the PIN entry: it says the card is away, no PIN goes to the host', async () => {
    const { t, now } = following([hostCert(1)]);
    const opening = deferred();
    t.api.createHook = () => opening.promise;
    const result = t.run();
    await t.windowOpened(0);
    now.certificates = [];
    t.host.emit('card-removed', { reader: 'Reader 1', certificates: [hostCert(1).fingerprint], cause: 'pcsc' });
    opening.resolve();
    await until(() => t.updates(0).length === 1, 'the card-absent view');
    assert.equal(t.updates(0)[0].step, 'pin');
    assert.equal(t.updates(0)[0].cardPresent, false);
    const { view } = await t.send(0, 'hello').reply;
    assert.equal(view.cardPresent, false);
    assert.deepEqual(await t.send(0, 'submit', '1234').reply, { state: 'view', view });
    assert.equal(t.host.commands().includes('authenticate'), false);
    t.send(0, 'cancel');
    await assert.rejects(result, isCode('ERR_USER_CANCELLED'));
  });

  test('the card pulled and put back in another reader while the window opens on the PIN entry: away, then back there', async () => {
    const { t, now } = following([hostCert(1)]);
    const opening = deferred();
    t.api.createHook = () => opening.promise;
    const result = t.run();
    await t.windowOpened(0);
    t.host.emit('card-removed', { reader: 'Reader 1', certificates: [hostCert(1).fingerprint], cause: 'pcsc' });
    now.certificates = [hostCert(1, { reader: 'Reader 2' })];
    t.host.emit('card-inserted', { reader: 'Reader 2' });
    opening.resolve();
    await until(() => t.updates(0).length === 2, 'away, then back');
    assert.deepEqual(t.updates(0).map((v) => [v.cardPresent, v.certificate.reader]), [[false, 'Reader 1'], [true, 'Reader 2']]);
    assert.deepEqual(await t.send(0, 'submit', '1234').reply, { state: 'done' });
    assert.deepEqual(await result, { token: TOKEN });
    assert.deepEqual(t.remembered, [[LOGIN_ID, { origin: ORIGIN, fingerprint: hostCert(1).fingerprint, reader: 'Reader 2' }]]);
  });

  test("another reader's events while the window opens on the PIN entry change nothing", async () => {
    const { t } = following([hostCert(1)]);
    const opening = deferred();
    t.api.createHook = () => opening.promise;
    const result = t.run();
    await t.windowOpened(0);
    t.host.emit('card-removed', { reader: 'Reader 2', certificates: [hostCert(2).fingerprint], cause: 'pcsc' });
    t.host.emit('card-inserted', { reader: 'Reader 2' });
    opening.resolve();
    await settle();
    await settle();
    assert.deepEqual(t.pushed(0), []);
    assert.equal(t.lists(), 1);
    assert.deepEqual(await t.send(0, 'submit', '1234').reply, { state: 'done' });
    assert.deepEqual(await result, { token: TOKEN });
  });

  test('a list for the picker that answers after the user chose never replaces the PIN entry', async () => {
    const answers = [];
    const t = setup({
      certificates: [hostCert(1), hostCert(2)],
      handlers: {
        'list-certificates': () => {
          if (t.lists() === 1) return { certificates: [hostCert(1), hostCert(2)] };
          const d = deferred();
          answers.push(d);
          return d.promise;
        },
      },
    });
    const result = t.run();
    await t.windowOpened(0);
    t.host.emit('reader-added', { reader: 'Reader 3' });
    await until(() => answers.length === 1, 'the list after reader-added');
    assert.equal((await t.send(0, 'submit', hostCert(1).fingerprint).reply).view.step, 'pin');
    answers[0].resolve({ certificates: [hostCert(2)] });
    await settle();
    const { view } = await t.send(0, 'hello').reply;
    assert.equal(view.step, 'pin');
    assert.equal(t.pushed(0).at(-1).step, 'pin');
    t.send(0, 'submit', '1234');
    assert.deepEqual(await result, { token: TOKEN });
  });
});

// The page's frame has a port of its own to the background; it closes when
// the frame unloads (closed, reloaded, navigated), and index.js aborts the
// request's signal then.
describe('authenticate: a login belongs to the page that asked', () => {
  test('the page gone: the picker closes, the login is cancelled, and the next login is not busy', async () => {
    const t = setup();
    const page = new AbortController();
    const result = t.run(undefined, { signal: page.signal });
    await t.windowOpened(0);
    assert.equal(await settled(result), false);
    page.abort();
    await assert.rejects(result, isCode('ERR_USER_CANCELLED'));
    await until(() => t.api.removed.includes(t.api.created[0].id), 'the picker to close');
    assert.equal(t.listeners(), 0);

    const next = t.run(undefined, { signal: new AbortController().signal });
    await t.windowOpened(1);
    t.send(1, 'cancel');
    await assert.rejects(next, isCode('ERR_USER_CANCELLED'), 'not ERR_BUSY');
  });

  test('the page gone at the PIN window: it closes, no PIN is asked for', async () => {
    const t = setup();
    const page = new AbortController();
    const result = t.run(undefined, { signal: page.signal });
    const pin = await pickFirst(t);
    page.abort();
    await assert.rejects(result, isCode('ERR_USER_CANCELLED'));
    await until(() => t.api.removed.includes(t.api.created[pin].id), 'the PIN window to close');
    assert.equal(t.host.commands().includes('authenticate'), false);
    assert.equal(t.listeners(), 0);
  });

  test('another page going changes nothing', async () => {
    const t = setup();
    const result = t.run(undefined, { signal: new AbortController().signal });
    await t.windowOpened(0);
    new AbortController().abort();
    await flush();
    assert.equal(await settled(result), false);
    t.send(0, 'cancel');
    await assert.rejects(result, isCode('ERR_USER_CANCELLED'));
  });

  test('the page gone while the server is verified: no window ever opens', async () => {
    const verify = deferred();
    const t = setup({ handlers: { 'verify-server': () => verify.promise } });
    const page = new AbortController();
    const result = t.run(undefined, { signal: page.signal });
    await until(() => t.host.calls.length === 1, 'verify-server');
    page.abort();
    await assert.rejects(result, isCode('ERR_USER_CANCELLED'));
    verify.resolve({ server: SERVER });
    await flush();
    await flush();
    assert.deepEqual(t.api.created, []);
    assert.deepEqual(t.host.commands(), ['verify-server']);
  });

  test('a page gone before its request is run: cancelled, the host is not asked', async () => {
    const t = setup();
    const page = new AbortController();
    page.abort();
    await assert.rejects(t.run(undefined, { signal: page.signal }), isCode('ERR_USER_CANCELLED'));
    await flush();
    assert.deepEqual(t.api.created, []);
    assert.deepEqual(t.host.commands(), []);
  });

  test('the page gone while the card checks the PIN: cancelled at once, the late token is dropped', async () => {
    const check = deferred();
    const t = setup({ handlers: { authenticate: () => check.promise } });
    const page = new AbortController();
    const result = t.run(undefined, { signal: page.signal });
    const pin = await pickFirst(t);
    t.send(pin, 'submit', '1234');
    await until(() => t.host.commands().includes('authenticate'), 'the PIN check');
    page.abort();
    await assert.rejects(result, isCode('ERR_USER_CANCELLED'));
    assert.equal(t.listeners(), 0);

    const next = t.run();
    await t.windowOpened(1);
    check.resolve({ token: TOKEN });
    await flush();
    await flush();
    assert.deepEqual(t.remembered, []);
    t.send(1, 'cancel');
    await assert.rejects(next, isCode('ERR_USER_CANCELLED'));
  });

  test('the page going after the login ended is nothing: the signal is no longer heard', async () => {
    const t = setup();
    const page = new AbortController();
    let heard = 0;
    const listen = page.signal.addEventListener.bind(page.signal);
    page.signal.addEventListener = (type, fn, options) => { heard++; listen(type, fn, options); };
    const result = t.run(undefined, { signal: page.signal });
    const pin = await pickFirst(t);
    t.send(pin, 'submit', '1234');
    assert.deepEqual(await result, { token: TOKEN });
    assert.equal(heard, 1);
    const next = t.run();
    await t.windowOpened(1);
    page.abort();
    await flush();
    assert.equal(await settled(next), false, 'the next login is not cancelled');
    t.send(1, 'cancel');
    await assert.rejects(next, isCode('ERR_USER_CANCELLED'));
  });
});

describe('authenticate: a second login is told the first waits', () => {
  test('ERR_BUSY for a request the user made brings the waiting window to the front (at the picker, then at the PIN entry)', async () => {
    const t = setup({ certificates: [hostCert(1), hostCert(2)] });
    const first = t.run();
    await t.windowOpened(0);
    await assert.rejects(t.run(undefined, { userActivated: true }), isCode('ERR_BUSY'));
    await until(() => t.api.focused.length === 1, 'the picker to be focused');
    assert.deepEqual(t.api.focused, [t.api.created[0].id]);

    const pin = await pickFirst(t);
    await assert.rejects(t.run(undefined, { userActivated: true }), isCode('ERR_BUSY'));
    await until(() => t.api.focused.length === 2, 'the window to be focused again');
    assert.equal(t.api.focused[1], t.api.created[pin].id);

    // A window that went away meanwhile is no error: still ERR_BUSY.
    t.api.open.delete(t.api.created[pin].id);
    await assert.rejects(t.run(undefined, { userActivated: true }), isCode('ERR_BUSY'));
    await flush();
    t.send(pin, 'submit', '1234');
    assert.deepEqual(await first, { token: TOKEN });
  });

  test('ERR_BUSY for a request the user did not make (a page asking in a loop) leaves the window where it is', async () => {
    const t = setup();
    const first = t.run();
    await t.windowOpened(0);
    for (const request of [{}, { userActivated: false }, { userActivated: 'true' }, { userActivated: 1 }]) {
      await assert.rejects(t.run(undefined, request), isCode('ERR_BUSY'), JSON.stringify(request));
    }
    const pin = await pickFirst(t);
    for (let i = 0; i < 20; i++) await assert.rejects(t.run(), isCode('ERR_BUSY'));
    await flush();
    await flush();
    assert.deepEqual(t.api.focused, [], 'never brought forward');
    t.send(pin, 'submit', '1234');
    assert.deepEqual(await first, { token: TOKEN });
  });

  test('ERR_BUSY while the server is verified: there is no window to focus yet', async () => {
    const verify = deferred();
    const t = setup({ handlers: { 'verify-server': () => verify.promise } });
    const first = t.run();
    await until(() => t.host.calls.length === 1, 'verify-server');
    await assert.rejects(t.run(undefined, { userActivated: true }), isCode('ERR_BUSY'));
    await flush();
    assert.deepEqual(t.api.focused, []);
    verify.reject(hostError('ERR_ORIGIN_MISMATCH'));
    await assert.rejects(first, isCode('ERR_ORIGIN_MISMATCH'));
  });
});

describe('authenticate: no listener outlives its login', () => {
  test('one host listener while a window is open, none after any ending; later events list nothing', async () => {
    const endings = {
      success: async (t, result) => {
        const pin = await pickFirst(t);
        assert.equal(t.host.listeners.size, 1, 'the PIN window only');
        t.send(pin, 'submit', '1234');
        await result;
      },
      'picker cancelled': async (t, result) => {
        await t.windowOpened(0);
        assert.equal(t.host.listeners.size, 1, 'the picker only');
        t.send(0, 'cancel');
        await assert.rejects(result);
      },
      'PIN window closed': async (t, result) => {
        const pin = await pickFirst(t);
        t.api.userCloses(t.api.created[pin].id);
        await assert.rejects(result);
      },
      'PIN blocked': async (t, result) => {
        t.host.handlers.authenticate = () => { throw hostError('ERR_PIN_BLOCKED'); };
        const pin = await pickFirst(t);
        t.send(pin, 'submit', '1234');
        await assert.rejects(result);
      },
      'host failure': async (t, result) => {
        t.host.handlers.authenticate = () => { throw hostError('ERR_PKCS11'); };
        const pin = await pickFirst(t);
        t.send(pin, 'submit', '1234');
        await assert.rejects(result);
      },
      'page gone': async (t, result, page) => {
        await pickFirst(t);
        page.abort();
        await assert.rejects(result);
      },
      'time limit': async (t, result) => {
        await pickFirst(t);
        mock.timers.tick(LOGIN_LIMIT_MS);
        await assert.rejects(result);
      },
      'server not trusted': async (t, result) => {
        await assert.rejects(result);
      },
    };
    for (const [name, end] of Object.entries(endings)) {
      const t = setup(name === 'server not trusted'
        ? { handlers: { 'verify-server': () => { throw hostError('ERR_SERVER_NOT_TRUSTED'); } } }
        : {});
      const page = new AbortController();
      await end(t, t.run(undefined, { signal: page.signal }), page);
      assert.equal(t.listeners(), 0, name);
      const lists = t.lists();
      for (const event of ['card-inserted', 'card-removed', 'reader-added']) t.host.emit(event, { reader: 'Reader 1' });
      mock.timers.tick(10_000);
      await flush();
      assert.equal(t.lists(), lists, `${name}: no list after the login`);
    }
  });
});
