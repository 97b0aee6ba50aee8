// Cardbound: log the user of this page in with a smart card.
//
//   import * as cardbound from '/cardbound.js';
//   cardbound.onSessionStarted(showLoggedIn);           // another tab logged in
//   const current = await cardbound.currentSession();   // this browser's session, if any
//   const session = current ?? await cardbound.authenticate();
//   session.addEventListener('sessionended', (e) => showLoggedOut(e.detail.message));
//
// The page never touches the card or the PIN. It talks to the Cardbound
// extension through window messages (the extension's content script
// answers them and takes the page's origin from the browser, not from us) and
// to its own server through the endpoints of docs/protocol.md section 6.
// One session per site and browser: every tab of the site follows the same
// session, and a login started while another tab logs in joins that login.
// A plain ES module without dependencies: no bundler needed.

export const VERSION = '0.1.0';
export const PROTOCOL_VERSION = 2;
// PROTOCOL_VERSION: the version of docs/protocol.md this module speaks. The
// extension says its own in the answer to 'ping'; another one (or none) is
// refused with ERR_EXTENSION_VERSION before anything else is asked of it.

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
  // Parts of different releases (docs/protocol.md section 7): the host
  // program another protocol version than the extension (the extension
  // says so), the extension another than this module.
  HOST_VERSION: 'ERR_HOST_VERSION',
  EXTENSION_VERSION: 'ERR_EXTENSION_VERSION',
});

/**
 * Why a session ended (the `reason` of 'sessionended'): the server's
 * (docs/protocol.md section 6) and `connection-lost`, this module's own when
 * the server could not be reached until the session's presence deadline.
 */
export const EndReason = Object.freeze({
  LOGOUT: 'logout',
  CARD_REMOVED: 'card-removed',
  PRESENCE_LATE: 'presence-late',
  PRESENCE_REFUSED: 'presence-refused',
  NO_SESSION: 'no-session',
  CONNECTION_LOST: 'connection-lost',
  UNKNOWN: 'unknown',
});

// --- Words for people ----------------------------------------------------------
//
// One short sentence for every error code, every server code a login can be
// refused with, every end of a session, and the few notices a page shows
// while it waits. The extension's build copies these into its own
// translations (extension/build.mjs), so the page and the trusted windows
// say the same. {version} stands for VERSION.

