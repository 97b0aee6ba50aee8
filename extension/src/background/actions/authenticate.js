// Step 2 of a login, the part the user sees. The server's challenge is
// verified first, so a site that cannot prove itself never gets as far as a
// window, let alone a PIN. Then the certificate picker, then the PIN window,
// which stays open through wrong PINs and shows the tries left.
//
// The windows follow the card (host events, docs/protocol.md §3): the picker
// lists again whenever a card or reader comes or goes, and the PIN window
// says at once when the chosen card is pulled and takes the PIN again when it
// is back. A login belongs to its tab: closed or navigated away, the login is
// cancelled and its window closes.
import { ErrorCode, ExtensionError } from '../../shared/errors.js';
import { identifier, onlyKeys, plainObject } from '../../shared/validate.js';

// The host's answer when no inserted card holds the certificate (the
// extension never makes this code itself, so it is not in ErrorCode).
const CERTIFICATE_NOT_FOUND = 'ERR_CERTIFICATE_NOT_FOUND';

// After card-inserted the PKCS#11 module (OpenSC via pcscd) may need a moment
// before it lists the new card's certificates: list again after these waits.
export const RETRY_MS = [250, 500, 1000, 2000];

const delay = (ms) => new Promise((resolve) => { setTimeout(resolve, ms); });

function cancelled() {
  return new ExtensionError(ErrorCode.USER_CANCELLED, 'the login was cancelled');
}

// What the picker shows of a certificate (no DER, nothing the UI does not need).
function describe(c) {
  return {
    fingerprint: c.fingerprint, holder: c.holder, subject: c.subject, issuer: c.issuer,
    notBefore: c.notBefore, notAfter: c.notAfter, reader: c.reader, tokenLabel: c.tokenLabel,
    pinPad: c.pinPad === true, pinState: c.pinState,
  };
}

async function listCards(host) {
  const { certificates } = await host.request('list-certificates');
  return (certificates ?? []).map(describe);
}

