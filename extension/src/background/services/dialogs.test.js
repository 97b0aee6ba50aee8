import { test, describe, beforeEach, afterEach, mock } from 'node:test';
import assert from 'node:assert/strict';

import { Dialogs } from './dialogs.js';
import { ExtensionError } from '../../shared/errors.js';
import { EXTENSION_BASE, dialogIdOf, fakeApi, flush, settled, until } from '../../../test-support/fakes.js';

const IDLE_LIMIT_MS = 5 * 60 * 1000;

function cancelled(e) {
  assert.ok(e instanceof ExtensionError, `expected an ExtensionError, got ${e}`);
  assert.equal(e.code, 'ERR_USER_CANCELLED');
  return true;
}

// A message from the dialog window `dialog` (its own URL as sender.url),
// made in the step the dialog shows now.
function fromWindow(dialogs, api, dialog, op, value, ...sender) {
  const url = sender.length ? sender[0] : api.created.find((w) => w.id === dialog.windowId)?.url;
  const replies = [];
  const message = { type: 'dialog', dialog: dialog.id, op, value, stage: dialog.stage.number };
  const returned = dialogs.handleMessage(message, { id: api.runtime.id, url }, (r) => replies.push(r));
  return { returned, replies };
}

// The same, made in step `stage`.
function fromStage(dialogs, api, dialog, stage, op, value) {
  const replies = [];
  const url = api.created.find((w) => w.id === dialog.windowId).url;
  dialogs.handleMessage({ type: 'dialog', dialog: dialog.id, op, value, stage }, { id: api.runtime.id, url }, (r) => replies.push(r));
  return replies;
}

