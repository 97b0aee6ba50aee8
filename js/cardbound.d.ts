// Types of cardbound.js, the ES module a web page uses to log its user in
// with a smart card (docs/protocol.md section 6 for the server's endpoints).
// Needs the DOM library (EventTarget, CustomEvent).

export declare const VERSION: string;
/**
 * The version of docs/protocol.md this module speaks; an extension whose
 * answer to 'ping' names another is refused (ERR_EXTENSION_VERSION).
 */
export declare const PROTOCOL_VERSION: number;

/** Error codes: the host's (docs/protocol.md section 2) and the page's own. */
export declare const ErrorCode: {
  readonly BAD_REQUEST: 'ERR_BAD_REQUEST';
  readonly UNKNOWN_COMMAND: 'ERR_UNKNOWN_COMMAND';
  readonly MESSAGE_TOO_LARGE: 'ERR_MESSAGE_TOO_LARGE';
  readonly RESPONSE_TOO_LARGE: 'ERR_RESPONSE_TOO_LARGE';
  readonly ORIGIN_NOT_ALLOWED: 'ERR_ORIGIN_NOT_ALLOWED';
  readonly ORIGIN_MISMATCH: 'ERR_ORIGIN_MISMATCH';
  readonly SERVER_NOT_TRUSTED: 'ERR_SERVER_NOT_TRUSTED';
  readonly LOGIN_UNKNOWN: 'ERR_LOGIN_UNKNOWN';
  readonly NO_CARD: 'ERR_NO_CARD';
  readonly CERTIFICATE_NOT_FOUND: 'ERR_CERTIFICATE_NOT_FOUND';
  readonly PIN_INCORRECT: 'ERR_PIN_INCORRECT';
  readonly PIN_INVALID: 'ERR_PIN_INVALID';
  readonly PIN_BLOCKED: 'ERR_PIN_BLOCKED';
  readonly USER_CANCELLED: 'ERR_USER_CANCELLED';
  readonly NOT_LOGGED_IN: 'ERR_NOT_LOGGED_IN';
  readonly HOST_MISCONFIGURED: 'ERR_HOST_MISCONFIGURED';
  readonly PKCS11: 'ERR_PKCS11';
  readonly INTERNAL: 'ERR_INTERNAL';
  readonly EXTENSION_UNAVAILABLE: 'ERR_EXTENSION_UNAVAILABLE';
  readonly HOST_UNAVAILABLE: 'ERR_HOST_UNAVAILABLE';
  readonly BUSY: 'ERR_BUSY';
  readonly TIMEOUT: 'ERR_TIMEOUT';
  readonly SERVER_REFUSED: 'ERR_SERVER_REFUSED';
  readonly HOST_VERSION: 'ERR_HOST_VERSION';
  readonly EXTENSION_VERSION: 'ERR_EXTENSION_VERSION';
};
/** One of the values of ErrorCode. */
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/**
 * Why a session ended: the server's reasons, and `connection-lost`, the
 * page's own when the server could not be reached until the presence deadline.
 */
export declare const EndReason: {
  readonly LOGOUT: 'logout';
  readonly CARD_REMOVED: 'card-removed';
  readonly PRESENCE_LATE: 'presence-late';
  readonly PRESENCE_REFUSED: 'presence-refused';
  readonly NO_SESSION: 'no-session';
  readonly CONNECTION_LOST: 'connection-lost';
  readonly UNKNOWN: 'unknown';
};

/** The sentences of one language. */
export interface Messages {
  /** By error code (ErrorCode). */
  errors: Readonly<Record<ErrorCode, string>>;
  /** By the server's refusal code (ServerRefusedError.serverCode), e.g. CERT_REVOKED. */
  serverCodes: Readonly<Record<string, string>>;
  /** By end-of-session reason (EndReason). */
  reasons: Readonly<Record<(typeof EndReason)[keyof typeof EndReason], string>>;
  /** unreachable, connectionLost, waitingForOtherTab. */
  notices: Readonly<{ unreachable: string; connectionLost: string; waitingForOtherTab: string }>;
}
/** Every sentence, by language (`en`, `et`); {version} stands for VERSION. */
export declare const messages: Readonly<{ en: Messages; et: Messages }>;

