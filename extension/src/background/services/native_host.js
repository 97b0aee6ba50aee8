// The one native messaging port to cardbound-host. Answers are matched to
// requests by id; every request has a deadline; a port that dies fails what
// was pending with ERR_HOST_UNAVAILABLE and the next request starts a new
// host. Events (card-removed, …) go to the listeners.
//
// Every host started is asked `status` first (the handshake): only a host
// whose `protocol` is this extension's PROTOCOL_VERSION gets requests and is
// heard. Requests made meanwhile wait for it. Another version (or none)
// fails them, and every later one on that port, with ERR_HOST_VERSION, and
// the port is closed: the next request starts the host again, so a host
// updated meanwhile is picked up without restarting the browser.
import { ErrorCode, ExtensionError } from '../../shared/errors.js';
import { MAX_REQUEST_BYTES, PROTOCOL_VERSION } from '../../shared/registry.js';

export const HOST_NAME = 'org.cardbound.host';

// How long the host may take, by command. Authenticate waits for the card's
// PIN check, or for a person typing on a PIN-pad reader.
const deadlines = { authenticate: 120_000, confirm: 30_000, presence: 30_000 };
const defaultDeadline = 15_000;

export class NativeHost {
  #connect;
  #port = null;
  #ready = null; // the handshake of #port: resolves once its host speaks our protocol
  #verified = false; // whether it has
  #held = []; // events of #port's host before its handshake passed
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

  // Opens the port now (to hear card events) if it is not open, and asks the
  // new host for its protocol version.
  ensureConnected() {
    if (this.#port) return this.#port;
    let port;
    try {
      port = this.#connect();
    } catch (e) {
      throw new ExtensionError(ErrorCode.HOST_UNAVAILABLE, `cardbound-host could not be started: ${e.message}`);
    }
    this.#port = port;
    this.#verified = false;
    this.#held = [];
    port.onMessage.addListener((message) => this.#onMessage(port, message));
    port.onDisconnect.addListener((p) => this.#onDisconnect(port, p));
    this.#ready = this.#handshake(port);
    this.#ready.catch(() => {}); // its failure is each waiting request's
    return port;
  }

  // Sends one command; resolves with `result`, rejects with an ExtensionError.
  async request(command, { origin, args } = {}) {
    const message = { id: this.#newId(), command };
    if (origin !== undefined) message.origin = origin;
    if (args !== undefined) message.arguments = args;
    if (new TextEncoder().encode(JSON.stringify(message)).length > MAX_REQUEST_BYTES) {
      throw new ExtensionError(ErrorCode.BAD_REQUEST, `the request is over ${MAX_REQUEST_BYTES} bytes`);
    }
    const port = this.ensureConnected();
    return this.#send(port, message, this.#verified ? null : this.#ready);
  }

  #newId() {
    return String(this.#nextId++);
  }

  // Posts `message` on `port` (once `ready` resolves, if given) and waits for
  // its answer until the command's deadline, which runs from now.
  #send(port, message, ready = null) {
    const { id, command } = message;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new ExtensionError(ErrorCode.TIMEOUT, `cardbound-host did not answer '${command}' in time`));
      }, this.deadlineFor(command));
      this.#pending.set(id, { resolve, reject, timer, port });
      const post = () => {
        if (!this.#pending.has(id)) return; // past its deadline, or failed with its port
        try {
          port.postMessage(message);
        } catch (e) {
          this.#settle(id, (p) => p.reject(new ExtensionError(ErrorCode.HOST_UNAVAILABLE, `cardbound-host is gone: ${e.message}`)));
        }
      };
      if (ready) ready.then(post, (e) => this.#settle(id, (p) => p.reject(e)));
      else post();
    });
  }

  // The handshake: `status`, before anything else on this port. A host that
  // does not answer it in time, answers it with an error or with another
  // protocol version is not used: its port is closed, failing what waits.
  async #handshake(port) {
    let status;
    try {
      status = await this.#send(port, { id: this.#newId(), command: 'status' });
    } catch (e) {
      this.#drop(port, e, e.message, { close: true });
      throw e;
    }
    const hostProtocol = status?.protocol;
    if (hostProtocol !== PROTOCOL_VERSION) {
      const said = Number.isInteger(hostProtocol) ? hostProtocol : null;
      const error = new ExtensionError(ErrorCode.HOST_VERSION,
        `cardbound-host ${typeof status?.version === 'string' ? status.version : '(unknown version)'} speaks protocol `
        + `${said ?? '(none)'}, this extension protocol ${PROTOCOL_VERSION}`,
        { hostProtocol: said, protocol: PROTOCOL_VERSION });
      this.#drop(port, error, error.message, { close: true });
      throw error;
    }
    if (port !== this.#port) return;
    this.#verified = true;
    const held = this.#held;
    this.#held = [];
    for (const event of held) this.#tell(event);
  }

  #settle(id, fn) {
    const p = this.#pending.get(id);
    if (!p) return;
    clearTimeout(p.timer);
    this.#pending.delete(id);
    fn(p);
  }

  #tell(message) {
    for (const listener of this.#listeners) {
      try { listener(message); } catch (e) { console.error('card event listener failed', e); }
    }
  }

  #onMessage(port, message) {
    if (port !== this.#port || !message || typeof message !== 'object') return;
    if (typeof message.event === 'string') {
      // A host is heard once it has said which protocol it speaks.
      if (this.#verified) this.#tell(message);
      else this.#held.push(message);
      return;
    }
    // An answer without a known id (e.g. to a request that timed out) is dropped.
    this.#settle(message.id, ({ resolve, reject }) => {
      if (message.error) reject(ExtensionError.fromHost(message.error));
      else resolve(message.result ?? {});
    });
  }

  #onDisconnect(port, p) {
    const why = p?.error?.message ?? globalThis.chrome?.runtime?.lastError?.message ?? 'the host exited';
    this.#drop(port, new ExtensionError(ErrorCode.HOST_UNAVAILABLE, `cardbound-host stopped: ${why}`), why);
  }

  // The port is done with (the host went, or is refused and `close`d: that
  // ends the host): what was pending on it fails with `error`, the
  // listeners hear 'host-disconnected', and the next request starts a new
  // host.
  #drop(port, error, reason, { close = false } = {}) {
    if (port !== this.#port) return;
    this.#port = null;
    this.#ready = null;
    this.#verified = false;
    this.#held = [];
    if (close) {
      try { port.disconnect(); } catch { /* gone already */ }
    }
    for (const [id, pending] of [...this.#pending]) {
      if (pending.port === port) this.#settle(id, ({ reject }) => reject(error));
    }
    for (const listener of this.#listeners) {
      try { listener({ event: 'host-disconnected', data: { reason } }); } catch { /* keep going */ }
    }
  }
}
