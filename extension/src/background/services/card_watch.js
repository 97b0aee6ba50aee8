// The trusted window follows the card (host events, docs/protocol.md §3):
// the picker lists again whenever a card or reader comes or goes, and the
// PIN entry says at once when the chosen card is pulled and takes the PIN
// again when it is back. Each follower listens from before its step is shown
// (what happens meanwhile is shown once it is there: attach), updates only
// its own step (a Stage of services/dialogs.js), and stops with its step or
// its login (stop).

// After card-inserted the PKCS#11 module (OpenSC via pcscd) may need a moment
// before it lists the new card's certificates: list again after these waits.
export const RETRY_MS = [250, 500, 1000, 2000];
// The PIN window has no "Look again": while its card is away it keeps
// looking, after the steps above every LOOK_EVERY_MS.
export const LOOK_EVERY_MS = 2000;
const lookWait = (i) => (i < RETRY_MS.length ? RETRY_MS[i] : LOOK_EVERY_MS);

// The host events the windows follow.
const CARD_EVENTS = ['card-removed', 'card-inserted', 'reader-added', 'reader-removed'];

export const delay = (ms) => new Promise((resolve) => { setTimeout(resolve, ms); });

// Card events for a window that is about to open: heard from now on, kept
// until the window is there, then handed to `handle` as they come.
// attach(handle) returns the ones that came before.
function windowEvents(host) {
  let handle = null;
  const missed = [];
  const stop = host.onEvent((message) => {
    if (!CARD_EVENTS.includes(message.event)) return;
    if (handle) handle(message);
    else missed.push(message);
  });
  const attach = (handler) => {
    handle = handler;
    return missed.splice(0);
  };
  // Nothing happened yet (nothing is kept for the window).
  const quiet = () => missed.length === 0;
  return { attach, quiet, stop };
}

// What the picker shows of a certificate (no DER, nothing the UI does not need).
function describe(c) {
  return {
    fingerprint: c.fingerprint, holder: c.holder, subject: c.subject, issuer: c.issuer,
    notBefore: c.notBefore, notAfter: c.notAfter, reader: c.reader, tokenLabel: c.tokenLabel,
    pinPad: c.pinPad === true, pinState: c.pinState,
  };
}

// The certificates on the cards for `purpose`: 'login' or 'sign' (a card's
// signing certificate is another than its login certificate).
export async function listCards(host, purpose = 'login') {
  const { certificates } = await host.request('list-certificates', { args: { purpose } });
  return (certificates ?? []).map(describe);
}

// While the picker is open it follows the readers: on every card or reader
// event it lists again and pushes the new list. The last list asked for
// wins, so an answer that left the host before a removal never brings the
// pulled card back; the pulled card's certificates go from the view at once.
// It listens from before the first list: what happens while the list is
// made and the window opens is shown as soon as the window is there
// (attach), or the user, just told "Insert your card", would wait for a card
// that is already in.
export function followReaders(host, purpose = 'login') {
  let picker = null;
  let asked = 0; // the number of the last list asked for
  const events = windowEvents(host);

  // Lists the certificates; shows them unless a newer list was asked for.
  async function list() {
    const ticket = ++asked;
    const certificates = await listCards(host, purpose);
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

  function handle({ event, data }) {
    if (event === 'card-removed') {
      removed(data ?? {});
      listQuietly();
    } else if (event === 'card-inserted') {
      awaitCard(data?.reader);
    } else {
      listQuietly();
    }
  }

  // The window is open. Events it missed count as if it had been: a pulled
  // card's certificates go, and one fresh list (which outranks the first)
  // shows the rest; a card that came is waited for as always.
  function attach(dialog) {
    picker = dialog;
    const missed = events.attach((message) => { if (!picker.closed) handle(message); });
    if (picker.closed || missed.length === 0) return;
    for (const { event, data } of missed) if (event === 'card-removed') removed(data ?? {});
    const arrived = new Set(missed.filter((e) => e.event === 'card-inserted').map((e) => e.data?.reader));
    if (arrived.size === 0) listQuietly();
    for (const reader of arrived) awaitCard(reader);
  }

  // "Look again": errors reach the login, as they always have. quiet():
  // no card or reader event yet, so the first list is still true (the
  // login may skip the picker for a single certificate).
  return { attach, quiet: events.quiet, refresh: list, stop: events.stop };
}

// While the PIN window is open it follows the chosen card: pulled out (its
// reader's card or its certificate reported removed), the view says
// `cardPresent: false`; when a card arrives in any reader, it lists until a
// list shows the certificate again (waiting longer each time, then every
// LOOK_EVERY_MS, for as long as the card is away and the window open: the
// PIN window has no "Look again"), and the view has it back, perhaps in
// another reader. A removal or a newer insert makes a look in progress
// stale, so a list that started before a removal cannot say "back".
// It listens from the moment the card is chosen: a card pulled while the
// window opens is shown absent as soon as the window is there (attach).
export function followCard(host, card, purpose = 'login') {
  const { fingerprint } = card;
  let dialog = null;
  let generation = 0;
  const events = windowEvents(host);

  function gone() {
    generation++;
    if (dialog.view.cardPresent) dialog.update({ ...dialog.view, cardPresent: false });
  }

  async function lookAgain() {
    const mine = ++generation;
    for (let i = 0; ; i++) {
      let found;
      try {
        found = (await listCards(host, purpose)).find((c) => c.fingerprint === fingerprint);
      } catch {
        // not ready yet: try again
      }
      if (mine !== generation || dialog.closed) return;
      if (found) {
        dialog.update({ ...dialog.view, certificate: found, pinPad: found.pinPad, pinState: found.pinState, cardPresent: true });
        return;
      }
      await delay(lookWait(i));
      if (mine !== generation || dialog.closed) return;
    }
  }

  function handle({ event, data }) {
    if (event === 'card-removed') {
      const reader = dialog.view.certificate.reader;
      const ours = (typeof data?.reader === 'string' && data.reader === reader)
        || (Array.isArray(data?.certificates) && data.certificates.includes(fingerprint));
      if (ours) gone();
    } else if (event === 'card-inserted' && !dialog.view.cardPresent) {
      lookAgain();
    }
  }

  // The window is open: what it missed happens now, in order.
  function attach(pinWindow) {
    dialog = pinWindow;
    const heard = (message) => { if (!dialog.closed) handle(message); };
    for (const message of events.attach(heard)) heard(message);
  }

  return { attach, gone, lookAgain, stop: events.stop };
}
