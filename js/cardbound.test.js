// Unit tests of cardbound.js with a fake window (the extension's page bridge
// answers through it), a fake fetch (the site's server) and a fake EventSource.
//   node --test js/
import test from 'node:test';
import assert from 'node:assert/strict';

import {
  VERSION, ErrorCode, CardboundError, UserCancelledError, ExtensionUnavailableError, ServerNotTrustedError,
  PinError, CardError, SessionError, ServerRefusedError, TimeoutError, errorFromCode, Session, createClient,
  isAvailable, authenticate, watchSession,
} from './cardbound.js';

const ORIGIN = 'https://site.example';
const CHANNEL = 'org.cardbound';
// The ids extension/src/content/bridge.js answers to.
const BRIDGE_ID = /^[A-Za-z0-9._-]{1,64}$/;

// What the extension and the server answer on a good login.
const LOGIN_ID = 'jnyefFDGlaZn59q20UsfdQ';
const HOST_NONCE = '5IqBCyTwzWzhNSPtDKKQryDFXr7gRs1MrrdS+RqLNVE=';
const SESSION_TAG = 'q5b3Q0xW2J4lF9-3c2yJ0g';
const CHALLENGE = {
  format: 'cardbound-challenge:1', origin: ORIGIN, serverNonce: 'EzcpTQUUWaUEfv2lmz0YI5Ai1nE5HVCfcN9fJXhErKI=',
  hostNonce: HOST_NONCE, issuedAt: '2026-11-27T21:55:06Z', expiresAt: '2026-11-27T21:57:06Z',
  certificateChain: ['MIICRzCCAc6g'], signatureAlgorithm: 'ES256', signature: 'BKZj',
};
const TOKEN = {
  unverifiedCertificate: 'MIIDXzCCAuag', algorithm: 'PS256', signature: 'kq3X', format: 'web-eid:1.0',
  appVersion: 'cardbound-host/0.1.0',
};
const RECEIPT = { format: 'cardbound-receipt:1', origin: ORIGIN, sessionTag: SESSION_TAG, presenceInterval: 30 };
const PROOF = { format: 'cardbound-presence:1', sessionTag: SESSION_TAG, nonce: 'Ct0w', algorithm: 'PS256', signature: 'Yy1' };
const IDENTITY = {
  subject: 'C=EE, SN=TAMM, GN=MARI, CN=TAMM\\,MARI\\,38001085718, serialNumber=PNOEE-38001085718',
  holder: 'MARI TAMM', givenName: 'MARI', surname: 'TAMM', personalCode: 'PNOEE-38001085718', country: 'EE',
  issuer: 'C=EE, O=Cardbound Test, CN=Test CA', serialNumber: '0a1b2c', fingerprint: 'e2cd22', notAfter: '2030-01-01T00:00:00Z',
  algorithm: 'PS256',
};
const PRESENCE_CHALLENGE = { format: 'cardbound-presence-challenge:1', origin: ORIGIN, sessionTag: SESSION_TAG, nonce: 'Mx9' };
const PRESENCE_PROOF = { ...PROOF, nonce: 'Mx9' };

// Lets real setImmediate callbacks (message delivery) and promise chains run.
async function settle(rounds = 20) {
  for (let i = 0; i < rounds; i++) await new Promise((resolve) => setImmediate(resolve));
}

// Whether a promise has settled yet, without waiting for it.
function track(promise) {
  const state = { settled: false };
  promise.then(() => { state.settled = true; }, () => { state.settled = true; });
  return state;
}

// The page's window, with the extension's content script behind it: each
// request the page posts is answered by handlers[action](args, request), which
// returns {result} or {error}, or undefined to stay silent. Messages arrive
// asynchronously, as window.postMessage delivers them, and the page's own
// requests come back to it as well.
class FakeWindow extends EventTarget {
  constructor(log) {
    super();
    this.location = { origin: ORIGIN };
    this.log = log;
    this.posted = [];
    this.handlers = {};
  }

  postMessage(data, targetOrigin) {
    this.posted.push({ data, targetOrigin });
    this.deliver(data);
    if (data?.channel === CHANNEL && data.kind === 'request') {
      this.log.push(['extension', data.action, data.arguments]);
      const handler = this.handlers[data.action];
      const payload = handler?.(data.arguments, data);
      if (payload) this.answer(data.id, payload);
    }
  }

