// The background as the browser runs it: index.js wired to a fake `chrome`
// (runtime messages, a native port, windows, tabs, storage.session), with
// this test playing the page, the dialog windows and cardbound-host.
import { test, describe, before, after, mock } from 'node:test';
import assert from 'node:assert/strict';

import { fakeApi, fakeEvent, fakePort, flush, memoryStorage, until } from '../../test-support/fakes.js';

const ORIGIN = 'https://a.example';
const TAB = { id: 7, url: `${ORIGIN}/login` };
const tabSender = (api, extra = {}) => ({ id: api.runtime.id, tab: TAB, origin: ORIGIN, url: `${ORIGIN}/login`, frameId: 0, ...extra });
const CERT = {
  fingerprint: 'e2'.repeat(32), certificate: 'MIID', subject: 'CN=Mari Card', issuer: 'CN=Test CA', holder: 'Mari Card',
  notBefore: '2026-11-27T21:10:17Z', notAfter: '2029-03-01T21:10:17Z', reader: 'Virtual PCD 00 00', tokenLabel: 'Mari',
  module: '/usr/lib/opensc-pkcs11.so', pinPad: false, pinState: 'ok',
};

let instances = 0;

// Loads a fresh index.js on a fake browser.
async function startBackground({ storage = memoryStorage(), tabReply = async () => ({ loggedOut: true }) } = {}) {
  const api = fakeApi({ tabs: [{ id: TAB.id }, { id: 8 }], sendMessage: (tabId, m) => tabReply(tabId, m) });
  const ports = [];
  api.runtime.onMessage = fakeEvent();
  api.runtime.connectNative = mock.fn((name) => {
    assert.equal(name, 'org.cardbound.host');
    const port = fakePort();
    port.answered = new Set();
    ports.push(port);
    return port;
  });
  api.storage = { session: storage };
  globalThis.chrome = api;
  try {
    await import(`./index.js?instance=${++instances}`);
  } finally {
    delete globalThis.chrome;
  }
  await flush();

  // A runtime message; resolves with the response (or 'no response' when the
  // listener declines to answer).
  function message(msg, sender) {
    return new Promise((resolve) => {
      let answered = false;
      const kept = api.runtime.onMessage.listeners[0](msg, sender, (r) => { answered = true; resolve(r); });
      if (kept !== true && !answered) resolve('no response');
    });
  }
  const pageRequest = (action, args, sender = tabSender(api)) => message({ type: 'page-request', action, arguments: args }, sender);
  const dialog = (n, op, value) => message({ type: 'dialog', dialog: new URL(api.created[n].url).searchParams.get('dialog'), op, value },
    { id: api.runtime.id, url: api.created[n].url });

  // The host: waits for the next unanswered request of `command`.
  async function hostGets(command) {
    let found;
    await until(() => {
      const port = ports.at(-1);
      found = port && port.sent.find((m) => m.command === command && !port.answered.has(m.id));
      return found;
    }, `the host to get '${command}'`);
    ports.at(-1).answered.add(found.id);
    return found;
  }
  const hostAnswers = (request, result) => ports.at(-1).answer({ id: request.id, result });
  return { api, ports, storage, message, pageRequest, dialog, hostGets, hostAnswers };
}

