// The background as the browser runs it: index.js wired to a fake `chrome`
// (runtime messages and ports, a native port, windows, tabs, storage.session),
// with this test playing the page, the dialog windows and cardbound-host.
import { test, describe, before, after, mock } from 'node:test';
import assert from 'node:assert/strict';

import { fakeApi, fakeEvent, fakePagePort, fakePort, flush, memoryStorage, settled, until } from '../../test-support/fakes.js';
import { PROTOCOL_VERSION } from '../shared/registry.js';

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
  api.runtime.onConnect = fakeEvent();
  api.runtime.connectNative = mock.fn((name) => {
    assert.equal(name, 'org.cardbound.host');
    const port = fakePort();
    port.answered = new Set();
    // The host of this extension's protocol version answers the handshake
    // (its first `status`) by itself.
    const post = port.postMessage;
    port.postMessage = (m) => {
      post(m);
      if (m.command === 'status' && port.sent.length === 1) {
        port.answered.add(m.id);
        Promise.resolve().then(() => port.answer({ id: m.id, result: { version: '0.1.0', protocol: PROTOCOL_VERSION } }));
      }
    };
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
  // A page request on a port of its own, as bridge.js sends authenticate;
  // the port's `answered` resolves with the answer.
  function portRequest(action, args, { sender = tabSender(api), userActivated = false } = {}) {
    const port = fakePagePort('page-request', sender);
    api.runtime.onConnect.fire(port);
    port.send({ type: 'page-request', action, arguments: args, userActivated });
    return port;
  }
  // An action in the window's step `stage` (1: the step it opened on).
  const dialog = (n, op, value, stage = 1) => message({ type: 'dialog', dialog: new URL(api.created[n].url).searchParams.get('dialog'), op, value, stage },
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
  // Through verify-server and the list (of one certificate) to the window
  // (n), which opens on the PIN entry.
  async function toWindow(n = bg.api.created.length) {
    bg.hostAnswers(await bg.hostGets('verify-server'), { server: { subject: 'CN=a.example' } });
    bg.hostAnswers(await bg.hostGets('list-certificates'), { certificates: [CERT] });
    await until(() => api.created.length === n + 1, 'the window');
  }
  const bg = { api, ports, storage, message, pageRequest, portRequest, dialog, hostGets, hostAnswers, toWindow };
  return bg;
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

  test('a page request on its own port is answered on it, the origin taken from the sender', async () => {
    const bg = await startBackground();
    const port = bg.portRequest('begin-login', {}, { sender: tabSender(bg.api, { origin: 'https://b.example', url: 'https://b.example/x' }) });
    const req = await bg.hostGets('begin-login');
    assert.equal(req.origin, 'https://b.example');
    bg.hostAnswers(req, { loginId: 'L1', hostNonce: 'n', expiresAt: 'e' });
    assert.deepEqual(await port.answered, { result: { loginId: 'L1', hostNonce: 'n', expiresAt: 'e' } });
    assert.deepEqual(port.received.length, 1);
  });

  test('a port has the checks of sendMessage: its tab, a web page, known actions, object arguments', async () => {
    const bg = await startBackground();
    const answer = async (...a) => (await bg.portRequest(...a).answered).error?.code;
    assert.equal(await answer('status', {}, { sender: { id: bg.api.runtime.id, url: 'https://a.example/', origin: 'https://a.example' } }), 'ERR_BAD_REQUEST');
    assert.equal(await answer('status', {}, { sender: tabSender(bg.api, { origin: undefined, url: bg.api.runtime.getURL('ui/pin.html') }) }), 'ERR_BAD_REQUEST');
    for (const action of ['list-certificates', 'toString', '__proto__', undefined]) assert.equal(await answer(action, {}), 'ERR_UNKNOWN_COMMAND', String(action));
    for (const args of [[], 'x', 5]) assert.equal(await answer('status', args), 'ERR_BAD_REQUEST');
    assert.equal(await answer('authenticate', { loginId: 'L1', challenge: {}, pin: '1234' }), 'ERR_BAD_REQUEST');
    assert.equal(bg.api.runtime.connectNative.mock.callCount(), 0);
  });

  test('ports of other extensions, of other names, and other messages on a port are not served', async () => {
    const bg = await startBackground();
    const foreign = fakePagePort('page-request', tabSender(bg.api, { id: 'someone-else' }));
    bg.api.runtime.onConnect.fire(foreign);
    assert.equal(foreign.disconnected, true);
    foreign.send({ type: 'page-request', action: 'status', arguments: {} });

    const other = fakePagePort('something-else', tabSender(bg.api));
    bg.api.runtime.onConnect.fire(other);
    assert.equal(other.onMessage.listeners.length, 0);

    for (const m of [null, 'status', { type: 'dialog', dialog: 'x', op: 'hello' }]) {
      const port = fakePagePort('page-request', tabSender(bg.api));
      bg.api.runtime.onConnect.fire(port);
      port.send(m);
      assert.equal(port.disconnected, true, JSON.stringify(m));
    }

    // One request per port: a second message on it is not heard.
    const port = bg.portRequest('begin-login', {});
    port.send({ type: 'page-request', action: 'begin-login', arguments: {} });
    bg.hostAnswers(await bg.hostGets('begin-login'), { loginId: 'L1', hostNonce: 'n', expiresAt: 'e' });
    await port.answered;
    await flush();
    assert.equal(bg.ports.at(-1).sent.filter((m) => m.command === 'begin-login').length, 1);
    assert.deepEqual(foreign.received, []);
    assert.equal(port.received.length, 1);
  });

  test('the port of a login closed (its frame unloaded) at the picker: the window closes, the next login is not busy', async () => {
    const bg = await startBackground();
    const first = bg.portRequest('authenticate', { loginId: 'L1', challenge: { origin: ORIGIN } });
    await bg.toWindow(0);
    first.close();
    await until(() => bg.api.removed.includes(bg.api.created[0].id), 'the picker to close');
    await flush();
    assert.deepEqual(first.received, [], 'nothing is posted on a closed port');

    const next = bg.portRequest('authenticate', { loginId: 'L2', challenge: { origin: ORIGIN } });
    await bg.toWindow(1);
    assert.equal(await settled(next.answered), false, 'not ERR_BUSY');
    await bg.dialog(1, 'cancel');
    assert.equal((await next.answered).error.code, 'ERR_USER_CANCELLED');
  });

  test('the port of a login closed while the server is verified: no window opens, the late answer is dropped', async () => {
    const bg = await startBackground();
    const port = bg.portRequest('authenticate', { loginId: 'L1', challenge: { origin: ORIGIN } });
    const verify = await bg.hostGets('verify-server');
    port.close();
    await flush();
    bg.hostAnswers(verify, { server: {} });
    await flush();
    await flush();
    assert.deepEqual(bg.api.created, []);
    assert.deepEqual(port.received, []);
  });

  test('an answer for a port that closed just as it came does not throw', async () => {
    const bg = await startBackground();
    const port = bg.portRequest('begin-login', {});
    const req = await bg.hostGets('begin-login');
    port.disconnected = true; // gone, and the browser has not said so yet
    const unhandled = [];
    const record = (e) => unhandled.push(e);
    process.on('unhandledRejection', record);
    try {
      bg.hostAnswers(req, { loginId: 'L1', hostNonce: 'n', expiresAt: 'e' });
      for (let i = 0; i < 5; i++) await flush();
    } finally {
      process.off('unhandledRejection', record);
    }
    assert.deepEqual(unhandled, []);
    assert.deepEqual(port.received, []);
    port.close(); // and then it says so: nothing left to cancel
    await flush();
  });

  test("a busy login's window comes forward only for a request the user made (the bridge's userActivated)", async () => {
    const bg = await startBackground();
    const first = bg.portRequest('authenticate', { loginId: 'L1', challenge: { origin: ORIGIN } });
    await bg.toWindow(0);
    const other = { sender: tabSender(bg.api, { tab: { id: 9 }, origin: 'https://evil.example', url: 'https://evil.example/' }) };
    for (const userActivated of [false, 'true', 1]) {
      const busy = bg.portRequest('authenticate', { loginId: 'L2', challenge: {} }, { ...other, userActivated });
      assert.equal((await busy.answered).error.code, 'ERR_BUSY');
      const sent = await bg.message({ type: 'page-request', action: 'authenticate', arguments: { loginId: 'L2', challenge: {} }, userActivated }, other.sender);
      assert.equal(sent.error.code, 'ERR_BUSY');
    }
    await flush();
    assert.deepEqual(bg.api.focused, []);
    const asked = bg.portRequest('authenticate', { loginId: 'L2', challenge: {} }, { userActivated: true });
    assert.equal((await asked.answered).error.code, 'ERR_BUSY');
    await until(() => bg.api.focused.length === 1, 'the picker to come forward');
    assert.deepEqual(bg.api.focused, [bg.api.created[0].id]);
    await bg.dialog(0, 'cancel');
    assert.equal((await first.answered).error.code, 'ERR_USER_CANCELLED');
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

    const auth = bg.portRequest('authenticate', { loginId: 'L1', challenge });
    const verify = await bg.hostGets('verify-server');
    assert.equal(verify.origin, ORIGIN);
    bg.hostAnswers(verify, { server: { subject: 'CN=a.example' } });
    bg.hostAnswers(await bg.hostGets('list-certificates'), { certificates: [CERT] });
    await until(() => bg.api.created.length === 1, 'the window');
    assert.equal((await bg.dialog(0, 'hello')).view.step, 'pin', 'one certificate: straight to the PIN');
    const pinReply = bg.dialog(0, 'submit', '1234');
    const authReq = await bg.hostGets('authenticate');
    assert.deepEqual(authReq.arguments, { loginId: 'L1', certificate: CERT.fingerprint, pin: '1234' });
    bg.hostAnswers(authReq, { token: { format: 'web-eid:1.0' } });
    assert.deepEqual(await pinReply, { state: 'done' });
    assert.deepEqual(await auth.answered, { result: { token: { format: 'web-eid:1.0' } } });
    auth.close(); // the bridge closes the port once answered: nothing to cancel
    await flush();

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

  test('a login follows its card and its page: the PIN entry hears the card pulled; the page gone cancels the login', async () => {
    const bg = await startBackground();
    const auth = bg.portRequest('authenticate', { loginId: 'L1', challenge: { origin: ORIGIN } });
    await bg.toWindow(0);

    // The host's event on the one native port reaches the PIN window as a pushed view.
    bg.ports.at(-1).answer({ event: 'card-removed', data: { reader: CERT.reader, certificates: [CERT.fingerprint], cause: 'pcsc' } });
    await until(() => bg.api.runtimeMessages.some((m) => m.type === 'dialog-view' && m.view.cardPresent === false), 'the card-absent view');

    // The page's frame unloads (closed, reloaded, navigated): its port closes, the login ends.
    auth.close();
    await until(() => bg.api.removed.includes(bg.api.created[0].id), 'the window to close');
    await flush();
    assert.deepEqual(auth.received, []);
    const next = bg.portRequest('authenticate', { loginId: 'L2', challenge: { origin: ORIGIN } });
    await bg.toWindow(1);
    await bg.dialog(1, 'cancel');
    assert.equal((await next.answered).error.code, 'ERR_USER_CANCELLED', 'not ERR_BUSY');
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

  test('the toolbar view: only ui/popup.html is answered; it lists the card and its site, and log-out-of-all ends the session as a pull does', async () => {
    const storage = memoryStorage();
    const session = { origin: ORIGIN, sessionTag: 'T1', fingerprint: CERT.fingerprint, reader: CERT.reader, tabId: TAB.id };
    storage.data.set('cardSessions', { logins: {}, sessions: [session] });
    const bg = await startBackground({ storage });
    await until(() => bg.api.runtime.connectNative.mock.callCount() === 1, 'the port to open');
    const popupUrl = bg.api.runtime.getURL('ui/popup.html');

    // A web page's content script (its sender.url is the page's), another
    // extension, and the login window are not the toolbar view.
    for (const sender of [tabSender(bg.api), { id: 'other', url: popupUrl }, { id: bg.api.runtime.id, url: bg.api.runtime.getURL('ui/login.html?dialog=x') }]) {
      assert.equal(await bg.message({ type: 'popup', op: 'log-out-of-all' }, sender), 'no response', JSON.stringify(sender));
    }
    assert.equal(await bg.message({ type: 'popup', op: 'nope' }, { id: bg.api.runtime.id, url: popupUrl }), 'no response');
    assert.deepEqual(storage.data.get('cardSessions').sessions, [session]);
    assert.deepEqual(bg.api.tabMessages, []);

    // Opened as a tab (as the browser tests do) it is answered too.
    const popupSender = { id: bg.api.runtime.id, url: popupUrl, tab: { id: 9 } };
    const view = bg.message({ type: 'popup', op: 'view' }, popupSender);
    bg.hostAnswers(await bg.hostGets('status'), { readers: [{ name: CERT.reader, cardPresent: true }] });
    bg.hostAnswers(await bg.hostGets('list-certificates'), { certificates: [CERT] });
    const { result: { seq, ...shown } } = await view;
    assert.ok(Number.isInteger(seq), 'numbered, as the pushed views are');
    assert.deepEqual(shown, { readers: [{ name: CERT.reader, cardPresent: true, holders: ['Mari Card'], sites: [ORIGIN] }], sessions: 1, hostError: null });

    const done = bg.message({ type: 'popup', op: 'log-out-of-all' }, popupSender);
    const logout = await bg.hostGets('logout');
    assert.equal(logout.origin, ORIGIN);
    assert.deepEqual(logout.arguments, { sessionTag: 'T1' });
    assert.deepEqual(await done, { result: { origins: [ORIGIN] } });
    assert.deepEqual(bg.api.tabMessages.map((m) => m.message),
      [{ type: 'card-removed', origin: ORIGIN, reader: CERT.reader, postLogout: true }, { type: 'card-removed', origin: ORIGIN, reader: CERT.reader, postLogout: false }]);
    assert.deepEqual(storage.data.get('cardSessions').sessions, []);
  });

  test('the open toolbar view is pushed a new view on card events and on logins and logouts; only while it is open', async () => {
    const storage = memoryStorage();
    const other = { ...CERT, fingerprint: 'f3'.repeat(32), reader: 'Virtual PCD 00 01', holder: 'Jaan Card' };
    storage.data.set('cardSessions', { logins: {}, sessions: [
      { origin: ORIGIN, sessionTag: 'T1', fingerprint: CERT.fingerprint, reader: CERT.reader, tabId: TAB.id },
      { origin: 'https://b.example', sessionTag: 'T2', fingerprint: other.fingerprint, reader: other.reader, tabId: 8 },
    ] });
    const bg = await startBackground({ storage });
    await until(() => bg.api.runtime.connectNative.mock.callCount() === 1, 'the port to open');
    const popupUrl = bg.api.runtime.getURL('ui/popup.html');
    const pushed = () => bg.api.runtimeMessages.filter((m) => m.type === 'popup-view');
    const bothReaders = [{ name: CERT.reader, cardPresent: true }, { name: other.reader, cardPresent: true }];

    // Nobody watches: a card event makes no view.
    bg.ports[0].answer({ event: 'reader-added', data: { reader: 'R9' } });
    await flush();
    assert.equal(bg.ports[0].sent.filter((m) => m.command === 'list-certificates').length, 0);

    // Only the toolbar view's own port counts.
    const stranger = fakePagePort('popup', tabSender(bg.api));
    bg.api.runtime.onConnect.fire(stranger);
    assert.equal(stranger.disconnected, true, 'a web page\'s content script cannot watch');
    const port = fakePagePort('popup', { id: bg.api.runtime.id, url: popupUrl });
    bg.api.runtime.onConnect.fire(port);
    assert.equal(port.disconnected, false);

    // Per-card "log out": only Mari's card's site ends; the view follows.
    const done = bg.message({ type: 'popup', op: 'log-out-of-card', reader: CERT.reader }, { id: bg.api.runtime.id, url: popupUrl });
    bg.hostAnswers(await bg.hostGets('status'), { readers: bothReaders });
    bg.hostAnswers(await bg.hostGets('list-certificates'), { certificates: [CERT, other] });
    const logout = await bg.hostGets('logout');
    assert.deepEqual([logout.origin, logout.arguments], [ORIGIN, { sessionTag: 'T1' }]);
    assert.deepEqual(await done, { result: { origins: [ORIGIN] } });
    assert.deepEqual(storage.data.get('cardSessions').sessions.map((s) => s.sessionTag), ['T2']);
    bg.hostAnswers(await bg.hostGets('status'), { readers: bothReaders });
    bg.hostAnswers(await bg.hostGets('list-certificates'), { certificates: [CERT, other] });
    await until(() => pushed().length === 1, 'a view after the logout');
    assert.deepEqual(pushed()[0].view.readers.map((r) => [r.name, r.sites]), [[CERT.reader, []], [other.reader, ['https://b.example']]]);

    // Jaan's card pulled: the host's event, then its session taken out.
    bg.ports[0].answer({ event: 'card-removed', data: { reader: other.reader, certificates: [other.fingerprint] } });
    bg.hostAnswers(await bg.hostGets('status'), { readers: [bothReaders[0], { name: other.reader, cardPresent: false }] });
    bg.hostAnswers(await bg.hostGets('list-certificates'), { certificates: [CERT] });
    await bg.hostGets('logout');
    await until(() => pushed().length >= 2, 'a view after the pull');
    for (;;) { // the sessions changed while that view was made: one more
      const next = bg.ports[0].sent.find((m) => m.command === 'status' && !bg.ports[0].answered.has(m.id));
      if (!next) break;
      bg.ports[0].answered.add(next.id);
      bg.hostAnswers(next, { readers: [bothReaders[0], { name: other.reader, cardPresent: false }] });
      bg.hostAnswers(await bg.hostGets('list-certificates'), { certificates: [CERT] });
      await flush();
    }
    await until(() => pushed().at(-1).view.sessions === 0, 'the last view without the session');
    const last = pushed().at(-1).view;
    assert.deepEqual(last.readers.map((r) => [r.name, r.cardPresent, r.sites]), [[CERT.reader, true, []], [other.reader, false, []]]);
    assert.ok(pushed().every((m, i) => i === 0 || m.view.seq > pushed()[i - 1].view.seq), 'numbered in order');

    // The view closed: nothing more.
    port.close();
    const n = pushed().length;
    bg.ports[0].answer({ event: 'card-inserted', data: { reader: other.reader } });
    await flush();
    assert.equal(pushed().length, n);
    assert.equal(bg.ports[0].sent.filter((m) => m.command === 'status' && !bg.ports[0].answered.has(m.id)).length, 0);
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