  deliver(data, { source = this, origin = ORIGIN } = {}) {
    setImmediate(() => this.dispatchEvent(Object.assign(new Event('message'), { source, origin, data })));
  }

  answer(id, payload, options) {
    this.deliver({ channel: CHANNEL, kind: 'answer', id, ...payload }, options);
  }

  event(event, data, options) {
    this.deliver({ channel: CHANNEL, kind: 'event', event, data }, options);
  }

  requests(action) {
    return this.posted.filter((p) => p.data?.kind === 'request' && p.data.action === action).map((p) => p.data);
  }
}

// The site's server: routes[url] is {status, body} (body undefined: no JSON),
// a function of the request body giving one, or an Error to fail the fetch.
function makeFetch(log, routes) {
  const calls = [];
  const fetch = async (url, init) => {
    const body = JSON.parse(init.body);
    calls.push({ url, method: init.method, headers: init.headers, credentials: init.credentials, body });
    log.push([init.method, url, body]);
    let route = routes[url];
    if (typeof route === 'function') route = route(body);
    if (route instanceof Error) throw route;
    if (!route) route = { status: 404, body: { error: 'NOT_FOUND' } };
    const { status = 200, body: answer } = route;
    return {
      ok: status >= 200 && status < 300,
      status,
      json: async () => {
        if (answer === undefined) throw new SyntaxError('Unexpected end of JSON input');
        return structuredClone(answer);
      },
    };
  };
  return { fetch, calls };
}

function makeEventSource() {
  return class FakeEventSource {
    static instances = [];

    constructor(url, init) {
      this.url = url;
      this.init = init;
      this.closed = false;
      this.listeners = new Map();
      FakeEventSource.instances.push(this);
    }

    addEventListener(type, listener) {
      if (!this.listeners.has(type)) this.listeners.set(type, []);
      this.listeners.get(type).push(listener);
    }

    close() {
      this.closed = true;
    }

    // A server-sent event, as the browser would hand it to the listeners.
    emit(type, data) {
      if (this.closed) return;
      for (const listener of this.listeners.get(type) ?? []) listener({ type, data });
    }
  };
}

// A client over the fakes, with everything answering a good login. Timers
// are mocked (setTimeout only), so the page's timeouts and presence loop move
// only when the test ticks them.
function setup(t, { presenceInterval = 30, base } = {}) {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const log = [];
  const win = new FakeWindow(log);
  win.handlers = {
    ping: () => ({ result: { extension: '0.1.0' } }),
    status: () => ({ result: { extension: '0.1.0', host: '0.1.0', protocol: 1, configured: true, readerMonitor: true } }),
    'begin-login': () => ({ result: { loginId: LOGIN_ID, hostNonce: HOST_NONCE, expiresAt: '2026-11-27T21:39:45Z' } }),
    authenticate: () => ({ result: { token: TOKEN } }),
    confirm: () => ({ result: { sessionTag: SESSION_TAG, proof: PROOF } }),
    presence: () => ({ result: { proof: PRESENCE_PROOF } }),
    logout: () => ({ result: { endedSessions: 1 } }),
  };
  const routes = {
    '/cardbound/challenge': { body: CHALLENGE },
    '/cardbound/login': { body: { receipt: RECEIPT } },
    '/cardbound/confirm': { body: { identity: IDENTITY, presenceInterval } },
    '/cardbound/presence/challenge': { body: PRESENCE_CHALLENGE },
    '/cardbound/presence': { status: 204 },
    '/cardbound/logout': { status: 204 },
  };
  const { fetch, calls } = makeFetch(log, routes);
  const EventSource = makeEventSource();
  const client = createClient({ window: win, fetch, EventSource, ...(base === undefined ? {} : { base }) });
  return { log, win, routes, calls, EventSource, client };
}

// The events of one type a session fires, in order.
function record(session, type) {
  const events = [];
  session.addEventListener(type, (e) => events.push(e));
  return events;
}

