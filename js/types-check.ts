// A page-like program that uses cardbound.js through cardbound.d.ts. It is
// only compiled, never run:
//   npx tsc --noEmit --strict --target es2022 --module es2022 --moduleResolution bundler --lib es2022,dom js/types-check.ts
import * as cardbound from './cardbound.js';
import {
  authenticate, availability, CardboundError, createClient, currentSession, EndReason, ErrorCode, errorFromCode,
  isAvailable, messageFor, messages, onSessionStarted, PinError, ServerNotTrustedError, ServerRefusedError, Session,
  PROTOCOL_VERSION, UserCancelledError, VERSION, VersionMismatchError, watchSession, type Availability, type Identity,
  type ServerCode,
} from './cardbound.js';

const version: string = VERSION;
const protocol: number = PROTOCOL_VERSION;
const mismatch: VersionMismatchError = errorFromCode(ErrorCode.EXTENSION_VERSION, 'old', { extensionProtocol: 1, protocol: 2 });
const hostSaid: number | null | undefined = mismatch.hostProtocol;
const revoked: ServerCode = 'CERT_REVOKED';
const cancelled: 'ERR_USER_CANCELLED' = ErrorCode.USER_CANCELLED;
const anyCode: ErrorCode = ErrorCode.PIN_BLOCKED;
const pinError: PinError = errorFromCode(ErrorCode.PIN_INCORRECT, 'wrong PIN', { triesLeft: 1 });
const generic: CardboundError = errorFromCode('ERR_SOMETHING_NEW');
// @ts-expect-error ErrorCode's values are literal types
const notACode: ErrorCode = 'ERR_NOT_A_CODE';
// @ts-expect-error ErrorCode is frozen
ErrorCode.INTERNAL = 'ERR_OTHER';

function show(text: string): void {
  document.querySelector('#status')!.textContent = text;
}

function greet(identity: Identity | null): void {
  if (identity) show(`${identity.holder} (${identity.personalCode}, ${identity.country}), until ${identity.notAfter}`);
}

function follow(session: Session): void {
  session.addEventListener('cardremoved', (e) => show(`card removed from ${e.detail.reader ?? 'a reader'}`));
  session.addEventListener('sessionended', (e) => {
    const reason: string = e.detail.reason;
    if (reason === EndReason.CARD_REMOVED) console.log('pulled');
    show(e.detail.message);
  });
  session.addEventListener('connectionlost', (e) => show(e.detail.message));
  session.addEventListener('connectionrestored', () => show(''));
  session.addEventListener('cardremoved', (e) => show(e.detail.message));
  session.addEventListener('presencefailed', (e) => {
    const code: ErrorCode = e.detail.code;
    console.warn('presence failed', code);
  });
  // Other events still go through EventTarget's own signature.
  session.addEventListener('something-else', (e: Event) => console.log(e.type));
  // @ts-expect-error 'cardremoved' carries {reader}, not {reason}
  session.addEventListener('cardremoved', (e) => show(e.detail.reason));
  const interval: number | null = session.presenceInterval;
  const certificates: string[] = session.certificates;
  const ended: boolean = session.ended;
  console.log(interval, certificates.length, ended);
  // @ts-expect-error Session has no sessionTag: it stays inside the module
  console.log(session.sessionTag);
}

async function logIn(): Promise<void> {
  if (!(await isAvailable())) {
    show('Install the Cardbound extension');
    return;
  }
  try {
    const session = await authenticate();
    greet(session.identity);
    follow(session);
    document.querySelector('#logout')!.addEventListener('click', () => void session.logout());
  } catch (e) {
    if (e instanceof UserCancelledError) return;
    if (e instanceof ServerNotTrustedError) show(`this site cannot be verified (${e.reason ?? e.code})`);
    else if (e instanceof PinError) show(e.triesLeft === 1 ? 'last try' : `PIN: ${e.code} ${e.pinState ?? ''}`);
    else if (e instanceof ServerRefusedError) show(`refused: ${e.status ?? 0} ${e.serverCode ?? ''}`);
    else if (e instanceof VersionMismatchError) show(`update: ${e.code} ${e.extensionProtocol ?? e.hostProtocol ?? 'none'} ≠ ${e.protocol}`);
    else if (e instanceof CardboundError) show(`${e.code}: ${e.message}`);
    else throw e;
  }
}

