import { test, describe } from 'node:test';
import assert from 'node:assert/strict';

import { cardsView, logOutOfAll, logOutOfCard, popupView } from './popup.js';
import { cardRemoved } from './card_removed.js';
import { CardSessions } from '../services/card_sessions.js';
import { fakeApi, scriptedHost } from '../../../test-support/fakes.js';

const A = 'https://a.example';
const B = 'https://b.example';
const C = 'https://c.example';
const mari = { fingerprint: '11'.repeat(32), reader: 'Reader One', holder: 'Mari Card' };
const jaan = { fingerprint: '22'.repeat(32), reader: 'Reader Two', holder: 'Jaan Card' };

async function addSession(sessions, origin, card, tag, tabId) {
  await sessions.rememberLogin(`L-${tag}`, { origin, fingerprint: card.fingerprint, reader: card.reader });
  assert.notEqual(await sessions.confirm(`L-${tag}`, origin, tag, tabId), null);
}

// Each tab shows one origin and answers card-removed as bridge.js does.
function browserWith(tabOrigins) {
  return fakeApi({
    tabs: Object.keys(tabOrigins).map((id) => ({ id: Number(id) })),
    sendMessage: async (tabId, message) => {
      if (tabOrigins[tabId] !== message.origin) return undefined;
      return { loggedOut: message.postLogout === true };
    },
  });
}

describe('cardsView', () => {
  test('readers with their cards\' holders and the sites logged in with each card', () => {
    const view = cardsView({
      readers: [{ name: 'Reader One', cardPresent: true }, { name: 'Reader Two', cardPresent: true }, { name: 'Reader Three', cardPresent: false }],
      certificates: [mari, { ...mari, fingerprint: '33'.repeat(32) }, jaan],
      sessions: [
        { origin: B, fingerprint: mari.fingerprint, reader: mari.reader, sessionTag: 'x', tabId: 1 },
        { origin: A, fingerprint: mari.fingerprint, reader: mari.reader, sessionTag: 'y', tabId: 2 },
        { origin: A, fingerprint: mari.fingerprint, reader: mari.reader, sessionTag: 'z', tabId: 3 },
      ],
    });
    assert.deepEqual(view, {
      readers: [
        { name: 'Reader One', cardPresent: true, holders: ['Mari Card'], sites: [A, B] },
        { name: 'Reader Two', cardPresent: true, holders: ['Jaan Card'], sites: [] },
        { name: 'Reader Three', cardPresent: false, holders: [], sites: [] },
      ],
      sessions: 3,
    });
  });

  test('a session goes with its certificate\'s card even if it logged in through another reader', () => {
    const view = cardsView({
      readers: [{ name: 'Reader One', cardPresent: false }, { name: 'Reader Two', cardPresent: true }],
      certificates: [{ ...mari, reader: 'Reader Two' }],
      sessions: [{ origin: A, fingerprint: mari.fingerprint, reader: 'Reader One' }],
    });
    assert.deepEqual(view.readers.map((r) => [r.name, r.sites]), [['Reader One', []], ['Reader Two', [A]]]);
  });

  test('sessions whose reader the host does not list still show, under their reader', () => {
    const view = cardsView({ sessions: [{ origin: C, fingerprint: '99', reader: 'Gone Reader' }] });
    assert.deepEqual(view.readers, [{ name: 'Gone Reader', cardPresent: false, holders: [], sites: [C] }]);
  });
});

