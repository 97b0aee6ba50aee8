// The open toolbar view follows the cards and the logins: whenever a card or
// reader comes or goes, or a site logs in or out, the background makes the
// view again and pushes it to the page ('popup-view', by runtime.sendMessage
// as services/dialogs.js does for the login window: it reaches only the
// extension's own pages, never a web page).
//
// A view costs the host a status and a certificate list, so views are made
// only while a toolbar view is open: each open view holds a port
// (runtime.connect, name 'popup'), which the browser closes with the page.
// One view is made at a time; changes meanwhile make one more after it, so
// a burst (a pull: the host's event, then the sessions taken) costs two.
// Every view has a number, greater than the views made before it: the page
// shows only views newer than the one it shows, so the answer to its first
// question never replaces a pushed view that was made later.
import { delay, RETRY_MS } from './card_watch.js';

export class PopupViews {
  #api;
  #make;
  #ports = new Set();
  #seq = 0;
  #running = false;
  #again = false;
  #arrived = new Set(); // readers a card came into: wait for its certificates
  #last = null; // the last view pushed

  // `make`: () => the view (actions/popup.js popupView with the context).
  constructor(api, make) {
    this.#api = api;
    this.#make = make;
  }

  get watched() { return this.#ports.size > 0; }

  // A toolbar view opened: its port, until the page goes.
  watch(port) {
    this.#ports.add(port);
    port.onDisconnect.addListener(() => {
      this.#ports.delete(port);
      if (!this.watched) this.#arrived.clear();
    });
  }

  // A view for the page that asks, numbered like the pushed ones.
  async current() {
    const seq = ++this.#seq;
    return { ...(await this.#make()), seq };
  }

  // Something the view shows changed. `insertedInto`: the reader a card
  // was just put into; its certificates may take the PKCS#11 module a
  // moment (card_watch.js RETRY_MS), so until the view shows a holder there
  // it is made again after each of those waits.
  changed(insertedInto = null) {
    if (!this.watched) return;
    if (typeof insertedInto === 'string' && !this.#arrived.has(insertedInto)) {
      this.#arrived.add(insertedInto);
      this.#waitForCard(insertedInto);
    }
    if (this.#running) {
      this.#again = true;
      return;
    }
    this.#running = true;
    this.#pushUntilQuiet();
  }

  async #pushUntilQuiet() {
    try {
      do {
        this.#again = false;
        if (this.watched) await this.#push();
      } while (this.#again);
    } finally {
      this.#running = false;
    }
  }

  async #push() {
    let view;
    try {
      view = await this.current();
    } catch (e) {
      console.error('the toolbar view could not be made', e);
      return;
    }
    this.#last = view;
    await Promise.resolve()
      .then(() => this.#api.runtime.sendMessage({ type: 'popup-view', view }))
      .catch(() => {}); // the page went meanwhile
  }

  async #waitForCard(reader) {
    for (const ms of RETRY_MS) {
      await delay(ms);
      if (!this.#arrived.has(reader)) return; // the view closed meanwhile
      const shown = this.#last?.readers?.find((r) => r.name === reader);
      if (shown && (shown.holders.length > 0 || !shown.cardPresent)) break;
      this.changed();
    }
    this.#arrived.delete(reader);
  }
}