export const messages = Object.freeze({
  en: {
    errors: {
      ERR_BAD_REQUEST: 'Something went wrong between this page and Cardbound. Reload the page and try again.',
      ERR_UNKNOWN_COMMAND: 'This page needs a newer Cardbound. Update the Cardbound extension and its host program.',
      ERR_MESSAGE_TOO_LARGE: 'The request for your card was too large. Reload the page and try again.',
      ERR_RESPONSE_TOO_LARGE: 'The answer from your card was too large to pass on. Try again.',
      ERR_ORIGIN_NOT_ALLOWED: 'Cardbound works only on secure (https) sites: your card cannot be used on this page.',
      ERR_ORIGIN_MISMATCH: 'This login was made for another site. Do not use your card here.',
      ERR_SERVER_NOT_TRUSTED: 'This site could not prove who it is, so your card was not used. Do not enter your PIN here.',
      ERR_LOGIN_UNKNOWN: 'The login took too long and expired. Please try again.',
      ERR_NO_CARD: 'Your card is not in the reader. Insert it and try again.',
      ERR_CERTIFICATE_NOT_FOUND: 'The chosen certificate is not on any card in a reader. Insert your card and try again.',
      ERR_PIN_INCORRECT: 'The PIN was wrong.',
      ERR_PIN_INVALID: 'A PIN has 4 to 64 characters.',
      ERR_PIN_BLOCKED: 'The PIN of your card is blocked. Unblock it with your PUK, or ask the card\'s issuer.',
      ERR_USER_CANCELLED: 'Login cancelled.',
      ERR_NOT_LOGGED_IN: 'Your card is no longer logged in. Please log in again.',
      ERR_HOST_MISCONFIGURED: 'Cardbound on this computer is not set up correctly. Ask your administrator to check /etc/cardbound/host.json.',
      ERR_PKCS11: 'Your card or its reader reported an error. Take the card out, put it back and try again.',
      ERR_INTERNAL: 'Something went wrong in Cardbound. Please try again.',
      ERR_EXTENSION_UNAVAILABLE: 'To log in with your card, install the Cardbound browser extension (cardbound-extension-chromium-{version}.zip for Chrome and Chromium, cardbound-extension-firefox-{version}.xpi for Firefox), then reload this page.',
      ERR_HOST_UNAVAILABLE: 'The Cardbound extension is installed, but its helper program is missing from this computer or did not start. Install it (Debian, Ubuntu: sudo apt install ./cardbound-host_{version}_amd64.deb), then restart the browser.',
      ERR_BUSY: 'Another login is waiting in a Cardbound window. Finish or cancel it first.',
      ERR_TIMEOUT: 'Cardbound did not answer in time. Please try again.',
      ERR_SERVER_REFUSED: 'The site refused the login. Please try again later.',
      ERR_HOST_VERSION: 'Cardbound\'s browser extension and its helper program on this computer are from different releases. Install Cardbound {version} for both, then restart the browser.',
      ERR_EXTENSION_VERSION: 'This site needs Cardbound {version}. Update the Cardbound browser extension, then reload this page.',
    },
    serverCodes: {
      TOKEN_MALFORMED: 'The site could not read the login from your card. Please try again.',
      ALGORITHM_UNSUPPORTED: 'The site does not accept the kind of key your card has.',
      CERT_UNTRUSTED: 'The site does not accept certificates from your card\'s issuer.',
      CERT_EXPIRED: 'The certificate on your card has expired. Ask the card\'s issuer for a new one.',
      CERT_NOT_YET_VALID: 'The certificate on your card is not valid yet. Check your computer\'s date and time.',
      CERT_WRONG_PURPOSE: 'This certificate cannot be used to log in. Choose another one.',
      CERT_REVOKED: 'The certificate on your card has been revoked. Ask the card\'s issuer.',
      REVOCATION_UNKNOWN: 'The site could not check your certificate just now. Please try again later.',
      SIGNATURE_INVALID: 'The site could not verify your card\'s signature. Please try again.',
      ORIGIN_MISMATCH: 'This login was made for another site.',
      NONCE_UNKNOWN: 'The login took too long or was used already. Please try again.',
      NONCE_EXPIRED: 'The login took too long or was used already. Please try again.',
      NONCE_REUSED: 'The login took too long or was used already. Please try again.',
      PRESENCE_LATE: 'Your session has expired. Please log in again.',
      SESSION_UNKNOWN: 'You are not logged in.',
      NOT_CONFIRMED: 'The login was not completed. Please try again.',
      SESSION_EXISTS: 'You are logged in already, in another tab of this site.',
    },
    reasons: {
      logout: 'You have logged out.',
      'card-removed': 'Your card was removed from the reader, so you have been logged out.',
      'presence-late': 'The site stopped hearing from your card, so you have been logged out.',
      'presence-refused': 'Your card could not prove it is still in the reader, so you have been logged out.',
      'no-session': 'Your session has ended. Please log in again.',
      'connection-lost': 'The connection to the site was lost, so you have been logged out.',
      unknown: 'Your session has ended.',
    },
    notices: {
      unreachable: 'The site cannot be reached. Check your connection and try again.',
      connectionLost: 'The connection to the site was lost. Trying again…',
      waitingForOtherTab: 'Finishing the login started in another tab…',
    },
  },
  et: {
    errors: {
      ERR_BAD_REQUEST: 'Selle lehe ja Cardboundi vahel läks midagi valesti. Laadige leht uuesti ja proovige uuesti.',
      ERR_UNKNOWN_COMMAND: 'See leht vajab Cardboundi uuemat versiooni. Uuendage Cardboundi laiendust ja selle abiprogrammi.',
      ERR_MESSAGE_TOO_LARGE: 'Päring teie kaardile oli liiga suur. Laadige leht uuesti ja proovige uuesti.',
      ERR_RESPONSE_TOO_LARGE: 'Teie kaardi vastus oli edastamiseks liiga suur. Proovige uuesti.',
      ERR_ORIGIN_NOT_ALLOWED: 'Cardbound töötab ainult turvalistel (https) lehtedel: sellel lehel ei saa teie kaarti kasutada.',
      ERR_ORIGIN_MISMATCH: 'See sisselogimine on tehtud teise saidi jaoks. Ärge kasutage siin oma kaarti.',
      ERR_SERVER_NOT_TRUSTED: 'See sait ei suutnud tõendada, kes ta on, seetõttu teie kaarti ei kasutatud. Ärge sisestage siin oma PIN-i.',
      ERR_LOGIN_UNKNOWN: 'Sisselogimine võttis liiga kaua aega ja aegus. Palun proovige uuesti.',
      ERR_NO_CARD: 'Teie kaart ei ole lugejas. Sisestage kaart ja proovige uuesti.',
      ERR_CERTIFICATE_NOT_FOUND: 'Valitud sertifikaati ei ole ühelgi lugejas oleval kaardil. Sisestage oma kaart ja proovige uuesti.',
      ERR_PIN_INCORRECT: 'PIN oli vale.',
      ERR_PIN_INVALID: 'PIN-is on 4 kuni 64 märki.',
      ERR_PIN_BLOCKED: 'Teie kaardi PIN on blokeeritud. Vabastage see PUK-koodiga või pöörduge kaardi väljaandja poole.',
      ERR_USER_CANCELLED: 'Sisselogimine katkestati.',
      ERR_NOT_LOGGED_IN: 'Teie kaart ei ole enam sisse logitud. Palun logige uuesti sisse.',
      ERR_HOST_MISCONFIGURED: 'Cardbound ei ole selles arvutis õigesti seadistatud. Paluge administraatoril kontrollida faili /etc/cardbound/host.json.',
      ERR_PKCS11: 'Teie kaart või kaardilugeja teatas veast. Võtke kaart välja, pange tagasi ja proovige uuesti.',
      ERR_INTERNAL: 'Cardboundis läks midagi valesti. Palun proovige uuesti.',
      ERR_EXTENSION_UNAVAILABLE: 'Kaardiga sisselogimiseks paigaldage Cardboundi brauserilaiendus (Chrome\'i ja Chromiumi jaoks cardbound-extension-chromium-{version}.zip, Firefoxi jaoks cardbound-extension-firefox-{version}.xpi) ja laadige see leht uuesti.',
      ERR_HOST_UNAVAILABLE: 'Cardboundi laiendus on paigaldatud, kuid selle abiprogramm puudub arvutist või ei käivitunud. Paigaldage see (Debian, Ubuntu: sudo apt install ./cardbound-host_{version}_amd64.deb) ja taaskäivitage brauser.',
      ERR_BUSY: 'Üks sisselogimine ootab juba Cardboundi aknas. Lõpetage või katkestage see enne.',
      ERR_TIMEOUT: 'Cardbound ei vastanud õigel ajal. Palun proovige uuesti.',
      ERR_SERVER_REFUSED: 'Sait keeldus sisselogimisest. Palun proovige hiljem uuesti.',
      ERR_HOST_VERSION: 'Cardboundi brauserilaiendus ja selle abiprogramm selles arvutis on pärit eri väljalasetest. Paigaldage mõlemast Cardboundi versioon {version} ja taaskäivitage brauser.',
      ERR_EXTENSION_VERSION: 'See sait vajab Cardboundi versiooni {version}. Uuendage Cardboundi brauserilaiendust ja laadige see leht uuesti.',
    },
    serverCodes: {
      TOKEN_MALFORMED: 'Sait ei suutnud teie kaardi sisselogimist lugeda. Palun proovige uuesti.',
      ALGORITHM_UNSUPPORTED: 'Sait ei aktsepteeri teie kaardil oleva võtme tüüpi.',
      CERT_UNTRUSTED: 'Sait ei aktsepteeri teie kaardi väljaandja sertifikaate.',
      CERT_EXPIRED: 'Teie kaardi sertifikaat on aegunud. Küsige kaardi väljaandjalt uus.',
      CERT_NOT_YET_VALID: 'Teie kaardi sertifikaat ei kehti veel. Kontrollige arvuti kuupäeva ja kellaaega.',
      CERT_WRONG_PURPOSE: 'Selle sertifikaadiga ei saa sisse logida. Valige teine.',
      CERT_REVOKED: 'Teie kaardi sertifikaat on tühistatud. Pöörduge kaardi väljaandja poole.',
      REVOCATION_UNKNOWN: 'Sait ei saanud teie sertifikaati praegu kontrollida. Palun proovige hiljem uuesti.',
      SIGNATURE_INVALID: 'Sait ei suutnud teie kaardi allkirja kontrollida. Palun proovige uuesti.',
      ORIGIN_MISMATCH: 'See sisselogimine on tehtud teise saidi jaoks.',
      NONCE_UNKNOWN: 'Sisselogimine võttis liiga kaua aega või on juba kasutatud. Palun proovige uuesti.',
      NONCE_EXPIRED: 'Sisselogimine võttis liiga kaua aega või on juba kasutatud. Palun proovige uuesti.',
      NONCE_REUSED: 'Sisselogimine võttis liiga kaua aega või on juba kasutatud. Palun proovige uuesti.',
      PRESENCE_LATE: 'Teie seanss on aegunud. Palun logige uuesti sisse.',
      SESSION_UNKNOWN: 'Te ei ole sisse logitud.',
      NOT_CONFIRMED: 'Sisselogimine jäi pooleli. Palun proovige uuesti.',
      SESSION_EXISTS: 'Olete juba sisse logitud selle saidi teises vahekaardis.',
    },
    reasons: {
      logout: 'Te logisite välja.',
      'card-removed': 'Teie kaart eemaldati lugejast, seetõttu logiti teid välja.',
      'presence-late': 'Sait ei saanud enam teie kaardilt vastust, seetõttu logiti teid välja.',
      'presence-refused': 'Teie kaart ei suutnud tõendada, et see on endiselt lugejas, seetõttu logiti teid välja.',
      'no-session': 'Teie seanss on lõppenud. Palun logige uuesti sisse.',
      'connection-lost': 'Ühendus saidiga katkes, seetõttu logiti teid välja.',
      unknown: 'Teie seanss on lõppenud.',
    },
    notices: {
      unreachable: 'Saidiga ei saa ühendust. Kontrollige võrguühendust ja proovige uuesti.',
      connectionLost: 'Ühendus saidiga katkes. Proovin uuesti…',
      waitingForOtherTab: 'Lõpetan teises vahekaardis alustatud sisselogimist…',
    },
  },
});

