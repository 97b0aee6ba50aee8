// Step 2 of a login, the part the user sees. The server's challenge is
// verified first, so a site that cannot prove itself never gets as far as a
// window, let alone a PIN. Then one window goes from the certificate picker
// to the PIN entry (straight to the PIN when the card holds exactly one
// certificate, with a way back to the list); the PIN entry stays through
// wrong PINs and shows the tries left.
//
// The window follows the card (services/card_watch.js). A login belongs to
// the frame that asked: when that page goes (its port to the background
// closes), the login is cancelled and its window closes. A login has a time
// limit, shorter than the page's own.
import { ErrorCode, ExtensionError } from '../../shared/errors.js';
import { identifier, onlyKeys, plainObject } from '../../shared/validate.js';
import { followCard, followReaders, listCards } from '../services/card_watch.js';

// The host's answer when no inserted card holds the certificate (the
// extension never makes this code itself, so it is not in ErrorCode).
const CERTIFICATE_NOT_FOUND = 'ERR_CERTIFICATE_NOT_FOUND';

// The longest a login may take, from the page's request to the token. The
// page gives up after 5 minutes and the host forgets a login 5 minutes after
// begin-login: ending here first closes the window, tells the page why
// (ERR_TIMEOUT rather than its own silence) and frees the way for the next
// login before the page tries again.
export const LOGIN_LIMIT_MS = 270_000;

function cancelled() {
  return new ExtensionError(ErrorCode.USER_CANCELLED, 'the login was cancelled');
}

function tooLong() {
  return new ExtensionError(ErrorCode.TIMEOUT, 'the login took too long');
}

// The user's choice in the picker: the card, and the action that chose it
// (answered once the next step is shown, with its view).
async function pickCertificate(picker, readers) {
  for (;;) {
    const action = await picker.next();
    if (action.op === 'refresh') {
      await readers.refresh();
      action.respond({ state: 'view', view: picker.view });
      continue;
    }
    const card = action.op === 'submit' && picker.view.certificates.find((c) => c.fingerprint === action.value);
    if (!card) {
      action.respond({ state: 'view', view: picker.view });
      continue;
    }
    return { card, action };
  }
}

// What enterPin answers when the user goes back to the list of certificates.
const BACK = Symbol('back');

// Asks for the PIN until the card accepts it, blocks, or the user cancels or
// goes back to the list (BACK, with the action that asked: answered with
// the list's view). The PIN passes from the window to the host request and
// is kept nowhere. `blocked(action)` shows a card that blocked.
async function enterPin(entry, host, origin, request, card, blocked) {
  for (;;) {
    const action = await entry.next();
    if (action.op === 'back') return { back: BACK, action };
    // No PIN goes to a card that is not there; the window already says so.
    if (action.op !== 'submit' || !entry.view.cardPresent) {
      action.respond({ state: 'view', view: entry.view });
      continue;
    }
    const args = { ...request };
    if (!entry.view.pinPad) {
      const pin = action.value;
      if (typeof pin !== 'string' || pin.length < 4 || pin.length > 64) {
        action.respond({ state: 'error', code: ErrorCode.PIN_INVALID });
        continue;
      }
      args.pin = pin;
    }
    try {
      const { token } = await host.request('authenticate', { origin, args });
      action.respond({ state: 'done' });
      return { token };
    } catch (e) {
      if (e.code === ErrorCode.PIN_INCORRECT || e.code === ErrorCode.PIN_INVALID) {
        action.respond({ state: 'error', code: e.code, triesLeft: e.details.triesLeft ?? null, pinState: e.details.pinState ?? null });
        continue;
      }
      // The card left just before or during the check: as if the window had
      // seen it go. It may already be back (the host refuses a card pulled
      // during the check even then), so look for it at once.
      if (e.code === CERTIFICATE_NOT_FOUND || e.code === ErrorCode.NO_CARD) {
        card.gone();
        card.lookAgain();
        action.respond({ state: 'view', view: entry.view });
        continue;
      }
      if (e.code === ErrorCode.PIN_BLOCKED) blocked(action);
      else action.respond({ state: 'failed', code: e.code });
      throw e;
    }
  }
}

// One login that may show a window. It remembers its window (to bring it to
// the front) and what to undo when it ends; abort() ends it early: the
// window closes and `aborted` rejects with the reason, while a host request
// in progress finishes on its own without holding up the next login.
class Login {
  #cleanups = [];
  #reject;