const LOGIN_LOG = [
  ['extension', 'ping', {}],
  ['extension', 'begin-login', {}],
  ['POST', '/cardbound/challenge', { hostNonce: HOST_NONCE }],
  ['extension', 'authenticate', { loginId: LOGIN_ID, challenge: CHALLENGE }],
  ['POST', '/cardbound/login', { serverNonce: CHALLENGE.serverNonce, token: TOKEN }],
  ['extension', 'confirm', { loginId: LOGIN_ID, receipt: RECEIPT }],
  ['POST', '/cardbound/confirm', { proof: PROOF }],
];

// --- the module ---------------------------------------------------------------

test('exports a version, frozen error codes and the page-level functions', () => {
  assert.match(VERSION, /^\d+\.\d+\.\d+/);
  assert.ok(Object.isFrozen(ErrorCode));
  for (const [name, code] of Object.entries(ErrorCode)) assert.equal(code, `ERR_${name}`);
  for (const f of [isAvailable, authenticate, watchSession, createClient, errorFromCode]) assert.equal(typeof f, 'function');
});

test('createClient needs a window and a fetch', () => {
  assert.throws(() => createClient({ fetch: async () => ({}) }), (e) => e instanceof CardboundError && e.code === ErrorCode.INTERNAL);
  assert.throws(() => createClient({ window: new FakeWindow([]), fetch: null }), CardboundError);
});

// --- errorFromCode ------------------------------------------------------------

test('errorFromCode picks the class that says what the caller can do', () => {
  const cases = [
    [ErrorCode.USER_CANCELLED, UserCancelledError],
    [ErrorCode.EXTENSION_UNAVAILABLE, ExtensionUnavailableError],
    [ErrorCode.HOST_UNAVAILABLE, ExtensionUnavailableError],
    [ErrorCode.SERVER_NOT_TRUSTED, ServerNotTrustedError],
    [ErrorCode.ORIGIN_MISMATCH, ServerNotTrustedError],
    [ErrorCode.ORIGIN_NOT_ALLOWED, ServerNotTrustedError],
    [ErrorCode.PIN_INCORRECT, PinError],
    [ErrorCode.PIN_INVALID, PinError],
    [ErrorCode.PIN_BLOCKED, PinError],
    [ErrorCode.NO_CARD, CardError],
    [ErrorCode.CERTIFICATE_NOT_FOUND, CardError],
    [ErrorCode.LOGIN_UNKNOWN, SessionError],
    [ErrorCode.NOT_LOGGED_IN, SessionError],
    [ErrorCode.SERVER_REFUSED, ServerRefusedError],
    [ErrorCode.TIMEOUT, TimeoutError],
    [ErrorCode.PKCS11, CardboundError],
    [ErrorCode.BUSY, CardboundError],
    [ErrorCode.BAD_REQUEST, CardboundError],
  ];
  for (const [code, Class] of cases) {
    const e = errorFromCode(code, 'm');
    assert.equal(e.constructor, Class, code);
    assert.ok(e instanceof CardboundError && e instanceof Error, code);
    assert.equal(e.code, code);
    assert.equal(e.name, Class.name);
    assert.equal(e.message, 'm');
  }
});

test('errorFromCode: unknown codes are ERR_INTERNAL, only known details are kept', () => {
  const e = errorFromCode('ERR_FROM_THE_FUTURE', 'new', { reason: 'x', secret: 'y' });
  assert.equal(e.constructor, CardboundError);
  assert.equal(e.code, ErrorCode.INTERNAL);
  assert.equal(e.reason, 'x');
  assert.ok(!('secret' in e));
  assert.equal(errorFromCode(42).code, ErrorCode.INTERNAL);
  assert.equal(errorFromCode(undefined).code, ErrorCode.INTERNAL);
  // A message that is not a string is dropped; the code stands in for it.
  assert.equal(errorFromCode(ErrorCode.NO_CARD, { html: '<b>' }).message, ErrorCode.NO_CARD);
  const pin = errorFromCode(ErrorCode.PIN_INCORRECT, '', { triesLeft: 1, pinState: 'final-try', pkcs11Error: 'CKR_PIN_INCORRECT' });
  assert.deepEqual([pin.triesLeft, pin.pinState, pin.pkcs11Error], [1, 'final-try', 'CKR_PIN_INCORRECT']);
});

