// Step 2 of a login, the part the user sees. The server's challenge is
// verified first, so a site that cannot prove itself never gets as far as a
// window, let alone a PIN. Then the certificate picker, then the PIN window,
// which stays open through wrong PINs and shows the tries left.
//
// The windows follow the card (services/card_watch.js). A login belongs to
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

async function pickCertificate(dialog, readers) {
  for (;;) {
    const action = await dialog.next();
    if (action.op === 'refresh') {
      await readers.refresh();
      action.respond({ state: 'view', view: dialog.view });
      continue;
    }
    const card = dialog.view.certificates.find((c) => c.fingerprint === action.value);
    if (!card) {
      action.respond({ state: 'view', view: dialog.view });
      continue;
    }
    action.respond({ state: 'done' });
    return card;
  }
}

// Asks for the PIN until the card accepts it, blocks, or the user cancels.
// The PIN passes from the window to the host request and is kept nowhere.
async function enterPin(dialog, host, origin, request, card) {
  for (;;) {
    const action = await dialog.next();
    // No PIN goes to a card that is not there; the window already says so.
    if (!dialog.view.cardPresent) {
      action.respond({ state: 'view', view: dialog.view });
      continue;
    }
    const args = { ...request };
    if (!dialog.view.pinPad) {
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
      return token;
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
        action.respond({ state: 'view', view: dialog.view });
        continue;
      }
      if (e.code === ErrorCode.PIN_BLOCKED) {
        action.respond({ state: 'blocked' });
        dialog.release();
      } else {
        action.respond({ state: 'failed', code: e.code });
      }
      throw e;
    }
  }
}

// One login that may show windows. It remembers its window (to bring it to
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

  // Opens a window for this login, unless the login is over.
  async show(dialogs, page, view) {
    if (this.over) throw cancelled();
    const dialog = await dialogs.show(page, view);
    this.dialog = dialog;
    if (this.over) dialog.close(); // cancelled while the window was opening
    return dialog;
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

  const readers = followReaders(host); // before the list: no card event is lost
  login.onEnd(readers.stop);
  let card;
  let follow;
  try {
    const certificates = await listCards(host);
    const picker = await login.show(dialogs, 'picker', { origin, server: verified.server, certificates });
    readers.attach(picker);
    try {
      card = await pickCertificate(picker, readers);
    } finally {
      picker.close();
    }
    follow = followCard(host, card); // before the PIN window opens: a pull meanwhile counts
    login.onEnd(follow.stop);
  } finally {
    readers.stop();
  }

  const blocked = card.pinState === 'locked';
  const pinWindow = await login.show(dialogs, 'pin',
    { origin, certificate: card, pinPad: card.pinPad, pinState: card.pinState, blocked, cardPresent: true });
  if (blocked) {
    follow.stop();
    pinWindow.release();
    throw new ExtensionError(ErrorCode.PIN_BLOCKED, 'the PIN is blocked');
  }
  follow.attach(pinWindow);
  try {
    // The host verified the challenge in verify-server and keeps it: the
    // login id names it from here on (docs/protocol.md §3).
    const token = await enterPin(pinWindow, host, origin, { loginId, certificate: card.fingerprint }, follow);
    if (login.over) throw cancelled(); // the page went while the card signed
    // The card may have come back in another reader.
    const { reader } = pinWindow.view.certificate;
    await sessions.rememberLogin(loginId, { origin, fingerprint: card.fingerprint, reader });
    return { token };
  } finally {
    follow.stop();
    pinWindow.close();
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
