// A small WebDriver BiDi client for Debian's Firefox (firefox-esr), which
// speaks BiDi itself: no geckodriver, no patched browser build. It starts
// Firefox with --remote-debugging-port=0, reads the WebSocket address from
// its stderr, sends commands with ids and deadlines, and hands events to
// listeners or to waiters with deadlines. Nothing here waits forever.
// The protocol: https://w3c.github.io/webdriver-bidi/
import { spawn } from 'node:child_process';
import { WebSocket } from 'ws';

export class BiDiError extends Error {
  constructor(method, error, message) {
    super(`${method}: ${error}: ${message}`);
    this.error = error;
  }
}

export class BiDi {
  #ws;
  #nextId = 1;
  #pending = new Map();
  #listeners = new Map();
  #closed = null;

  constructor(ws) {
    this.#ws = ws;
    ws.on('message', (data) => this.#onMessage(data.toString()));
    ws.on('close', () => this.#fail(new Error('the BiDi connection closed')));
    ws.on('error', (e) => this.#fail(e));
  }

  // Connects to ws://HOST:PORT/session.
  static connect(url, { timeout = 10_000 } = {}) {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, { handshakeTimeout: timeout });
      ws.once('open', () => resolve(new BiDi(ws)));
      ws.once('error', reject);
    });
  }

  // One command; resolves with its result, rejects with a BiDiError (the
  // browser's answer) or after `timeout` ms.
  send(method, params = {}, { timeout = 30_000 } = {}) {
    if (this.#closed) return Promise.reject(this.#closed);
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new Error(`${method}: no answer in ${timeout} ms`));
      }, timeout);
      this.#pending.set(id, { method, resolve, reject, timer });
      this.#ws.send(JSON.stringify({ id, method, params }));
    });
  }

  // Calls `listener(params)` for every event `method`; returns the remover.
  on(method, listener) {
    if (!this.#listeners.has(method)) this.#listeners.set(method, new Set());
    this.#listeners.get(method).add(listener);
    return () => this.#listeners.get(method)?.delete(listener);
  }

  // The next event `method` whose params satisfy `predicate`.
  waitForEvent(method, predicate = () => true, { timeout = 10_000 } = {}) {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        off();
        reject(new Error(`no ${method} event in ${timeout} ms`));
      }, timeout);
      const off = this.on(method, (params) => {
        if (!predicate(params)) return;
        clearTimeout(timer);
        off();
        resolve(params);
      });
    });
  }

  close() {
    this.#fail(new Error('the BiDi connection was closed'));
    this.#ws.close();
  }

  #onMessage(text) {
    let m;
    try { m = JSON.parse(text); } catch { return; }
    if (m.type === 'event') {
      for (const listener of [...(this.#listeners.get(m.method) ?? [])]) {
        try { listener(m.params); } catch (e) { console.error(`# ${m.method} listener failed`, e); }
      }
      return;
    }
    const p = this.#pending.get(m.id);
    if (!p) return;
    this.#pending.delete(m.id);
    clearTimeout(p.timer);
    if (m.type === 'success') p.resolve(m.result);
    else p.reject(new BiDiError(p.method, m.error, m.message));
  }

  #fail(error) {
    this.#closed ??= error;
    for (const [id, p] of this.#pending) {
      clearTimeout(p.timer);
      p.reject(error);
      this.#pending.delete(id);
    }
  }
}

// A BiDi RemoteValue as a plain JavaScript value (nodes, functions and the
// like stay as they came).
export function fromRemote(v) {
  switch (v?.type) {
    case 'undefined': return undefined;
    case 'null': return null;
    case 'string': case 'boolean': return v.value;
    case 'number': return typeof v.value === 'number' ? v.value : Number(v.value);
    case 'bigint': return BigInt(v.value);
    case 'array': case 'set': return (v.value ?? []).map(fromRemote);
    case 'object': return Object.fromEntries((v.value ?? []).map(([k, x]) => [typeof k === 'string' ? k : fromRemote(k), fromRemote(x)]));
    case 'map': return new Map((v.value ?? []).map(([k, x]) => [typeof k === 'string' ? k : fromRemote(k), fromRemote(x)]));
    default: return v;
  }
}

// Evaluates `expression` in a browsing context (awaiting a promise) and
// returns its value; a thrown exception rejects with its text.
export async function evaluate(bidi, context, expression, { timeout = 30_000, userActivation = false } = {}) {
  const r = await bidi.send('script.evaluate', {
    expression, target: { context }, awaitPromise: true, resultOwnership: 'none', userActivation,
  }, { timeout });
  if (r.type === 'exception') {
    throw new Error(`in the page: ${r.exceptionDetails?.text ?? 'an exception'} (${expression.slice(0, 80)})`);
  }
  return fromRemote(r.result);
}

// Evaluates `expression` every 100 ms until it is truthy; returns its value.
export async function waitFor(bidi, context, expression, { timeout = 10_000, what = expression } = {}) {
  const deadline = Date.now() + timeout;
  let last = null;
  for (;;) {
    try {
      const v = await evaluate(bidi, context, expression, { timeout: Math.max(1000, deadline - Date.now()) });
      if (v) return v;
      last = null;
    } catch (e) {
      last = e; // e.g. the document is being replaced
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeout} ms waiting for ${what}${last ? `: ${last.message}` : ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

// Starts Firefox with BiDi on a free port and this profile. Resolves with
// { proc, url, log(), close() } once Firefox says where it listens.
export function launchFirefox({
  executable = process.env.CARDBOUND_FIREFOX ?? 'firefox-esr', profile, env = process.env, headless = true,
  args = [], timeout = 30_000,
} = {}) {
  const proc = spawn(executable, [
    ...(headless ? ['--headless'] : []), '--remote-debugging-port=0', '--profile', profile, '--no-remote', ...args,
  ], { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let log = '';
  const onOutput = (d) => { log += d; if (log.length > 1_000_000) log = log.slice(-500_000); };
  proc.stdout.on('data', onOutput);
  proc.stderr.on('data', onOutput);

  // Whatever happens to this process, Firefox does not outlive it.
  const killGroup = () => { try { process.kill(-proc.pid, 'SIGKILL'); } catch { /* gone */ } };
  process.once('exit', killGroup);
  proc.once('exit', () => process.off('exit', killGroup));

  const close = () => new Promise((resolve) => {
    if (proc.exitCode !== null || proc.signalCode !== null) return resolve();
    const timer = setTimeout(killGroup, 5000);
    proc.once('exit', () => { clearTimeout(timer); resolve(); });
    // Firefox's content processes are in its process group (detached above).
    try { process.kill(-proc.pid, 'SIGTERM'); } catch { resolve(); }
  });

  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { close(); reject(new Error(`Firefox did not start BiDi in ${timeout} ms:\n${log}`)); }, timeout);
    const check = () => {
      const m = log.match(/WebDriver BiDi listening on (ws:\/\/[^\s]+)/);
      if (!m) return;
      clearTimeout(timer);
      proc.stderr.off('data', check);
      resolve({ proc, url: `${m[1].replace(/\/$/, '')}/session`, log: () => log, close });
    };
    proc.stderr.on('data', check);
    proc.once('error', (e) => { clearTimeout(timer); reject(e); });
    proc.once('exit', (code, signal) => { clearTimeout(timer); reject(new Error(`Firefox exited (${code ?? signal}):\n${log}`)); });
  });
}
