// Cardbound: log the user of this page in with a smart card.
//
//   import * as cardbound from '/cardbound.js';
//   const session = await cardbound.authenticate();
//   session.addEventListener('sessionended', (e) => showLoggedOut(e.detail.reason));
//
// The page never touches the card or the PIN. It talks to the Cardbound
// extension through window messages (the extension's content script
// answers them and takes the page's origin from the browser, not from us) and
// to its own server through the endpoints of docs/protocol.md section 6.
// A plain ES module without dependencies: no bundler needed.

export const VERSION = '0.1.0';

// The namespace of every window message between the page and the extension.
const CHANNEL = 'org.cardbound';

/** Error codes: the host's (docs/protocol.md section 2) and the page's own. */
export const ErrorCode = Object.freeze({
  BAD_REQUEST: 'ERR_BAD_REQUEST',
  UNKNOWN_COMMAND: 'ERR_UNKNOWN_COMMAND',
  MESSAGE_TOO_LARGE: 'ERR_MESSAGE_TOO_LARGE',
  RESPONSE_TOO_LARGE: 'ERR_RESPONSE_TOO_LARGE',
  ORIGIN_NOT_ALLOWED: 'ERR_ORIGIN_NOT_ALLOWED',
  ORIGIN_MISMATCH: 'ERR_ORIGIN_MISMATCH',
  SERVER_NOT_TRUSTED: 'ERR_SERVER_NOT_TRUSTED',
  LOGIN_UNKNOWN: 'ERR_LOGIN_UNKNOWN',
  NO_CARD: 'ERR_NO_CARD',
  CERTIFICATE_NOT_FOUND: 'ERR_CERTIFICATE_NOT_FOUND',
  PIN_INCORRECT: 'ERR_PIN_INCORRECT',
  PIN_INVALID: 'ERR_PIN_INVALID',
  PIN_BLOCKED: 'ERR_PIN_BLOCKED',
  USER_CANCELLED: 'ERR_USER_CANCELLED',
  NOT_LOGGED_IN: 'ERR_NOT_LOGGED_IN',
  HOST_MISCONFIGURED: 'ERR_HOST_MISCONFIGURED',
  PKCS11: 'ERR_PKCS11',
  INTERNAL: 'ERR_INTERNAL',
  // The extension's and this module's own (docs/protocol.md section 7).
  EXTENSION_UNAVAILABLE: 'ERR_EXTENSION_UNAVAILABLE',
  HOST_UNAVAILABLE: 'ERR_HOST_UNAVAILABLE',
  BUSY: 'ERR_BUSY',
  TIMEOUT: 'ERR_TIMEOUT',
  SERVER_REFUSED: 'ERR_SERVER_REFUSED',
});

/** Every failure of this API: `code` is one of ErrorCode. */
export class CardboundError extends Error {
  constructor(code, message, details = {}) {
    super(message || code);
    this.name = new.target.name;
    this.code = code;
    Object.assign(this, details);
  }
}
/** The user closed the certificate picker or the PIN window. Stop quietly. */
export class UserCancelledError extends CardboundError {}
/** The extension or its native host is not installed or not running. */
export class ExtensionUnavailableError extends CardboundError {}
/** This site failed to prove itself to the card holder's computer (`reason`). */
export class ServerNotTrustedError extends CardboundError {}
/** The PIN was wrong (`triesLeft` on the last try), malformed or blocked. */
export class PinError extends CardboundError {}
/** The card is missing or no longer holds the chosen certificate. */
export class CardError extends CardboundError {}
/** The login or session is unknown to the host: start again. */
export class SessionError extends CardboundError {}
/** The site's server said no: `status`, and `serverCode` such as CERT_REVOKED. */
export class ServerRefusedError extends CardboundError {}
/** Nobody answered in time. */
export class TimeoutError extends CardboundError {}