describe('Dialogs', () => {
  let api;
  let dialogs;
  beforeEach(() => {
    // The 5-minute idle timers must not keep the test process alive.
    mock.timers.enable({ apis: ['setTimeout'] });
    api = fakeApi();
    dialogs = new Dialogs(api);
  });
  afterEach(() => {
    mock.timers.reset();
  });

  test('show opens ui/<page>.html?dialog=<id> as a focused popup', async () => {
    const d = await dialogs.show('picker', { origin: 'https://a.example' });
    assert.equal(api.created.length, 1);
    const w = api.created[0];
    assert.equal(w.url, `${EXTENSION_BASE}ui/picker.html?dialog=${d.id}`);
    assert.equal(w.type, 'popup');
    assert.equal(w.focused, true);
    assert.ok(w.width > 0 && w.height > 0);
    assert.equal(d.windowId, w.id);
    assert.equal(dialogIdOf(api), d.id);
    assert.match(d.id, /^[0-9a-f-]{36}$/);
    d.close();
  });

  test('every dialog has its own id', async () => {
    const a = await dialogs.show('picker', {});
    const b = await dialogs.show('pin', {});
    assert.notEqual(a.id, b.id);
    assert.equal(dialogs.open.size, 2);
    a.close();
    b.close();
    assert.equal(dialogs.open.size, 0);
  });

  test("'hello' answers with the view at once", async () => {
    const view = { origin: 'https://a.example', certificates: [] };
    const d = await dialogs.show('picker', view);
    const { returned, replies } = fromWindow(dialogs, api, d, 'hello');
    assert.equal(returned, false);
    assert.deepEqual(replies, [{ state: 'view', view: { ...view, stage: 1 } }], 'the first stage');
    d.close();
  });

  test("an unknown dialog id is answered 'closed'", async () => {
    const replies = [];
    const returned = dialogs.handleMessage({ type: 'dialog', dialog: 'nope', op: 'hello' },
      { url: `${EXTENSION_BASE}ui/pin.html?dialog=nope` }, (r) => replies.push(r));
    assert.equal(returned, false);
    assert.deepEqual(replies, [{ state: 'closed' }]);
  });

  test('messages from anything but the extension\'s ui/ pages are ignored', async () => {
    const d = await dialogs.show('pin', { secret: 'view' });
    const next = d.next();
    for (const url of [
      'https://evil.example/ui/pin.html',
      `https://evil.example/${EXTENSION_BASE}ui/pin.html`,
      'chrome-extension://otherextension/ui/pin.html',
      `${EXTENSION_BASE}background/index.js`,
      `${EXTENSION_BASE}uiX/pin.html`,
      undefined,
    ]) {
      for (const op of ['hello', 'submit', 'cancel']) {
        const { returned, replies } = fromWindow(dialogs, api, d, op, '1234', url);
        assert.equal(returned, false, `${op} from ${url}`);
        assert.deepEqual(replies, [], `${op} from ${url}`);
      }
    }
    assert.equal(await settled(next), false, 'nothing was delivered');
    assert.equal(api.removed.length, 0, 'nothing was cancelled');
    const { returned } = fromWindow(dialogs, api, d, 'submit', '1234');
    assert.equal(returned, true);
    assert.equal((await next).value, '1234');
    d.close();
  });

  test('unknown operations are ignored', async () => {
    const d = await dialogs.show('pin', {});
    const next = d.next();
    const { returned, replies } = fromWindow(dialogs, api, d, 'explode', 1);
    assert.equal(returned, false);
    assert.deepEqual(replies, []);
    assert.equal(await settled(next), false);
    d.close();
    await assert.rejects(next, cancelled);
  });

  test('submit and refresh reach next() with a respond() that answers the window', async () => {
    const d = await dialogs.show('picker', {});
    const next = d.next();
    const { returned, replies } = fromWindow(dialogs, api, d, 'refresh');
    assert.equal(returned, true, 'the answer comes later');
    const action = await next;
    assert.equal(action.op, 'refresh');
    assert.deepEqual(replies, []);
    action.respond({ state: 'view', view: {} });
    assert.deepEqual(replies, [{ state: 'view', view: {} }]);
    d.close();
  });

  test('actions that come before next() wait in order', async () => {
    const d = await dialogs.show('pin', {});
    fromWindow(dialogs, api, d, 'submit', 'one');
    fromWindow(dialogs, api, d, 'submit', 'two');
    assert.equal((await d.next()).value, 'one');
    assert.equal((await d.next()).value, 'two');
    const third = d.next();
    assert.equal(await settled(third), false);
    d.close();
    await assert.rejects(third, cancelled);
  });

  test("'cancel' cancels the waiter, closes the window and forgets the dialog", async () => {
    const d = await dialogs.show('pin', {});
    const next = d.next();
    const { returned, replies } = fromWindow(dialogs, api, d, 'cancel');
    assert.equal(returned, false);
    assert.deepEqual(replies, []);
    await assert.rejects(next, cancelled);
    await until(() => api.removed.length === 1, 'the window to be removed');
    assert.deepEqual(api.removed, [d.windowId]);
    assert.equal(dialogs.open.size, 0);
    await assert.rejects(d.next(), cancelled, 'a closed dialog stays cancelled');
    const late = fromWindow(dialogs, api, d, 'hello');
    assert.deepEqual(late.replies, [{ state: 'closed' }]);
  });

  test('closing the window cancels, without removing it again', async () => {
    const d = await dialogs.show('picker', {});
    const next = d.next();
    api.userCloses(d.windowId);
    await assert.rejects(next, cancelled);
    await flush();
    assert.deepEqual(api.removed, []);
    assert.equal(dialogs.open.size, 0);
  });

  test('closing the window cancels a dialog that is not waiting yet', async () => {
    const d = await dialogs.show('picker', {});
    api.userCloses(d.windowId);
    await assert.rejects(d.next(), cancelled);
  });

  test('closing another window changes nothing', async () => {
    const d = await dialogs.show('picker', {});
    const next = d.next();
    api.userCloses(9999);
    assert.equal(await settled(next), false);
    assert.equal(dialogs.open.size, 1);
    d.close();
    await assert.rejects(next, cancelled);
  });

  test('close removes the window once, and a window already gone is no error', async () => {
    const d = await dialogs.show('pin', {});
    const windowId = d.windowId;
    api.open.delete(windowId); // gone behind our back: remove() rejects
    d.close();
    d.close();
    await flush();
    await flush();
    assert.deepEqual(api.removed, []);
    assert.equal(dialogs.open.size, 0);
  });

  test('release ends the dialog but leaves the window; waiting actions hear "closed"', async () => {
    const d = await dialogs.show('pin', {});
    const queued = fromWindow(dialogs, api, d, 'submit', '1234');
    d.release();
    assert.deepEqual(queued.replies, [{ state: 'closed' }]);
    await assert.rejects(d.next(), cancelled);
    d.close(); // as authenticate's finally does
    await flush();
    assert.deepEqual(api.removed, [], 'the window stays for the user to read');
    assert.equal(api.open.has(d.windowId), true);
    const hello = fromWindow(dialogs, api, d, 'hello');
    assert.equal(hello.replies[0].state, 'view', 'the window still gets its view');
    const submit = fromWindow(dialogs, api, d, 'submit', '1234');
    assert.deepEqual(submit.replies, [{ state: 'closed' }], 'but no action counts');
    api.windows.onRemoved.fire(d.windowId);
    assert.equal(dialogs.open.size, 0, 'forgotten once the user closes the window');
  });

  test('a dialog cancelled while its window is being created gets the window removed', async () => {
    api.createHook = async (options) => {
      const id = new URL(options.url).searchParams.get('dialog');
      const replies = [];
      dialogs.handleMessage({ type: 'dialog', dialog: id, op: 'cancel' }, { url: options.url }, (r) => replies.push(r));
    };
    const d = await dialogs.show('picker', {});
    await assert.rejects(d.next(), cancelled);
    await until(() => api.removed.length === 1, 'the window to be removed');
    assert.deepEqual(api.removed, [d.windowId]);
  });

  test('a dialog left alone for 5 minutes is cancelled and its window closed', async () => {
    const d = await dialogs.show('picker', {});
    const next = d.next();
    mock.timers.tick(IDLE_LIMIT_MS - 1);
    assert.equal(await settled(next), false);
    mock.timers.tick(1);
    await assert.rejects(next, cancelled);
    await until(() => api.removed.length === 1, 'the window to be removed');
    assert.deepEqual(api.removed, [d.windowId]);
  });

  test('the idle limit counts from the last next()', async () => {
    const d = await dialogs.show('pin', {});
    const first = d.next();
    mock.timers.tick(IDLE_LIMIT_MS - 10);
    fromWindow(dialogs, api, d, 'submit', 'x');
    await first;
    const second = d.next();
    mock.timers.tick(IDLE_LIMIT_MS - 10);
    assert.equal(await settled(second), false, 'the first timer was cleared');
    mock.timers.tick(10);
    await assert.rejects(second, cancelled);
  });
  test('update replaces the view and pushes it to the window; a window not listening is no error', async () => {
    const d = await dialogs.show('pin', { cardPresent: true });
    const next = d.next();
    d.update({ cardPresent: false });
    assert.deepEqual(d.view, { cardPresent: false });
    await until(() => api.runtimeMessages.length === 1, 'the push');
    assert.deepEqual(api.runtimeMessages, [{ type: 'dialog-view', dialog: d.id, view: { cardPresent: false } }]);
    await flush(); // the fake's sendMessage rejects, as with no page listening: nothing unhandled
    assert.deepEqual(fromWindow(dialogs, api, d, 'hello').replies, [{ state: 'view', view: { cardPresent: false } }]);
    assert.equal(await settled(next), false, 'a push is no action');
    d.close();
  });

  test('a sendMessage that throws at once is no error either', async () => {
    const d = await dialogs.show('picker', {});
    api.runtime.sendMessage = () => { throw new Error('Extension context invalidated.'); };
    d.update({ certificates: [] });
    await flush();
    assert.deepEqual(d.view, { certificates: [] });
    d.close();
  });

  test('a closed dialog pushes nothing; a released one still does (its window is open)', async () => {
    const closed = await dialogs.show('picker', {});
    closed.close();
    closed.update({ late: true });
    const released = await dialogs.show('pin', {});
    released.release();
    released.update({ blocked: true });
    await flush();
    assert.deepEqual(api.runtimeMessages.map((m) => m.dialog), [released.id]);
  });

  test('focus brings the window to the front; a window already gone is no error', async () => {
    const d = await dialogs.show('pin', {});
    d.focus();
    await until(() => api.focused.length === 1, 'the focus');
    assert.deepEqual(api.focused, [d.windowId]);
    api.open.delete(d.windowId); // windows.update rejects now
    d.focus();
    await flush();
    assert.deepEqual(api.focused, [d.windowId]);
    d.close();
    d.focus();
    await flush();
    assert.equal(api.focused.length, 1, 'a closed dialog is not focused');
  });

  test('begin shows the next step in the same window: a new stage number, pushed, no new window', async () => {
    const d = await dialogs.show('login', { step: 'picker' });
    const first = d.stage;
    assert.equal(first.number, 1);
    const second = d.begin({ step: 'pin' });
    assert.equal(second.number, 2);
    assert.equal(d.stage, second);
    assert.deepEqual(d.view, { step: 'pin', stage: 2 });
    await until(() => api.runtimeMessages.length === 1, 'the push');
    assert.deepEqual(api.runtimeMessages[0].view, { step: 'pin', stage: 2 });
    assert.equal(api.created.length, 1);
    assert.equal(first.closed, true, 'the first step is over');
    assert.equal(second.closed, false);
    d.close();
    assert.equal(second.closed, true, 'and every step with the dialog');
  });

  test("a step's update counts only while it is shown", async () => {
    const d = await dialogs.show('login', { step: 'picker', certificates: [] });
    const picker = d.stage;
    picker.update({ ...picker.view, certificates: ['a'] });
    assert.deepEqual(d.view, { step: 'picker', certificates: ['a'], stage: 1 });
    const entry = d.begin({ step: 'pin' });
    picker.update({ step: 'picker', certificates: ['late'] });
    assert.deepEqual(d.view, { step: 'pin', stage: 2 }, 'a late list of the picker is not shown');
    entry.update({ step: 'pin', cardPresent: false });
    assert.deepEqual(d.view, { step: 'pin', cardPresent: false, stage: 2 });
    await flush();
    assert.deepEqual(api.runtimeMessages.map((m) => m.view.stage), [1, 2, 2]);
    d.close();
  });

  test("a step's next() takes only actions made in it; others are answered with the current view", async () => {
    const d = await dialogs.show('login', { step: 'picker' });
    const entry = d.begin({ step: 'pin' });
    const next = entry.next();
    const stale = [1, undefined, null, '2', 3].map((stage) => fromStage(dialogs, api, d, stage, 'submit', 'f'.repeat(64)));
    assert.equal(await settled(next), false, 'none of them counted');
    for (const replies of stale) assert.deepEqual(replies, [{ state: 'view', view: { step: 'pin', stage: 2 } }]);
    fromStage(dialogs, api, d, 2, 'back');
    const action = await next;
    assert.equal(action.op, 'back');
    assert.equal(action.stage, 2);
    d.close();
  });

  test("cancel from any step cancels", async () => {
    const d = await dialogs.show('login', { step: 'picker' });
    const entry = d.begin({ step: 'pin' });
    const next = entry.next();
    fromStage(dialogs, api, d, 1, 'cancel');
    await assert.rejects(next, cancelled);
  });
});
