// The one native messaging port to cardbound-host. Answers are matched to
// requests by id; every request has a deadline; a port that dies fails what
// was pending with ERR_HOST_UNAVAILABLE and the next request starts a new
// host. Events (card-removed, …) go to the listeners.
import { ErrorCode, ExtensionError } from '../../shared/errors.js';

export const HOST_NAME = 'org.cardbound.host';

// How long the host may take, by command. Authenticate waits for the card's
// PIN check, or for a person typing on a PIN-pad reader.
const deadlines = { authenticate: 120_000, confirm: 30_000, presence: 30_000 };
const defaultDeadline = 15_000;
// The host refuses longer requests, answering without an id (docs/protocol.md §1).
const MAX_REQUEST_BYTES = 256 * 1024;

export class NativeHost {
  #connect;
  #port = null;
  #pending = new Map();
  #listeners = new Set();
  #nextId = 1;

  // `connect` opens a port: () => runtime.connectNative(HOST_NAME).
  constructor(connect, { deadlineFor = (command) => deadlines[command] ?? defaultDeadline } = {}) {
    this.#connect = connect;
    this.deadlineFor = deadlineFor;
  }

  get connected() { return this.#port !== null; }

  onEvent(listener) {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  // Opens the port now (to hear card events) if it is not open.
  ensureConnected() {
    if (this.#port) return this.#port;
    let port;
    try {
      port = this.#connect();
    } catch (e) {
      throw new ExtensionError(ErrorCode.HOST_UNAVAILABLE, `cardbound-host could not be started: ${e.message}`);
    }
    this.#port = port;
    port.onMessage.addListener((message) => this.#onMessage(port, message));
    port.onDisconnect.addListener((p) => this.#onDisconnect(port, p));
    return port;
  }

  // Sends one command; resolves with `result`, rejects with an ExtensionError.
  async request(command, { origin, args } = {}) {
    const id = String(this.#nextId++);
    const message = { id, command };
    if (origin !== undefined) message.origin = origin;
    if (args !== undefined) message.arguments = args;
    if (new TextEncoder().encode(JSON.stringify(message)).length > MAX_REQUEST_BYTES) {
      throw new ExtensionError(ErrorCode.BAD_REQUEST, `the request is over ${MAX_REQUEST_BYTES} bytes`);
    }
    const port = this.ensureConnected();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new ExtensionError(ErrorCode.TIMEOUT, `cardbound-host did not answer '${command}' in time`));
      }, this.deadlineFor(command));
      this.#pending.set(id, { resolve, reject, timer, port });
      try {
        port.postMessage(message);
      } catch (e) {
        this.#settle(id, () => reject(new ExtensionError(ErrorCode.HOST_UNAVAILABLE, `cardbound-host is gone: ${e.message}`)));
      }
    });
  }

  #settle(id, fn) {
    const p = this.#pending.get(id);
    if (!p) return;
    clearTimeout(p.timer);
    this.#pending.delete(id);
    fn(p);
  }

  #onMessage(port, message) {
    if (port !== this.#port || !message || typeof message !== 'object') return;
    if (typeof message.event === 'string') {
      for (const listener of this.#listeners) {
        try { listener(message); } catch (e) { console.error('card event listener failed', e); }
      }
      return;
    }
    // An answer without a known id (e.g. to a request that timed out) is dropped.
    this.#settle(message.id, ({ resolve, reject }) => {
      if (message.error) reject(ExtensionError.fromHost(message.error));
      else resolve(message.result ?? {});
    });
  }

  #onDisconnect(port, p) {
    if (port !== this.#port) return;
    this.#port = null;
    const why = p?.error?.message ?? globalThis.chrome?.runtime?.lastError?.message ?? 'the host exited';
    for (const [id, pending] of [...this.#pending]) {
      if (pending.port !== port) continue;
      this.#settle(id, ({ reject }) => reject(new ExtensionError(ErrorCode.HOST_UNAVAILABLE, `cardbound-host stopped: ${why}`)));
    }
    for (const listener of this.#listeners) {
      try { listener({ event: 'host-disconnected', data: { reason: why } }); } catch { /* keep going */ }
    }
  }
}
