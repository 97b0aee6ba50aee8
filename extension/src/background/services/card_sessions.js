// Which site is logged in with which card. When a card leaves its reader the
// extension must find every origin that used it, so each login is
// remembered from `authenticate` (the chosen certificate and its reader) to
// `confirm` (the host's session tag) and then until logout or removal.
// Kept in storage.session (memory, cleared with the browser) when there is
// one, so a restarted service worker still knows whom to log out.

const MAX_SESSIONS = 256;
const MAX_LOGINS = 32;
const KEY = 'cardSessions';

export class CardSessions {
  #storage;
  #state = { logins: {}, sessions: [] };
  #loaded = null;
  #listeners = new Set();

  constructor(storage = null) {
    this.#storage = storage;
  }

  #load() {
    this.#loaded ??= (async () => {
      const saved = this.#storage ? (await this.#storage.get(KEY))[KEY] : null;
      // Anything else than what #save wrote is dropped: start empty.
      if (saved && typeof saved === 'object' && Array.isArray(saved.sessions)
        && saved.logins && typeof saved.logins === 'object' && !Array.isArray(saved.logins)) {
        this.#state = saved;
      }
    })();
    return this.#loaded;
  }

  async #save() {
    if (this.#storage) await this.#storage.set({ [KEY]: this.#state });
  }

  // The sessions changed (saved already): the open toolbar view shows them
  // again. Returns a function that stops the listener.
  onChange(listener) {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  async #saveChanged() {
    await this.#save();
    for (const listener of this.#listeners) {
      try { listener(); } catch (e) { console.error('a card sessions listener failed', e); }
    }
  }

  // After authenticate: the login's card, until confirm.
  // Resolves once the login is in memory, where this worker's confirm finds
  // it; the write to storage goes on behind, off the path of the page's
  // token (it took 35 ms there, while the login window closed). The page
  // posts the token to its server before it asks to confirm, so the write
  // is done by then. A worker restarted before it would not find the login:
  // that session would not be ended by a pull from here, but the host still
  // refuses its presence proofs without the card.
  async rememberLogin(loginId, card) {
    await this.#load();
    const ids = Object.keys(this.#state.logins);
    if (ids.length >= MAX_LOGINS) delete this.#state.logins[ids[0]];
    this.#state.logins[loginId] = { ...card, at: Date.now() };
    this.#save().catch((e) => console.error('a login could not be kept in storage', e));
  }

  // After confirm: the login becomes a session of that origin.
  async confirm(loginId, origin, sessionTag, tabId) {
    await this.#load();
    const login = this.#state.logins[loginId];
    delete this.#state.logins[loginId];
    if (!login || login.origin !== origin) {
      await this.#save();
      return null;
    }
    const session = { origin, sessionTag, fingerprint: login.fingerprint, reader: login.reader, tabId };
    this.#state.sessions = this.#state.sessions.filter((s) => !(s.origin === origin && s.sessionTag === sessionTag));
    this.#state.sessions.push(session);
    if (this.#state.sessions.length > MAX_SESSIONS) this.#state.sessions.shift();
    await this.#saveChanged();
    return session;
  }

  // Ends one session of an origin, or all of them without a tag.
  async remove(origin, sessionTag) {
    await this.#load();
    const before = this.#state.sessions.length;
    this.#state.sessions = this.#state.sessions.filter(
      (s) => !(s.origin === origin && (sessionTag === undefined || s.sessionTag === sessionTag)));
    if (this.#state.sessions.length !== before) await this.#saveChanged();
    else await this.#save();
  }

  // The card in `reader` is gone: the sessions it carried, taken out. A
  // session matches by certificate, or by reader (fail closed: whatever was
  // in that reader is not there any more).
  takeForRemovedCard({ reader, certificates = [] }) {
    return this.take((s) => s.reader === reader || certificates.includes(s.fingerprint));
  }

  // Every session, as copies (for the toolbar view).
  async list() {
    await this.#load();
    return this.#state.sessions.map((s) => ({ ...s }));
  }

  // "Log out of all": every session, taken out (or only those whose
  // certificate is in `fingerprints`, when given).
  takeAll(fingerprints = null) {
    return this.take((s) => !fingerprints || fingerprints.includes(s.fingerprint));
  }

  // The sessions `matches` picks (it gets a copy of each), taken out.
  async take(matches) {
    await this.#load();
    const gone = this.#state.sessions.filter((s) => matches({ ...s }));
    this.#state.sessions = this.#state.sessions.filter((s) => !gone.includes(s));
    if (gone.length) await this.#saveChanged();
    else await this.#save();
    return gone;
  }

  async count() {
    await this.#load();
    return this.#state.sessions.length;
  }
}