test('errorFromCode: names inherited from Object.prototype are unknown codes too', () => {
  for (const code of ['constructor', 'toString', '__proto__']) {
    let e;
    assert.doesNotThrow(() => { e = errorFromCode(code); }, code);
    assert.ok(e instanceof CardboundError, code);
    assert.equal(e.code, ErrorCode.INTERNAL, code);
  }
});

// --- authenticate ---------------------------------------------------------------

test('authenticate: ping, begin-login, challenge, authenticate, login, confirm, confirm', async (t) => {
  const { log, client, win, EventSource } = setup(t);
  const session = await client.authenticate();
  assert.deepEqual(log, LOGIN_LOG);
  assert.ok(session instanceof Session && session instanceof EventTarget);
  assert.deepEqual(session.identity, IDENTITY);
  assert.equal(session.presenceInterval, 30);
  assert.deepEqual(session.certificates, [TOKEN.unverifiedCertificate]);
  assert.equal(session.ended, false);
  assert.ok(!('sessionTag' in session), 'the session tag stays inside the module');
  // The server's event stream, with the session cookie.
  assert.equal(EventSource.instances.length, 1);
  assert.equal(EventSource.instances[0].url, '/cardbound/events');
  assert.deepEqual(EventSource.instances[0].init, { withCredentials: true });
  // Requests to the extension, in the form extension/src/content/bridge.js reads.
  const requests = win.posted.filter((p) => p.data.kind === 'request');
  assert.equal(requests.length, 4);
  const ids = new Set();
  for (const { data, targetOrigin } of requests) {
    assert.equal(targetOrigin, ORIGIN);
    assert.equal(data.channel, CHANNEL);
    assert.match(data.id, BRIDGE_ID);
    assert.equal(typeof data.arguments, 'object');
    ids.add(data.id);
  }
  assert.equal(ids.size, requests.length, 'request ids are unique');
});

test('authenticate: every POST is same-origin JSON', async (t) => {
  const { client, calls } = setup(t, { presenceInterval: 1 });
  const session = await client.authenticate();
  t.mock.timers.tick(600);
  await settle();
  await session.logout();
  assert.deepEqual(calls.map((c) => c.url), [
    '/cardbound/challenge', '/cardbound/login', '/cardbound/confirm',
    '/cardbound/presence/challenge', '/cardbound/presence', '/cardbound/logout',
  ]);
  for (const call of calls) {
    assert.equal(call.method, 'POST', call.url);
    assert.deepEqual(call.headers, { 'content-type': 'application/json' }, call.url);
    assert.equal(call.credentials, 'same-origin', call.url);
  }
});

test('authenticate: a custom base path, without its trailing slash', async (t) => {
  const { client, calls, routes, EventSource } = setup(t, { base: '/auth/cardbound/' });
  for (const path of ['challenge', 'login', 'confirm']) routes[`/auth/cardbound/${path}`] = routes[`/cardbound/${path}`];
  await client.authenticate();
  assert.deepEqual(calls.map((c) => c.url), ['/auth/cardbound/challenge', '/auth/cardbound/login', '/auth/cardbound/confirm']);
  assert.equal(EventSource.instances[0].url, '/auth/cardbound/events');
});

test('authenticate: extension errors become the matching error classes', async (t) => {
  const cases = [
    ['authenticate', { code: 'ERR_USER_CANCELLED', message: 'the user closed the PIN window' }, UserCancelledError, {}],
    ['authenticate', { code: 'ERR_SERVER_NOT_TRUSTED', message: 'not trusted', reason: 'name' }, ServerNotTrustedError,
      { reason: 'name' }],
    ['authenticate', { code: 'ERR_PIN_BLOCKED', message: 'blocked', pinState: 'locked' }, PinError, { pinState: 'locked' }],
    ['authenticate', { code: 'ERR_PIN_INCORRECT', message: 'wrong', triesLeft: 1, pinState: 'final-try' }, PinError,
      { triesLeft: 1, pinState: 'final-try' }],
    ['begin-login', { code: 'ERR_HOST_UNAVAILABLE', message: 'no host' }, ExtensionUnavailableError, {}],
    ['confirm', { code: 'ERR_NO_CARD', message: 'pulled' }, CardError, {}],
    ['confirm', { code: 'ERR_LOGIN_UNKNOWN', message: 'expired' }, SessionError, {}],
    ['begin-login', { code: 'ERR_BUSY', message: 'busy' }, CardboundError, {}],
  ];
  for (const [action, error, Class, details] of cases) {
    const { client, win } = setup(t);
    // Fields the page must not see are dropped on the way.
    win.handlers[action] = () => ({ error: { ...error, module: '/usr/lib/opensc-pkcs11.so', stack: 'at host' } });
    const e = await client.authenticate().then(() => assert.fail('resolved'), (x) => x);
    assert.equal(e.constructor, Class, error.code);
    assert.equal(e.code, error.code);
    assert.equal(e.message, error.message);
    for (const [k, v] of Object.entries(details)) assert.equal(e[k], v, `${error.code} ${k}`);
    assert.ok(!('module' in e), error.code);
    assert.notEqual(e.stack, 'at host');
    t.mock.timers.reset();
  }
});

