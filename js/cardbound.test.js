// Unit tests of cardbound.js with a fake window (the extension's page bridge
// answers through it), a fake fetch (the site's server) and a fake EventSource.
//   node --test js/
import test from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

import {
  VERSION, ErrorCode, CardboundError, UserCancelledError, ExtensionUnavailableError, ServerNotTrustedError,
  PinError, CardError, SessionError, ServerRefusedError, TimeoutError, errorFromCode, Session, createClient,
  isAvailable, authenticate, watchSession, currentSession, onSessionStarted, availability, messageFor, messages,
  EndReason, PROTOCOL_VERSION, VersionMismatchError,
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
// A presence challenge lives from issuedAt to expiresAt (40 s: the server's
// deadline of interval + grace after a proof); the page proves at half that.
const PRESENCE_CHALLENGE = {
  format: 'cardbound-presence-challenge:1', origin: ORIGIN, sessionTag: SESSION_TAG, nonce: 'Mx9',
  issuedAt: '2026-11-27T21:55:38Z', expiresAt: '2026-11-27T21:56:18Z', signatureAlgorithm: 'ES256', signature: 'MEUC',
};
const PRESENCE_PROOF = { ...PROOF, nonce: 'Mx9' };

// A presence challenge that lives `seconds` (expiresAt − issuedAt).
function presenceChallenge(seconds, fields = {}) {
  const expiresAt = new Date(Date.parse(PRESENCE_CHALLENGE.issuedAt) + seconds * 1000).toISOString();
  return { ...PRESENCE_CHALLENGE, expiresAt, ...fields };
}

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
// a function of the request body giving one (or a promise of one, to answer
// late), or an Error to fail the fetch.
function makeFetch(log, routes) {
  const calls = [];
  const fetch = async (url, init) => {
    const body = init.body === undefined ? undefined : JSON.parse(init.body);
    calls.push({ url, method: init.method, headers: init.headers, credentials: init.credentials, body });
    log.push([init.method, url, body]);
    // An answer comes from the network: never in the same turn.
    await new Promise((resolve) => setImmediate(resolve));
    let route = routes[url];
    if (typeof route === 'function') route = await route(body);
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
      this.readyState = 1; // OPEN
      this.listeners = new Map();
      FakeEventSource.instances.push(this);
    }

    addEventListener(type, listener) {
      if (!this.listeners.has(type)) this.listeners.set(type, []);
      this.listeners.get(type).push(listener);
    }

    close() {
      this.closed = true;
      this.readyState = 2; // CLOSED
    }

    // The browser lost the stream: it reconnects by itself (readyState 0),
    // or, after an HTTP error, gives up (readyState 2).
    fail({ gaveUp = false } = {}) {
      this.readyState = gaveUp ? 2 : 0;
      this.emit('error', undefined);
    }

    // The stream is back.
    reopen() {
      this.readyState = 1;
      this.emit('open', undefined);
    }

    // A server-sent event, as the browser would hand it to the listeners.
    emit(type, data) {
      if (this.closed) return;
      for (const listener of this.listeners.get(type) ?? []) listener({ type, data });
    }
  };
}

// BroadcastChannel between the pages of one test: a message posted on one
// instance reaches the others of the same name (not itself), asynchronously.
// The test plays another page with BroadcastChannel.post(name, data).
function makeBroadcastChannel() {
  return class FakeBroadcastChannel {
    static instances = [];
    static sent = [];

    static post(name, data) {
      for (const c of FakeBroadcastChannel.instances) {
        if (c.name === name && !c.closed) setImmediate(() => c.onmessage?.({ data: structuredClone(data) }));
      }
    }

    constructor(name) {
      this.name = name;
      this.closed = false;
      this.onmessage = null;
      FakeBroadcastChannel.instances.push(this);
    }

    postMessage(data) {
      FakeBroadcastChannel.sent.push({ name: this.name, data: structuredClone(data) });
      for (const c of FakeBroadcastChannel.instances) {
        if (c !== this && c.name === this.name && !c.closed) setImmediate(() => c.onmessage?.({ data: structuredClone(data) }));
      }
    }

    close() {
      this.closed = true;
    }
  };
}

// A client over the fakes, with everything answering a good login. Timers
// and the clock are mocked (setTimeout and Date, which starts at 0), so the
// page's timeouts and presence loop move only when the test ticks them.
// Without Web Locks unless the test passes a fake (makeLocks()).
function setup(t, { presenceInterval = 30, base, locks = null } = {}) {
  t.mock.timers.enable({ apis: ['setTimeout', 'Date'] });
  const log = [];
  const win = new FakeWindow(log);
  win.handlers = {
    ping: () => ({ result: { extension: '0.1.0', protocol: PROTOCOL_VERSION } }),
    status: () => ({ result: { extension: '0.1.0', host: '0.1.0', protocol: 1, configured: true, readerMonitor: true } }),
    'begin-login': () => ({ result: { loginId: LOGIN_ID, hostNonce: HOST_NONCE, expiresAt: '2026-11-27T21:39:45Z' } }),
    authenticate: () => ({ result: { token: TOKEN } }),
    confirm: () => ({ result: { sessionTag: SESSION_TAG, proof: PROOF } }),
    presence: () => ({ result: { proof: PRESENCE_PROOF } }),
    logout: () => ({ result: { endedSessions: 1 } }),
  };
  // The server has the session from confirm to logout, as a real one does.
  let confirmedSession = false;
  const routes = {
    '/cardbound/challenge': { body: CHALLENGE },
    '/cardbound/login': { body: { receipt: RECEIPT } },
    '/cardbound/confirm': () => {
      confirmedSession = true;
      return { body: { identity: IDENTITY, presenceInterval } };
    },
    '/cardbound/presence/challenge': { body: PRESENCE_CHALLENGE },
    '/cardbound/presence': { status: 204 },
    '/cardbound/logout': () => {
      confirmedSession = false;
      return { status: 204 };
    },
    '/cardbound/session': () => (confirmedSession
      ? { body: { identity: IDENTITY, sessionTag: SESSION_TAG, presenceInterval, expiresIn: 40 } }
      : { status: 401, body: { error: 'SESSION_UNKNOWN' } }),
  };
  const { fetch, calls } = makeFetch(log, routes);
  const EventSource = makeEventSource();
  const BroadcastChannel = makeBroadcastChannel();
  const client = createClient({ window: win, fetch, EventSource, locks, BroadcastChannel, ...(base === undefined ? {} : { base }) });
  return { log, win, routes, calls, EventSource, BroadcastChannel, client, locks };
}

// Another page of the same site in the same browser, beside setup()'s: its
// own window (the same extension answers), the same server, log, event
// stream class, Web Locks and BroadcastChannel.
function otherPage(page) {
  const win = new FakeWindow(page.log);
  win.handlers = page.win.handlers;
  const { fetch } = makeFetch(page.log, page.routes);
  return createClient({ window: win, fetch, EventSource: page.EventSource, locks: page.locks, BroadcastChannel: page.BroadcastChannel });
}

// Web Locks as navigator.locks grants them: request(name, callback) calls
// the callback (later, with the lock) once no other holder of that name is
// left, and holds the lock until the callback's promise settles; requests of a
// name queue in order. held(name): whether someone holds it now.
function makeLocks() {
  const queues = new Map();
  const holders = new Set();
  const grant = (name) => {
    const queue = queues.get(name) ?? [];
    if (holders.has(name) || queue.length === 0) return;
    const { callback, resolve, reject } = queue.shift();
    holders.add(name);
    const lock = { name, mode: 'exclusive' };
    Promise.resolve().then(() => callback(lock)).then(resolve, reject).finally(() => {
      holders.delete(name);
      grant(name);
    });
  };
  return {
    names: [],
    request(name, options, callback) {
      if (typeof options === 'function') [options, callback] = [{}, options];
      this.names.push(name);
      if (options.ifAvailable && (holders.has(name) || queues.get(name)?.length)) {
        return Promise.resolve().then(() => callback(null));
      }
      return new Promise((resolve, reject) => {
        if (!queues.has(name)) queues.set(name, []);
        queues.get(name).push({ callback, resolve, reject });
        grant(name);
      });
    },
    held: (name) => holders.has(name),
    waiting: (name) => queues.get(name)?.length ?? 0,
  };
}

// Moves the mocked clock by ms and lets what it set off run.
async function elapse(t, ms) {
  t.mock.timers.tick(ms);
  await settle();
}

// An event's detail without its `message` (a sentence for people, checked
// by the tests of messageFor), which must be there.
function detailOf(event) {
  const { message, ...rest } = event.detail;
  assert.equal(typeof message, 'string', `${event.type} carries a message`);
  return rest;
}

// The log without the deadline checks (GET /cardbound/session): what the
// presence loop asked.
const noChecks = (log) => log.filter((l) => !(l[0] === 'GET' && l[1] === '/cardbound/session'));

// The events of one type a session fires, in order.
function record(session, type) {
  const events = [];
  session.addEventListener(type, (e) => events.push(e));
  return events;
}

const SESSION_GET = ['GET', '/cardbound/session', undefined];
const LOGIN_LOG = [
  ['extension', 'ping', {}],
  SESSION_GET,
  ['extension', 'begin-login', {}],
  ['POST', '/cardbound/challenge', { hostNonce: HOST_NONCE }],
  ['extension', 'authenticate', { loginId: LOGIN_ID, challenge: CHALLENGE }],
  ['POST', '/cardbound/login', { serverNonce: CHALLENGE.serverNonce, token: TOKEN }],
  ['extension', 'confirm', { loginId: LOGIN_ID, receipt: RECEIPT }],
  ['POST', '/cardbound/confirm', { proof: PROOF }],
];

// A page's first request to the extension, unless it has pinged already:
// the ping that checks the extension's protocol version.
const PING = ['extension', 'ping', {}];
// One presence round: a challenge, the card's answer to it, the proof.
const CHALLENGE_POST = ['POST', '/cardbound/presence/challenge', {}];
const PRESENCE_ASK = ['extension', 'presence', { challenge: PRESENCE_CHALLENGE }];
const PROOF_POST = ['POST', '/cardbound/presence', { proof: PRESENCE_PROOF }];
const LOCK_NAME = 'org.cardbound.presence /cardbound';
const LOGIN_LOCK = 'org.cardbound.login /cardbound';
// GET /cardbound/session for a live session: what watchSession() and
// currentSession() learn, the deadline 40 s away.
const SESSION_LIVE = { body: { identity: IDENTITY, presenceInterval: 30, expiresIn: 40 } };
const SESSION_LIVE_TAGGED = (sessionTag) => ({ body: { ...SESSION_LIVE.body, sessionTag } });

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
  const session = await client.authenticate({ presence: false });
  await settle();
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