export interface MessageOptions {
  /** `en` or `et` (also `et-EE` and the like); default: the page's <html lang>, else the browser's language, else English. */
  lang?: string;
}
/**
 * A short sentence for people about an error (its code, and for
 * ServerRefusedError its serverCode or an unreachable server), an error code,
 * a server code, an end-of-session reason or a notice name. Never a code:
 * anything unknown gets a general sentence.
 */
export declare function messageFor(what: unknown, options?: MessageOptions): string;

/** Why the host refused the server's signed message (ERR_SERVER_NOT_TRUSTED). */
export type ServerNotTrustedReason =
  | 'untrusted' | 'name' | 'pin' | 'signature' | 'nonce' | 'expired' | 'not-yet-valid'
  | 'lifetime' | 'certificate' | 'receipt-mismatch' | 'replay'
  | (string & {});

/** The PIN counter as the card reports it. */
export type PinState = 'ok' | 'count-low' | 'final-try' | 'locked' | (string & {});

/** The details an error may carry; the API drops any other field. */
export interface CardboundErrorDetails {
  /** ERR_SERVER_NOT_TRUSTED: why the server's message did not verify. */
  reason?: ServerNotTrustedReason;
  /** ERR_PIN_INCORRECT on the last try: 1. */
  triesLeft?: number;
  /** ERR_PIN_INCORRECT: the PIN counter's state. */
  pinState?: PinState;
  /** ERR_PKCS11: the CKR value. */
  pkcs11Error?: string;
  /** ERR_SERVER_REFUSED: the HTTP status (0 when the server could not be reached). */
  status?: number;
  /** ERR_SERVER_REFUSED: the server's `error` field (e.g. CERT_REVOKED), null when it sent none. */
  serverCode?: string | null;
  /** ERR_HOST_VERSION: the host program's protocol version, null when it named none. */
  hostProtocol?: number | null;
  /** ERR_EXTENSION_VERSION: the extension's protocol version, null when it named none. */
  extensionProtocol?: number | null;
  /** ERR_HOST_VERSION, ERR_EXTENSION_VERSION: the protocol version of the part that refused (the extension, this module). */
  protocol?: number;
}

/** Every failure of this API: `code` is one of ErrorCode. */
export declare class CardboundError extends Error implements CardboundErrorDetails {
  constructor(code: ErrorCode, message?: string, details?: CardboundErrorDetails);
  readonly code: ErrorCode;
  reason?: ServerNotTrustedReason;
  triesLeft?: number;
  pinState?: PinState;
  pkcs11Error?: string;
  status?: number;
  serverCode?: string | null;
  hostProtocol?: number | null;
  extensionProtocol?: number | null;
  protocol?: number;
}

export type UserCancelledCode = typeof ErrorCode.USER_CANCELLED;
export type ExtensionUnavailableCode = typeof ErrorCode.EXTENSION_UNAVAILABLE | typeof ErrorCode.HOST_UNAVAILABLE;
export type ServerNotTrustedCode =
  | typeof ErrorCode.SERVER_NOT_TRUSTED | typeof ErrorCode.ORIGIN_MISMATCH | typeof ErrorCode.ORIGIN_NOT_ALLOWED;
export type PinErrorCode = typeof ErrorCode.PIN_INCORRECT | typeof ErrorCode.PIN_INVALID | typeof ErrorCode.PIN_BLOCKED;
export type CardErrorCode = typeof ErrorCode.NO_CARD | typeof ErrorCode.CERTIFICATE_NOT_FOUND;
export type SessionErrorCode = typeof ErrorCode.LOGIN_UNKNOWN | typeof ErrorCode.NOT_LOGGED_IN;
export type ServerRefusedCode = typeof ErrorCode.SERVER_REFUSED;
export type TimeoutCode = typeof ErrorCode.TIMEOUT;
export type VersionMismatchCode = typeof ErrorCode.HOST_VERSION | typeof ErrorCode.EXTENSION_VERSION;

