// The trusted UI: an extension window (ui/login.html) that the page can
// neither see nor script. A window asks for its view with its dialog id, and
// sends the user's choices back; closing it is cancelling. When the
// background changes a view (a card pulled or inserted), it pushes the new
// one to the window ('dialog-view').
//
// One window goes through steps (the certificate picker, the PIN entry, a
// blocked card) without closing: each step is a stage with its own number in
// the view. The window sends that number with every action, and an action
// from a stage that is over is answered with the current view instead of
// counting: a certificate's fingerprint clicked twice must never arrive at
// the PIN entry as a PIN. What follows the cards for a stage updates only
// that stage, so a late list for the picker never replaces the PIN entry.
import { ErrorCode, ExtensionError } from '../../shared/errors.js';

const SIZE = { width: 460, height: 600 };
// Longer than the host keeps a login (5 minutes): then it is void anyway.
const IDLE_LIMIT_MS = 5 * 60 * 1000;

class Dialog {
  constructor(dialogs, id, view) {
    this.dialogs = dialogs;
    this.id = id;
    this.windowId = null;
    this.closed = false;
    this.released = false;
    this.queue = [];
    this.waiter = null;
    this.stage = new Stage(this, 1);
    this.view = { ...view, stage: 1 };
  }

  // Shows the next step in the window: its view replaces the current one,
  // and actions of earlier steps no longer count. Returns its Stage.
  begin(view) {
    this.stage = new Stage(this, this.stage.number + 1);
    this.update({ ...view, stage: this.stage.number });
    return this.stage;
  }

  // The user's next action: { op, value, respond(answer) }. Rejects with
  // ERR_USER_CANCELLED when the user cancels or closes the window.
  next() {
    if (this.queue.length) return Promise.resolve(this.queue.shift());
    if (this.closed) return Promise.reject(cancelled());
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => this.close(), IDLE_LIMIT_MS);
      this.waiter = {
        resolve: (a) => { clearTimeout(timer); resolve(a); },
        reject: (e) => { clearTimeout(timer); reject(e); },
      };
    });
  }

  // Replaces the view and pushes it to the window. A window that is not
  // listening yet (still loading) fails the message; it asks with 'hello'
  // and gets the current view then. runtime.sendMessage reaches only the
  // extension's own pages, never a web page.
  update(view) {
    this.view = view;
    if (this.closed && !this.released) return;
    const message = { type: 'dialog-view', dialog: this.id, view };
    Promise.resolve()
      .then(() => this.dialogs.api.runtime.sendMessage(message))
      .catch(() => {});
  }

  // Brings the window to the front: someone wants a login while this one
  // waits for the user.
  focus() {
    if (this.windowId === null || this.closed) return;
    const { windows } = this.dialogs.api;
    Promise.resolve()
      .then(() => windows.update(this.windowId, { focused: true }))
      .catch(() => {}); // the window is going away
  }

  deliver(action) {
    if (action.op === 'cancel') return this.close();
    const w = this.waiter;
    this.waiter = null;
    if (w) w.resolve(action);
    else this.queue.push(action);
  }

  // Closes the window (if still open) and cancels whoever waits. A released
  // dialog keeps its window: the user closes it.
  close() {
    if (this.released) return;
    this.end();
    this.dialogs.forget(this);
    if (this.windowId !== null) this.dialogs.api.windows.remove(this.windowId).catch(() => {});
  }

  // Ends the dialog but leaves its window for the user to read and close (a
  // blocked PIN): the window still gets its view, but no action counts.
  release() {
    this.end();
    this.released = true;
  }

  // The window is gone (the user closed it).
  gone() {
    this.windowId = null;
    this.end();
    this.dialogs.forget(this);
  }

  end() {
    if (this.closed) return;
    this.closed = true;
    for (const a of this.queue) a.respond({ state: 'closed' });
    this.queue = [];
    const w = this.waiter;
    this.waiter = null;
    if (w) w.reject(cancelled());
  }
}

// One step of a dialog, as what drives or follows that step sees it: the
// view while the step is shown, updates that count only while it is, and
// the user's actions made in it.
class Stage {
  constructor(dialog, number) {
    this.dialog = dialog;
    this.number = number;
  }

  // Over: the dialog ended, or a later step replaced this one.
  get closed() {
    return this.dialog.closed || this.dialog.stage !== this;
  }

  get view() {
    return this.dialog.view;
  }

  update(view) {
    if (!this.closed) this.dialog.update({ ...view, stage: this.number });
  }

  // The user's next action in this step; an action sent from an earlier
  // step (the window had not shown this one yet) is answered with the
  // current view, which the window then shows.
  async next() {
    for (;;) {
      const action = await this.dialog.next();
      if (action.stage === this.number) return action;
      action.respond({ state: 'view', view: this.dialog.view });
    }
  }

  release() {
    this.dialog.release();
  }
}

function cancelled() {
  return new ExtensionError(ErrorCode.USER_CANCELLED, 'the user cancelled');
}

export class Dialogs {
  constructor(api) {
    this.api = api;
    this.open = new Map();
    api.windows.onRemoved.addListener((windowId) => {
      for (const d of [...this.open.values()]) if (d.windowId === windowId) d.gone();
    });
  }

  // Opens ui/<page>.html showing `view` as its first stage (dialog.stage).
  async show(page, view) {
    const id = crypto.randomUUID();
    const dialog = new Dialog(this, id, view);
    this.open.set(id, dialog);
    const url = this.api.runtime.getURL(`ui/${page}.html?dialog=${id}`);
    let win;
    // For scripts/bench-browser: when the window was asked for (the time
    // from here to its page arriving is Chromium's). One mark, the latest.
    performance.clearMarks('cardbound-window-asked');
    performance.mark('cardbound-window-asked');
    try {
      win = await this.api.windows.create({ url, type: 'popup', focused: true, ...SIZE });
    } catch (e) {
      this.forget(dialog);
      throw new ExtensionError(ErrorCode.INTERNAL, `the window could not be opened: ${e.message}`);
    }
    dialog.windowId = win.id;
    if (dialog.closed) this.api.windows.remove(win.id).catch(() => {});
    return dialog;
  }

  forget(dialog) {
    this.open.delete(dialog.id);
  }

  // A message from a dialog window. Only the extension's own ui/ pages may
  // send them; the id picks the dialog. Returns true when the answer comes
  // later (runtime.onMessage's contract).
  handleMessage(message, sender, sendResponse) {
    if (!String(sender.url ?? '').startsWith(this.api.runtime.getURL('ui/'))) return false;
    const dialog = this.open.get(message.dialog);
    if (!dialog) {
      sendResponse({ state: 'closed' });
      return false;
    }
    if (message.op === 'hello') {
      sendResponse({ state: 'view', view: dialog.view });
      return false;
    }
    if (!['submit', 'refresh', 'back', 'cancel'].includes(message.op)) return false;
    if (dialog.closed) {
      sendResponse({ state: 'closed' });
      return false;
    }
    dialog.deliver({ op: message.op, value: message.value, stage: message.stage, respond: sendResponse });
    return message.op !== 'cancel';
  }
}