test('authenticate: the session asks for a presence challenge right after confirm', async (t) => {
  const { log, client, win } = setup(t);
  const session = await client.authenticate();
  await settle();
  assert.deepEqual(log, [...LOGIN_LOG, CHALLENGE_POST]);
  // The interval is the server's information only; the challenge sets the pace.
  assert.equal(session.presenceInterval, 30);
  assert.equal(win.requests('presence').length, 0, 'the card answers at half the challenge\'s lifetime, not now');
  await session.logout();
});

test('authenticate: every POST is same-origin JSON; the one GET asks for the browser\'s session', async (t) => {
  const { client, calls } = setup(t);
  const session = await client.authenticate();
  await settle();
  await elapse(t, 20000);
  await session.logout();
  assert.deepEqual(calls.map((c) => c.url), [
    '/cardbound/session', '/cardbound/challenge', '/cardbound/login', '/cardbound/confirm',
    '/cardbound/presence/challenge', '/cardbound/presence', '/cardbound/presence/challenge', '/cardbound/logout',
  ]);
  const [get, ...posts] = calls;
  assert.deepEqual([get.method, get.headers, get.body, get.credentials], ['GET', undefined, undefined, 'same-origin']);
  for (const call of posts) {
    assert.equal(call.method, 'POST', call.url);
    assert.deepEqual(call.headers, { 'content-type': 'application/json' }, call.url);
    assert.equal(call.credentials, 'same-origin', call.url);
  }
});

