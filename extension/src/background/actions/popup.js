// The toolbar view (ui/popup.html, the extension's action popup): the
// readers and the cards in them, the sites logged in with each card, and
// "log out of all", which ends those sessions the way a card pull does
// (endSessions of card_removed.js: the host's logout, then each site's tabs
// are told and one of them posts the site's logout).
import { HostCommand } from '../../shared/registry.js';
import { endSessions } from './card_removed.js';
import { listCards } from '../services/card_watch.js';

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
  const certReader = new Map();
  for (const c of certificates) {
    if (typeof c?.reader !== 'string') continue;
    const reader = readerOf(c.reader);
    reader.cardPresent = true;
    const holder = c.holder || c.subject || '';
    if (holder && !reader.holders.includes(holder)) reader.holders.push(holder);
    certReader.set(c.fingerprint, c.reader);
  }
  for (const s of sessions) {
    const name = certReader.get(s.fingerprint) ?? s.reader ?? '';
    const reader = readerOf(name);
    if (!reader.sites.includes(s.origin)) reader.sites.push(s.origin);
  }
  for (const r of byName.values()) r.sites.sort();
  return { readers: [...byName.values()], sessions: sessions.length };
}

// What the popup shows. A host that cannot be reached leaves the sessions
// the extension knows, and says so (`hostError`: its code).
export async function popupView({ host, sessions }) {
  const list = await sessions.list();
  try {
    const status = await host.request(HostCommand.STATUS);
    const readers = Array.isArray(status.readers) ? status.readers : [];
    const certificates = readers.some((r) => r.cardPresent) ? await listCards(host) : [];
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