  constructor() {
    this.dialog = null;
    this.over = false;
    this.aborted = new Promise((_, reject) => { this.#reject = reject; });
    this.aborted.catch(() => {}); // settles unheard when the login ends first
  }

  onEnd(fn) {
    if (this.over) fn();
    else this.#cleanups.push(fn);
  }

  // Shows `view` as the next step of this login's window: the first opens
  // the window (unless the login is over). Returns the step's Stage.
  async step(dialogs, view) {
    if (this.over) throw cancelled();
    if (this.dialog) return this.dialog.begin(view);
    const dialog = await dialogs.show('login', view);
    this.dialog = dialog;
    if (this.over) dialog.close(); // cancelled while the window was opening
    return dialog.stage;
  }

  focus() {
    this.dialog?.focus();
  }

  abort(error) {
    if (this.over) return;
    this.#reject(error);
    this.end();
  }

  cancel() {
    this.abort(cancelled());
  }

  // Past `ms` the login ends as ERR_TIMEOUT.
  limit(ms) {
    const timer = setTimeout(() => this.abort(tooLong()), ms);
    this.onEnd(() => clearTimeout(timer));
  }

  // The page that asked is gone when `signal` aborts (its frame unloaded:
  // closed, reloaded, navigated): nobody is there to use the token, so the
  // login is cancelled (and the next one is not refused as busy).
  endWith(signal) {
    if (!signal) return;
    if (signal.aborted) {
      this.cancel();
      return;
    }
    const gone = () => this.cancel();
    signal.addEventListener('abort', gone, { once: true });
    this.onEnd(() => signal.removeEventListener('abort', gone));
  }

  end() {
    if (this.over) return;
    this.over = true;
    this.dialog?.close();
    for (const fn of this.#cleanups.splice(0)) fn();
  }
}

async function runLogin(login, { host, dialogs, sessions }, origin, loginId, challenge) {
  if (login.over) throw cancelled(); // the page went before its request was run
  const verified = await host.request('verify-server', { origin, args: { loginId, challenge } });
  if (login.over) throw cancelled();
  const site = { origin, server: verified.server };
  const pinView = (card) => ({ ...site, step: 'pin', certificate: card, pinPad: card.pinPad, pinState: card.pinState, cardPresent: true });
  const blockedView = (card) => ({ ...site, step: 'blocked', certificate: card });

  // The list of certificates, heard from before it is made (no card event is
  // lost). Exactly one certificate, with no card event meanwhile, goes
  // straight to the PIN entry; the list is one "back" away.
  const listed = async () => {
    const readers = followReaders(host);
    login.onEnd(readers.stop);
    try {
      return { readers, certificates: await listCards(host) };
    } catch (e) {
      readers.stop();
      throw e;
    }
  };
  let { readers, certificates } = await listed();
  let card = certificates.length === 1 && readers.quiet() ? certificates[0] : null;
  let answer = null; // the window's action that led to the next step, answered with its view

  for (;;) {
    if (!card) {
      const picker = await login.step(dialogs, { ...site, step: 'picker', certificates });
      answer?.respond({ state: 'view', view: picker.view });
      readers.attach(picker);
      ({ card, action: answer } = await pickCertificate(picker, readers));
    }
    readers.stop();
    const follow = followCard(host, card); // from the choice: a pull meanwhile counts
    login.onEnd(follow.stop);
    try {
      if (card.pinState === 'locked') {
        const blocked = await login.step(dialogs, blockedView(card));
        answer?.respond({ state: 'view', view: blocked.view });
        blocked.release(); // the window stays for the user to read and close
        throw new ExtensionError(ErrorCode.PIN_BLOCKED, 'the PIN is blocked');
      }
      const entry = await login.step(dialogs, pinView(card));
      answer?.respond({ state: 'view', view: entry.view });
      answer = null;
      follow.attach(entry);
      // The host verified the challenge in verify-server and keeps it: the
      // login id names it from here on (docs/protocol.md §3).
      const showBlocked = (action) => {
        const blocked = entry.dialog.begin(blockedView(entry.view.certificate));
        action.respond({ state: 'view', view: blocked.view });
        blocked.release();
      };
      const result = await enterPin(entry, host, origin, { loginId, certificate: card.fingerprint }, follow, showBlocked);
      if (result.back) {
        follow.stop();
        ({ readers, certificates } = await listed());
        card = null;
        answer = result.action;
        continue;
      }
      if (login.over) throw cancelled(); // the page went while the card signed
      // The card may have come back in another reader.
      const { reader } = entry.view.certificate;
      await sessions.rememberLogin(loginId, { origin, fingerprint: card.fingerprint, reader });
      return { token: result.token };
    } finally {
      follow.stop();
    }
  }
}

// The login that waits for the user, if any: one at a time, across all tabs.
let current = null;

// `userActivated`: the page asked while the user was using it (transient
// user activation, read by the content script, never said by the page).
// `signal`: aborts when the page that asked is gone.
export async function authenticate(context, { origin, args, userActivated = false, signal = null }) {
  onlyKeys(args, ['loginId', 'challenge']);
  const loginId = identifier(args.loginId, 'loginId');
  const challenge = plainObject(args.challenge, 'challenge');
  if (current) {
    // Only a request the user made brings the waiting window to the front:
    // any page may ask, and one asking in a loop must not keep pulling
    // another site's PIN window under the user's typing (an Enter there
    // costs a PIN try).
    if (userActivated === true) current.focus();
    throw new ExtensionError(ErrorCode.BUSY, 'another login is waiting for the user');
  }
  const login = new Login();
  current = login;
  try {
    login.limit(LOGIN_LIMIT_MS);
    login.endWith(signal);
    return await Promise.race([runLogin(login, context, origin, loginId, challenge), login.aborted]);
  } finally {
    login.end();
    current = null;
  }
}