test('authenticate: an unknown extension error code is ERR_INTERNAL', async (t) => {
  const { client, win, log } = setup(t);
  win.handlers.authenticate = () => ({ error: { code: 'ERR_FROM_THE_FUTURE', message: 'new', reason: 'r', extra: 1 } });
  const e = await client.authenticate().then(() => assert.fail('resolved'), (x) => x);
  assert.equal(e.constructor, CardboundError);
  assert.equal(e.code, ErrorCode.INTERNAL);
  assert.equal(e.message, 'new');
  assert.equal(e.reason, 'r');
  assert.ok(!('extra' in e));
  assert.deepEqual(log, LOGIN_LOG.slice(0, 4), 'nothing after the failed step');
});

test('authenticate: no extension (ping unanswered) → ExtensionUnavailableError after 1 s', async (t) => {
  const { client, win, log } = setup(t);
  delete win.handlers.ping;
  const p = client.authenticate();
  const state = track(p);
  await settle();
  t.mock.timers.tick(999);
  await settle();
  assert.equal(state.settled, false);
  t.mock.timers.tick(1);
  const e = await p.then(() => assert.fail('resolved'), (x) => x);
  assert.ok(e instanceof ExtensionUnavailableError);
  assert.equal(e.code, ErrorCode.EXTENSION_UNAVAILABLE);
  assert.deepEqual(log, [['extension', 'ping', {}]]);
});

test('authenticate: an extension that stops answering → TimeoutError', async (t) => {
  const { client, win } = setup(t);
  delete win.handlers['begin-login'];
  const p = client.authenticate();
  const state = track(p);
  await settle();
  t.mock.timers.tick(9999);
  await settle();
  assert.equal(state.settled, false);
  t.mock.timers.tick(1);
  await assert.rejects(p, (e) => e instanceof TimeoutError && e.code === ErrorCode.TIMEOUT);
});

test('authenticate: a server 401 {"error":"CERT_REVOKED"} → ServerRefusedError', async (t) => {
  const { client, routes, log } = setup(t);
  routes['/cardbound/login'] = { status: 401, body: { error: 'CERT_REVOKED' } };
  const e = await client.authenticate().then(() => assert.fail('resolved'), (x) => x);
  assert.equal(e.constructor, ServerRefusedError);
  assert.equal(e.code, ErrorCode.SERVER_REFUSED);
  assert.equal(e.status, 401);
  assert.equal(e.serverCode, 'CERT_REVOKED');
  assert.match(e.message, /401 CERT_REVOKED/);
  assert.deepEqual(log, LOGIN_LOG.slice(0, 5), 'no confirm after a refused login');
});

test('authenticate: a server without JSON, and no server at all', async (t) => {
  {
    const { client, routes } = setup(t);
    routes['/cardbound/challenge'] = { status: 500 };
    await assert.rejects(client.authenticate(),
      (e) => e instanceof ServerRefusedError && e.status === 500 && e.serverCode === null);
    t.mock.timers.reset();
  }
  {
    const { client, routes } = setup(t);
    routes['/cardbound/confirm'] = new TypeError('Failed to fetch');
    await assert.rejects(client.authenticate(),
      (e) => e instanceof ServerRefusedError && e.status === 0 && /could not be reached: Failed to fetch/.test(e.message));
  }
});