const errorClasses = {
  ERR_USER_CANCELLED: UserCancelledError,
  ERR_EXTENSION_UNAVAILABLE: ExtensionUnavailableError,
  ERR_HOST_UNAVAILABLE: ExtensionUnavailableError,
  ERR_SERVER_NOT_TRUSTED: ServerNotTrustedError,
  ERR_ORIGIN_MISMATCH: ServerNotTrustedError,
  ERR_ORIGIN_NOT_ALLOWED: ServerNotTrustedError,
  ERR_PIN_INCORRECT: PinError,
  ERR_PIN_INVALID: PinError,
  ERR_PIN_BLOCKED: PinError,
  ERR_NO_CARD: CardError,
  ERR_CERTIFICATE_NOT_FOUND: CardError,
  ERR_LOGIN_UNKNOWN: SessionError,
  ERR_NOT_LOGGED_IN: SessionError,
  ERR_SERVER_REFUSED: ServerRefusedError,
  ERR_TIMEOUT: TimeoutError,
};

// The details an error may carry from the extension; anything else is dropped.
const errorDetails = ['reason', 'triesLeft', 'pinState', 'pkcs11Error', 'status', 'serverCode'];

/** The error object for a code, of the class that says what the caller can do. */
export function errorFromCode(code, message, details = {}) {
  const known = Object.values(ErrorCode).includes(code);
  const Class = Object.hasOwn(errorClasses, code) ? errorClasses[code] : CardboundError;
  const kept = {};
  for (const k of errorDetails) if (details[k] !== undefined) kept[k] = details[k];
  return new Class(known ? code : ErrorCode.INTERNAL, typeof message === 'string' ? message : '', kept);
}

// How long each extension action may take. Authenticate waits for a person
// (picker, PIN) and is bounded by the host's 5-minute login lifetime.
const timeouts = {
  ping: 1000,
  status: 5000,
  'begin-login': 10000,
  authenticate: 5 * 60 * 1000,
  confirm: 30000,
  presence: 30000,
  logout: 10000,
};

let nextRequest = 0;

// The page's end of the window-message bridge to the extension's content script.
class ExtensionBridge {
  constructor(win) {
    this.win = win;
    this.pending = new Map();
    this.eventListeners = new Set();
    win.addEventListener('message', (e) => this.#onMessage(e));
  }

  #onMessage(e) {
    // Only messages from this window (the content script shares it), of our
    // namespace. The page's own requests come back here too: skip them.
    if (e.source !== this.win || e.origin !== this.win.location.origin) return;
    const m = e.data;
    if (!m || typeof m !== 'object' || m.channel !== CHANNEL) return;
    if (m.kind === 'answer' && this.pending.has(m.id)) {
      const { resolve, reject, timer } = this.pending.get(m.id);
      this.pending.delete(m.id);
      clearTimeout(timer);
      if (m.error && typeof m.error === 'object') reject(errorFromCode(m.error.code, m.error.message, m.error));
      else resolve(m.result ?? {});
    } else if (m.kind === 'event' && typeof m.event === 'string') {
      for (const listener of this.eventListeners) listener(m.event, m.data ?? {});
    }
  }

  call(action, args = {}, timeout = timeouts[action]) {
    const id = `cb-${Date.now().toString(36)}-${(nextRequest++).toString(36)}`;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(action === 'ping'
          ? new ExtensionUnavailableError(ErrorCode.EXTENSION_UNAVAILABLE, 'the Cardbound extension is not installed or not enabled for this site')
          : new TimeoutError(ErrorCode.TIMEOUT, `the extension did not answer '${action}' in time`));
      }, timeout);
      this.pending.set(id, { resolve, reject, timer });
      this.win.postMessage({ channel: CHANNEL, kind: 'request', id, action, arguments: args }, this.win.location.origin);
    });
  }

  onEvent(listener) {
    this.eventListeners.add(listener);
    return () => this.eventListeners.delete(listener);
  }
}

// How soon a presence round that hit a passing hitch is tried again.
const PRESENCE_RETRY_MS = 1000;

// Errors worth another presence round.
function isPassing(error) {
  if (error.code === ErrorCode.TIMEOUT || error.code === ErrorCode.BUSY) return true;
  return error.code === ErrorCode.SERVER_REFUSED && (error.status === 0 || error.status >= 500);
}

/**
 * A logged-in session of this page. Events:
 *  - `cardremoved` (detail `{reader}`): the card that logged in left its reader;
 *    the extension is logging the site out;
 *  - `sessionended` (detail `{reason}`): the server ended the session, for
 *    `logout`, `presence-late`, `presence-refused` or `no-session`. Fired once.
 */
export class Session extends EventTarget {
  #client;
  #sessionTag;
  #presence;
  #timer;
  #wake;
  #events;
  #unsubscribe;
  #ended = false;
  #stopped = false; // no more presence rounds: ended, or logging out

