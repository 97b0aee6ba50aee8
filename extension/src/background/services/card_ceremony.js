// What a login and a document signature share, the part the user sees: the
// server's challenge is verified first, so a site that cannot prove itself
// never gets as far as a window, let alone a PIN. Then one window goes from
// the certificate picker to the PIN entry (straight to the PIN when the card
// holds exactly one certificate for the purpose, with a way back to the
// list); the PIN entry stays through wrong PINs and shows the tries left.
//
// `purpose` says which certificates are offered and what the PIN is for:
// 'login' (the login certificate, its PIN: actions/authenticate.js) or
// 'sign' (the signing certificate, its own PIN: actions/sign.js). The
// window says which (view.purpose).
//
// The window follows the card (services/card_watch.js). A ceremony belongs
// to the frame that asked: when that page goes (its port to the background
// closes), it is cancelled and its window closes. It has a time limit,
// shorter than the page's own. One at a time, across all tabs.
import { ErrorCode, ExtensionError } from '../../shared/errors.js';
import { followCard, followReaders, listCards } from './card_watch.js';

// The longest a ceremony may take, from the page's request to the answer.
// The page gives up after 5 minutes and the host forgets a login 5 minutes
// after begin-login: ending here first closes the window, tells the page
// why (ERR_TIMEOUT rather than its own silence) and frees the way for the
// next one before the page tries again.
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
// the list's view). The PIN passes from the window to `useCard(pinArgs)`
// (the host request) and is kept nowhere. `blocked(action)` shows a card
// that blocked.
async function enterPin(entry, useCard, card, blocked) {
  for (;;) {
    const action = await entry.next();
    if (action.op === 'back') return { back: BACK, action };
    // No PIN goes to a card that is not there; the window already says so.
    if (action.op !== 'submit' || !entry.view.cardPresent) {
      action.respond({ state: 'view', view: entry.view });
      continue;
    }
    const pinArgs = {};
    if (!entry.view.pinPad) {
      const pin = action.value;
      if (typeof pin !== 'string' || pin.length < 4 || pin.length > 64) {
        action.respond({ state: 'error', code: ErrorCode.PIN_INVALID });
        continue;
      }
      pinArgs.pin = pin;
    }
    try {
      const result = await useCard(pinArgs);
      action.respond({ state: 'done' });
      return { result };
    } catch (e) {
      if (e.code === ErrorCode.PIN_INCORRECT || e.code === ErrorCode.PIN_INVALID) {
        // The host logs the card out before it checks a PIN (every check
        // is a real one): after a wrong PIN the sites logged in with that
        // card (sitesLoggedOut, the host's count) log the user out at their
        // next presence round unless the right PIN comes first. The window
        // says so.
        action.respond({
          state: 'error', code: e.code, triesLeft: e.details.triesLeft ?? null, pinState: e.details.pinState ?? null,
          sitesLoggedOut: e.details.sitesLoggedOut ?? 0,
        });
        continue;
      }
      // The card left just before or during the check: as if the window had
      // seen it go. It may already be back (the host refuses a card pulled
      // during the check even then), so look for it at once.
      if (e.code === ErrorCode.CERTIFICATE_NOT_FOUND || e.code === ErrorCode.NO_CARD) {
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

// One ceremony that may show a window. It remembers its window (to bring it
// to the front) and what to undo when it ends; abort() ends it early: the
// window closes and `aborted` rejects with the reason, while a host request
// in progress finishes on its own without holding up the next ceremony.
class Ceremony {
  #cleanups = [];
  #reject;

  constructor() {
    this.dialog = null;
    this.over = false;
    this.aborted = new Promise((_, reject) => { this.#reject = reject; });
    this.aborted.catch(() => {}); // settles unheard when the ceremony ends first
  }

  onEnd(fn) {
    if (this.over) fn();
    else this.#cleanups.push(fn);
  }

  // Shows `view` as the next step of this ceremony's window: the first opens
  // the window (unless the ceremony is over). Returns the step's Stage.
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

  // Past `ms` the ceremony ends as ERR_TIMEOUT.
  limit(ms) {
    const timer = setTimeout(() => this.abort(tooLong()), ms);
    this.onEnd(() => clearTimeout(timer));
  }

  // The page that asked is gone when `signal` aborts (its frame unloaded:
  // closed, reloaded, navigated): nobody is there to use the answer, so the
  // ceremony is cancelled (and the next one is not refused as busy).
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

// The certificates each purpose uses: a transaction is confirmed with the
// login certificate of the session it belongs to.
const CERTIFICATES_FOR = { login: 'login', sign: 'sign', transaction: 'login' };

// The window's steps, for a site the host verified.
//  - `purpose`: 'login', 'sign' or 'transaction' (CERTIFICATES_FOR).
//  - `fingerprint`: the certificate the site named (a signature): no
//    picker and no way back to one; the card must hold it.
//  - `pickOnly`: the picker is the whole window (the site asks which
//    signing certificate): the choice ends it, even with one certificate.
//  - `useCard(card, pinArgs)`: the host request that uses the PIN.
// Resolves with { card, result } (result: useCard's answer; none for pickOnly).

async function runSteps(ceremony, { host, dialogs }, site, { purpose: windowPurpose, fingerprint = null, pickOnly = false, useCard }) {
  const purpose = CERTIFICATES_FOR[windowPurpose];
  const pinView = (card) => ({ ...site, step: 'pin', certificate: card, pinPad: card.pinPad, pinState: card.pinState, cardPresent: true, fixed: fingerprint !== null });
  const blockedView = (card) => ({ ...site, step: 'blocked', certificate: card });

  // The list of certificates, heard from before it is made (no card event is
  // lost). Exactly one certificate, with no card event meanwhile, goes
  // straight to the PIN entry; the list is one "back" away.
  const listed = async () => {
    const readers = followReaders(host, purpose);
    ceremony.onEnd(readers.stop);
    try {
      return { readers, certificates: await listCards(host, purpose) };
    } catch (e) {
      readers.stop();
      throw e;
    }
  };
  let { readers, certificates } = await listed();
  let card = null;
  if (fingerprint !== null) {
    card = certificates.find((c) => c.fingerprint === fingerprint) ?? null;
    if (!card) throw new ExtensionError(ErrorCode.CERTIFICATE_NOT_FOUND, 'no inserted card holds that certificate');
  } else if (!pickOnly && certificates.length === 1 && readers.quiet()) {
    card = certificates[0];
  }
  let answer = null; // the window's action that led to the next step, answered with its view

  for (;;) {
    if (!card) {
      const picker = await ceremony.step(dialogs, { ...site, step: 'picker', certificates });
      answer?.respond({ state: 'view', view: picker.view });
      readers.attach(picker);
      ({ card, action: answer } = await pickCertificate(picker, readers));
    }
    readers.stop();
    if (pickOnly) {
      answer.respond({ state: 'done' });
      return { card };
    }
    const follow = followCard(host, card, purpose); // from the choice: a pull meanwhile counts
    ceremony.onEnd(follow.stop);
    try {
      if (card.pinState === 'locked') {
        const blocked = await ceremony.step(dialogs, blockedView(card));
        answer?.respond({ state: 'view', view: blocked.view });
        blocked.release(); // the window stays for the user to read and close
        throw new ExtensionError(ErrorCode.PIN_BLOCKED, 'the PIN is blocked');
      }
      const entry = await ceremony.step(dialogs, pinView(card));
      answer?.respond({ state: 'view', view: entry.view });
      answer = null;
      follow.attach(entry);
      const showBlocked = (action) => {
        const blocked = entry.dialog.begin(blockedView(entry.view.certificate));
        action.respond({ state: 'view', view: blocked.view });
        blocked.release();
      };
      const chosen = card;
      const outcome = await enterPin(entry, (pinArgs) => useCard(chosen, pinArgs), follow, showBlocked);
      if (outcome.back) {
        answer = outcome.action; // answered with the next step's view
        // The site named the certificate: nothing to go back to, the PIN
        // entry again.
        if (fingerprint === null) {
          follow.stop();
          ({ readers, certificates } = await listed());
          card = null;
        }
        continue;
      }
      if (ceremony.over) throw cancelled(); // the page went while the card signed
      // The card may have come back in another reader.
      return { card: entry.view.certificate, result: outcome.result };
    } finally {
      follow.stop();
    }
  }
}

// The ceremony that waits for the user, if any: one at a time, across all tabs.
let current = null;

// Runs one ceremony for the page's request. `verify()` has the host check
// the site's signed message before any window and resolves with what the
// window says of the site: { server, text? } (text: a transaction to
// confirm), and for a transaction the certificate of its session
// (`fingerprint`). Then the window's steps (runSteps' options).
// `userActivated`: the page asked while the user was using it (transient
// user activation, read by the content script, never said by the page).
// `signal`: aborts when the page that asked is gone.
export async function runCeremony(context, { origin, userActivated = false, signal = null }, { verify, ...options }) {
  if (current) {
    // Only a request the user made brings the waiting window to the front:
    // any page may ask, and one asking in a loop must not keep pulling
    // another site's PIN window under the user's typing (an Enter there
    // costs a PIN try).
    if (userActivated === true) current.focus();
    throw new ExtensionError(ErrorCode.BUSY, 'another login is waiting for the user');
  }
  const ceremony = new Ceremony();
  current = ceremony;
  try {
    ceremony.limit(LOGIN_LIMIT_MS);
    ceremony.endWith(signal);
    const run = async () => {
      if (ceremony.over) throw cancelled(); // the page went before its request was run
      const { fingerprint = options.fingerprint, ...said } = await verify();
      if (ceremony.over) throw cancelled();
      const site = { origin, ...said, purpose: options.purpose };
      return runSteps(ceremony, context, site, { ...options, fingerprint });
    };
    return await Promise.race([run(), ceremony.aborted]);
  } finally {
    ceremony.end();
    current = null;
  }
}

// The verify() of a login or a signature: the host checks the server's
// challenge for this login (docs/protocol.md §3) and keeps it: the login id
// names it from here on.
export function serverOf(host, origin, loginId, challenge) {
  return async () => {
    const { server } = await host.request('verify-server', { origin, args: { loginId, challenge } });
    return { server };
  };
}