test('authenticate: a custom base path, without its trailing slash', async (t) => {
  const locks = makeLocks();
  const { client, calls, routes, EventSource } = setup(t, { base: '/auth/cardbound/', locks });
  for (const path of ['session', 'challenge', 'login', 'confirm', 'presence/challenge', 'presence', 'logout']) {
    routes[`/auth/cardbound/${path}`] = routes[`/cardbound/${path}`];
  }
  const session = await client.authenticate();
  await settle();
  await elapse(t, 20000);
  assert.deepEqual(calls.map((c) => c.url), [
    '/auth/cardbound/session', '/auth/cardbound/challenge', '/auth/cardbound/login', '/auth/cardbound/confirm',
    '/auth/cardbound/presence/challenge', '/auth/cardbound/presence', '/auth/cardbound/presence/challenge',
  ]);
  assert.equal(EventSource.instances[0].url, '/auth/cardbound/events');
  // The login and presence locks are per site: per base.
  assert.deepEqual(locks.names, ['org.cardbound.login /auth/cardbound', 'org.cardbound.presence /auth/cardbound']);
  assert.equal(locks.held('org.cardbound.presence /auth/cardbound'), true);
  await session.logout();
  await settle();
  assert.equal(locks.held('org.cardbound.presence /auth/cardbound'), false);
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
  assert.deepEqual(log, LOGIN_LOG.slice(0, 5), 'nothing after the failed step');
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
  assert.deepEqual(log, LOGIN_LOG.slice(0, 6), 'no confirm after a refused login');
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
  await client.authenticate({ presence: false });
  await settle();
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

// --- the session: presence ------------------------------------------------------
//
// A Session keeps proving the card is there: a presence challenge at once;
// at half its lifetime (expiresAt − issuedAt) the card answers it and the
// proof goes to the server; then the next challenge at once. A passing hitch
// is tried again a second later with a new challenge, until the challenge's
// lifetime has passed; anything else fires presencefailed and stops.

// A value (or handler) for the first call, another for every later one.
function once(first, after) {
  let used = false;
  return (...args) => {
    const value = used ? after : first;
    used = true;
    return typeof value === 'function' ? value(...args) : value;
  };
}

test('presence: the proof at half the challenge\'s lifetime (40 s → 20 s), then the next challenge at once', async (t) => {
  const { client, log, win } = setup(t);
  const session = await client.authenticate();
  const failed = record(session, 'presencefailed');
  await settle();
  assert.deepEqual(noChecks(log.slice(LOGIN_LOG.length)), [CHALLENGE_POST]);
  for (let round = 0; round < 3; round++) {
    log.length = 0;
    await elapse(t, 19999);
    assert.deepEqual(noChecks(log), [], `round ${round}: nothing before 20 s`);
    await elapse(t, 1);
    assert.deepEqual(noChecks(log), [PRESENCE_ASK, PROOF_POST, CHALLENGE_POST], `round ${round}`);
  }
  // The card is asked through the extension's bridge, like every request.
  const [request] = win.requests('presence');
  assert.match(request.id, BRIDGE_ID);
  assert.deepEqual(failed, []);
  assert.equal(session.ended, false);
  await session.logout();
});

test('presence: the challenge sets the pace, not the interval from confirm', async (t) => {
  const { client, log, routes } = setup(t, { presenceInterval: 1 });
  const lifetimes = [300, 3, 40];
  let served = 0;
  routes['/cardbound/presence/challenge'] = () => ({ body: presenceChallenge(lifetimes[served++] ?? 40, { nonce: `n${served}` }) });
  const session = await client.authenticate();
  const failed = record(session, 'presencefailed');
  assert.equal(session.presenceInterval, 1, 'information only');
  await settle();
  log.length = 0;
  const asked = () => log.filter((l) => l[0] === 'extension').map((l) => l[2].challenge.nonce);
  await elapse(t, 149999);
  assert.deepEqual(noChecks(log), [], '300 s: nothing before 150 s');
  await elapse(t, 1);
  assert.deepEqual(asked(), ['n1']);
  await elapse(t, 1499);
  assert.deepEqual(asked(), ['n1'], '3 s: nothing before 1.5 s');
  await elapse(t, 1);
  assert.deepEqual(asked(), ['n1', 'n2']);
  await elapse(t, 20000);
  assert.deepEqual(asked(), ['n1', 'n2', 'n3']);
  assert.equal(served, 4);
  assert.deepEqual(failed, []);
  await session.logout();
});

test('presence: a passing hitch is tried again 1 s later, with a new challenge', async (t) => {
  const cases = [
    ['the server answers the proof 503', (s) => {
      s.routes['/cardbound/presence'] = once({ status: 503 }, s.routes['/cardbound/presence']);
    }, [PRESENCE_ASK, PROOF_POST]],
    ['the server cannot be reached for the proof (status 0)', (s) => {
      s.routes['/cardbound/presence'] = once(new TypeError('Failed to fetch'), s.routes['/cardbound/presence']);
    }, [PRESENCE_ASK, PROOF_POST]],
    ['the extension is busy', (s) => {
      s.win.handlers.presence = once(() => ({ error: { code: 'ERR_BUSY', message: 'another request' } }), s.win.handlers.presence);
    }, [PRESENCE_ASK]],
    ['the next challenge answers 500', (s) => {
      const ok = s.routes['/cardbound/presence/challenge'];
      let n = 0;
      s.routes['/cardbound/presence/challenge'] = () => (++n === 2 ? { status: 500 } : ok);
    }, [PRESENCE_ASK, PROOF_POST, CHALLENGE_POST]],
  ];
  for (const [name, hitch, firstRound] of cases) {
    const s = setup(t);
    hitch(s);
    const session = await s.client.authenticate();
    const failed = record(session, 'presencefailed');
    await settle();
    s.log.length = 0;
    await elapse(t, 20000);
    assert.deepEqual(s.log, firstRound, name);
    s.log.length = 0;
    await elapse(t, 999);
    assert.deepEqual(s.log, [], `${name}: not before 1 s`);
    await elapse(t, 1);
    assert.deepEqual(s.log, [CHALLENGE_POST], `${name}: a new challenge`);
    s.log.length = 0;
    await elapse(t, 20000);
    assert.deepEqual(s.log, [PRESENCE_ASK, PROOF_POST, CHALLENGE_POST], `${name}: and on as before`);
    assert.deepEqual(failed, [], name);
    await session.logout();
    t.mock.timers.reset();
  }
});

test('presence: the card\'s answer times out at 0.3 × the lifetime (2 s to 30 s); the round is tried again 1 s later', async (t) => {
  for (const [seconds, timeout] of [[40, 12000], [300, 30000], [5, 2000]]) {
    const { client, win, routes, log } = setup(t);
    const challenge = presenceChallenge(seconds);
    routes['/cardbound/presence/challenge'] = { body: challenge };
    win.handlers.presence = once(() => undefined, win.handlers.presence); // silent the first time
    const session = await client.authenticate();
    const failed = record(session, 'presencefailed');
    await settle();
    log.length = 0;
    await elapse(t, seconds * 500);
    assert.deepEqual(noChecks(log), [['extension', 'presence', { challenge }]], `${seconds} s`);
    log.length = 0;
    await elapse(t, timeout - 1);
    await elapse(t, 1); // the answer's timeout
    await elapse(t, 999);
    assert.deepEqual(noChecks(log), [], `${seconds} s: no new round before ${timeout} + 1000 ms`);
    await elapse(t, 1);
    assert.deepEqual(noChecks(log), [CHALLENGE_POST], `${seconds} s: a new challenge after ${timeout} + 1000 ms`);
    assert.deepEqual(failed, [], `${seconds} s`);
    await session.logout();
    t.mock.timers.reset();
  }
});

test('presence: the card\'s answer too late for the deadline fires presencefailed and stops', async (t) => {
  // A challenge of 3 s: the card's answer (at 1.5 s) times out at the 2 s
  // floor, 3.5 s after the challenge, too late for another try.
  const { client, win, routes, log } = setup(t);
  routes['/cardbound/presence/challenge'] = { body: presenceChallenge(3) };
  delete win.handlers.presence;
  const session = await client.authenticate();
  const failed = record(session, 'presencefailed');
  const lost = record(session, 'connectionlost');
  await settle();
  log.length = 0;
  await elapse(t, 1500);
  assert.equal(noChecks(log).length, 1);
  await elapse(t, 1999);
  assert.deepEqual(failed, []);
  await elapse(t, 1);
  assert.deepEqual(failed.map(detailOf), [{ code: ErrorCode.TIMEOUT }]);
  await elapse(t, 60000);
  assert.equal(noChecks(log).length, 1, 'no more rounds');
  assert.deepEqual(lost, [], 'the extension was slow, not the site');
  // The server ends the session at its deadline; the page does not.
  assert.equal(session.ended, false);
});

// --- the session: the connection to the site --------------------------------------

// Every endpoint of the server answers `route` from now on (an Error: the
// fetch fails; a function: called for each request).
function serverDown(routes, route) {
  for (const path of Object.keys(routes)) routes[path] = route;
}
//
// A presence round that cannot reach the server (no answer, a proxy's 502,
// 503, 504, any 5xx) means the connection is lost: 'connectionlost' at once,
// another try every second, 'connectionrestored' when the server answers
// again. Unreachable until the deadline the last challenge gave, the session
// ends here with 'connection-lost', as the server ends it there.

test('connection: a server out of reach fires connectionlost at once, is asked every second, and connectionrestored when back', async (t) => {
  const { client, routes, log } = setup(t);
  const session = await client.authenticate();
  const lost = record(session, 'connectionlost');
  const restored = record(session, 'connectionrestored');
  const failed = record(session, 'presencefailed');
  await settle();
  let n = 0;
  routes['/cardbound/presence/challenge'] = () => (n++ % 2 ? new TypeError('Failed to fetch') : { status: 503 });
  log.length = 0;
  await elapse(t, 20000); // the proof goes through, the next challenge does not
  assert.deepEqual(log, [PRESENCE_ASK, PROOF_POST, CHALLENGE_POST]);
  assert.equal(lost.length, 1);
  assert.deepEqual(detailOf(lost[0]), {});
  assert.match(lost[0].detail.message, /connection to the site was lost/);
  log.length = 0;
  await elapse(t, 999);
  assert.deepEqual(log, []);
  await elapse(t, 1);
  assert.deepEqual(log, [CHALLENGE_POST]);
  for (let i = 0; i < 30; i++) await elapse(t, 1000);
  assert.equal(log.length, 31, 'every second');
  assert.equal(lost.length, 1, 'said once');
  assert.deepEqual(restored, []);
  // Back before the deadline (40 s after the accepted proof): the proofs go on.
  routes['/cardbound/presence/challenge'] = { body: PRESENCE_CHALLENGE };
  log.length = 0;
  await elapse(t, 1000);
  assert.deepEqual(log, [CHALLENGE_POST]);
  assert.equal(restored.length, 1);
  await elapse(t, 20000);
  assert.deepEqual(log, [CHALLENGE_POST, PRESENCE_ASK, PROOF_POST, CHALLENGE_POST]);
  assert.deepEqual(failed, []);
  assert.equal(session.ended, false);
  await session.logout();
});

test('connection: out of reach until the deadline, the session ends here with connection-lost', async (t) => {
  const { client, routes, log, EventSource } = setup(t);
  routes['/cardbound/presence/challenge'] = new TypeError('Failed to fetch');
  const session = await client.authenticate(); // confirm said: interval 30 s
  serverDown(routes, new TypeError('Failed to fetch'));
  const lost = record(session, 'connectionlost');
  const ended = record(session, 'sessionended');
  const failed = record(session, 'presencefailed');
  await settle();
  assert.equal(lost.length, 1, 'the first challenge after confirm failed');
  await elapse(t, 29999);
  assert.equal(session.ended, false);
  await elapse(t, 1);
  assert.equal(session.ended, true);
  assert.deepEqual(ended.map(detailOf), [{ reason: 'connection-lost' }]);
  assert.match(ended[0].detail.message, /connection to the site was lost, so you have been logged out/);
  assert.deepEqual(failed, [], 'not the card\'s fault');
  assert.equal(EventSource.instances[0].closed, true);
  log.length = 0;
  await elapse(t, 60000);
  assert.deepEqual(log, [], 'no more rounds');
});

test('connection: a challenge tells the deadline; a proof that reaches the server moves it on', async (t) => {
  const { client, routes } = setup(t);
  const session = await client.authenticate();
  const ended = record(session, 'sessionended');
  await settle(); // challenge at 0: deadline 40 s
  await elapse(t, 20000); // proof, next challenge at 20 s: deadline 60 s
  serverDown(routes, { status: 502 });
  await elapse(t, 20000); // the proof at 40 s fails
  await elapse(t, 19999);
  assert.equal(session.ended, false);
  await elapse(t, 1);
  assert.deepEqual(ended.map(detailOf), [{ reason: 'connection-lost' }]);
});

test('connection: the event stream failing is a lost connection too; reopened, it is restored and the deadline asked again', async (t) => {
  const { client, routes, log, EventSource } = setup(t);
  routes['/cardbound/session'] = SESSION_LIVE;
  const session = await client.currentSession({ presence: false }); // deadline 40 s
  const lost = record(session, 'connectionlost');
  const restored = record(session, 'connectionrestored');
  const es = EventSource.instances[0];
  log.length = 0;
  await elapse(t, 10000);
  es.fail();
  assert.equal(lost.length, 1);
  await elapse(t, 29000);
  es.reopen();
  await settle();
  assert.equal(restored.length, 1);
  assert.deepEqual(log, [SESSION_GET], 'what happened meanwhile');
  serverDown(routes, new TypeError('Failed to fetch'));
  es.fail();
  assert.equal(lost.length, 2);
  await elapse(t, 39999); // 40 s from the answer just now
  assert.equal(session.ended, false);
  await elapse(t, 1);
  assert.equal(session.ended, true);
  assert.equal(es.closed, true);
});

test('connection: a stream the browser gave up on (an HTTP error) is opened again 2 s later', async (t) => {
  const { client, routes, EventSource } = setup(t);
  routes['/cardbound/session'] = SESSION_LIVE;
  const session = await client.currentSession({ presence: false });
  EventSource.instances[0].fail({ gaveUp: true });
  await elapse(t, 1999);
  assert.equal(EventSource.instances.length, 1);
  await elapse(t, 1);
  assert.equal(EventSource.instances.length, 2);
  assert.equal(EventSource.instances[1].url, '/cardbound/events');
  // The new stream is the one that counts.
  EventSource.instances[1].emit('session-ended', '{"reason":"logout"}');
  assert.equal(session.ended, true);
});

test('connection: a stream reopening to a session the server no longer has ends it (no-session)', async (t) => {
  const { client, routes, EventSource } = setup(t);
  routes['/cardbound/session'] = SESSION_LIVE;
  const session = await client.currentSession({ presence: false });
  const ended = record(session, 'sessionended');
  EventSource.instances[0].fail();
  routes['/cardbound/session'] = { status: 401, body: { error: 'SESSION_UNKNOWN' } };
  EventSource.instances[0].reopen();
  await settle();
  assert.deepEqual(ended.map(detailOf), [{ reason: 'no-session' }]);
});

test('connection: a server that hangs instead of failing: requests give up after 10 s, and the session ends at the deadline', async (t) => {
  const locks = makeLocks();
  const { client, routes, log, win } = setup(t, { locks });
  const session = await client.authenticate();
  const lost = record(session, 'connectionlost');
  const ended = record(session, 'sessionended');
  await settle(); // challenge at 0: deadline 40 s
  serverDown(routes, () => new Promise(() => {})); // no answer, ever
  log.length = 0;
  await elapse(t, 20000); // the proof is posted, and hangs
  assert.deepEqual(log, [PRESENCE_ASK, PROOF_POST]);
  await elapse(t, 9999);
  assert.deepEqual(lost, []);
  await elapse(t, 1);
  assert.equal(lost.length, 1, 'no answer in 10 s: the connection is lost');
  await elapse(t, 10000); // 40 s: the deadline; the server is asked, and does not answer
  assert.equal(session.ended, false);
  await elapse(t, 2999);
  assert.equal(session.ended, false);
  await elapse(t, 1);
  assert.deepEqual(ended.map(detailOf), [{ reason: 'connection-lost' }]);
  await settle();
  assert.equal(locks.held(LOCK_NAME), false, 'the hung round let go of the presence lock');
  assert.equal(win.requests('presence').length, 1);
});

test('connection: a deadline check finds another session behind the cookie: this one is over', async (t) => {
  const { client, routes, EventSource } = setup(t);
  routes['/cardbound/session'] = SESSION_LIVE_TAGGED('tag-of-the-first');
  const session = await client.currentSession({ presence: false });
  const ended = record(session, 'sessionended');
  EventSource.instances[0].fail();
  routes['/cardbound/session'] = SESSION_LIVE_TAGGED('tag-of-another');
  EventSource.instances[0].reopen();
  await settle();
  assert.deepEqual(ended.map(detailOf), [{ reason: 'no-session' }]);
});

test('connection: a page that does not prove asks the server at the deadline, and goes on while the session lives', async (t) => {
  const { client, routes, log } = setup(t);
  routes['/cardbound/session'] = SESSION_LIVE; // 40 s each time
  const session = await client.currentSession({ presence: false });
  log.length = 0;
  await elapse(t, 39999);
  assert.deepEqual(log, []);
  await elapse(t, 1);
  assert.deepEqual(log, [SESSION_GET]);
  await elapse(t, 40000);
  assert.deepEqual(log, [SESSION_GET, SESSION_GET]);
  assert.equal(session.ended, false);
  routes['/cardbound/session'] = { status: 401, body: { error: 'PRESENCE_LATE' } };
  const ended = record(session, 'sessionended');
  await elapse(t, 40000);
  assert.deepEqual(ended.map(detailOf), [{ reason: 'presence-late' }]);
});

test('presence: a failed proof fires presencefailed with the code and stops', async (t) => {
  const { client, win, log } = setup(t);
  const session = await client.authenticate();
  const failed = record(session, 'presencefailed');
  const ended = record(session, 'sessionended');
  win.handlers.presence = () => ({ error: { code: 'ERR_NO_CARD', message: 'the card was pulled' } });
  await settle();
  log.length = 0;
  await elapse(t, 20000);
  assert.equal(failed.length, 1);
  assert.ok(failed[0] instanceof CustomEvent);
  assert.deepEqual(detailOf(failed[0]), { code: ErrorCode.NO_CARD });
  assert.deepEqual(noChecks(log), [PRESENCE_ASK]);
  // The server ends the session at its deadline; the page does not.
  assert.equal(session.ended, false);
  assert.deepEqual(ended, []);
  await elapse(t, 1000);
  await elapse(t, 60000);
  assert.equal(noChecks(log).length, 1, 'no more rounds');
  assert.equal(failed.length, 1, 'fired once');
});

test('presence: a proof the server refuses (401) ends the session here at once, with the server\'s reason', async (t) => {
  for (const [error, reason] of [['NONCE_REUSED', 'presence-refused'], ['SIGNATURE_INVALID', 'presence-refused'],
    ['PRESENCE_LATE', 'presence-late'], ['SESSION_UNKNOWN', 'no-session']]) {
    const { client, routes, log } = setup(t);
    const session = await client.authenticate();
    const failed = record(session, 'presencefailed');
    const ended = record(session, 'sessionended');
    routes['/cardbound/presence'] = { status: 401, body: { error } };
    await settle();
    log.length = 0;
    await elapse(t, 20000);
    assert.deepEqual(ended.map(detailOf), [{ reason }], error);
    assert.deepEqual(failed, [], `${error}: the session is over, not a failed round`);
    assert.deepEqual(log, [PRESENCE_ASK, PROOF_POST]);
    await elapse(t, 60000);
    assert.equal(log.length, 2, 'no more rounds, no more questions');
    t.mock.timers.reset();
  }
});

test('presence: a proof the server refuses otherwise (400) fires presencefailed and stops', async (t) => {
  const { client, routes, log } = setup(t);
  const session = await client.authenticate();
  const failed = record(session, 'presencefailed');
  routes['/cardbound/presence'] = { status: 400, body: { error: 'BAD_REQUEST' } };
  await settle();
  log.length = 0;
  await elapse(t, 20000);
  assert.deepEqual(failed.map(detailOf), [{ code: ErrorCode.SERVER_REFUSED }]);
  assert.deepEqual(noChecks(log), [PRESENCE_ASK, PROOF_POST]);
  await elapse(t, 1000);
  await elapse(t, 60000);
  assert.equal(noChecks(log).length, 2, 'no more rounds');
  assert.equal(session.ended, false, 'the server ends it at its deadline, and says so');
});

test('presence: a challenge refused with 401 ends the session at once; 404 or 400 fires presencefailed and stops', async (t) => {
  for (const [route, reason] of [[{ status: 401, body: { error: 'SESSION_UNKNOWN' } }, 'no-session'],
    [{ status: 401, body: { error: 'PRESENCE_LATE' } }, 'presence-late'], [{ status: 404 }, null], [{ status: 400 }, null]]) {
    const { client, win, routes, log } = setup(t);
    routes['/cardbound/presence/challenge'] = route;
    const session = await client.authenticate();
    const failed = record(session, 'presencefailed');
    const ended = record(session, 'sessionended');
    await settle();
    if (reason) {
      assert.deepEqual(ended.map(detailOf), [{ reason }], `${route.status}`);
      assert.deepEqual(failed, []);
    } else {
      assert.deepEqual(failed.map(detailOf), [{ code: ErrorCode.SERVER_REFUSED }], `${route.status}`);
    }
    log.length = 0;
    await elapse(t, 1000);
    await elapse(t, 60000);
    assert.deepEqual(noChecks(log), [], `${route.status}: no retry`);
    assert.equal(win.requests('presence').length, 0);
    t.mock.timers.reset();
  }
});

test('presence: a challenge without a positive lifetime fires presencefailed ERR_BAD_REQUEST and stops', async (t) => {
  const challenges = [
    presenceChallenge(0),
    presenceChallenge(-10),
    { ...PRESENCE_CHALLENGE, issuedAt: undefined },
    { ...PRESENCE_CHALLENGE, expiresAt: 'soon' },
    {},
  ];
  for (const challenge of challenges) {
    const { client, win, routes, log } = setup(t);
    routes['/cardbound/presence/challenge'] = { body: challenge };
    const session = await client.authenticate();
    const failed = record(session, 'presencefailed');
    await settle();
    assert.deepEqual(failed.map(detailOf), [{ code: ErrorCode.BAD_REQUEST }], JSON.stringify(challenge));
    log.length = 0;
    await elapse(t, 1000);
    await elapse(t, 60000);
    assert.deepEqual(noChecks(log), []);
    assert.equal(win.requests('presence').length, 0, 'the card is not asked');
    t.mock.timers.reset();
  }
  // A server that answers 204 (no challenge at all).
  const { client, routes } = setup(t);
  routes['/cardbound/presence/challenge'] = { status: 204 };
  const session = await client.authenticate();
  const failed = record(session, 'presencefailed');
  await settle();
  assert.deepEqual(failed.map(detailOf), [{ code: ErrorCode.BAD_REQUEST }]);
});

test('presence: off with {presence: false}', async (t) => {
  const { client, log } = setup(t, { presenceInterval: 1 });
  const session = await client.authenticate({ presence: false });
  assert.deepEqual(session.identity, IDENTITY);
  await settle();
  assert.deepEqual(log, LOGIN_LOG);
  log.length = 0;
  t.mock.timers.tick(60000);
  await settle();
  assert.deepEqual(noChecks(log), []);
});

test('presence: the end of the session during the wait stops the loop at once, without another request', async (t) => {
  // The server's event stream, or logout().
  for (const end of ['event stream', 'logout']) {
    const locks = makeLocks();
    const { client, win, log, EventSource } = setup(t, { locks });
    const session = await client.authenticate();
    const failed = record(session, 'presencefailed');
    await settle();
    log.length = 0;
    await elapse(t, 10000);
    assert.equal(locks.held(LOCK_NAME), true);
    if (end === 'logout') await session.logout();
    else EventSource.instances[0].emit('session-ended', '{"reason":"presence-late"}');
    await settle();
    assert.equal(session.ended, true);
    assert.equal(locks.held(LOCK_NAME), false, `${end}: the loop returned and let go of the lock`);
    assert.deepEqual(noChecks(log), end === 'logout'
      ? [['POST', '/cardbound/logout', {}], ['extension', 'logout', { sessionTag: SESSION_TAG }]] : [], end);
    log.length = 0;
    await elapse(t, 10000);
    await elapse(t, 60000);
    assert.deepEqual(noChecks(log), [], `${end}: nothing after the end`);
    assert.equal(win.requests('presence').length, 0);
    assert.deepEqual(failed, []);
    t.mock.timers.reset();
  }
});

test('presence: a session that ends while the card answers sends no proof and fires no presencefailed', async (t) => {
  const answers = [{ result: { proof: PRESENCE_PROOF } }, { error: { code: 'ERR_NO_CARD' } }, { error: { code: 'ERR_BUSY' } }];
  for (const payload of answers) {
    const { client, win, log, EventSource } = setup(t);
    const session = await client.authenticate();
    const failed = record(session, 'presencefailed');
    let answer;
    win.handlers.presence = (args, request) => { answer = () => win.answer(request.id, payload); };
    await settle();
    log.length = 0;
    await elapse(t, 20000);
    assert.deepEqual(noChecks(log), [PRESENCE_ASK]);
    EventSource.instances[0].emit('session-ended', '{"reason":"logout"}');
    answer();
    await settle();
    await elapse(t, 1000);
    await elapse(t, 60000);
    assert.deepEqual(noChecks(log), [PRESENCE_ASK], 'no proof, no new challenge');
    assert.deepEqual(failed, [], JSON.stringify(payload));
    assert.equal(session.ended, true);
    t.mock.timers.reset();
  }
});

// --- the session: one page of the site proves at a time ---------------------------

test('presence: one Session at a time proves (a Web Lock per site); the next takes over at once when it ends', async (t) => {
  const locks = makeLocks();
  const page = setup(t, { locks });
  const { client, log, EventSource, routes } = page;
  const first = await client.authenticate();
  await settle();
  assert.deepEqual(locks.names, [LOGIN_LOCK, LOCK_NAME]);
  assert.equal(locks.held(LOCK_NAME), true);
  assert.deepEqual(noChecks(log.slice(LOGIN_LOG.length)), [CHALLENGE_POST]);
  // Another Session of the site (here in the same client) waits its turn.
  routes['/cardbound/session'] = SESSION_LIVE;
  const second = otherPage(page).watchSession({ identity: IDENTITY });
  const secondFailed = record(second, 'presencefailed');
  await settle();
  assert.deepEqual(locks.names, [LOGIN_LOCK, LOCK_NAME, LOCK_NAME]);
  assert.equal(locks.waiting(LOCK_NAME), 1);
  log.length = 0;
  for (let round = 0; round < 2; round++) {
    await elapse(t, 20000);
    assert.deepEqual(noChecks(log), [PRESENCE_ASK, PROOF_POST, CHALLENGE_POST], `round ${round}: the first session's only`);
    log.length = 0;
  }
  await elapse(t, 5000);
  assert.deepEqual(noChecks(log), []);
  // The first ends (its own stream says so): the second starts at once, with
  // a new challenge, and proves at half its lifetime from then.
  EventSource.instances[0].emit('session-ended', '{"reason":"logout"}');
  assert.equal(second.ended, false);
  await settle();
  assert.deepEqual(noChecks(log), [CHALLENGE_POST]);
  assert.equal(locks.held(LOCK_NAME), true);
  assert.equal(locks.waiting(LOCK_NAME), 0);
  log.length = 0;
  await elapse(t, 19999);
  assert.deepEqual(noChecks(log), []);
  await elapse(t, 1);
  assert.deepEqual(noChecks(log), [PING, PRESENCE_ASK, PROOF_POST, CHALLENGE_POST], 'the second page pings first');
  assert.deepEqual(secondFailed, []);
  await second.logout();
  await settle();
  assert.equal(locks.held(LOCK_NAME), false);
});

test('presence: a Session whose presence failed lets the next one prove', async (t) => {
  const locks = makeLocks();
  const page = setup(t, { locks });
  const { client, win, log, routes } = page;
  const first = await client.authenticate();
  const firstFailed = record(first, 'presencefailed');
  routes['/cardbound/session'] = SESSION_LIVE;
  const second = otherPage(page).watchSession({ identity: IDENTITY });
  const secondFailed = record(second, 'presencefailed');
  await settle();
  win.handlers.presence = once(() => ({ error: { code: 'ERR_CERTIFICATE_NOT_FOUND' } }), win.handlers.presence);
  log.length = 0;
  await elapse(t, 20000);
  assert.deepEqual(firstFailed.map(detailOf), [{ code: ErrorCode.CERTIFICATE_NOT_FOUND }]);
  assert.deepEqual(noChecks(log), [PRESENCE_ASK, CHALLENGE_POST], 'the second takes over at once');
  log.length = 0;
  await elapse(t, 20000);
  assert.deepEqual(noChecks(log), [PING, PRESENCE_ASK, PROOF_POST, CHALLENGE_POST], 'the second page pings first');
  assert.deepEqual(secondFailed, []);
  assert.equal(first.ended, false);
});

test('presence: a Session that ends while it waits for the lock never proves', async (t) => {
  const locks = makeLocks();
  const page = setup(t, { locks });
  const { client, log, EventSource } = page;
  const first = await client.authenticate();
  const second = otherPage(page).watchSession({ identity: IDENTITY, presence: true });
  await settle();
  EventSource.instances[1].emit('session-ended', '{"reason":"no-session"}');
  assert.equal(second.ended, true);
  await elapse(t, 5000);
  await first.logout();
  await settle();
  assert.equal(locks.held(LOCK_NAME), false, 'the second\'s turn came and went at once');
  log.length = 0;
  await elapse(t, 60000);
  assert.deepEqual(noChecks(log), []);
});

test('presence: without Web Locks only the page that logged in proves (two would replace each other\'s challenges)', async (t) => {
  const page = setup(t, { locks: null });
  const { client, log, routes } = page;
  const first = await client.authenticate();
  routes['/cardbound/session'] = SESSION_LIVE;
  const second = otherPage(page).watchSession({ identity: IDENTITY });
  await settle();
  assert.deepEqual(noChecks(log.slice(LOGIN_LOG.length)), [CHALLENGE_POST]);
  log.length = 0;
  await elapse(t, 20000);
  const count = (what) => log.filter((l) => l[1] === what).length;
  assert.deepEqual([count('presence'), count('/cardbound/presence'), count('/cardbound/presence/challenge')], [1, 1, 1]);
  await first.logout();
  await second.logout();
});

test('presence: a lock request that fails leaves the proofs to the page that logged in', async (t) => {
  const failing = { request: () => Promise.reject(new Error('SecurityError')) };
  const page = setup(t, { locks: failing });
  const { client, log, routes } = page;
  const first = await client.authenticate();
  routes['/cardbound/session'] = SESSION_LIVE;
  const second = otherPage(page).watchSession({ identity: IDENTITY });
  await settle();
  assert.deepEqual(noChecks(log.slice(LOGIN_LOG.length)), [CHALLENGE_POST]);
  await first.logout();
  await second.logout();
});

test('presence: the page\'s navigator.locks by default', async (t) => {
  const locks = makeLocks();
  const saved = Object.getOwnPropertyDescriptor(globalThis, 'navigator');
  Object.defineProperty(globalThis, 'navigator', { value: { locks }, configurable: true, writable: true });
  t.after(() => {
    if (saved) Object.defineProperty(globalThis, 'navigator', saved);
    else delete globalThis.navigator;
  });
  const { win, routes } = setup(t);
  routes['/cardbound/session'] = SESSION_LIVE;
  const log = [];
  const { fetch } = makeFetch(log, routes);
  const session = createClient({ window: win, fetch, EventSource: null, BroadcastChannel: null }).watchSession();
  await settle();
  assert.deepEqual(locks.names, [LOCK_NAME]);
  assert.deepEqual(log, [SESSION_GET, CHALLENGE_POST]);
  // locks: null turns them off: a watching page then leaves the proofs to the page that logged in.
  const alone = createClient({ window: win, fetch, EventSource: null, BroadcastChannel: null, locks: null }).watchSession();
  await settle();
  assert.deepEqual(locks.names, [LOCK_NAME], 'not asked');
  assert.deepEqual(log, [SESSION_GET, CHALLENGE_POST, SESSION_GET], 'does not prove');
  await session.logout();
  await alone.logout();
});

// --- the session: events and logout -----------------------------------------------

test('session-ended on the event stream: sessionended once, with the reason; the stream is closed', async (t) => {
  const { client, EventSource, log } = setup(t, { presenceInterval: 1 });
  const session = await client.authenticate();
  const ended = record(session, 'sessionended');
  const es = EventSource.instances[0];
  es.emit('session-ended', JSON.stringify({ reason: 'presence-late' }));
  assert.equal(ended.length, 1);
  assert.ok(ended[0] instanceof CustomEvent);
  assert.deepEqual(detailOf(ended[0]), { reason: 'presence-late' });
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
  assert.deepEqual(ended.map(detailOf), [{ reason: 'unknown' }]);
});

test('session-ended without a reason field: reason "unknown"', async (t) => {
  const { client, EventSource } = setup(t);
  const session = await client.authenticate({ presence: false });
  const ended = record(session, 'sessionended');
  EventSource.instances[0].emit('session-ended', '{}');
  assert.deepEqual(ended.map(detailOf), [{ reason: 'unknown' }]);
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
  assert.deepEqual(removed.map(detailOf), [{ reader: 'Virtual PCD 00 00' }, { reader: null }]);
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
  assert.deepEqual(ended.map(detailOf), [{ reason: 'logout' }]);
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
  assert.deepEqual(ended.map(detailOf), [{ reason: 'logout' }]);
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

test('watchSession({presence: false}): the events of a session another page started, no presence', async (t) => {
  const { client, log, win, EventSource, routes } = setup(t);
  routes['/cardbound/session'] = SESSION_LIVE;
  const session = client.watchSession({ identity: IDENTITY, presence: false });
  assert.ok(session instanceof Session);
  assert.deepEqual(session.identity, IDENTITY);
  assert.equal(session.presenceInterval, null, 'until the server says');
  assert.deepEqual(session.certificates, []);
  assert.equal(EventSource.instances[0].url, '/cardbound/events');
  const removed = record(session, 'cardremoved');
  const ended = record(session, 'sessionended');
  win.event('card-removed', { reader: 'r' });
  await settle();
  assert.equal(session.presenceInterval, 30, 'learnt with the deadline from GET /cardbound/session');
  t.mock.timers.tick(60000);
  await settle();
  assert.deepEqual(noChecks(log), [], 'no extension requests and no presence');
  assert.deepEqual(log.slice(0, 1), [SESSION_GET], 'it asked the server for the deadline');
  assert.deepEqual(removed.map(detailOf), [{ reader: 'r' }]);
  EventSource.instances[0].emit('session-ended', '{"reason":"no-session"}');
  assert.deepEqual(ended.map(detailOf), [{ reason: 'no-session' }]);
  routes['/cardbound/session'] = { status: 401, body: { error: 'SESSION_UNKNOWN' } };
  const gone = client.watchSession({ presence: false });
  assert.equal(gone.identity, null);
  await settle();
  assert.equal(gone.ended, true, 'the server has no such session');
});

test('watchSession: proves presence too (with Web Locks), like the page that logged in', async (t) => {
  const { client, log, win, routes } = setup(t, { locks: makeLocks() });
  routes['/cardbound/session'] = SESSION_LIVE;
  const session = client.watchSession({ identity: IDENTITY });
  const failed = record(session, 'presencefailed');
  await settle();
  assert.deepEqual(log.slice(0, 2), [SESSION_GET, CHALLENGE_POST]);
  log.length = 0;
  await elapse(t, 19999);
  assert.deepEqual(noChecks(log), []);
  await elapse(t, 1);
  assert.deepEqual(noChecks(log), [PING, PRESENCE_ASK, PROOF_POST, CHALLENGE_POST], 'its first request to the extension pings first');
  assert.deepEqual(failed, []);
  // Without a session tag of its own, its logout ends the origin's card
  // session in the host (one session per site and browser).
  log.length = 0;
  await session.logout();
  assert.deepEqual(noChecks(log), [['POST', '/cardbound/logout', {}], ['extension', 'logout', {}]]);
  assert.equal(win.requests('logout').length, 1);
  assert.equal(client.watchSession().identity, null);
});

test('a client without EventSource still logs in', async (t) => {
  const { win, routes } = setup(t);
  const { fetch } = makeFetch([], routes);
  const client = createClient({ window: win, fetch, EventSource: null, BroadcastChannel: null });
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

// --- one session per site and browser ------------------------------------------
//
// The site's pages in one browser share one session (one cookie): a page
// learns another's login through a BroadcastChannel, a login finds and joins
// a live session instead of making a second one, and a login another page is
// doing is waited for (a Web Lock per site) and joined.

test('currentSession: null without a session; else a Session from GET /cardbound/session, the same object while it lives', async (t) => {
  const { client, routes, log, EventSource } = setup(t, { locks: makeLocks() });
  assert.equal(await client.currentSession(), null);
  assert.deepEqual(log, [SESSION_GET]);
  routes['/cardbound/session'] = SESSION_LIVE;
  const session = await client.currentSession();
  assert.ok(session instanceof Session);
  assert.deepEqual(session.identity, IDENTITY);
  assert.equal(session.presenceInterval, 30);
  assert.equal(EventSource.instances.length, 1, 'it follows the event stream');
  await settle();
  assert.deepEqual(log.slice(2), [CHALLENGE_POST], 'and proves presence once no other page does');
  assert.equal(await client.currentSession(), session);
  assert.equal(log.filter((l) => l[1] === '/cardbound/session').length, 2, 'no new request for a live one');
  EventSource.instances[0].emit('session-ended', '{"reason":"logout"}');
  routes['/cardbound/session'] = { status: 401, body: { error: 'SESSION_UNKNOWN' } };
  assert.equal(await client.currentSession(), null, 'an ended one is not handed out');
});

test('currentSession: a server out of reach rejects (the page cannot know)', async (t) => {
  const { client, routes } = setup(t);
  routes['/cardbound/session'] = new TypeError('Failed to fetch');
  await assert.rejects(client.currentSession(), (e) => e instanceof ServerRefusedError && e.status === 0);
  routes['/cardbound/session'] = { status: 500 };
  await assert.rejects(client.currentSession(), (e) => e instanceof ServerRefusedError && e.status === 500);
});

test('authenticate: a live session of this browser is joined, without a login (no picker, no PIN)', async (t) => {
  const { client, routes, log, win } = setup(t, { locks: makeLocks() });
  routes['/cardbound/session'] = SESSION_LIVE;
  const session = await client.authenticate();
  await settle();
  assert.deepEqual(log.slice(0, 2), [['extension', 'ping', {}], SESSION_GET]);
  assert.equal(win.requests('begin-login').length, 0);
  assert.equal(win.requests('authenticate').length, 0);
  assert.deepEqual(session.identity, IDENTITY);
  assert.equal(await client.authenticate(), session, 'again: the same session, not even a request');
  assert.equal(log.filter((l) => l[1] === '/cardbound/session').length, 1);
});

test('authenticate: a login another page is doing is waited for (onWaiting) and joined', async (t) => {
  const locks = makeLocks(); // one lock manager for the browser
  const tabA = setup(t, { locks });
  const { win, routes } = tabA;
  // Tab B: another page of the site, its own window and fetch, the same server.
  const logB = [];
  const winB = new FakeWindow(logB);
  winB.handlers = win.handlers;
  const { fetch: fetchB } = makeFetch(logB, routes);
  const clientB = createClient({ window: winB, fetch: fetchB, EventSource: tabA.EventSource, locks,
    BroadcastChannel: tabA.BroadcastChannel });
  // A's login waits for the user in the PIN window.
  let answerPin;
  win.handlers = { ...win.handlers, authenticate: (args, request) => { answerPin = () => win.answer(request.id, { result: { token: TOKEN } }); } };
  routes['/cardbound/confirm'] = () => {
    routes['/cardbound/session'] = SESSION_LIVE; // the server now has the session
    return { body: { identity: IDENTITY, presenceInterval: 30 } };
  };
  const a = tabA.client.authenticate();
  await settle();
  assert.equal(typeof answerPin, 'function', 'A is in the PIN window');
  let waited = 0;
  const b = clientB.authenticate({ onWaiting: () => { waited++; } });
  await settle();
  assert.equal(waited, 1, 'B is told it waits for another page');
  assert.deepEqual(logB, [['extension', 'ping', {}]], 'B asks nothing else yet');
  answerPin();
  const [sessionA, sessionB] = await Promise.all([a, b]);
  assert.deepEqual(sessionB.identity, IDENTITY);
  assert.notEqual(sessionA, sessionB);
  assert.deepEqual(logB.map((l) => l[1]).slice(0, 2), ['ping', '/cardbound/session']);
  assert.equal(winB.requests('begin-login').length, 0, 'B joined: no login of its own');
  await sessionA.logout();
  await sessionB.logout();
});

test('authenticate: SESSION_EXISTS from the server (a page without Web Locks got in first) joins that session', async (t) => {
  const { client, routes, log } = setup(t);
  routes['/cardbound/login'] = () => {
    routes['/cardbound/session'] = SESSION_LIVE;
    return { status: 409, body: { error: 'SESSION_EXISTS' } };
  };
  const session = await client.authenticate();
  assert.deepEqual(session.identity, IDENTITY);
  assert.equal(log.filter((l) => l[1] === 'confirm').length, 0);
  assert.deepEqual(log.filter((l) => l[1] === '/cardbound/session').length, 2);
});

test('authenticate: Web Locks that refuse (an opaque origin) leave the login as it was', async (t) => {
  const failing = { request: () => Promise.reject(new Error('SecurityError')) };
  const { client, log } = setup(t, { locks: failing });
  const session = await client.authenticate({ presence: false });
  await settle();
  assert.deepEqual(log, LOGIN_LOG);
  assert.deepEqual(session.identity, IDENTITY);
});

test('authenticate: an error inside the locked login is the login\'s error, not a reason to log in twice', async (t) => {
  const { client, win, log } = setup(t, { locks: makeLocks() });
  win.handlers.authenticate = () => ({ error: { code: 'ERR_USER_CANCELLED', message: 'closed' } });
  await assert.rejects(client.authenticate(), UserCancelledError);
  assert.equal(win.requests('authenticate').length, 1);
  assert.equal(log.filter((l) => l[1] === 'begin-login').length, 1);
});

test('site pages: a login tells the other pages; onSessionStarted hands them the Session once', async (t) => {
  const { client, routes, BroadcastChannel } = setup(t, { locks: makeLocks() });
  const started = [];
  const stop = client.onSessionStarted((s) => started.push(s));
  // Another page logged in and says so.
  routes['/cardbound/session'] = SESSION_LIVE;
  BroadcastChannel.post('org.cardbound /cardbound', { type: 'session-started' });
  await settle();
  assert.equal(started.length, 1);
  assert.deepEqual(started[0].identity, IDENTITY);
  assert.equal(await client.currentSession(), started[0], 'the page now follows it');
  BroadcastChannel.post('org.cardbound /cardbound', { type: 'session-started' });
  await settle();
  assert.equal(started.length, 1, 'not again while it lives');
  // Nonsense on the channel is not heard.
  for (const data of [null, 'session-started', { type: 'session-ended' }, { type: 'deadline', at: 'soon' }]) {
    BroadcastChannel.post('org.cardbound /cardbound', data);
  }
  await settle();
  assert.equal(started.length, 1);
  stop();
  await started[0].logout();
  BroadcastChannel.post('org.cardbound /cardbound', { type: 'session-started' });
  await settle();
  assert.equal(started.length, 1, 'stopped');
});

test('site pages: this page\'s own login is told to the others, not to itself', async (t) => {
  const { client, BroadcastChannel } = setup(t);
  const started = [];
  client.onSessionStarted((s) => started.push(s));
  await client.authenticate({ presence: false });
  await settle();
  assert.deepEqual(started, []);
  assert.deepEqual(BroadcastChannel.sent.filter((m) => m.data.type === 'session-started'),
    [{ name: 'org.cardbound /cardbound', data: { type: 'session-started' } }]);
});

test('site pages: the proving page tells the deadline of every challenge; the others end at it when out of reach', async (t) => {
  const { client, routes, BroadcastChannel, EventSource, log } = setup(t);
  const prover = await client.authenticate();
  await settle();
  assert.deepEqual(BroadcastChannel.sent.filter((m) => m.data.type === 'deadline').map((m) => m.data.at), [40000]);
  await prover.logout();
  // A watching page (presence: false) learns a deadline of 40 s, then hears of a later one.
  routes['/cardbound/session'] = SESSION_LIVE;
  const watcher = await client.currentSession({ presence: false });
  const asked = () => log.filter((l) => l[1] === '/cardbound/session').length;
  const before = asked();
  BroadcastChannel.post('org.cardbound /cardbound', { type: 'deadline', at: 70000 });
  await settle();
  await elapse(t, 69999);
  assert.equal(asked(), before, 'no question before the deadline another page learnt');
  // The server is gone: the stream fails, and at that deadline the server cannot say.
  serverDown(routes, new TypeError('Failed to fetch'));
  EventSource.instances.at(-1).fail();
  assert.equal(watcher.ended, false);
  await elapse(t, 1);
  assert.equal(asked(), before + 1);
  assert.equal(watcher.ended, true);
});

// --- availability ---------------------------------------------------------------

test('availability: what is missing, with words that say what to install', async (t) => {
  {
    const { client } = setup(t);
    assert.deepEqual(await client.availability(), { available: true });
    t.mock.timers.reset();
  }
  {
    const { client, win } = setup(t);
    delete win.handlers.ping;
    const p = client.availability();
    await settle();
    t.mock.timers.tick(1000);
    const a = await p;
    assert.equal(a.available, false);
    assert.equal(a.code, ErrorCode.EXTENSION_UNAVAILABLE);
    assert.match(a.message, /install the Cardbound browser extension/);
    assert.match(a.message, new RegExp(`cardbound-extension-chromium-${VERSION}\\.zip`));
    t.mock.timers.reset();
  }
  {
    const { client, win } = setup(t);
    win.handlers.status = () => ({ error: { code: 'ERR_HOST_UNAVAILABLE', message: 'Specified native messaging host not found.' } });
    const a = await client.availability();
    assert.equal(a.code, ErrorCode.HOST_UNAVAILABLE);
    assert.match(a.message, new RegExp(`sudo apt install \\./cardbound-host_${VERSION}_amd64\\.deb`));
    assert.doesNotMatch(a.message, /ERR_/);
    t.mock.timers.reset();
  }
  {
    const { client, win } = setup(t);
    win.handlers.status = () => ({ result: { extension: '0.1.0', host: '0.1.0', protocol: 1, configured: false, readerMonitor: true } });
    const a = await client.availability();
    assert.equal(a.code, ErrorCode.HOST_MISCONFIGURED);
    assert.equal(await client.isAvailable(), false);
  }
});

// --- the protocol version (issue 12) ---------------------------------------------
//
// The extension's content script answers 'ping' with {extension, protocol};
// an extension of another protocol version (or one that names none: older
// than the check) is refused before anything else is asked of it.

// The extension's answers to 'ping' that are refused, and the
// extensionProtocol each is reported as.
const OTHER_EXTENSIONS = [
  ['protocol 1 (an older extension)', { extension: '0.1.0', protocol: 1 }, 1],
  ['no protocol (older than the check)', { extension: '0.1.0' }, null],
  ['protocol 3 (a newer extension)', { extension: '0.3.0', protocol: 3 }, 3],
  ['protocol "2", a string', { extension: '0.2.0', protocol: '2' }, null],
];

test('this module speaks protocol 2, and has the two version codes', () => {
  assert.equal(PROTOCOL_VERSION, 2);
  assert.equal(ErrorCode.HOST_VERSION, 'ERR_HOST_VERSION');
  assert.equal(ErrorCode.EXTENSION_VERSION, 'ERR_EXTENSION_VERSION');
});

test('errorFromCode: both version codes are a VersionMismatchError with both versions', () => {
  const host = errorFromCode(ErrorCode.HOST_VERSION, 'm', { hostProtocol: 1, protocol: 2, secret: 'x' });
  assert.equal(host.constructor, VersionMismatchError);
  assert.ok(host instanceof CardboundError);
  assert.ok(!(host instanceof ExtensionUnavailableError), 'not "install it": update it');
  assert.equal(host.name, 'VersionMismatchError');
  assert.deepEqual([host.code, host.hostProtocol, host.protocol], [ErrorCode.HOST_VERSION, 1, 2]);
  assert.ok(!('secret' in host));
  const extension = errorFromCode(ErrorCode.EXTENSION_VERSION, 'm', { extensionProtocol: null, protocol: 2 });
  assert.equal(extension.constructor, VersionMismatchError);
  assert.deepEqual([extension.extensionProtocol, extension.protocol], [null, 2]);
});

test('an extension that speaks this protocol (ping {protocol: 2}) is used', async (t) => {
  const { client, win, log } = setup(t);
  win.handlers.ping = () => ({ result: { extension: '0.2.0', protocol: 2 } });
  assert.deepEqual(await client.availability(), { available: true });
  await client.authenticate({ presence: false });
  assert.deepEqual(log.filter((l) => l[0] === 'extension').map((l) => l[1]),
    ['ping', 'status', 'ping', 'begin-login', 'authenticate', 'confirm']);
});

for (const [what, answer, extensionProtocol] of OTHER_EXTENSIONS) {
  test(`authenticate: an extension with ${what} → VersionMismatchError ERR_EXTENSION_VERSION, nothing else asked`, async (t) => {
    const { client, win, log } = setup(t);
    win.handlers.ping = () => ({ result: answer });
    const e = await client.authenticate().then(() => assert.fail('resolved'), (x) => x);
    assert.equal(e.constructor, VersionMismatchError);
    assert.equal(e.code, ErrorCode.EXTENSION_VERSION);
    assert.equal(e.extensionProtocol, extensionProtocol);
    assert.equal(e.protocol, PROTOCOL_VERSION);
    assert.match(e.message, /protocol/);
    assert.deepEqual(log, [['extension', 'ping', {}]], 'no server request, no other extension request');
    assert.equal(messageFor(e, { lang: 'en' }),
      `This site needs Cardbound ${VERSION}. Update the Cardbound browser extension, then reload this page.`);
  });

  test(`availability: an extension with ${what} is its own state (update it), not "not installed"`, async (t) => {
    const { client, win, log } = setup(t);
    win.handlers.ping = () => ({ result: answer });
    const a = await client.availability();
    assert.deepEqual(a, {
      available: false, code: ErrorCode.EXTENSION_VERSION, message: messageFor(ErrorCode.EXTENSION_VERSION),
      extensionProtocol, protocol: PROTOCOL_VERSION,
    });
    assert.notEqual(a.code, ErrorCode.EXTENSION_UNAVAILABLE);
    assert.match(a.message, /Update the Cardbound browser extension/);
    assert.equal(await client.isAvailable(), false);
    assert.deepEqual(log, [['extension', 'ping', {}], ['extension', 'ping', {}]], 'no status asked of it');
  });
}

test('every call to an extension of another protocol fails: a watched session sends it no presence request', async (t) => {
  const { client, win, routes, log } = setup(t, { locks: makeLocks() });
  win.handlers.ping = () => ({ result: { extension: '0.1.0', protocol: 1 } });
  routes['/cardbound/session'] = SESSION_LIVE;
  const session = client.watchSession({ identity: IDENTITY });
  const failed = record(session, 'presencefailed');
  await settle();
  await elapse(t, 20000);
  assert.deepEqual(failed.map(detailOf), [{ code: ErrorCode.EXTENSION_VERSION }]);
  assert.equal(win.requests('presence').length, 0);
  assert.equal(win.requests('ping').length, 1);
  // Its logout reaches the server, not the extension.
  log.length = 0;
  await session.logout();
  assert.deepEqual(noChecks(log), [['POST', '/cardbound/logout', {}], ['extension', 'ping', {}]]);
  assert.equal(win.requests('logout').length, 0);
});

test('an extension that was refused is asked again next time (it may be updated and the page reloaded)', async (t) => {
  const { client, win } = setup(t);
  win.handlers.ping = () => ({ result: { extension: '0.1.0' } });
  assert.equal((await client.availability()).code, ErrorCode.EXTENSION_VERSION);
  win.handlers.ping = () => ({ result: { extension: '0.2.0', protocol: PROTOCOL_VERSION } });
  assert.deepEqual(await client.availability(), { available: true });
});

test('a host program of another protocol (the extension says ERR_HOST_VERSION) is its own state too', async (t) => {
  const { client, win, log } = setup(t);
  const refused = { error: { code: 'ERR_HOST_VERSION', message: 'cardbound-host 0.1.0 speaks protocol 1', hostProtocol: 1, protocol: 2 } };
  win.handlers.status = () => refused;
  win.handlers['begin-login'] = () => refused;
  const a = await client.availability();
  assert.deepEqual(a, {
    available: false, code: ErrorCode.HOST_VERSION, message: messageFor(ErrorCode.HOST_VERSION), hostProtocol: 1, protocol: 2,
  });
  assert.match(a.message, new RegExp(`from different releases\\. Install Cardbound ${VERSION} for both, then restart the browser\\.`));
  const e = await client.authenticate().then(() => assert.fail('resolved'), (x) => x);
  assert.equal(e.constructor, VersionMismatchError);
  assert.deepEqual([e.code, e.hostProtocol, e.protocol], [ErrorCode.HOST_VERSION, 1, 2]);
  assert.equal(win.requests('authenticate').length, 0);
  assert.ok(log.some((l) => l[1] === 'begin-login'));
});

test('the version words say what to update, in English and Estonian', () => {
  assert.equal(messageFor(ErrorCode.HOST_VERSION, { lang: 'en' }),
    `Cardbound's browser extension and its helper program on this computer are from different releases. Install Cardbound ${VERSION} for both, then restart the browser.`);
  assert.equal(messageFor(ErrorCode.EXTENSION_VERSION, { lang: 'en' }),
    `This site needs Cardbound ${VERSION}. Update the Cardbound browser extension, then reload this page.`);
  for (const code of [ErrorCode.HOST_VERSION, ErrorCode.EXTENSION_VERSION]) {
    const et = messageFor(code, { lang: 'et' });
    assert.notEqual(et, messageFor(code, { lang: 'en' }), `${code} translated`);
    assert.ok(et.includes(VERSION), `${code}: et names the version`);
  }
  assert.match(messageFor(ErrorCode.HOST_VERSION, { lang: 'et' }), /taaskäivitage brauser/);
  assert.match(messageFor(ErrorCode.EXTENSION_VERSION, { lang: 'et' }), /Uuendage Cardboundi brauserilaiendust/);
});

// --- words for people ------------------------------------------------------------

// The server's validation codes, as the protocol registry names them (the
// C++ relying party's come from it too).
const serverCodes = JSON.parse(readFileSync(new URL('../protocol/registry.json', import.meta.url), 'utf8'))
  .validationCodes.map((c) => c.code);

test('messages: every error code, server code and end reason has a sentence in English and Estonian', () => {
  assert.ok(serverCodes.length >= 17, `read ${serverCodes.length} server codes`);
  for (const lang of ['en', 'et']) {
    const words = messages[lang];
    assert.deepEqual(Object.keys(words.errors).sort(), Object.values(ErrorCode).sort(), lang);
    assert.deepEqual(Object.keys(words.serverCodes).sort(), [...new Set(serverCodes)].sort(), lang);
    assert.deepEqual(Object.keys(words.reasons).sort(), Object.values(EndReason).sort(), lang);
    assert.deepEqual(Object.keys(words.notices).sort(), Object.keys(messages.en.notices).sort(), lang);
    for (const table of Object.values(words)) {
      for (const [key, text] of Object.entries(table)) {
        assert.match(text, /^[A-ZÄÖÜÕŠŽ].*[.…]$/s, `${lang} ${key}: a sentence`);
        assert.doesNotMatch(text, /\b(ERR|CERT|NONCE|SESSION)_[A-Z_]+\b/, `${lang} ${key}: no code`);
        assert.ok(text.length <= 300, `${lang} ${key}: short`);
      }
    }
  }
  assert.notEqual(messages.et.errors.ERR_PIN_BLOCKED, messages.en.errors.ERR_PIN_BLOCKED, 'translated');
});

test('messageFor: errors, codes, reasons and notices; never a code; the page\'s language', () => {
  assert.equal(messageFor(errorFromCode(ErrorCode.PIN_BLOCKED), { lang: 'en' }), messages.en.errors.ERR_PIN_BLOCKED);
  assert.equal(messageFor('ERR_USER_CANCELLED', { lang: 'en' }), 'Login cancelled.');
  assert.equal(messageFor('card-removed', { lang: 'et' }), messages.et.reasons['card-removed']);
  assert.equal(messageFor('connectionLost', { lang: 'en' }), messages.en.notices.connectionLost);
  assert.equal(messageFor('CERT_REVOKED', { lang: 'en' }), messages.en.serverCodes.CERT_REVOKED);
  // A refused login says what the server said, an unreachable one that it is unreachable.
  const revoked = errorFromCode(ErrorCode.SERVER_REFUSED, '', { status: 401, serverCode: 'CERT_REVOKED' });
  assert.match(messageFor(revoked, { lang: 'en' }), /revoked/);
  const unknownCode = errorFromCode(ErrorCode.SERVER_REFUSED, '', { status: 401, serverCode: 'FROM_THE_FUTURE' });
  assert.equal(messageFor(unknownCode, { lang: 'en' }), messages.en.errors.ERR_SERVER_REFUSED);
  const down = errorFromCode(ErrorCode.SERVER_REFUSED, '', { status: 0 });
  assert.match(messageFor(down, { lang: 'en' }), /cannot be reached/);
  // Anything else: a general sentence, never the thing itself.
  for (const what of ['ERR_FROM_THE_FUTURE', '__proto__', 'toString', 42, null, undefined, {}, new Error('boom')]) {
    assert.equal(messageFor(what, { lang: 'en' }), messages.en.errors.ERR_INTERNAL, String(what));
  }
  // The language: asked for, else the page's <html lang>, else the browser's, else English.
  assert.equal(messageFor('logout', { lang: 'et-EE' }), messages.et.reasons.logout);
  assert.equal(messageFor('logout', { lang: 'fr' }), messages.en.reasons.logout);
  const saved = Object.getOwnPropertyDescriptor(globalThis, 'navigator');
  try {
    Object.defineProperty(globalThis, 'navigator', { value: { languages: ['fi', 'et'] }, configurable: true, writable: true });
    assert.equal(messageFor('logout'), messages.et.reasons.logout);
    globalThis.document = { documentElement: { lang: 'en' } };
    assert.equal(messageFor('logout'), messages.en.reasons.logout, 'the page\'s language first');
  } finally {
    delete globalThis.document;
    if (saved) Object.defineProperty(globalThis, 'navigator', saved);
    else delete globalThis.navigator;
  }
});

test('events carry a sentence in the client\'s language', async (t) => {
  const { win, routes, EventSource, BroadcastChannel } = setup(t);
  const { fetch } = makeFetch([], routes);
  const client = createClient({ window: win, fetch, EventSource, BroadcastChannel, lang: 'et' });
  const session = await client.authenticate({ presence: false });
  const removed = record(session, 'cardremoved');
  const ended = record(session, 'sessionended');
  win.event('card-removed', { reader: 'r' });
  await settle();
  EventSource.instances.at(-1).emit('session-ended', '{"reason":"card-removed"}');
  assert.equal(removed[0].detail.message, messages.et.reasons['card-removed']);
  assert.deepEqual(ended[0].detail, { reason: 'card-removed', message: messages.et.reasons['card-removed'] });
  // A reason from a newer server: its own name, and the general sentence.
  const next = await client.authenticate({ presence: false });
  const nextEnded = record(next, 'sessionended');
  EventSource.instances.at(-1).emit('session-ended', '{"reason":"from-the-future"}');
  assert.deepEqual(nextEnded[0].detail, { reason: 'from-the-future', message: messages.et.reasons.unknown });
});

test('authenticate: a server without GET /cardbound/session (404) still logs in; so does an onWaiting that throws', async (t) => {
  const locks = makeLocks();
  const page = setup(t, { locks });
  page.routes['/cardbound/session'] = { status: 404, body: { error: 'NOT_FOUND' } };
  const session = await page.client.authenticate({ presence: false });
  assert.deepEqual(session.identity, IDENTITY);
  assert.equal(page.win.requests('begin-login').length, 1);
  // Another page's login waits for the lock even when its onWaiting throws.
  let release;
  page.win.handlers = { ...page.win.handlers };
  const other = otherPage(page);
  const held = locks.request(LOGIN_LOCK, () => new Promise((r) => { release = r; }));
  await settle();
  const waiting = other.authenticate({ presence: false, onWaiting: () => { throw new Error('a page bug'); } });
  await settle();
  assert.equal(page.win.requests('begin-login').length, 1, 'it waits for the lock');
  release();
  await held;
  await waiting;
});

test('a page follows one Session: currentSession and watchSession hand out the live one', async (t) => {
  const { client } = setup(t);
  const own = await client.authenticate({ presence: false });
  assert.equal(await client.currentSession(), own);
  assert.equal(client.watchSession({ identity: IDENTITY }), own);
  await own.logout();
  assert.equal(await client.currentSession(), null);
});

test('presence: after presencefailed the page asks the server at the deadline, and ends with its answer', async (t) => {
  const { client, win, routes } = setup(t);
  const session = await client.authenticate();
  const ended = record(session, 'sessionended');
  win.handlers.presence = () => ({ error: { code: 'ERR_NO_CARD', message: 'pulled' } });
  await settle(); // challenge at 0: deadline 40 s
  await elapse(t, 20000); // the card fails: presencefailed
  routes['/cardbound/session'] = { status: 401, body: { error: 'PRESENCE_LATE' } };
  await elapse(t, 19999);
  assert.equal(session.ended, false);
  await elapse(t, 1);
  assert.deepEqual(ended.map(detailOf), [{ reason: 'presence-late' }], 'even with no event stream to say it');
});

test('connection: a server without GET /cardbound/session does not end a session at the deadline; its event stream stays the judge', async (t) => {
  const { client, routes, log, EventSource } = setup(t);
  routes['/cardbound/session'] = SESSION_LIVE;
  const session = await client.currentSession({ presence: false }); // deadline 40 s
  const ended = record(session, 'sessionended');
  routes['/cardbound/session'] = { status: 404, body: { error: 'NOT_FOUND' } };
  log.length = 0;
  await elapse(t, 40000);
  assert.deepEqual(log, [SESSION_GET], 'asked at the deadline');
  assert.deepEqual(ended, [], 'a server that cannot say ends nothing');
  await elapse(t, 5 * 60 * 1000 - 1);
  assert.deepEqual(log, [SESSION_GET]);
  await elapse(t, 1);
  assert.deepEqual(log, [SESSION_GET, SESSION_GET], 'and asks again 5 minutes later');
  EventSource.instances[0].emit('session-ended', '{"reason":"logout"}');
  assert.deepEqual(ended.map(detailOf), [{ reason: 'logout' }]);
});

test('getSigningCertificate and sign: the site proves itself first (begin-login, its challenge), then the extension', async (t) => {
  const { log, client, win } = setup(t);
  const chosen = { certificate: 'TUlJQg==', supportedSignatureAlgorithms: [{ cryptoAlgorithm: 'ECC', hashFunction: 'SHA-256', paddingScheme: 'NONE' }] };
  const signed = { signature: 'c2ln', signatureAlgorithm: chosen.supportedSignatureAlgorithms[0] };
  win.handlers['get-signing-certificate'] = () => ({ result: chosen });
  win.handlers.sign = () => ({ result: signed });
  assert.deepEqual(await client.getSigningCertificate(), chosen);
  const hash = new Uint8Array(32).fill(7);
  assert.deepEqual(await client.sign({ certificate: chosen.certificate, hash, hashFunction: 'SHA-256' }), signed);
  const hashText = Buffer.from(hash).toString('base64');
  assert.deepEqual(log, [
    ['extension', 'ping', {}],
    ['extension', 'begin-login', {}],
    ['POST', '/cardbound/challenge', { hostNonce: HOST_NONCE }],
    ['extension', 'get-signing-certificate', { loginId: LOGIN_ID, challenge: CHALLENGE }],
    ['extension', 'ping', {}], // each call checks the extension is (still) there
    ['extension', 'begin-login', {}],
    ['POST', '/cardbound/challenge', { hostNonce: HOST_NONCE }],
    ['extension', 'sign', { loginId: LOGIN_ID, challenge: CHALLENGE, certificate: chosen.certificate, hash: hashText, hashFunction: 'SHA-256' }],
  ]);
  // A base64 hash goes as it is; no certificate, no call at all.
  await client.sign({ certificate: chosen.certificate, hash: hashText, hashFunction: 'SHA-384' });
  assert.equal(win.requests('sign').at(-1).arguments.hash, hashText);
  const before = log.length;
  await assert.rejects(client.sign({ hash: hashText, hashFunction: 'SHA-256' }), (e) => e instanceof CardboundError && e.code === ErrorCode.BAD_REQUEST);
  await assert.rejects(client.sign({ certificate: 'x', hash: 42, hashFunction: 'SHA-256' }), (e) => e.code === ErrorCode.BAD_REQUEST);
  assert.equal(log.length, before, 'nothing asked');
});

test('sign: a cancelled PIN window is a UserCancelledError', async (t) => {
  const { client, win } = setup(t);
  win.handlers.sign = () => ({ error: { code: 'ERR_USER_CANCELLED', message: 'cancelled' } });
  await assert.rejects(client.sign({ certificate: 'TUlJQg==', hash: 'AAAA', hashFunction: 'SHA-256' }), UserCancelledError);
});

test('confirmTransaction: the server\'s challenge for the text, the extension, the server checks the confirmation', async (t) => {
  const { log, client, win, routes } = setup(t);
  const challenge = { format: 'cardbound-transaction-challenge:1', text: 'Pay 1 EUR', nonce: 'bm9uY2U=' };
  const confirmation = { format: 'cardbound-transaction:1', text: 'Pay 1 EUR', signature: 'c2ln' };
  routes['/cardbound/transaction/challenge'] = { body: { challenge } };
  routes['/cardbound/transaction'] = { body: { confirmed: true, text: 'Pay 1 EUR', identity: IDENTITY } };
  win.handlers['confirm-transaction'] = () => ({ result: { confirmation } });
  assert.deepEqual(await client.confirmTransaction({ text: 'Pay 1 EUR' }), { confirmed: true, text: 'Pay 1 EUR', identity: IDENTITY });
  assert.deepEqual(log, [
    ['extension', 'ping', {}],
    ['POST', '/cardbound/transaction/challenge', { text: 'Pay 1 EUR' }],
    ['extension', 'confirm-transaction', { challenge }],
    ['POST', '/cardbound/transaction', { confirmation }],
  ]);
  // The server refuses (a changed text): the page hears its code.
  routes['/cardbound/transaction'] = { status: 401, body: { error: 'TRANSACTION_TEXT_CHANGED' } };
  await assert.rejects(client.confirmTransaction({ text: 'Pay 1 EUR' }),
    (e) => e instanceof ServerRefusedError && e.serverCode === 'TRANSACTION_TEXT_CHANGED' && /changed the text/.test(messageFor(e)));
  await assert.rejects(client.confirmTransaction({}), (e) => e.code === ErrorCode.BAD_REQUEST);
});

test('confirmChallenge: a challenge the application made goes to the extension only; the page gets the confirmation', async (t) => {
  const { log, client, win } = setup(t);
  const challenge = { format: 'cardbound-transaction-challenge:1', text: 'Order 3 books', nonce: 'bm9uY2U=' };
  const confirmation = { format: 'cardbound-transaction:1', text: 'Order 3 books', signature: 'c2ln' };
  win.handlers['confirm-transaction'] = () => ({ result: { confirmation } });
  assert.deepEqual(await client.confirmChallenge(challenge), { confirmation });
  assert.deepEqual(log, [['extension', 'ping', {}], ['extension', 'confirm-transaction', { challenge }]], 'no request to the Cardbound endpoints');
  for (const bad of [undefined, null, 'text', [challenge]]) {
    await assert.rejects(client.confirmChallenge(bad), (e) => e.code === ErrorCode.BAD_REQUEST);
  }
});