test('answers from another source, origin or channel are ignored', async (t) => {
  const { client, win, log } = setup(t);
  const other = new EventTarget();
  win.handlers['begin-login'] = (args, request) => {
    const forged = { result: { loginId: 'forged', hostNonce: 'forged' } };
    win.answer(request.id, forged, { source: other }); // another frame or window
    win.answer(request.id, forged, { source: null });
    win.answer(request.id, forged, { origin: 'https://evil.example' });
    win.deliver({ channel: 'org.other', kind: 'answer', id: request.id, ...forged });
    win.deliver({ kind: 'answer', id: request.id, ...forged });
    win.answer('cb-not-pending', { error: { code: 'ERR_USER_CANCELLED' } });
    win.deliver(null);
    win.deliver('org.cardbound');
    win.deliver([CHANNEL]);
    return { result: { loginId: LOGIN_ID, hostNonce: HOST_NONCE } };
  };
  await client.authenticate();
  assert.deepEqual(log, LOGIN_LOG);
});

test('forged error answers do not fail a call, and a silent extension still times out', async (t) => {
  const { client, win } = setup(t);
  win.handlers.ping = (args, request) => {
    const error = { error: { code: 'ERR_HOST_UNAVAILABLE' } };
    win.answer(request.id, error, { source: {} });
    win.answer(request.id, error, { origin: 'http://site.example' });
    win.deliver({ channel: 'org.cardbound.other', kind: 'answer', id: request.id, ...error });
    return undefined;
  };
  const p = client.isAvailable();
  const state = track(p);
  await settle();
  assert.equal(state.settled, false);
  t.mock.timers.tick(1000);
  assert.equal(await p, false);
});

// --- the session ------------------------------------------------------------------

test('presence: at 0.6 × the interval, challenge → extension → proof, and again', async (t) => {
  const { client, log } = setup(t, { presenceInterval: 1 });
  const session = await client.authenticate();
  const failed = record(session, 'presencefailed');
  log.length = 0;
  t.mock.timers.tick(599);
  await settle();
  assert.deepEqual(log, []);
  t.mock.timers.tick(1);
  await settle();
  const round = [
    ['POST', '/cardbound/presence/challenge', {}],
    ['extension', 'presence', { challenge: PRESENCE_CHALLENGE }],
    ['POST', '/cardbound/presence', { proof: PRESENCE_PROOF }],
  ];
  assert.deepEqual(log, round);
  t.mock.timers.tick(600);
  await settle();
  assert.deepEqual(log, [...round, ...round]);
  assert.deepEqual(failed, []);
  await session.logout();
});

test('presence: never more often than every 0.5 s; proves every 18 s at 30 s', async (t) => {
  const { client, log } = setup(t, { presenceInterval: 30 });
  const session = await client.authenticate();
  log.length = 0;
  t.mock.timers.tick(17999);
  await settle();
  assert.deepEqual(log, []);
  t.mock.timers.tick(1);
  await settle();
  assert.equal(log.length, 3);
  await session.logout();
  t.mock.timers.reset();

  const fast = setup(t);
  fast.routes['/cardbound/confirm'] = { body: { identity: IDENTITY, presenceInterval: 0.1 } };
  const s2 = await fast.client.authenticate();
  fast.log.length = 0;
  t.mock.timers.tick(499);
  await settle();
  assert.deepEqual(fast.log, []);
  t.mock.timers.tick(1);
  await settle();
  assert.equal(fast.log.length, 3);
  await s2.logout();
});

test('presence: a failed proof fires presencefailed with the code and stops', async (t) => {
  const { client, win, log } = setup(t, { presenceInterval: 1 });
  const session = await client.authenticate();
  const failed = record(session, 'presencefailed');
  const ended = record(session, 'sessionended');
  win.handlers.presence = () => ({ error: { code: 'ERR_NO_CARD', message: 'the card was pulled' } });
  log.length = 0;
  t.mock.timers.tick(600);
  await settle();
  assert.equal(failed.length, 1);
  assert.ok(failed[0] instanceof CustomEvent);
  assert.deepEqual(failed[0].detail, { code: ErrorCode.NO_CARD });
  assert.deepEqual(log.map((l) => l[1]), ['/cardbound/presence/challenge', 'presence']);
  // The server ends the session at its deadline; the page does not.
  assert.equal(session.ended, false);
  assert.deepEqual(ended, []);
  t.mock.timers.tick(10000);
  await settle();
  assert.equal(log.length, 2, 'no more rounds');
});

