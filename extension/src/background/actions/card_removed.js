// The card left its reader: every site it logged in to is logged out now,
// without waiting for the server's presence deadline. The host ends the
// sessions that card carried (only those: a site may also be logged in with
// another card); each origin's tabs hear the event and one of them posts the
// site's logout.
//
// endSessions is that logout for any sessions taken out of CardSessions:
// the toolbar view's "log out of all" (actions/popup.js) ends its sessions
// through it too, so the sites see exactly what a card pull shows them.
import { tellOrigin } from '../services/tabs.js';

// Ends `gone` (sessions already taken out of CardSessions): the host's
// logout for each, then each origin's tabs are told (card-removed, with
// `reader`, or the reader of the origin's first session when it is
// undefined). Resolves with the origins.
export async function endSessions({ api, host }, gone, reader = undefined) {
  const origins = new Map();
  for (const s of gone) {
    const entry = origins.get(s.origin) ?? { reader: reader === undefined ? (s.reader ?? null) : reader, tabIds: [] };
    entry.tabIds.push(s.tabId);
    origins.set(s.origin, entry);
    host.request('logout', { origin: s.origin, args: { sessionTag: s.sessionTag } }).catch(() => {});
  }
  await Promise.all([...origins].map(([origin, { reader: r, tabIds }]) => tellOrigin(api, origin, r, tabIds)));
  return [...origins.keys()];
}

export async function cardRemoved(context, data) {
  const reader = typeof data?.reader === 'string' ? data.reader : null;
  const gone = await context.sessions.takeForRemovedCard({
    reader,
    certificates: Array.isArray(data?.certificates) ? data.certificates : [],
  });
  return endSessions(context, gone, reader);
}