/** The user closed the certificate picker or the PIN window. Stop quietly. */
export declare class UserCancelledError extends CardboundError {
  constructor(code: UserCancelledCode, message?: string, details?: CardboundErrorDetails);
  readonly code: UserCancelledCode;
}
/** The extension or its native host is not installed or not running. */
export declare class ExtensionUnavailableError extends CardboundError {
  constructor(code: ExtensionUnavailableCode, message?: string, details?: CardboundErrorDetails);
  readonly code: ExtensionUnavailableCode;
}
/** This site failed to prove itself to the card holder's computer (`reason`). */
export declare class ServerNotTrustedError extends CardboundError {
  constructor(code: ServerNotTrustedCode, message?: string, details?: CardboundErrorDetails);
  readonly code: ServerNotTrustedCode;
}
/** The PIN was wrong (`triesLeft` on the last try), malformed or blocked. */
export declare class PinError extends CardboundError {
  constructor(code: PinErrorCode, message?: string, details?: CardboundErrorDetails);
  readonly code: PinErrorCode;
}
/** The card is missing or no longer holds the chosen certificate. */
export declare class CardError extends CardboundError {
  constructor(code: CardErrorCode, message?: string, details?: CardboundErrorDetails);
  readonly code: CardErrorCode;
}
/** The login or session is unknown to the host: start again. */
export declare class SessionError extends CardboundError {
  constructor(code: SessionErrorCode, message?: string, details?: CardboundErrorDetails);
  readonly code: SessionErrorCode;
}
/** The site's server said no: `status`, and `serverCode` such as CERT_REVOKED. */
export declare class ServerRefusedError extends CardboundError {
  constructor(code: ServerRefusedCode, message?: string, details?: CardboundErrorDetails);
  readonly code: ServerRefusedCode;
}
/** Nobody answered in time. */
export declare class TimeoutError extends CardboundError {
  constructor(code: TimeoutCode, message?: string, details?: CardboundErrorDetails);
  readonly code: TimeoutCode;
}
/**
 * Parts of Cardbound from different releases: the extension
 * (ERR_EXTENSION_VERSION, `extensionProtocol`) or its host program
 * (ERR_HOST_VERSION, `hostProtocol`) speaks another protocol version than
 * `protocol`. Update them; trying again does not help.
 */
export declare class VersionMismatchError extends CardboundError {
  constructor(code: VersionMismatchCode, message?: string, details?: CardboundErrorDetails);
  readonly code: VersionMismatchCode;
}

/**
 * The error object for a code, of the class that says what the caller can do.
 * An unknown code gives a CardboundError with code ERR_INTERNAL; of `details`
 * only the fields of CardboundErrorDetails are kept.
 */
export declare function errorFromCode(code: UserCancelledCode, message?: unknown, details?: object): UserCancelledError;
export declare function errorFromCode(code: ExtensionUnavailableCode, message?: unknown, details?: object): ExtensionUnavailableError;
export declare function errorFromCode(code: ServerNotTrustedCode, message?: unknown, details?: object): ServerNotTrustedError;
export declare function errorFromCode(code: PinErrorCode, message?: unknown, details?: object): PinError;
export declare function errorFromCode(code: CardErrorCode, message?: unknown, details?: object): CardError;
export declare function errorFromCode(code: SessionErrorCode, message?: unknown, details?: object): SessionError;
export declare function errorFromCode(code: ServerRefusedCode, message?: unknown, details?: object): ServerRefusedError;
export declare function errorFromCode(code: TimeoutCode, message?: unknown, details?: object): TimeoutError;
export declare function errorFromCode(code: VersionMismatchCode, message?: unknown, details?: object): VersionMismatchError;
export declare function errorFromCode(code: unknown, message?: unknown, details?: object): CardboundError;

/** The card holder, as POST /cardbound/confirm and GET /api/me return it. */
export interface Identity {
  /** The certificate's subject DN. */
  subject: string;
  /** "GIVENNAME SURNAME", else the common name. */
  holder: string;
  givenName: string;
  surname: string;
  /** The subject's serialNumber attribute (e.g. a national personal code). */
  personalCode: string;
  country: string;
  /** The issuer's DN. */
  issuer: string;
  /** The certificate's serial number. */
  serialNumber: string;
  /** Lowercase hex SHA-256 of the certificate's DER. */
  fingerprint: string;
  notAfter: string;
  /** How the card signed: PS256, RS256, ES256, ... */
  algorithm: string;
}

/** Why a session ended. 'unknown' when the server's event carried no readable reason. */
export type SessionEndReason = (typeof EndReason)[keyof typeof EndReason] | (string & {});

/** Every event's detail has a sentence for people, in the client's language. */
export interface MessageDetail { message: string }
export interface CardRemovedDetail extends MessageDetail { reader: string | null }
export interface SessionEndedDetail extends MessageDetail { reason: SessionEndReason }
export interface PresenceFailedDetail extends MessageDetail { code: ErrorCode }