// While the picker is open it follows the readers: on every card or reader
// event it lists again and pushes the new list. The last list asked for
// wins, so an answer that left the host before a removal never brings the
// pulled card back; the pulled card's certificates go from the view at once.
function followReaders(picker, host) {
  let asked = 0; // the number of the last list asked for

  // Lists the certificates; shows them unless a newer list was asked for.
  async function list() {
    const ticket = ++asked;
    const certificates = await listCards(host);
    if (ticket === asked && !picker.closed) picker.update({ ...picker.view, certificates });
  }

  const listQuietly = () => list().catch(() => {}); // the window keeps its list; "Look again" is there

  // A card arrived in `reader`: list until that reader shows a certificate,
  // waiting longer each time, or until the waits are used up.
  async function awaitCard(reader) {
    for (let i = 0; ; i++) {
      await listQuietly();
      if (picker.closed || i === RETRY_MS.length) return;
      if (typeof reader !== 'string' || picker.view.certificates.some((c) => c.reader === reader)) return;
      await delay(RETRY_MS[i]);
      if (picker.closed) return;
    }
  }

  function removed({ reader, certificates }) {
    const gone = Array.isArray(certificates) ? certificates : [];
    const shown = picker.view.certificates;
    const left = shown.filter((c) => c.reader !== reader && !gone.includes(c.fingerprint));
    if (left.length !== shown.length) picker.update({ ...picker.view, certificates: left });
  }

  const stop = host.onEvent(({ event, data }) => {
    if (picker.closed) return;
    if (event === 'card-removed') {
      removed(data ?? {});
      listQuietly();
    } else if (event === 'card-inserted') {
      awaitCard(data?.reader);
    } else if (event === 'reader-added' || event === 'reader-removed') {
      listQuietly();
    }
  });
  // "Look again": errors reach the login, as they always have.
  return { refresh: list, stop };
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

// While the PIN window is open it follows the chosen card: pulled out (its
// reader's card or its certificate reported removed), the view says
// `cardPresent: false`; when a card arrives in any reader and a list shows
// the certificate again (with the same short retries as the picker), the
// view has it back, perhaps in another reader. A removal makes a look in
// progress stale, so a list that started before it cannot say "back".
function followCard(dialog, host) {
  const fingerprint = dialog.view.certificate.fingerprint;
  let generation = 0;

  function gone() {
    generation++;
    if (dialog.view.cardPresent) dialog.update({ ...dialog.view, cardPresent: false });
  }

  async function lookAgain() {
    const mine = ++generation;
    for (let i = 0; ; i++) {
      let found;
      try {
        found = (await listCards(host)).find((c) => c.fingerprint === fingerprint);
      } catch {
        // not ready yet: try again
      }
      if (mine !== generation || dialog.closed) return;
      if (found) {
        dialog.update({ ...dialog.view, certificate: found, pinPad: found.pinPad, pinState: found.pinState, cardPresent: true });
        return;
      }
      if (i === RETRY_MS.length) return;
      await delay(RETRY_MS[i]);
      if (mine !== generation || dialog.closed) return;
    }
  }

  const stop = host.onEvent(({ event, data }) => {
    if (dialog.closed) return;
    if (event === 'card-removed') {
      const reader = dialog.view.certificate.reader;
      const ours = (typeof data?.reader === 'string' && data.reader === reader)
        || (Array.isArray(data?.certificates) && data.certificates.includes(fingerprint));
      if (ours) gone();
    } else if (event === 'card-inserted' && !dialog.view.cardPresent) {
      lookAgain();
    }
  });
  return { gone, lookAgain, stop };
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
// the front) and what to undo when it ends; cancel() ends it early: the
// window closes and `cancelled` rejects, while a host request in progress
// finishes on its own without holding up the next login.
class Login {
  #cleanups = [];
  #reject;

  constructor() {
    this.dialog = null;
    this.over = false;
    this.cancelled = new Promise((_, reject) => { this.#reject = reject; });
    this.cancelled.catch(() => {}); // settles unheard when the login ends first
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

  cancel() {
    if (this.over) return;
    this.#reject(cancelled());
    this.end();
  }

  end() {
    if (this.over) return;
    this.over = true;
    this.dialog?.close();
    for (const fn of this.#cleanups.splice(0)) fn();
  }
}

// The page that asked is gone when its tab closes, reloads or goes to
// another address: nobody is there to use the token, so the login is
// cancelled (and the next one, from another tab, is not refused as busy).
function watchTab(api, tabId, login) {
  if (typeof tabId !== 'number' || !api?.tabs?.onRemoved) return;
  const removed = (id) => { if (id === tabId) login.cancel(); };
  const updated = (id, changeInfo) => {
    if (id === tabId && (changeInfo?.status === 'loading' || changeInfo?.url)) login.cancel();
  };
  api.tabs.onRemoved.addListener(removed);
  api.tabs.onUpdated.addListener(updated);
  login.onEnd(() => {
    api.tabs.onRemoved.removeListener(removed);
    api.tabs.onUpdated.removeListener(updated);
  });
}

async function runLogin(login, { host, dialogs, sessions }, origin, loginId, challenge) {
  const verified = await host.request('verify-server', { origin, args: { loginId, challenge } });
  if (login.over) throw cancelled();

  const picker = await login.show(dialogs, 'picker', { origin, server: verified.server, certificates: await listCards(host) });
  const readers = followReaders(picker, host);
  login.onEnd(readers.stop);
  let card;
  try {
    card = await pickCertificate(picker, readers);
  } finally {
    readers.stop();
    picker.close();
  }

  const blocked = card.pinState === 'locked';
  const pinWindow = await login.show(dialogs, 'pin',
    { origin, certificate: card, pinPad: card.pinPad, pinState: card.pinState, blocked, cardPresent: true });
  if (blocked) {
    pinWindow.release();
    throw new ExtensionError(ErrorCode.PIN_BLOCKED, 'the PIN is blocked');
  }
  const follow = followCard(pinWindow, host);
  login.onEnd(follow.stop);
  try {
    const token = await enterPin(pinWindow, host, origin, { loginId, challenge, certificate: card.fingerprint }, follow);
    if (login.over) throw cancelled(); // the tab went while the card signed
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

export async function authenticate(context, { origin, tabId, args }) {
  onlyKeys(args, ['loginId', 'challenge']);
  const loginId = identifier(args.loginId, 'loginId');
  const challenge = plainObject(args.challenge, 'challenge');
  if (current) {
    current.focus(); // show the user what is waiting
    throw new ExtensionError(ErrorCode.BUSY, 'another login is waiting for the user');
  }
  const login = new Login();
  current = login;
  try {
    watchTab(context.api, tabId, login);
    return await Promise.race([runLogin(login, context, origin, loginId, challenge), login.cancelled]);
  } finally {
    login.end();
    current = null;
  }
}
