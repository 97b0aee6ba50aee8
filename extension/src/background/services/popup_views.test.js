import { test, describe } from 'node:test';
import assert from 'node:assert/strict';

import { PopupViews } from './popup_views.js';
import { RETRY_MS } from './card_watch.js';
import { deferred, fakeApi, fakePagePort, flush, until } from '../../../test-support/fakes.js';

const popupSender = { id: 'cardboundtestid', url: 'chrome-extension://cardboundtestid/ui/popup.html' };

// Views made by a counter: each knows how many were made before it.
function setup(make = null) {
  const api = fakeApi();
  let made = 0;
  const views = new PopupViews(api, make ?? (async () => ({ readers: [], sessions: 0, made: ++made })));
  const pushed = () => api.runtimeMessages.filter((m) => m.type === 'popup-view').map((m) => m.view);
  return { api, views, pushed, made: () => made };
}

describe('PopupViews', () => {
  test('no toolbar view open: nothing is made, nothing is sent', async () => {
    const { api, views, made } = setup();
    views.changed();
    views.changed('Reader One');
    await flush();
    assert.equal(made(), 0, 'the host is not asked for a view nobody sees');
    assert.deepEqual(api.runtimeMessages, []);
  });

  test('an open view gets each change as a new view, numbered after the ones before', async () => {
    const { views, pushed } = setup();
    const port = fakePagePort('popup', popupSender);
    views.watch(port);
    const first = await views.current();
    views.changed();
    await until(() => pushed().length === 1, 'a pushed view');
    assert.equal(pushed()[0].made, 2);
    assert.ok(pushed()[0].seq > first.seq, 'newer than the view the page asked for');
    views.changed();
    await until(() => pushed().length === 2, 'a second view');
    assert.ok(pushed()[1].seq > pushed()[0].seq);

    port.close();
    views.changed();
    await flush();
    assert.equal(pushed().length, 2, 'the page is gone: nothing more');
  });

  test('changes while a view is made cost one more view, not one each', async () => {
    const gates = [];
    let made = 0;
    const { views, pushed } = setup(() => {
      made++;
      const gate = deferred();
      gates.push(gate);
      return gate.promise;
    });
    views.watch(fakePagePort('popup', popupSender));
    views.changed();
    views.changed();
    views.changed();
    await flush();
    assert.equal(made, 1);
    gates[0].resolve({ readers: [], sessions: 1 });
    await until(() => made === 2, 'the one more view');
    gates[1].resolve({ readers: [], sessions: 0 });
    await until(() => pushed().length === 2, 'both views sent');
    await flush();
    assert.equal(made, 2);
    assert.deepEqual(pushed().map((v) => v.sessions), [1, 0], 'the last one sent is the newest');
  });

  test('a view that cannot be made is not sent, and the next change is made again', async () => {
    let fail = true;
    const { views, pushed } = setup(async () => {
      if (fail) throw new Error('broken');
      return { readers: [], sessions: 0 };
    });
    views.watch(fakePagePort('popup', popupSender));
    const errors = [];
    const log = console.error;
    console.error = (...args) => errors.push(args);
    try {
      views.changed();
      await flush();
      await flush();
    } finally {
      console.error = log;
    }
    assert.equal(pushed().length, 0);
    assert.equal(errors.length, 1);
    fail = false;
    views.changed();
    await until(() => pushed().length === 1, 'the next view');
  });

  test('a card put in: made again after the waits of card_watch until its reader shows a holder', async (t) => {
    t.mock.timers.enable({ apis: ['setTimeout'] });
    let holders = [];
    const { views, pushed } = setup(async () => ({ readers: [{ name: 'R', cardPresent: true, holders, sites: [] }], sessions: 0 }));
    views.watch(fakePagePort('popup', popupSender));
    views.changed('R');
    await until(() => pushed().length === 1, 'the first view');
    t.mock.timers.tick(RETRY_MS[0]);
    await until(() => pushed().length === 2, 'made again after the first wait');
    holders = ['Mari Card'];
    t.mock.timers.tick(RETRY_MS[1]);
    await until(() => pushed().length === 3, 'made again after the second wait');
    assert.deepEqual(pushed()[2].readers[0].holders, ['Mari Card']);
    for (const ms of RETRY_MS.slice(2)) t.mock.timers.tick(ms);
    await flush();
    await flush();
    assert.equal(pushed().length, 3, 'the holder is shown: no more waiting');
  });
});