test('presence: a refused proof fires presencefailed with ERR_SERVER_REFUSED', async (t) => {
  const { client, routes } = setup(t, { presenceInterval: 1 });
  const session = await client.authenticate();
  const failed = record(session, 'presencefailed');
  routes['/cardbound/presence'] = { status: 401, body: { error: 'PRESENCE_LATE' } };
  t.mock.timers.tick(600);
  await settle();
  assert.deepEqual(failed.map((e) => e.detail), [{ code: ErrorCode.SERVER_REFUSED }]);
});

test('presence: off with {presence: false}', async (t) => {
  const { client, log } = setup(t, { presenceInterval: 1 });
  const session = await client.authenticate({ presence: false });
  assert.deepEqual(session.identity, IDENTITY);
  log.length = 0;
  t.mock.timers.tick(60000);
  await settle();
  assert.deepEqual(log, []);
});

test('session-ended on the event stream: sessionended once, with the reason; the stream is closed', async (t) => {
  const { client, EventSource, log } = setup(t, { presenceInterval: 1 });
  const session = await client.authenticate();
  const ended = record(session, 'sessionended');
  const es = EventSource.instances[0];
  es.emit('session-ended', JSON.stringify({ reason: 'presence-late' }));
  assert.equal(ended.length, 1);
  assert.ok(ended[0] instanceof CustomEvent);
  assert.deepEqual(ended[0].detail, { reason: 'presence-late' });
  assert.equal(session.ended, true);
  assert.equal(es.closed, true);
  // Nothing after the end: no second event, no presence, no card events.
  es.closed = false;
  es.emit('session-ended', JSON.stringify({ reason: 'logout' }));
  assert.equal(ended.length, 1);
  const removed = record(session, 'cardremoved');
  log.length = 0;
  t.mock.timers.tick(5000);
  await settle();
  assert.deepEqual(log, []);
  assert.deepEqual(removed, []);
});

test('session-ended with unreadable data: reason "unknown"', async (t) => {
  const { client, EventSource } = setup(t);
  const session = await client.authenticate({ presence: false });
  const ended = record(session, 'sessionended');
  EventSource.instances[0].emit('session-ended', 'not json');
  assert.deepEqual(ended.map((e) => e.detail), [{ reason: 'unknown' }]);
});

test('session-ended without a reason field: reason "unknown"', async (t) => {
  const { client, EventSource } = setup(t);
  const session = await client.authenticate({ presence: false });
  const ended = record(session, 'sessionended');
  EventSource.instances[0].emit('session-ended', '{}');
  assert.deepEqual(ended.map((e) => e.detail), [{ reason: 'unknown' }]);
});

test('card-removed from the extension fires cardremoved with the reader', async (t) => {
  const { client, win } = setup(t);
  const session = await client.authenticate({ presence: false });
  const removed = record(session, 'cardremoved');
  win.event('card-removed', { reader: 'Virtual PCD 00 00' });
  win.event('card-removed', {}, { origin: 'https://evil.example' }); // ignored
  win.event('card-removed', {}, { source: {} }); // ignored
  win.deliver({ channel: 'org.other', kind: 'event', event: 'card-removed', data: {} }); // ignored
  win.event('card-inserted', { reader: 'Virtual PCD 00 00' }); // not for the page's session
  win.event('card-removed', undefined);
  await settle();
  assert.equal(removed.length, 2);
  assert.ok(removed[0] instanceof CustomEvent);
  assert.deepEqual(removed.map((e) => e.detail), [{ reader: 'Virtual PCD 00 00' }, { reader: null }]);
  // The session itself goes on until the server says it ended.
  assert.equal(session.ended, false);
});

test('card-removed after the session ended is not fired', async (t) => {
  const { client, win, EventSource } = setup(t);
  const session = await client.authenticate({ presence: false });
  const removed = record(session, 'cardremoved');
  EventSource.instances[0].emit('session-ended', '{"reason":"logout"}');
  win.event('card-removed', { reader: 'r' });
  await settle();
  assert.deepEqual(removed, []);
});