describe('popupView', () => {
  test('asks the host for readers, and for certificates only when a card is present', async () => {
    const sessions = new CardSessions();
    await addSession(sessions, A, mari, 'T', 1);
    const host = scriptedHost({
      status: () => ({ readers: [{ name: 'Reader One', cardPresent: true }] }),
      'list-certificates': () => ({ certificates: [{ ...mari, certificate: 'MII…' }] }),
    });
    const view = await popupView({ host, sessions });
    assert.equal(view.hostError, null);
    assert.deepEqual(view.readers, [{ name: 'Reader One', cardPresent: true, holders: ['Mari Card'], sites: [A] }]);
    assert.deepEqual(host.commands(), ['status', 'list-certificates']);

    const empty = scriptedHost({ status: () => ({ readers: [{ name: 'Reader One', cardPresent: false }] }) });
    assert.deepEqual((await popupView({ host: empty, sessions })).readers[0].holders, []);
    assert.deepEqual(empty.commands(), ['status']);
  });

  test('a host out of reach: the sessions the extension knows, and the error code', async () => {
    const sessions = new CardSessions();
    await addSession(sessions, A, mari, 'T', 1);
    const host = scriptedHost({ status: () => { throw Object.assign(new Error('gone'), { code: 'ERR_HOST_UNAVAILABLE' }); } });
    const view = await popupView({ host, sessions });
    assert.equal(view.hostError, 'ERR_HOST_UNAVAILABLE');
    assert.deepEqual(view.readers, [{ name: 'Reader One', cardPresent: false, holders: [], sites: [A] }]);
  });
});

describe('logOutOfAll', () => {
  async function setup() {
    const sessions = new CardSessions();
    await addSession(sessions, A, mari, 'TA', 1);
    await addSession(sessions, B, mari, 'TB', 2);
    await addSession(sessions, C, jaan, 'TC', 3);
    const host = scriptedHost({ logout: () => ({ endedSessions: 1 }) });
    return { sessions, host };
  }

  test('ends every session of every card: host logout per session, each origin told as on a card pull', async () => {
    const { sessions, host } = await setup();
    const api = browserWith({ 1: A, 2: B, 3: C, 4: A });
    const origins = await logOutOfAll({ api, host, sessions });
    assert.deepEqual(origins.sort(), [A, B, C]);
    assert.deepEqual(host.calls.map((c) => [c.command, c.origin, c.args]).sort(),
      [['logout', A, { sessionTag: 'TA' }], ['logout', B, { sessionTag: 'TB' }], ['logout', C, { sessionTag: 'TC' }]]);
    assert.equal(await sessions.count(), 0);
    // The card-removed message of a pull, with the reader of each site's card.
    const told = api.tabMessages.map(({ tabId, message }) => [tabId, message.type, message.origin, message.reader, message.postLogout]);
    // (every tab is told; only A's two tabs' content scripts take it)
    assert.deepEqual(told.filter(([id, , o]) => o === A && [1, 4].includes(id)), [[1, 'card-removed', A, mari.reader, true], [4, 'card-removed', A, mari.reader, false]]);
    assert.ok(told.some(([id, type, o, r, post]) => id === 3 && type === 'card-removed' && o === C && r === jaan.reader && post === true));
  });

  test('sends the tabs exactly what a card pull sends them', async () => {
    const pulled = await setup();
    const pullApi = browserWith({ 1: A, 2: B, 4: A });
    await cardRemoved({ api: pullApi, host: pulled.host, sessions: pulled.sessions }, { reader: mari.reader, certificates: [mari.fingerprint] });

    const all = await setup();
    await all.sessions.takeAll([jaan.fingerprint]); // only Mari's card's sites left
    const allApi = browserWith({ 1: A, 2: B, 4: A });
    await logOutOfAll({ api: allApi, host: all.host, sessions: all.sessions });
    assert.deepEqual(allApi.tabMessages, pullApi.tabMessages);
    assert.deepEqual(all.host.calls, pulled.host.calls);
  });

  test('nobody logged in: nothing to do', async () => {
    const sessions = new CardSessions();
    const host = scriptedHost();
    const api = browserWith({ 1: A });
    assert.deepEqual(await logOutOfAll({ api, host, sessions }), []);
    assert.deepEqual(host.calls, []);
    assert.deepEqual(api.tabMessages, []);
  });
});