export interface SessionEventMap {
  /** The card that logged in left its reader; the extension is logging the site out. */
  cardremoved: CustomEvent<CardRemovedDetail>;
  /** The session ended (server, logout, or the server out of reach until the deadline). Fired once. */
  sessionended: CustomEvent<SessionEndedDetail>;
  /** The card could not prove its presence; the server will end the session at its deadline. */
  presencefailed: CustomEvent<PresenceFailedDetail>;
  /** The site's server cannot be reached; the session ends at its presence deadline unless it comes back. */
  connectionlost: CustomEvent<MessageDetail>;
  /** The site's server answers again (message: ''). */
  connectionrestored: CustomEvent<MessageDetail>;
}

/** A logged-in session of this page. */
export declare class Session extends EventTarget {
  /** Made by authenticate(), currentSession() and watchSession() only. */
  private constructor();
  /** The card holder: from the server, or what was passed to watchSession(). */
  identity: Identity | null;
  /**
   * The server's presence interval in seconds, as the server told; null
   * until then for watchSession(). Information only: each presence
   * challenge sets when it is answered (at half its lifetime).
   */
  presenceInterval: number | null;
  /** The login certificate (base64 DER, not verified by the page); empty for watchSession(). */
  certificates: string[];
  /** True once 'sessionended' has fired. */
  readonly ended: boolean;
  /** Log out of the site (every tab) and end the card's session in the host. */
  logout(): Promise<void>;

  addEventListener<K extends keyof SessionEventMap>(
    type: K,
    listener: (this: Session, event: SessionEventMap[K]) => unknown,
    options?: boolean | AddEventListenerOptions,
  ): void;
  addEventListener(
    type: string,
    listener: EventListenerOrEventListenerObject | null,
    options?: boolean | AddEventListenerOptions,
  ): void;
  removeEventListener<K extends keyof SessionEventMap>(
    type: K,
    listener: (this: Session, event: SessionEventMap[K]) => unknown,
    options?: boolean | EventListenerOptions,
  ): void;
  removeEventListener(
    type: string,
    listener: EventListenerOrEventListenerObject | null,
    options?: boolean | EventListenerOptions,
  ): void;
}

/** What the client needs of a window: the page's own `window` fits. */
export interface CardboundWindow {
  readonly location: { readonly origin: string };
  postMessage(message: unknown, targetOrigin: string): void;
  addEventListener(type: 'message', listener: (event: { source: unknown; origin: string; data: unknown }) => void): void;
}

/** The requests the client makes: same-origin JSON POSTs, and GET <base>/session. */
export type CardboundRequestInit = {
  method: 'POST';
  credentials: 'same-origin';
  headers: { 'content-type': 'application/json' };
  body: string;
} | {
  method: 'GET';
  credentials: 'same-origin';
};

/** What the client needs of fetch: the global `fetch` fits. */
export type CardboundFetch = (url: string, init: CardboundRequestInit) => Promise<{
  readonly ok: boolean;
  readonly status: number;
  json(): Promise<any>;
}>;

/** What the client needs of an event stream: the global `EventSource` fits. */
export interface CardboundEventSource {
  /** 0 connecting, 1 open, 2 closed (the browser gave up). */
  readonly readyState: number;
  addEventListener(type: string, listener: (event: { data: string }) => void): void;
  close(): void;
}
export type CardboundEventSourceConstructor =
  new (url: string, init: { withCredentials: boolean }) => CardboundEventSource;

/**
 * What the client needs of Web Locks: the page's `navigator.locks` fits.
 * request() calls back once the named lock is free (with `ifAvailable`: at
 * once, with null when it is taken) and holds it until the callback's
 * promise settles; it resolves with what the callback returned.
 */
export interface CardboundLocks {
  request<T>(name: string, callback: (lock: unknown) => T | Promise<T>): Promise<T>;
  request<T>(name: string, options: { ifAvailable?: boolean }, callback: (lock: unknown | null) => T | Promise<T>): Promise<T>;
}

/** What the client needs of a BroadcastChannel: the global one fits. */
export interface CardboundBroadcastChannel {
  onmessage: ((event: { data: unknown }) => void) | null;
  postMessage(message: unknown): void;
}
export type CardboundBroadcastChannelConstructor = new (name: string) => CardboundBroadcastChannel;

