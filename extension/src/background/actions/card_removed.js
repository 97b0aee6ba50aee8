// The card left its reader: every site it logged in to is logged out now,
// without waiting for the server's presence deadline. The host ends the
// sessions that card carried (only those: a site may also be logged in with
// another card); each origin's tabs hear the event and one of them posts the
// site's logout.
import { tellOrigin } from '../services/tabs.js';

export async function cardRemoved({ api, host, sessions }, data) {
  const reader = typeof data?.reader === 'string' ? data.reader : null;
  const gone = await sessions.takeForRemovedCard({
    reader,
    certificates: Array.isArray(data?.certificates) ? data.certificates : [],
  });
  const origins = new Map();
  for (const s of gone) {
    origins.set(s.origin, [...(origins.get(s.origin) ?? []), s.tabId]);
    host.request('logout', { origin: s.origin, args: { sessionTag: s.sessionTag } }).catch(() => {});
  }
  await Promise.all([...origins].map(([origin, tabIds]) => tellOrigin(api, origin, reader, tabIds)));
  return [...origins.keys()];
}