describe('logOutOfCard', () => {
  // Mari's card logged in to A and B, Jaan's to C; the host lists both cards.
  async function setup(status = () => ({ readers: [{ name: mari.reader, cardPresent: true }, { name: jaan.reader, cardPresent: true }] })) {
    const sessions = new CardSessions();
    await addSession(sessions, A, mari, 'TA', 1);
    await addSession(sessions, B, mari, 'TB', 2);
    await addSession(sessions, C, jaan, 'TC', 3);
    const host = scriptedHost({
      status,
      'list-certificates': () => ({ certificates: [mari, jaan] }),
      logout: () => ({ endedSessions: 1 }),
    });
    return { sessions, host, api: browserWith({ 1: A, 2: B, 3: C }) };
  }
  const logouts = (host) => host.calls.filter((c) => c.command === 'logout').map((c) => [c.origin, c.args]);

  test('ends only the sessions of that reader\'s card; the other card\'s site stays logged in', async () => {
    const { sessions, host, api } = await setup();
    const origins = await logOutOfCard({ api, host, sessions }, mari.reader);
    assert.deepEqual(origins.sort(), [A, B]);
    assert.deepEqual(logouts(host).sort(), [[A, { sessionTag: 'TA' }], [B, { sessionTag: 'TB' }]]);
    assert.deepEqual((await sessions.list()).map((s) => [s.origin, s.sessionTag]), [[C, 'TC']]);
    assert.ok(!api.tabMessages.some(({ message }) => message.origin === C), 'C\'s tab is not told anything');
    const view = await popupView({ host, sessions });
    assert.deepEqual(view.readers.map((r) => [r.name, r.sites]), [[mari.reader, []], [jaan.reader, [C]]]);
  });

  test('sends the tabs and the host exactly what pulling that card sends them', async () => {
    const pulled = await setup();
    await cardRemoved({ api: pulled.api, host: pulled.host, sessions: pulled.sessions }, { reader: mari.reader, certificates: [mari.fingerprint] });

    const one = await setup();
    await logOutOfCard({ api: one.api, host: one.host, sessions: one.sessions }, mari.reader);
    assert.deepEqual(one.api.tabMessages, pulled.api.tabMessages);
    assert.deepEqual(logouts(one.host), logouts(pulled.host));
    assert.deepEqual(await one.sessions.list(), await pulled.sessions.list());
  });

  test('goes by the reader the view lists a session under: the card\'s reader now, not the one of the login', async () => {
    const { sessions, host, api } = await setup();
    host.handlers['list-certificates'] = () => ({ certificates: [{ ...mari, reader: jaan.reader }] }); // Mari's card moved
    host.handlers.status = () => ({ readers: [{ name: mari.reader, cardPresent: false }, { name: jaan.reader, cardPresent: true }] });
    assert.deepEqual(await logOutOfCard({ api, host, sessions }, mari.reader), [], 'nothing is listed under the empty reader');
    assert.deepEqual((await logOutOfCard({ api, host, sessions }, jaan.reader)).sort(), [A, B, C]);
  });

  test('a host out of reach: by the reader of each login, as the view shows them then', async () => {
    const { sessions, host, api } = await setup(() => { throw Object.assign(new Error('gone'), { code: 'ERR_HOST_UNAVAILABLE' }); });
    assert.deepEqual(await logOutOfCard({ api, host, sessions }, jaan.reader), [C]);
    assert.equal(await sessions.count(), 2);
  });

  test('an unknown reader ends nothing; no reader name is refused', async () => {
    const { sessions, host, api } = await setup();
    assert.deepEqual(await logOutOfCard({ api, host, sessions }, 'Reader Nine'), []);
    assert.equal(await sessions.count(), 3);
    await assert.rejects(logOutOfCard({ api, host, sessions }, undefined), { code: 'ERR_BAD_REQUEST' });
    assert.deepEqual(logouts(host), []);
  });
});