export interface ClientOptions {
  /** Default: the global `window`. */
  window?: CardboundWindow;
  /** Default: the global `fetch`. */
  fetch?: CardboundFetch;
  /** Default: the global `EventSource`; without one, sessions do not hear the server's events. */
  EventSource?: CardboundEventSourceConstructor | null;
  /**
   * Default: the global `navigator.locks`. One Session of the site at a time
   * proves presence (lock `org.cardbound.presence <base>`); without locks
   * (null) every Session with presence proves by itself.
   */
  locks?: CardboundLocks | null;
  /**
   * Default: the global `BroadcastChannel`. The site's pages tell each other
   * of logins and presence deadlines; without one, each page learns them
   * from the server by itself.
   */
  BroadcastChannel?: CardboundBroadcastChannelConstructor | null;
  /** The path of the server's Cardbound endpoints. Default `/cardbound`. */
  base?: string;
  /** The language of the events' messages: `en` or `et`; default the page's. */
  lang?: string;
}

export interface AuthenticateOptions {
  /** Keep proving the card's presence to the server (default true). */
  presence?: boolean;
  /** Called when another page of the site is logging in: this login waits for it and joins it. */
  onWaiting?: () => void;
}

export interface CurrentSessionOptions {
  /** Prove the card's presence once no other page of the site does (default true). */
  presence?: boolean;
}

/**
 * What a page can do about logging in; `message` says what to install,
 * update or fix. Parts of different releases say which protocol versions.
 */
export type Availability =
  | { available: true }
  | { available: false; code: typeof ErrorCode.EXTENSION_VERSION; message: string; extensionProtocol: number | null; protocol: number }
  | { available: false; code: typeof ErrorCode.HOST_VERSION; message: string; hostProtocol: number | null; protocol: number }
  | { available: false; code: Exclude<ErrorCode, VersionMismatchCode>; message: string };

export interface WatchSessionOptions {
  identity?: Identity | null;
  /** Prove the card's presence once no other page of the site does (default true); false: events only. */
  presence?: boolean;
}

export interface CardboundClient {
  /** True when the extension and its native host answer. */
  isAvailable(): Promise<boolean>;
  /**
   * {available: true}, or what is missing: ERR_EXTENSION_UNAVAILABLE,
   * ERR_EXTENSION_VERSION (update the extension), ERR_HOST_UNAVAILABLE,
   * ERR_HOST_VERSION (the extension and its host program are of different
   * releases), ERR_HOST_MISCONFIGURED, ERR_TIMEOUT, with a sentence.
   */
  availability(): Promise<Availability>;
  /**
   * Log in with the card, or join this browser's live session (no PIN) or
   * the login another page of the site is doing; rejects with a
   * CardboundError subclass.
   */
  authenticate(options?: AuthenticateOptions): Promise<Session>;
  /**
   * This browser's live session with the site (GET <base>/session), or
   * null; the same Session object while it lives. Rejects with
   * ServerRefusedError when the server cannot be asked.
   */
  currentSession(options?: CurrentSessionOptions): Promise<Session | null>;
  /**
   * Calls `listener` with the Session when another page of the site logs in
   * (not for this page's own calls). Returns a function that stops it.
   */
  onSessionStarted(listener: (session: Session) => void): () => void;
  /**
   * The session this browser already has (another page of the site logged
   * in): its events, and presence proofs once no other page of the site proves.
   */
  watchSession(options?: WatchSessionOptions): Session;
}

/** An API bound to a window, fetch, EventSource and Web Locks (the page's by default). */
export declare function createClient(options?: ClientOptions): CardboundClient;

/** True when the Cardbound extension and its native host answer this page. */
export declare function isAvailable(): Promise<boolean>;
/** What is missing for a card login on this page: see createClient().availability. */
export declare function availability(): Promise<Availability>;
/** Log in with the card, or join this browser's session: see createClient().authenticate. */
export declare function authenticate(options?: AuthenticateOptions): Promise<Session>;
/** This browser's live session with the site, or null: see createClient().currentSession. */
export declare function currentSession(options?: CurrentSessionOptions): Promise<Session | null>;
/** Hear of the logins of the site's other pages: see createClient().onSessionStarted. */
export declare function onSessionStarted(listener: (session: Session) => void): () => void;
/** Follow the session another tab of this site started. */
export declare function watchSession(options?: WatchSessionOptions): Session;
