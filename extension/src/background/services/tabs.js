// Telling the tabs of an origin that its card left. The content script of
// each such tab passes the event to the page; the first one asked also posts
// the site's logout (as the page: same origin, its cookie), so the server
// ends the session for every tab at once.

// A tab whose logout hangs must not hold up the others.
const TAB_ANSWER_MS = 3000;

export async function tellOrigin(api, origin, reader, preferredTabIds = []) {
  const tabs = await api.tabs.query({});
  const order = [...tabs].sort((a, b) => preferredTabIds.includes(b.id) - preferredTabIds.includes(a.id));
  const send = (tab, postLogout) => {
    let timer;
    const late = new Promise((resolve) => { timer = setTimeout(() => resolve(null), TAB_ANSWER_MS); });
    const answer = api.tabs
      .sendMessage(tab.id, { type: 'card-removed', origin, reader, postLogout })
      .catch(() => null); // no content script there, or the tab is gone
    return Promise.race([answer, late]).finally(() => clearTimeout(timer));
  };
  let loggedOut = false;
  let i = 0;
  // One tab at a time until one has logged out, then the rest together.
  for (; i < order.length && !loggedOut; i++) {
    const reply = await send(order[i], true);
    loggedOut = reply?.loggedOut === true;
  }
  await Promise.all(order.slice(i).map((tab) => send(tab, false)));
  return loggedOut;
}