// The language of the words: the one asked for, else the page's own
// (<html lang>), else the browser's, else English.
function languageOf(preferred) {
  const doc = globalThis.document;
  const candidates = [preferred, doc?.documentElement?.lang, ...(globalThis.navigator?.languages ?? [])];
  for (const c of candidates) {
    const base = typeof c === 'string' ? c.toLowerCase().split('-')[0] : '';
    if (Object.hasOwn(messages, base)) return base;
  }
  return 'en';
}

const own = (table, key) => (typeof key === 'string' && Object.hasOwn(table, key) ? table[key] : undefined);

/**
 * A short sentence for people about `what`: a CardboundError (or any error
 * with a `code`), an error code (`ERR_PIN_BLOCKED`), a server code
 * (`CERT_REVOKED`), an end-of-session reason (`card-removed`) or a notice
 * name (`connectionLost`). Never a code: anything unknown gets a general
 * sentence. `lang` is `en` or `et` (default: the page's language).
 */
export function messageFor(what, { lang } = {}) {
  const words = messages[languageOf(lang)];
  let text;
  if (what && typeof what === 'object') {
    if (what.code === ErrorCode.SERVER_REFUSED) {
      text = what.status === 0 ? words.notices.unreachable : own(words.serverCodes, what.serverCode);
    }
    text ??= own(words.errors, what.code);
  } else {
    text = own(words.errors, what) ?? own(words.serverCodes, what) ?? own(words.reasons, what) ?? own(words.notices, what);
  }
  return (text ?? words.errors.ERR_INTERNAL).replaceAll('{version}', VERSION);
}

