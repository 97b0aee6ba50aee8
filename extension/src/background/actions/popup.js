// The toolbar view (ui/popup.html, the extension's action popup): the
// readers and the cards in them, the sites logged in with each card, "log
// out of all" and each card's own "log out", which end those sessions the
// way a card pull does (endSessions of card_removed.js: the host's logout,
// then each site's tabs are told and one of them posts the site's logout).
import { ErrorCode, ExtensionError } from '../../shared/errors.js';
import { HostCommand } from '../../shared/registry.js';
import { endSessions } from './card_removed.js';
import { listCards } from '../services/card_watch.js';

// The reader a session is listed under: the one holding the card whose
// certificate it used, else the one it logged in through. The view and a
// card's "log out" both go by it, so the button ends what its reader lists.
function sessionReader(certificates) {
  const certReader = new Map();
  for (const c of certificates) if (typeof c?.reader === 'string') certReader.set(c.fingerprint, c.reader);
  return (s) => certReader.get(s.fingerprint) ?? s.reader ?? '';
}

// The view from what the host and CardSessions say. `readers`: the host's
// status readers ({name, cardPresent}); `certificates`: list-certificates
// (described); `sessions`: CardSessions.list(). Each reader with its card
// (holders of the certificates in it) and the sites logged in with that
// card: a session belongs to the card whose certificate it used, or (a card
// the host lists no certificate of) to its reader. Sessions of no reader
// shown come last, under a reader of their own name.
export function cardsView({ readers = [], certificates = [], sessions = [] }) {
  const byName = new Map();
  const readerOf = (name) => {
    if (!byName.has(name)) byName.set(name, { name, cardPresent: false, holders: [], sites: [] });
    return byName.get(name);
  };
  for (const r of readers) {
    if (typeof r?.name === 'string') readerOf(r.name).cardPresent = r.cardPresent === true;
  }
  for (const c of certificates) {
    if (typeof c?.reader !== 'string') continue;
    const reader = readerOf(c.reader);
    reader.cardPresent = true;
    const holder = c.holder || c.subject || '';
    if (holder && !reader.holders.includes(holder)) reader.holders.push(holder);
  }
  const readerOfSession = sessionReader(certificates);
  for (const s of sessions) {
    const reader = readerOf(readerOfSession(s));
    if (!reader.sites.includes(s.origin)) reader.sites.push(s.origin);
  }
  for (const r of byName.values()) r.sites.sort();
  return { readers: [...byName.values()], sessions: sessions.length };
}

const cardsIn = async (readers, host) => (readers.some((r) => r.cardPresent) ? listCards(host) : []);

// What the popup shows. A host that cannot be reached leaves the sessions
// the extension knows, and says so (`hostError`: its code).
export async function popupView({ host, sessions }) {
  const list = await sessions.list();
  try {
    const status = await host.request(HostCommand.STATUS);
    const readers = Array.isArray(status.readers) ? status.readers : [];
    const certificates = await cardsIn(readers, host);
    return { ...cardsView({ readers, certificates, sessions: list }), hostError: null };
  } catch (e) {
    return { ...cardsView({ sessions: list }), hostError: e?.code ?? 'ERR_HOST_UNAVAILABLE' };
  }
}

// "Log out of all": every session ends as on a card pull. Resolves with the
// origins logged out.
export async function logOutOfAll(context) {
  const gone = await context.sessions.takeAll();
  return endSessions(context, gone);
}

// A card's (its reader's) "Log out": the sessions listed under `reader`
// end as on a card pull, and only those (another card's sites stay logged
// in). Sessions are matched to readers as the view does; a host out of
// reach leaves each session under the reader it logged in through.
// Resolves with the origins logged out.
export async function logOutOfCard(context, reader) {
  if (typeof reader !== 'string') throw new ExtensionError(ErrorCode.BAD_REQUEST, 'a reader name is needed');
  let certificates = [];
  try {
    const status = await context.host.request(HostCommand.STATUS);
    certificates = await cardsIn(Array.isArray(status.readers) ? status.readers : [], context.host);
  } catch {
    // as the view shows it then: by the reader of the login
  }
  const readerOfSession = sessionReader(certificates);
  const gone = await context.sessions.take((s) => readerOfSession(s) === reader);
  return endSessions(context, gone);
}