async function onePerBrowser(): Promise<void> {
  const off: () => void = onSessionStarted((s: Session) => follow(s));
  const current: Session | null = await currentSession({ presence: true });
  if (current) follow(current);
  else {
    const a: Availability = await availability();
    if (!a.available) show(`${a.code}: ${a.message}`);
    if (!a.available && a.code === ErrorCode.EXTENSION_VERSION) show(`extension ${a.extensionProtocol ?? 'none'}, page ${a.protocol}`);
    if (!a.available && a.code === ErrorCode.HOST_VERSION) show(`host ${a.hostProtocol ?? 'none'}, extension ${a.protocol}`);
  }
  const joined = await authenticate({ onWaiting: () => show(messageFor('waitingForOtherTab', { lang: 'et' })) });
  follow(joined);
  const words: string = messages.et.errors.ERR_PIN_BLOCKED + messages.en.reasons['card-removed'];
  show(messageFor(new PinError(ErrorCode.PIN_BLOCKED)) + words);
  off();
  // @ts-expect-error messages has English and Estonian only
  console.log(messages.de);
}

async function otherTab(): Promise<void> {
  const res = await fetch('/api/me');
  if (!res.ok) return;
  const identity = (await res.json()) as Identity;
  const session = watchSession({ identity });
  follow(session);
  // A page that only listens: another page proves presence.
  follow(watchSession({ identity, presence: false }));
}

// A client bound to explicit globals, as a framework or a test would make it.
const client = createClient({ window, fetch, EventSource, base: '/auth/cardbound' });
const noEvents = createClient({ EventSource: null });
// Web Locks: the page's own, none, or anything with request(name, callback).
const locked = createClient({ locks: navigator.locks });
const unlocked = createClient({ locks: null });
function request<T>(name: string, callback: (lock: unknown) => T | Promise<T>): Promise<T>;
function request<T>(name: string, options: { ifAvailable?: boolean }, callback: (lock: unknown | null) => T | Promise<T>): Promise<T>;
async function request<T>(name: string, a: unknown, b?: (lock: unknown) => T | Promise<T>): Promise<T> {
  const callback = (b ?? a) as (lock: unknown) => T | Promise<T>;
  return callback({ name });
}
const ownLocks = createClient({ locks: { request }, BroadcastChannel: null, lang: 'et' });
// @ts-expect-error locks need request(name, callback)
createClient({ locks: {} });
void locked.watchSession().logout();
void unlocked.watchSession({ presence: false }).logout();
void ownLocks.isAvailable();
void client.authenticate({ presence: false }).then((s) => s.logout());
void noEvents.isAvailable();
void cardbound.authenticate({ presence: true });
// @ts-expect-error authenticate takes options, not a number
void authenticate(30);
// @ts-expect-error Session is made by authenticate() and watchSession() only
new Session();

console.log(version, protocol, revoked, cancelled, anyCode, pinError, generic, notACode, hostSaid);
void logIn();
void otherTab();
void onePerBrowser();

// Signing, Web eID-shaped.
async function signContract(hash: Uint8Array): Promise<string> {
  const { certificate, supportedSignatureAlgorithms } = await cardbound.getSigningCertificate();
  const algorithm: cardbound.SignatureAlgorithm = supportedSignatureAlgorithms[0];
  const fn: cardbound.HashFunction = algorithm.hashFunction;
  const { signature, signatureAlgorithm } = await client.sign({ certificate, hash, hashFunction: fn });
  // @ts-expect-error a hash function Web eID does not name
  void client.sign({ certificate, hash, hashFunction: 'SHA-1' });
  return `${signature} ${signatureAlgorithm.paddingScheme}`;
}
void signContract(new Uint8Array(32));

async function pay(): Promise<string> {
  const { confirmed, text, identity } = await cardbound.confirmTransaction({ text: 'Pay 1,200 EUR to ACME' });
  // @ts-expect-error the text is required
  void client.confirmTransaction({});
  return `${confirmed} ${text} ${identity.holder}`;
}
void pay();
void client.confirmChallenge({ format: 'cardbound-transaction-challenge:1' }).then(({ confirmation }) => confirmation);