// --- Errors ----------------------------------------------------------------------

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
/**
 * Parts of Cardbound from different releases: the extension
 * (ERR_EXTENSION_VERSION, `extensionProtocol`) or its host program
 * (ERR_HOST_VERSION, `hostProtocol`) speaks another protocol version than
 * `protocol`, the one of the part that asked. Update, don't retry.
 */
export class VersionMismatchError extends CardboundError {}

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
  ERR_HOST_VERSION: VersionMismatchError,
  ERR_EXTENSION_VERSION: VersionMismatchError,
};

// The details an error may carry from the extension; anything else is dropped.
const errorDetails = ['reason', 'triesLeft', 'pinState', 'pkcs11Error', 'status', 'serverCode',
  'hostProtocol', 'extensionProtocol', 'protocol'];

/** The error object for a code, of the class that says what the caller can do. */
export function errorFromCode(code, message, details = {}) {
  const known = Object.values(ErrorCode).includes(code);
  const Class = Object.hasOwn(errorClasses, code) ? errorClasses[code] : CardboundError;
  const kept = {};
  for (const k of errorDetails) if (details[k] !== undefined) kept[k] = details[k];
  return new Class(known ? code : ErrorCode.INTERNAL, typeof message === 'string' ? message : '', kept);
}

// --- The extension -------------------------------------------------------------

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

// The page's end of the window-message bridge to the extension's content
// script. Nothing but 'ping' goes to an extension before a ping has shown
// that it speaks this module's protocol version.
class ExtensionBridge {
  #verified = false;

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

  // Whether the extension is there (else ExtensionUnavailableError after 1 s)
  // and speaks this module's protocol version (else VersionMismatchError,
  // ERR_EXTENSION_VERSION): its content script answers {extension, protocol}.
  async ping() {
    const answer = await this.#send('ping', {}, timeouts.ping);
    if (answer.protocol !== PROTOCOL_VERSION) {
      this.#verified = false;
      const said = Number.isInteger(answer.protocol) ? answer.protocol : null;
      const which = typeof answer.extension === 'string' ? ` ${answer.extension}` : '';
      throw new VersionMismatchError(ErrorCode.EXTENSION_VERSION,
        `the Cardbound extension${which} speaks protocol ${said ?? '(none)'}, this page protocol ${PROTOCOL_VERSION}`,
        { extensionProtocol: said, protocol: PROTOCOL_VERSION });
    }
    this.#verified = true;
    return answer;
  }