test('logout: POST /cardbound/logout, extension logout with the session tag, sessionended', async (t) => {
  const { client, log, EventSource } = setup(t, { presenceInterval: 1 });
  const session = await client.authenticate();
  const ended = record(session, 'sessionended');
  log.length = 0;
  await session.logout();
  assert.deepEqual(log, [
    ['POST', '/cardbound/logout', {}],
    ['extension', 'logout', { sessionTag: SESSION_TAG }],
  ]);
  assert.deepEqual(ended.map((e) => e.detail), [{ reason: 'logout' }]);
  assert.equal(session.ended, true);
  assert.equal(EventSource.instances[0].closed, true);
  // The presence loop stopped.
  log.length = 0;
  t.mock.timers.tick(10000);
  await settle();
  assert.deepEqual(log, []);
});

test('logout: a server that fails still ends the session here and in the host', async (t) => {
  const { client, log, routes } = setup(t);
  const session = await client.authenticate();
  const ended = record(session, 'sessionended');
  routes['/cardbound/logout'] = new TypeError('Failed to fetch');
  log.length = 0;
  await assert.rejects(session.logout(), ServerRefusedError);
  assert.deepEqual(log.map((l) => l[1]), ['/cardbound/logout', 'logout']);
  assert.deepEqual(ended.map((e) => e.detail), [{ reason: 'logout' }]);
});

test('logout: an extension that fails to log out does not fail the logout', async (t) => {
  const { client, win } = setup(t);
  const session = await client.authenticate();
  win.handlers.logout = () => ({ error: { code: 'ERR_HOST_UNAVAILABLE' } });
  await session.logout();
  assert.equal(session.ended, true);
});

test('logout after authenticate({presence: false}) still ends the card session in the host', async (t) => {
  const { client, log } = setup(t);
  const session = await client.authenticate({ presence: false });
  log.length = 0;
  await session.logout();
  assert.deepEqual(log, [['POST', '/cardbound/logout', {}], ['extension', 'logout', { sessionTag: SESSION_TAG }]]);
});

test('watchSession: the events of a session another tab started', async (t) => {
  const { client, log, win, EventSource } = setup(t);
  const session = client.watchSession({ identity: IDENTITY });
  assert.ok(session instanceof Session);
  assert.deepEqual(session.identity, IDENTITY);
  assert.equal(session.presenceInterval, null);
  assert.deepEqual(session.certificates, []);
  assert.equal(EventSource.instances[0].url, '/cardbound/events');
  const removed = record(session, 'cardremoved');
  const ended = record(session, 'sessionended');
  win.event('card-removed', { reader: 'r' });
  await settle();
  t.mock.timers.tick(60000);
  await settle();
  assert.deepEqual(log, [], 'no extension requests and no presence');
  assert.deepEqual(removed.map((e) => e.detail), [{ reader: 'r' }]);
  EventSource.instances[0].emit('session-ended', '{"reason":"no-session"}');
  assert.deepEqual(ended.map((e) => e.detail), [{ reason: 'no-session' }]);
  assert.equal(client.watchSession().identity, null);
});

test('a client without EventSource still logs in', async (t) => {
  const { win, routes } = setup(t);
  const { fetch } = makeFetch([], routes);
  const client = createClient({ window: win, fetch, EventSource: null });
  const session = await client.authenticate({ presence: false });
  assert.deepEqual(session.identity, IDENTITY);
  await session.logout();
  assert.equal(session.ended, true);
});

// --- isAvailable -------------------------------------------------------------------

test('isAvailable: true when the extension and its host answer', async (t) => {
  const { client, log } = setup(t);
  assert.equal(await client.isAvailable(), true);
  assert.deepEqual(log, [['extension', 'ping', {}], ['extension', 'status', {}]]);
});

test('isAvailable: false when the host does not answer', async (t) => {
  const { client, win } = setup(t);
  win.handlers.status = () => ({ error: { code: 'ERR_HOST_UNAVAILABLE', message: 'not installed' } });
  assert.equal(await client.isAvailable(), false);
});

test('isAvailable: false without the extension, after the ping timeout', async (t) => {
  const { client, win, log } = setup(t);
  delete win.handlers.ping;
  const p = client.isAvailable();
  await settle();
  t.mock.timers.tick(1000);
  assert.equal(await p, false);
  assert.deepEqual(log, [['extension', 'ping', {}]]);
});