describe('background/index.js', () => {
  before(() => mock.timers.enable({ apis: ['setTimeout'] }));
  after(() => mock.timers.reset());

  test('does not start the host while nobody is logged in', async () => {
    const bg = await startBackground();
    assert.equal(bg.api.runtime.connectNative.mock.callCount(), 0);
    assert.equal(bg.api.runtime.onMessage.listeners.length, 1);
  });

  test('messages from other extensions, and non-objects, are not answered', async () => {
    const bg = await startBackground();
    assert.equal(await bg.pageRequest('status', {}, tabSender(bg.api, { id: 'someone-else' })), 'no response');
    assert.equal(await bg.message(null, tabSender(bg.api)), 'no response');
    assert.equal(await bg.message('status', tabSender(bg.api)), 'no response');
    assert.equal(await bg.message({ type: 'other' }, tabSender(bg.api)), 'no response');
    assert.equal(bg.api.runtime.connectNative.mock.callCount(), 0);
  });

  test('a page request is answered with the result, the origin taken from the sender', async () => {
    const bg = await startBackground();
    const reply = bg.pageRequest('begin-login', {}, tabSender(bg.api, { origin: 'https://b.example', url: 'https://b.example/x' }));
    const req = await bg.hostGets('begin-login');
    assert.equal(req.origin, 'https://b.example');
    bg.hostAnswers(req, { loginId: 'L1', hostNonce: 'n', expiresAt: 'e' });
    assert.deepEqual(await reply, { result: { loginId: 'L1', hostNonce: 'n', expiresAt: 'e' } });
  });

  test('requests must come from a tab of a web page', async () => {
    const bg = await startBackground();
    const noTab = await bg.pageRequest('status', {}, { id: bg.api.runtime.id, url: 'https://a.example/' });
    assert.equal(noTab.error.code, 'ERR_BAD_REQUEST');
    const extensionPage = await bg.pageRequest('status', {}, tabSender(bg.api, { origin: undefined, url: bg.api.runtime.getURL('ui/pin.html') }));
    assert.equal(extensionPage.error.code, 'ERR_BAD_REQUEST');
    assert.equal(bg.api.runtime.connectNative.mock.callCount(), 0);
  });

  test('unknown actions, inherited names included, are ERR_UNKNOWN_COMMAND', async () => {
    const bg = await startBackground();
    for (const action of ['list-certificates', 'toString', '__proto__', 'constructor', undefined]) {
      const r = await bg.pageRequest(action, {});
      assert.equal(r.error?.code, 'ERR_UNKNOWN_COMMAND', String(action));
    }
  });

  test('arguments must be an object', async () => {
    const bg = await startBackground();
    for (const args of [[], 'x', 5]) assert.equal((await bg.pageRequest('status', args)).error.code, 'ERR_BAD_REQUEST');
  });

  test('errors reach the page in page form; bugs stay vague', async () => {
    const bg = await startBackground();
    const errorLog = mock.method(console, 'error', () => {});
    try {
      const reply = bg.pageRequest('presence', { challenge: { sessionTag: 'T' } });
      const req = await bg.hostGets('presence');
      bg.ports.at(-1).answer({ id: req.id, error: { code: 'ERR_NOT_LOGGED_IN', message: 'no session', internal: '/etc/x' } });
      assert.deepEqual(await reply, { error: { code: 'ERR_NOT_LOGGED_IN', message: 'no session' } });

      // A host answer the code does not expect (certificates not a list) is a bug here: ERR_INTERNAL, logged.
      const reply2 = bg.pageRequest('authenticate', { loginId: 'L1', challenge: {} });
      bg.hostAnswers(await bg.hostGets('verify-server'), { server: {} });
      bg.hostAnswers(await bg.hostGets('list-certificates'), { certificates: 'not a list' });
      assert.deepEqual(await reply2, { error: { code: 'ERR_INTERNAL', message: 'internal error in the extension' } });
      assert.equal(errorLog.mock.callCount(), 1);
      assert.deepEqual(bg.api.created, []);
    } finally {
      errorLog.mock.restore();
    }
  });

  test("dialog messages go to the dialogs; an unknown dialog hears 'closed'", async () => {
    const bg = await startBackground();
    const r = await bg.message({ type: 'dialog', dialog: 'nope', op: 'hello' }, { id: bg.api.runtime.id, url: bg.api.runtime.getURL('ui/pin.html?dialog=nope') });
    assert.deepEqual(r, { state: 'closed' });
  });

  test('login to logout: authenticate, confirm, the card pulled, the tabs told, the host restarted', async () => {
    const storage = memoryStorage();
    const tabCalls = [];
    const bg = await startBackground({
      storage,
      tabReply: async (tabId, m) => { tabCalls.push([tabId, m.postLogout]); return tabId === TAB.id && m.postLogout ? { loggedOut: true } : { loggedOut: false }; },
    });
    const challenge = { origin: ORIGIN, serverNonce: 's' };

    const auth = bg.pageRequest('authenticate', { loginId: 'L1', challenge });
    const verify = await bg.hostGets('verify-server');
    assert.equal(verify.origin, ORIGIN);
    bg.hostAnswers(verify, { server: { subject: 'CN=a.example' } });
    bg.hostAnswers(await bg.hostGets('list-certificates'), { certificates: [CERT] });
    await until(() => bg.api.created.length === 1, 'the picker');
    assert.deepEqual(await bg.dialog(0, 'submit', CERT.fingerprint), { state: 'done' });
    await until(() => bg.api.created.length === 2, 'the PIN window');
    const pinReply = bg.dialog(1, 'submit', '1234');
    const authReq = await bg.hostGets('authenticate');
    assert.deepEqual(authReq.arguments, { loginId: 'L1', challenge, certificate: CERT.fingerprint, pin: '1234' });
    bg.hostAnswers(authReq, { token: { format: 'web-eid:1.0' } });
    assert.deepEqual(await pinReply, { state: 'done' });
    assert.deepEqual(await auth, { result: { token: { format: 'web-eid:1.0' } } });

    const conf = bg.pageRequest('confirm', { loginId: 'L1', receipt: { r: 1 } });
    bg.hostAnswers(await bg.hostGets('confirm'), { sessionTag: 'T1', proof: { p: 1 } });
    assert.deepEqual(await conf, { result: { sessionTag: 'T1', proof: { p: 1 } } });
    assert.deepEqual(storage.data.get('cardSessions').sessions,
      [{ origin: ORIGIN, sessionTag: 'T1', fingerprint: CERT.fingerprint, reader: CERT.reader, tabId: TAB.id }]);

    // The host dies; with a session open, it is started again after a while.
    const connects = bg.api.runtime.connectNative.mock.callCount();
    bg.ports.at(-1).disconnect();
    await flush();
    assert.equal(bg.api.runtime.connectNative.mock.callCount(), connects);
    mock.timers.tick(500);
    await until(() => bg.api.runtime.connectNative.mock.callCount() === connects + 1, 'the host to be started again');

    // The card is pulled: the host logs the origin out, the tab that logged in posts the logout.
    bg.ports.at(-1).answer({ event: 'card-removed', data: { reader: CERT.reader, certificates: [CERT.fingerprint], cause: 'pcsc' } });
    const logout = await bg.hostGets('logout');
    assert.equal(logout.origin, ORIGIN);
    assert.deepEqual(logout.arguments, { sessionTag: 'T1' }, 'only the session of the pulled card');
    await until(() => tabCalls.length === 2, 'both tabs to be told');
    assert.deepEqual(tabCalls, [[TAB.id, true], [8, false]]);
    assert.deepEqual(storage.data.get('cardSessions').sessions, []);
  });

  test("a login follows its card and its tab: the PIN window hears the card pulled; the tab closed cancels the login", async () => {
    const bg = await startBackground();
    const auth = bg.pageRequest('authenticate', { loginId: 'L1', challenge: { origin: ORIGIN } });
    bg.hostAnswers(await bg.hostGets('verify-server'), { server: { subject: 'CN=a.example' } });
    bg.hostAnswers(await bg.hostGets('list-certificates'), { certificates: [CERT] });
    await until(() => bg.api.created.length === 1, 'the picker');
    await bg.dialog(0, 'submit', CERT.fingerprint);
    await until(() => bg.api.created.length === 2, 'the PIN window');

    // The host's event on the one native port reaches the PIN window as a pushed view.
    bg.ports.at(-1).answer({ event: 'card-removed', data: { reader: CERT.reader, certificates: [CERT.fingerprint], cause: 'pcsc' } });
    await until(() => bg.api.runtimeMessages.some((m) => m.type === 'dialog-view' && m.view.cardPresent === false), 'the card-absent view');

    // The tab is the sender's: closing it ends the login.
    bg.api.tabs.onRemoved.fire(TAB.id, {});
    assert.equal((await auth).error.code, 'ERR_USER_CANCELLED');
    await until(() => bg.api.removed.includes(bg.api.created[1].id), 'the PIN window to close');
    assert.equal(bg.api.tabs.onRemoved.listeners.length, 0);
  });

  test('a worker that starts with sessions in storage.session opens the port for card events', async () => {
    const storage = memoryStorage();
    storage.data.set('cardSessions', {
      logins: {}, sessions: [{ origin: ORIGIN, sessionTag: 'T1', fingerprint: 'ff', reader: 'R', tabId: TAB.id }],
    });
    const bg = await startBackground({ storage });
    await until(() => bg.api.runtime.connectNative.mock.callCount() === 1, 'the port to open');
    bg.ports[0].answer({ event: 'card-removed', data: { reader: 'R' } });
    await bg.hostGets('logout');
    await until(() => bg.api.tabMessages.length === 2, 'the tabs');
  });

  test('a host that cannot be started is tried again, less often each time', async () => {
    const storage = memoryStorage();
    storage.data.set('cardSessions', { logins: {}, sessions: [{ origin: ORIGIN, sessionTag: 'T1', fingerprint: 'ff', reader: 'R', tabId: 1 }] });
    const bg = await startBackground({ storage });
    await until(() => bg.ports.length === 1, 'the port');
    // Each time the host dies at once (as a host that is not installed does in Chrome).
    const times = [];
    let elapsed = 0;
    for (let i = 0; i < 4; i++) {
      bg.ports.at(-1).disconnect({ message: 'Specified native messaging host not found.' });
      const n = bg.ports.length;
      let waited = 0;
      while (bg.ports.length === n) {
        mock.timers.tick(100);
        waited += 100;
        await flush();
        await flush();
        assert.ok(waited <= 20_000, 'restarted within 20 s');
      }
      elapsed += waited;
      times.push(waited);
    }
    assert.deepEqual(times, [500, 1000, 2000, 4000]);
    assert.ok(elapsed > 0);
  });
});