  // An action of the extension; the first of this page pings first.
  async call(action, args = {}, timeout = timeouts[action]) {
    if (action === 'ping') return this.ping();
    if (!this.#verified) await this.ping();
    return this.#send(action, args, timeout);
  }

  #send(action, args, timeout) {
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

// --- The other pages of the site --------------------------------------------------
//
// Pages of one site in one browser share one session (one cookie), so they
// tell each other what they learn: that a page logged in, and when the
// session's presence deadline now is. A BroadcastChannel reaches the
// site's other pages in this browser and nothing else. Same-origin pages
// are still checked: only these two shapes are heard.

class SitePages {
  #channel = null;
  #listeners = new Set();

  constructor(BC, name) {
    this.BC = BC;
    this.name = name;
  }

  #open() {
    if (this.#channel || !this.BC) return this.#channel;
    try {
      this.#channel = new this.BC(this.name);
      this.#channel.onmessage = (e) => {
        const m = e.data;
        if (!m || typeof m !== 'object') return;
        if (m.type === 'session-started' || (m.type === 'deadline' && Number.isFinite(m.at))) {
          for (const listener of this.#listeners) listener(m);
        }
      };
    } catch {
      this.BC = null; // no channel here: every page learns things by itself
    }
    return this.#channel;
  }

  tell(message) {
    try { this.#open()?.postMessage(message); } catch { /* closed */ }
  }

  listen(listener) {
    this.#open();
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
}

// --- The session -------------------------------------------------------------------

// How soon a presence round that hit a passing hitch is tried again.
const PRESENCE_RETRY_MS = 1000;
// How soon an event stream the browser gave up on (an HTTP error from a
// proxy) is opened again.
const EVENTS_RETRY_MS = 2000;
// With no presence deadline known at all, how long a lost connection is
// waited out: the longest a presence challenge lives.
const UNKNOWN_DEADLINE_MS = 5 * 60 * 1000;
// How long the server may take to say whether a session still lives, when a
// page asks at its deadline.
const CHECK_TIMEOUT_MS = 3000;

// A failure of the site's server to answer at all (network, no answer in
// time, a proxy's or the server's 5xx): the connection is lost, the session
// may still be live there.
function isUnreachable(error) {
  return error.code === ErrorCode.SERVER_REFUSED && (error.status === 0 || error.status >= 500);
}

// The server answered that the session is gone (401): why, as the server's
// event stream would say it.
function endedBy(error, otherwise) {
  if (error.code !== ErrorCode.SERVER_REFUSED || error.status !== 401) return null;
  if (error.serverCode === 'PRESENCE_LATE') return EndReason.PRESENCE_LATE;
  if (error.serverCode === 'SESSION_UNKNOWN' || error.serverCode === 'NOT_CONFIRMED') return EndReason.NO_SESSION;
  return otherwise;
}

// The extension's hitches worth another presence round (a server out of
// reach is handled on its own).
function isPassing(error) {
  return error.code === ErrorCode.TIMEOUT || error.code === ErrorCode.BUSY;
}

/**
 * A logged-in session of this page. Events (each detail also has `message`,
 * a sentence for people in the page's language):
 *  - `cardremoved` (`{reader}`): the card that logged in left its reader;
 *    the extension is logging the site out;
 *  - `connectionlost` / `connectionrestored`: the site's server cannot be
 *    reached / can again. Without it until the presence deadline, the
 *    session ends here with `connection-lost`, as it does on the server;
 *  - `presencefailed` (`{code}`): this page could not prove the card's
 *    presence; the server ends the session at its deadline;
 *  - `sessionended` (`{reason}`, one of EndReason). Fired once.
 *
 * The server is the authority. A Session knows the session's presence
 * deadline (from the last presence challenge, GET <base>/session, or the
 * tab that proves); when it passes without news, the Session asks the server
 * whether the session lives, and ends if the server says no or cannot be
 * reached. So no page shows access the server no longer grants, even when
 * its requests hang instead of failing.
 */
export class Session extends EventTarget {
  #client;
  #sessionTag; // the host's session of this page's own login, to log out
  #tag; // the server's session this Session follows (its public tag), if known
  #presence;
  #timer;
  #wake;
  #events = null;
  #eventsRetry;
  #unsubscribe = [];
  #ended = false;
  #stopped = false; // no more presence rounds: ended, or logging out
  #abort = new AbortController(); // ends the requests in flight with the session
  #deadline = null; // when the server ends the session without a new proof (local ms), if known
  #deadlineTimer;
  #lost = false;
  #proving = false; // this page's presence loop runs

  // presence: 'own' (this page logged in and proves), 'takeover' (proves
  // once no other page does; needs Web Locks) or false. expiresIn: seconds
  // to the server's presence deadline, when known. tag: the server's
  // session tag, when known.
  constructor(client, { identity = null, presenceInterval = null, sessionTag = null, tag = sessionTag, certificate = null,
    presence = false, expiresIn = null } = {}) {
    super();
    this.#client = client;
    this.identity = identity;
    this.presenceInterval = presenceInterval;
    this.#sessionTag = sessionTag;
    this.#tag = tag;
    this.#presence = presence;
    this.certificates = certificate ? [certificate] : [];
    if (Number.isFinite(expiresIn)) this.#deadline = Date.now() + expiresIn * 1000;
  }

  get ended() { return this.#ended; }

  // Listen to the server's event stream, the extension's card events and
  // the site's other pages; keep proving presence.
  start() {
    this.#openEvents();
    this.#unsubscribe.push(this.#client.bridge.onEvent((event, data) => {
      if (event === 'card-removed' && !this.#ended) {
        this.#fire('cardremoved', { reader: data.reader ?? null }, EndReason.CARD_REMOVED);
      }
    }));
    this.#unsubscribe.push(this.#client.pages.listen((m) => {
      if (m.type === 'deadline') this.#setDeadline(m.at, false);
    }));
    if (this.#deadline === null) this.#check();
    else this.#setDeadline(this.#deadline, false);
    if (this.#presence) this.#provePresence();
    return this;
  }

  #fire(type, detail, words) {
    this.dispatchEvent(new CustomEvent(type, { detail: { ...detail, message: messageFor(words, { lang: this.#client.lang }) } }));
  }

  // The server's event stream: the end of the session, and whether the
  // server can be reached at all.
  #openEvents() {
    const { EventSource: ES } = this.#client;
    if (!ES || this.#ended) return;
    const events = new ES(`${this.#client.base}/events`, { withCredentials: true });
    this.#events = events;
    events.addEventListener('session-ended', (e) => {
      let reason = EndReason.UNKNOWN;
      try {
        const r = JSON.parse(e.data)?.reason;
        if (typeof r === 'string' && r) reason = r;
      } catch { /* keep 'unknown' */ }
      this.#end(reason);
    });
    events.addEventListener('open', () => {
      if (events !== this.#events || !this.#lost) return;
      this.#check(); // what happened while it was away
    });
    events.addEventListener('error', () => {
      if (events !== this.#events || this.#ended) return;
      this.#unreachable();
      // The browser reconnects by itself, except after an HTTP error.
      if (events.readyState === 2) {
        events.close();
        this.#eventsRetry = setTimeout(() => this.#openEvents(), EVENTS_RETRY_MS);
      }
    });
  }

  // Asks the server whether the session lives (GET <base>/session): yes
  // moves the deadline on; no (or another session now) ends it with the
  // server's reason; no answer in time ends it as connection-lost when the
  // connection was lost or the deadline has come.
  async #check() {
    let answer;
    try {
      answer = await this.#client.session({ signal: this.#abort.signal, timeout: CHECK_TIMEOUT_MS });
    } catch (error) {
      if (this.#ended) return;
      if (isUnreachable(error)) {
        this.#unreachable();
        if (this.#deadline !== null && Date.now() >= this.#deadline) this.#end(EndReason.CONNECTION_LOST);
      } else {
        // The server answered, but cannot say (a 4xx other than 401, such
        // as an endpoint it does not have): its event stream stays the
        // judge; look again later.
        this.#reachable();
        this.#setDeadline(Date.now() + UNKNOWN_DEADLINE_MS, false);
      }
      return;
    }
    if (this.#ended) return;
    this.#reachable();
    if (!answer.live) return this.#end(endedBy(answer.error, EndReason.NO_SESSION));
    const s = answer.session;
    // The cookie names another session now (this one ended unheard, and
    // another tab logged in): this one is over.
    if (this.#tag && typeof s.sessionTag === 'string' && s.sessionTag !== this.#tag) return this.#end(EndReason.NO_SESSION);
    this.#tag ??= typeof s.sessionTag === 'string' ? s.sessionTag : null;
    this.identity ??= s.identity ?? null;
    this.presenceInterval ??= s.presenceInterval ?? null;
    // expiresIn is in whole seconds, and 0 means within the next one.
    if (Number.isFinite(s.expiresIn)) this.#setDeadline(Date.now() + Math.max(1, s.expiresIn) * 1000, false);
  }

  // A new deadline: the server ends the session then unless a proof reaches
  // it. When it passes without a newer one, the server is asked.
  #setDeadline(at, tellOthers) {
    if (this.#ended) return;
    this.#deadline = at;
    if (tellOthers) this.#client.pages.tell({ type: 'deadline', at });
    clearTimeout(this.#deadlineTimer);
    this.#deadlineTimer = setTimeout(() => this.#atDeadline(), Math.max(0, at - Date.now()));
  }

  // The deadline passed without a newer one. The page that proves knows
  // why while the server answers it (its own rounds say, and a late card
  // fires presencefailed); any other page, or one that lost the server,
  // asks the server.
  #atDeadline() {
    if (this.#proving && !this.#lost) return;
    this.#check();
  }

  // The server cannot be reached: say so once. The deadline decides.
  #unreachable() {
    if (this.#ended || this.#lost) return;
    this.#lost = true;
    if (this.#deadline === null) this.#setDeadline(Date.now() + UNKNOWN_DEADLINE_MS, false);
    this.#fire('connectionlost', {}, 'connectionLost');
  }

  // The server answered something.
  #reachable() {
    if (!this.#lost || this.#ended) return;
    this.#lost = false;
    this.dispatchEvent(new CustomEvent('connectionrestored', { detail: { message: '' } }));
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
  // The challenge also tells the deadline, which the other pages learn.
  async #presenceLoop() {
    this.#proving = true;
    try {
      await this.#rounds();
    } finally {
      this.#proving = false;
      // No more rounds (the card failed): the deadline is watched as any
      // other page watches it, asking the server when it has passed.
      if (!this.#ended && this.#deadline !== null) this.#setDeadline(this.#deadline, false);
    }
  }

  async #rounds() {
    const signal = this.#abort.signal;
    let lifetime = 0;
    while (!this.#stopped) {
      let step = 'challenge';
      try {
        const challenge = await this.#client.post('/presence/challenge', {}, { signal });
        if (this.#stopped) return;
        this.#reachable();
        lifetime = Date.parse(challenge.expiresAt) - Date.parse(challenge.issuedAt);
        if (!(lifetime > 0)) throw new CardboundError(ErrorCode.BAD_REQUEST, 'a presence challenge without a lifetime');
        this.#setDeadline(Date.now() + lifetime, true);
        await this.#wait(lifetime / 2);
        if (this.#stopped) return;
        // Late is as bad as never: give up on this round while a retry can
        // still make the deadline.
        const { proof } = await this.#client.bridge.call('presence', { challenge },
          Math.min(timeouts.presence, Math.max(2000, lifetime * 0.3)));
        if (this.#stopped) return;
        step = 'proof';
        await this.#client.post('/presence', { proof }, { signal });
        this.#reachable();
        this.#setDeadline(Date.now() + lifetime, false); // the next challenge says exactly
      } catch (error) {
        if (this.#stopped) return;
        // The server says the session is gone: it is, for every tab.
        const gone = endedBy(error, step === 'proof' ? EndReason.PRESENCE_REFUSED : EndReason.NO_SESSION);
        if (gone) return this.#end(gone);
        // The server out of reach: tried again every second; at the
        // deadline the server is asked, and the session ends if it cannot
        // be reached. Another passing hitch (no answer in time) is tried
        // again until the deadline. Anything else means the card cannot
        // prove itself: the server ends the session at its deadline, and its
        // event stream tells every tab.
        if (isUnreachable(error)) this.#unreachable();
        else {
          if (error.code === ErrorCode.SERVER_REFUSED) this.#reachable();
          if (!isPassing(error) || Date.now() >= (this.#deadline ?? Infinity)) {
            this.#fire('presencefailed', { code: error.code ?? ErrorCode.INTERNAL }, error);
            return;
          }
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

  /**
   * Log out of the site (every tab) and end the card's session in the host.
   * The host's session ends even when the server cannot be reached, so the
   * card proves nothing more for this site and the server ends the session
   * at its deadline; the promise then rejects with the server's error.
   */
  async logout() {
    this.#stop();
    try {
      await this.#client.post('/logout', {});
    } finally {
      // This page's own login by its tag; a session another page logged in
      // to: the origin's (one session per site and browser).
      await this.#client.bridge.call('logout', this.#sessionTag ? { sessionTag: this.#sessionTag } : {}).catch(() => {});
      this.#end(EndReason.LOGOUT);
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
    this.#abort.abort();
    clearTimeout(this.#deadlineTimer);
    clearTimeout(this.#eventsRetry);
    this.#events?.close();
    for (const unsubscribe of this.#unsubscribe) unsubscribe();
    const known = Object.values(EndReason).includes(reason);
    this.#fire('sessionended', { reason }, known ? reason : EndReason.UNKNOWN);
  }
}

// --- The client -----------------------------------------------------------------

// How long a request to the site's server may take before it counts as
// unanswered (a server that hangs is as gone as one that refuses).
const REQUEST_TIMEOUT_MS = 10_000;

// Runs `fn` holding the Web Lock `name`; `onWaiting` is called first when
// another page holds it. Without Web Locks, runs it at once.
async function underLock(locks, name, fn, onWaiting) {
  if (!locks) return fn();
  const busy = Symbol('busy');
  let entered = false;
  const enter = () => {
    entered = true;
    return fn();
  };
  let result;
  try {
    result = await locks.request(name, { ifAvailable: true }, (lock) => (lock ? enter() : busy));
  } catch (e) {
    if (entered) throw e;
    return fn(); // Web Locks refused (e.g. an opaque origin): go on without
  }
  if (result !== busy) return result;
  try { onWaiting?.(); } catch { /* the page's own bug must not skip the lock */ }
  return locks.request(name, enter);
}

/**
 * An API bound to a window, fetch, EventSource, Web Locks and
 * BroadcastChannel. The module's own functions use the page's; tests and
 * frameworks may pass their own. `base` is the path of the server's
 * Cardbound endpoints (default `/cardbound`); `lang` the language of the
 * messages (default: the page's).
 */
export function createClient({ window: win = globalThis.window, fetch: fetchFn = globalThis.fetch?.bind(globalThis),
  EventSource: ES = globalThis.EventSource, locks = globalThis.navigator?.locks,
  BroadcastChannel: BC = globalThis.BroadcastChannel, base = '/cardbound', lang } = {}) {
  if (!win || !fetchFn) throw new CardboundError(ErrorCode.INTERNAL, 'cardbound.js runs in a browser page');
  base = String(base).replace(/\/$/, '');
  const client = {
    bridge: new ExtensionBridge(win), EventSource: ES, locks, base, lang,
    pages: new SitePages(BC, `org.cardbound ${base}`),
  };
  let current = null; // the live Session this page follows
  const startedListeners = new Set();

  // One request to the site's server: answered within `timeout`, or a
  // ServerRefusedError with status 0 (as if unreachable); `signal` ends it.
  const request = async (method, path, body, { signal, timeout = REQUEST_TIMEOUT_MS } = {}) => {
    const controller = new AbortController();
    let timer;
    const stop = () => controller.abort();
    signal?.addEventListener('abort', stop);
    if (signal?.aborted) stop();
    const abandoned = new Promise((_, reject) => {
      timer = setTimeout(() => { stop(); reject(new Error(`no answer in ${timeout} ms`)); }, timeout);
      controller.signal.addEventListener('abort', () => reject(new Error('stopped')));
    });
    abandoned.catch(() => {});
    let res;
    try {
      const init = method === 'GET'
        ? { method, credentials: 'same-origin' }
        : { method, credentials: 'same-origin', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
      init.signal = controller.signal;
      // The fetch, or whichever comes first of the timeout and the caller's end.
      res = await Promise.race([fetchFn(`${client.base}${path}`, init), abandoned]);
      if (!res.ok) {
        let serverCode = null;
        try { serverCode = (await Promise.race([res.json(), abandoned])).error ?? null; } catch { /* not JSON */ }
        throw new ServerRefusedError(ErrorCode.SERVER_REFUSED, `the server refused ${path}: ${res.status} ${serverCode ?? ''}`.trim(),
          { status: res.status, serverCode });
      }
      return res.status === 204 ? {} : await Promise.race([res.json(), abandoned]);
    } catch (e) {
      if (e instanceof ServerRefusedError) throw e;
      throw new ServerRefusedError(ErrorCode.SERVER_REFUSED, `the server could not be reached: ${e.message}`, { status: 0 });
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', stop);
    }
  };
  client.post = (path, body, options) => request('POST', path, body, options);
  // GET <base>/session: {live: true, session}, or {live: false, error} when
  // the server has no such session (401). Throws otherwise: the server
  // cannot be reached, or cannot say (cannotTell: no such endpoint).
  client.session = async (options) => {
    try {
      return { live: true, session: await request('GET', '/session', undefined, options) };
    } catch (e) {
      if (e.status === 401) return { live: false, error: e };
      throw e;
    }
  };
  const cannotTell = (e) => e.status === 404 || e.status === 405;

  const live = () => (current && !current.ended ? current : null);
  // This page follows one session at a time: the live one if there is one.
  const follow = (session) => {
    if (live()) return current;
    current = session;
    session.addEventListener('sessionended', () => { if (current === session) current = null; });
    return session.start();
  };

  /**
   * What this page can do about logging in: `{available: true}`, or
   * `{available: false, code, message}` with ERR_EXTENSION_UNAVAILABLE (no
   * extension), ERR_EXTENSION_VERSION (an extension of another release:
   * update it; also `extensionProtocol` and `protocol`),
   * ERR_HOST_UNAVAILABLE (the extension cannot start its host program),
   * ERR_HOST_VERSION (a host program of another release than the
   * extension; also `hostProtocol` and `protocol`), ERR_HOST_MISCONFIGURED,
   * ERR_TIMEOUT, and a sentence for people that says what to install.
   */
  const availability = async () => {
    const no = (code, details = {}) => ({ available: false, code, message: messageFor(code, { lang }), ...details });
    try {
      await client.bridge.call('ping');
      const status = await client.bridge.call('status');
      if (status.configured === false) return no(ErrorCode.HOST_MISCONFIGURED);
      return { available: true };
    } catch (e) {
      if (e instanceof VersionMismatchError) {
        const { hostProtocol, extensionProtocol, protocol } = e;
        return no(e.code, e.code === ErrorCode.HOST_VERSION ? { hostProtocol, protocol } : { extensionProtocol, protocol });
      }
      return no(e.code ?? ErrorCode.INTERNAL);
    }
  };

  /** True when the extension and its native host answer. */
  const isAvailable = async () => (await availability()).available;

  /**
   * The session this browser has with the site, or null: the same Session
   * object while it lives, else a new one made from GET <base>/session (it
   * proves presence once no other page of the site does, unless presence
   * is false). Rejects with ServerRefusedError when the server cannot say.
   */
  const currentSession = async ({ presence = true } = {}) => {
    if (live()) return current;
    let answer;
    try {
      answer = await client.session();
    } catch (e) {
      if (!cannotTell(e)) throw e;
      answer = { live: false }; // a server without the endpoint: no session to join
    }
    if (live()) return current; // another call got there first
    if (!answer.live) return null;
    const s = answer.session;
    return follow(new Session(client, {
      identity: s.identity ?? null, presenceInterval: s.presenceInterval ?? null, expiresIn: s.expiresIn,
      tag: typeof s.sessionTag === 'string' ? s.sessionTag : null, presence: presence && 'takeover',
    }));
  };

  // The three steps, for a browser without a session on this site.
  const login = async (presence) => {
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
    return new Session(client, {
      identity: confirmed.identity, presenceInterval: confirmed.presenceInterval, sessionTag, presence: presence && 'own',
      certificate: token.unverifiedCertificate,
      // Until the first presence challenge says exactly.
      expiresIn: confirmed.presenceInterval,
    });
  };

  /**
   * Log in with the card, or join the login that already happened: one
   * session per site and browser. A live session of this browser (another
   * tab logged in) is returned as it is, without a PIN; a login another tab
   * of the site is doing is waited for (`onWaiting()` is called first) and
   * joined. Otherwise the three steps: the server proves itself (signed
   * challenge, checked by the host before any PIN), the card holder picks a
   * certificate and gives the PIN in the extension's own windows, and the
   * card proves it is still there (confirm). Resolves with a started
   * Session; rejects with a CardboundError subclass.
   */
  const authenticate = async ({ presence = true, onWaiting } = {}) => {
    await client.bridge.call('ping');
    if (live()) return current;
    return underLock(client.locks, `org.cardbound.login ${client.base}`, async () => {
      const joined = await currentSession({ presence });
      if (joined) return joined;
      let session;
      try {
        session = await login(presence);
      } catch (e) {
        // Another page's login got in first after all (no Web Locks): join it.
        if (e.code === ErrorCode.SERVER_REFUSED && e.serverCode === 'SESSION_EXISTS') {
          const other = await currentSession({ presence });
          if (other) return other;
        }
        throw e;
      }
      const followed = follow(session);
      client.pages.tell({ type: 'session-started' });
      return followed;
    }, onWaiting);
  };

  /**
   * Calls `listener(session)` when another page of the site logs in and this
   * page follows that session now (not for this page's own calls).
   * Returns a function that stops it.
   */
  const onSessionStarted = (listener) => {
    startedListeners.add(listener);
    const stop = client.pages.listen(async (m) => {
      if (m.type !== 'session-started' || live() || !startedListeners.has(listener)) return;
      let session;
      try {
        session = await currentSession();
      } catch {
        return; // the server cannot say now; the page stays as it is
      }
      if (session && startedListeners.has(listener)) listener(session);
    });
    return () => {
      startedListeners.delete(listener);
      stop();
    };
  };

  /**
   * A Session for a page that found a live session itself (e.g. through its
   * own GET /api/me): its events, and presence proofs once no other page of
   * the site proves (presence: false leaves that to the others). The live
   * Session this page already follows, if any. Prefer currentSession(),
   * which asks the server.
   */
  const watchSession = ({ identity = null, presence = true } = {}) =>
    follow(new Session(client, { identity, presence: presence && 'takeover' }));

  return { isAvailable, availability, authenticate, currentSession, onSessionStarted, watchSession };
}

let pageClient;
const page = () => (pageClient ??= createClient());

/** True when the Cardbound extension and its native host answer this page. */
export const isAvailable = async () => page().isAvailable();
/** What is missing for a card login on this page: see createClient().availability. */
export const availability = async () => page().availability();
/** Log in with the card, or join this browser's session: see createClient().authenticate. */
export const authenticate = async (options) => page().authenticate(options);
/** This browser's live session with the site, or null: see createClient().currentSession. */
export const currentSession = async (options) => page().currentSession(options);
/** Hear of the logins of the site's other pages: see createClient().onSessionStarted. */
export const onSessionStarted = (listener) => page().onSessionStarted(listener);
/** Follow the session another tab of this site started. */
export const watchSession = (options) => page().watchSession(options);