  // presence: 'own' (this page logged in and proves), 'takeover' (proves
  // once no other page does; needs Web Locks) or false.
  constructor(client, { identity = null, presenceInterval = null, sessionTag = null, certificate = null, presence = false } = {}) {
    super();
    this.#client = client;
    this.identity = identity;
    this.presenceInterval = presenceInterval;
    this.#sessionTag = sessionTag;
    this.#presence = presence;
    this.certificates = certificate ? [certificate] : [];
  }

  get ended() { return this.#ended; }

  // Listen to the server's event stream and to the extension's card events;
  // keep proving presence.
  start() {
    const { EventSource: ES } = this.#client;
    if (ES) {
      this.#events = new ES(`${this.#client.base}/events`, { withCredentials: true });
      this.#events.addEventListener('session-ended', (e) => {
        let reason = 'unknown';
        try {
          const r = JSON.parse(e.data)?.reason;
          if (typeof r === 'string' && r) reason = r;
        } catch { /* keep 'unknown' */ }
        this.#end(reason);
      });
    }
    this.#unsubscribe = this.#client.bridge.onEvent((event, data) => {
      if (event === 'card-removed' && !this.#ended) {
        this.dispatchEvent(new CustomEvent('cardremoved', { detail: { reader: data.reader ?? null } }));
      }
    });
    if (this.#presence) this.#provePresence();
    return this;
  }

  // One page of the site at a time proves presence (a Web Lock per site):
  // the one that logged in, and after it closes or navigates away, the
  // next open page of the site, so a site of many pages stays logged in while
  // the card stays in. Two pages must never prove at once: each challenge
  // replaces the last, so one page's proof would be refused and end the
  // session. Without Web Locks only the page that logged in proves.
  #provePresence() {
    const { locks } = this.#client;
    const alone = () => {
      if (this.#presence === 'own') this.#presenceLoop();
    };
    if (!locks) return alone();
    let request;
    try {
      request = locks.request(`org.cardbound.presence ${this.#client.base}`, () => this.#presenceLoop());
    } catch {
      return alone();
    }
    Promise.resolve(request).catch(alone);
  }

  // Each round takes a fresh challenge; it lives until the server's deadline
  // (at most 5 minutes), and the card answers it at half that time. So no
  // interval needs to be known, and a page that takes over proves in time.
  async #presenceLoop() {
    // When the server's deadline has surely passed: a challenge lives until
    // it, and an accepted proof moves it on by about a challenge's lifetime.
    let giveUpAt = Infinity;
    let lifetime = 0;
    while (!this.#stopped) {
      try {
        const challenge = await this.#client.post('/presence/challenge', {});
        if (this.#stopped) return;
        lifetime = Date.parse(challenge.expiresAt) - Date.parse(challenge.issuedAt);
        if (!(lifetime > 0)) throw new CardboundError(ErrorCode.BAD_REQUEST, 'a presence challenge without a lifetime');
        giveUpAt = Date.now() + lifetime;
        await this.#wait(lifetime / 2);
        if (this.#stopped) return;
        // Late is as bad as never: give up on this round while a retry can
        // still make the deadline.
        const { proof } = await this.#client.bridge.call('presence', { challenge },
          Math.min(timeouts.presence, Math.max(2000, lifetime * 0.3)));
        if (this.#stopped) return;
        await this.#client.post('/presence', { proof });
        giveUpAt = Date.now() + lifetime;
      } catch (error) {
        if (this.#stopped) return;
        // A passing hitch (no answer in time, the server unreachable or
        // busy) is tried again shortly, until the deadline has passed.
        // Anything else means the card cannot prove itself. Nothing here ends
        // the session: the server does at its deadline, and its event stream
        // tells every tab.
        if (!isPassing(error) || Date.now() >= giveUpAt) {
          this.dispatchEvent(new CustomEvent('presencefailed', { detail: { code: error.code ?? ErrorCode.INTERNAL } }));
          return;
        }
        await this.#wait(PRESENCE_RETRY_MS);
      }
    }
  }

  // A pause that the end of the session cuts short.
  #wait(ms) {
    return new Promise((resolve) => {
      this.#wake = resolve;
      this.#timer = setTimeout(resolve, ms);
    });
  }

  /** Log out of the site (every tab) and end the card's session in the host. */
  async logout() {
    this.#stop();
    try {
      await this.#client.post('/logout', {});
    } finally {
      if (this.#sessionTag) await this.#client.bridge.call('logout', { sessionTag: this.#sessionTag }).catch(() => {});
      this.#end('logout');
    }
  }

  #stop() {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#wake?.();
  }

  #end(reason) {
    if (this.#ended) return;
    this.#ended = true;
    this.#stop();
    this.#events?.close();
    this.#unsubscribe?.();
    this.dispatchEvent(new CustomEvent('sessionended', { detail: { reason } }));
  }
}

/**
 * An API bound to a window, fetch and EventSource. The module's own functions
 * use the page's; tests and frameworks may pass their own.
 * `base` is the path of the server's Cardbound endpoints (default `/cardbound`).
 */
export function createClient({ window: win = globalThis.window, fetch: fetchFn = globalThis.fetch?.bind(globalThis),
  EventSource: ES = globalThis.EventSource, locks = globalThis.navigator?.locks, base = '/cardbound' } = {}) {
  if (!win || !fetchFn) throw new CardboundError(ErrorCode.INTERNAL, 'cardbound.js runs in a browser page');
  const client = { bridge: new ExtensionBridge(win), EventSource: ES, locks, base: String(base).replace(/\/$/, '') };

  client.post = async (path, body) => {
    let res;
    try {
      res = await fetchFn(`${client.base}${path}`, {
        method: 'POST', credentials: 'same-origin', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body),
      });
    } catch (e) {
      throw new ServerRefusedError(ErrorCode.SERVER_REFUSED, `the server could not be reached: ${e.message}`, { status: 0 });
    }
    if (!res.ok) {
      let serverCode = null;
      try { serverCode = (await res.json()).error ?? null; } catch { /* not JSON */ }
      throw new ServerRefusedError(ErrorCode.SERVER_REFUSED, `the server refused ${path}: ${res.status} ${serverCode ?? ''}`.trim(),
        { status: res.status, serverCode });
    }
    return res.status === 204 ? {} : res.json();
  };

  /** True when the extension and its native host answer. */
  const isAvailable = async () => {
    try {
      await client.bridge.call('ping');
      await client.bridge.call('status');
      return true;
    } catch {
      return false;
    }
  };

  /**
   * The three steps of a login: the server proves itself (signed challenge,
   * checked by the host before any PIN), the card holder picks a certificate
   * and gives the PIN in the extension's own windows, and the card proves it is
   * still there (confirm). Resolves with a started Session; rejects with a
   * CardboundError subclass.
   */
  const authenticate = async ({ presence = true } = {}) => {
    await client.bridge.call('ping');
    const { loginId, hostNonce } = await client.bridge.call('begin-login');
    const challenge = await client.post('/challenge', { hostNonce });
    const { token } = await client.bridge.call('authenticate', { loginId, challenge });
    const { receipt } = await client.post('/login', { serverNonce: challenge.serverNonce, token });
    const { sessionTag, proof } = await client.bridge.call('confirm', { loginId, receipt });
    let confirmed;
    try {
      confirmed = await client.post('/confirm', { proof });
    } catch (e) {
      // The host's session began with `confirm`: end it with the login.
      await client.bridge.call('logout', { sessionTag }).catch(() => {});
      throw e;
    }
    const session = new Session(client, {
      identity: confirmed.identity, presenceInterval: confirmed.presenceInterval, sessionTag, presence: presence && 'own',
      certificate: token.unverifiedCertificate,
    });
    return session.start();
  };

  /**
   * The session this browser already has (another page of the site logged
   * in): its events, and presence proofs once no other page of the site
   * proves (presence: false leaves that to the others).
   */
  const watchSession = ({ identity = null, presence = true } = {}) =>
    new Session(client, { identity, presence: presence && 'takeover' }).start();

  return { isAvailable, authenticate, watchSession };
}

let pageClient;
const page = () => (pageClient ??= createClient());

/** True when the Cardbound extension and its native host answer this page. */
export const isAvailable = async () => page().isAvailable();
/** Log in with the card: see createClient().authenticate. */
export const authenticate = async (options) => page().authenticate(options);
/** Follow the session another tab of this site started. */
export const watchSession = (options) => page().watchSession(options);
