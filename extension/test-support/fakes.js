// Test doubles for the extension's unit tests (extension/src/**/*.test.js).
// Kept outside src/ so that build.mjs never copies them into a package.

// A promise with its resolve/reject at hand.
export function deferred() {
  let resolve;
  let reject;
  const promise = new Promise((res, rej) => { resolve = res; reject = rej; });
  return { promise, resolve, reject };
}

// Lets queued promise reactions and I/O callbacks run (setImmediate is not
// faked by the tests' mock timers).
export function flush() {
  return new Promise((resolve) => setImmediate(resolve));
}

// Waits, a turn of the event loop at a time, until `condition()` is truthy.
export async function until(condition, what = 'condition', turns = 200) {
  for (let i = 0; i < turns; i++) {
    if (condition()) return;
    await flush();
  }
  throw new Error(`timed out waiting for ${what}`);
}

// Whether a promise has settled yet, without waiting for it.
export async function settled(promise) {
  let done = false;
  promise.then(() => { done = true; }, () => { done = true; });
  await flush();
  return done;
}

// An event as the WebExtension APIs have them (addListener/removeListener),
// plus fire() for the test.
export function fakeEvent() {
  const listeners = [];
  return {
    listeners,
    addListener(fn) { listeners.push(fn); },
    removeListener(fn) {
      const i = listeners.indexOf(fn);
      if (i >= 0) listeners.splice(i, 1);
    },
    hasListener(fn) { return listeners.includes(fn); },
    fire(...args) { return listeners.map((fn) => fn(...args)); },
  };
}

// A runtime.Port of runtime.connectNative: what the extension posts is
// recorded in `sent`; the test plays the host with answer()/disconnect().
export function fakePort() {
  const port = {
    sent: [],
    onMessage: fakeEvent(),
    onDisconnect: fakeEvent(),
    postError: null,
    postMessage(message) {
      if (port.postError) throw port.postError;
      port.sent.push(structuredClone(message));
    },
    // A message from the host.
    answer(message) { port.onMessage.fire(message); },
    // The host went away; Firefox puts the reason into port.error.
    disconnect(error) {
      if (error) port.error = error;
      port.onDisconnect.fire(port);
    },
  };
  return port;
}

// The background's end of a runtime.connect port from a content script
// (runtime.onConnect): what the background posts is in `received`, the
// first answer also resolves `answered`. The test plays the page's end with
// send() and close() (the frame unloaded). As in browsers, a port's own
// disconnect() fires nothing on its own end, and posting on a closed port
// throws.
export function fakePagePort(name, sender) {
  const answer = deferred();
  const port = {
    name,
    sender,
    received: [],
    answered: answer.promise,
    disconnected: false,
    onMessage: fakeEvent(),
    onDisconnect: fakeEvent(),
    postMessage(message) {
      if (port.disconnected) throw new Error('Attempting to use a disconnected port object');
      port.received.push(structuredClone(message));
      answer.resolve(message);
    },
    disconnect() { port.disconnected = true; },
    send(message) { port.onMessage.fire(structuredClone(message)); },
    close() {
      port.disconnected = true;
      port.onDisconnect.fire(port);
    },
  };
  return port;
}

// storage.session: values go through structured cloning, as in browsers.
export function memoryStorage() {
  const data = new Map();
  const storage = {
    data,
    gets: 0,
    sets: 0,
    async get(key) {
      storage.gets++;
      return data.has(key) ? { [key]: structuredClone(data.get(key)) } : {};
    },
    async set(items) {
      storage.sets++;
      for (const [k, v] of Object.entries(items)) data.set(k, structuredClone(v));
    },
  };
  return storage;
}

export const EXTENSION_BASE = 'chrome-extension://cardboundtestid/';

// The browser API the background uses: runtime.getURL, runtime.sendMessage,
// windows.*, tabs.query and tabs.sendMessage. Windows get ids from 100 on; removing one fires
// windows.onRemoved (later, as in browsers). What the background sends to its
// own pages is recorded in `runtimeMessages` (and, as in browsers when no
// page listens, rejected); windows brought to the front in `focused`.
export function fakeApi({ tabs = [], sendMessage = null } = {}) {
  let nextWindow = 100;
  const api = {
    created: [],
    removed: [],
    open: new Set(),
    focused: [],
    tabMessages: [],
    runtimeMessages: [],
    createHook: null,
    runtime: {
      id: 'cardboundtestid',
      getURL: (path) => `${EXTENSION_BASE}${String(path).replace(/^\//, '')}`,
      async sendMessage(message) {
        api.runtimeMessages.push(structuredClone(message));
        throw new Error('Could not establish connection. Receiving end does not exist.');
      },
    },
    windows: {
      onRemoved: fakeEvent(),
      async update(windowId, info) {
        if (!api.open.has(windowId)) throw new Error(`No window with id: ${windowId}.`);
        if (info?.focused) api.focused.push(windowId);
        return { id: windowId };
      },
      async create(options) {
        const win = { id: nextWindow++, type: options.type };
        api.created.push({ ...options, id: win.id });
        api.open.add(win.id);
        if (api.createHook) await api.createHook(options, win);
        return win;
      },
      async remove(windowId) {
        if (!api.open.has(windowId)) throw new Error(`No window with id: ${windowId}.`);
        api.open.delete(windowId);
        api.removed.push(windowId);
        setImmediate(() => api.windows.onRemoved.fire(windowId));
      },
    },
    tabs: {
      async query() { return tabs.map((t) => ({ ...t })); },
      async sendMessage(tabId, message) {
        api.tabMessages.push({ tabId, message: structuredClone(message) });
        if (!sendMessage) return undefined;
        return sendMessage(tabId, message);
      },
    },
    // The user closes a window (the close button of the window frame).
    userCloses(windowId) {
      api.open.delete(windowId);
      api.windows.onRemoved.fire(windowId);
    },
  };
  return api;
}

// The dialog id of the n-th window the fake api created.
export function dialogIdOf(api, n = api.created.length - 1) {
  return new URL(api.created[n].url).searchParams.get('dialog');
}

// A host whose answers each test scripts: handlers[command] is
// (args, origin, call) => result (or throws / returns a promise). Every
// request is recorded in `calls`; emit() sends a card event.
export function scriptedHost(handlers = {}) {
  const host = {
    calls: [],
    handlers,
    request(command, { origin, args } = {}) {
      const call = { command, origin, args: args === undefined ? undefined : structuredClone(args) };
      host.calls.push(call);
      const handler = host.handlers[command];
      if (!handler) return Promise.reject(new Error(`unexpected host command '${command}'`));
      try {
        return Promise.resolve(handler(args, origin, call));
      } catch (e) {
        return Promise.reject(e);
      }
    },
    commands() { return host.calls.map((c) => c.command); },
    // Card events, as NativeHost.onEvent has them; the test plays the host with emit().
    listeners: new Set(),
    onEvent(listener) {
      host.listeners.add(listener);
      return () => host.listeners.delete(listener);
    },
    emit(event, data) {
      for (const listener of [...host.listeners]) listener({ event, data });
    },
  };
  return host;
}
