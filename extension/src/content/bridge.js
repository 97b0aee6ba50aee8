// The page bridge. Runs in every https page (and http://localhost for
// development), in the extension's isolated world. It passes requests from
// the page's Cardbound JavaScript API to the background and the answers back,
// and tells the page when its card was pulled. A classic script, not a module
// (content scripts cannot be modules), so it stands alone.
//
// Window messages, both ways: {channel: 'org.cardbound', kind, ...}
//   page → extension: kind 'request', id, action, arguments
//   extension → page: kind 'answer', id, result | error; kind 'event', event, data
//
// To the background: {type: 'page-request', action, arguments, userActivated},
// by runtime.sendMessage, or for authenticate on a port of its own.
//
// 'ping' is answered here, at once: {extension, protocol}, the protocol
// version this extension speaks, which the page compares with its own
// (docs/protocol.md section 7).
(() => {
  // shared/registry.js's PROTOCOL_VERSION, written in by build.mjs when it
  // packages the extension (a classic script cannot import the module).
  // Unbuilt, this is no number, and pages refuse the bridge.
  const PROTOCOL_VERSION = '@PROTOCOL_VERSION@';
  const CHANNEL = 'org.cardbound';
  const ACTIONS = ['status', 'begin-login', 'authenticate', 'confirm', 'presence', 'logout'];
  // Requests that wait for the user go on a port that lives as long as this
  // frame: when the frame unloads (closed, reloaded, navigated) the browser
  // closes the port and the background cancels the login of the page that
  // is gone, not one of another frame of the tab.
  const PORT_ACTIONS = ['authenticate'];
  const MAX_ARGUMENTS = 256 * 1024; // the host's own request limit
  const ID = /^[A-Za-z0-9._-]{1,64}$/;
  const api = globalThis.browser ?? globalThis.chrome;
  const origin = window.location.origin;

  const post = (message) => window.postMessage({ channel: CHANNEL, ...message }, origin);
  const answer = (id, payload) => post({ kind: 'answer', id, ...payload });
  const refuse = (id, code, message) => answer(id, { error: { code, message } });

  function argumentsProblem(args) {
    if (args === undefined) return null;
    if (args === null || typeof args !== 'object' || Array.isArray(args)) return "'arguments' must be an object";
    let size;
    try {
      size = new TextEncoder().encode(JSON.stringify(args)).length;
    } catch {
      return "'arguments' must be plain JSON";
    }
    return size > MAX_ARGUMENTS ? `'arguments' must be at most ${MAX_ARGUMENTS} bytes of JSON` : null;
  }

  // One request on its own port: the answer comes on it, then the port is
  // closed. A port the background closes first (the extension was reloaded,
  // or its worker stopped) is an extension out of reach.
  function overPort(message) {
    return new Promise((resolve, reject) => {
      const port = api.runtime.connect({ name: 'page-request' });
      port.onMessage.addListener((reply) => {
        port.disconnect();
        resolve(reply);
      });
      port.onDisconnect.addListener(() => {
        const error = port.error ?? api.runtime.lastError; // Firefox : Chromium
        reject(new Error(error?.message ?? 'the connection closed without an answer'));
      });
      port.postMessage(message);
    });
  }

  const toBackground = (message) => (PORT_ACTIONS.includes(message.action)
    ? overPort(message)
    : api.runtime.sendMessage(message));

  window.addEventListener('message', async (event) => {
    // Only this very page may ask: not other frames, not other windows.
    if (event.source !== window || event.origin !== origin) return;
    const m = event.data;
    if (!m || typeof m !== 'object' || m.channel !== CHANNEL || m.kind !== 'request') return;
    if (typeof m.id !== 'string' || !ID.test(m.id)) return; // nothing to answer to
    if (m.action !== 'ping' && !ACTIONS.includes(m.action)) return refuse(m.id, 'ERR_UNKNOWN_COMMAND', 'no such action');
    const problem = argumentsProblem(m.arguments);
    if (problem) return refuse(m.id, 'ERR_BAD_REQUEST', problem);
    try {
      if (m.action === 'ping') {
        return answer(m.id, { result: { extension: api.runtime.getManifest().version, protocol: PROTOCOL_VERSION } });
      }
      // Plain JSON only crosses into the extension.
      const args = JSON.parse(JSON.stringify(m.arguments ?? {}));
      // Whether the user is using the page right now (transient activation:
      // a click or key press moments ago), as the browser says, never the
      // page: only then may a busy login's window be brought forward.
      const userActivated = navigator.userActivation?.isActive === true;
      const reply = await toBackground({ type: 'page-request', action: m.action, arguments: args, userActivated });
      if (reply && (reply.result !== undefined || reply.error)) answer(m.id, reply);
      else refuse(m.id, 'ERR_INTERNAL', 'no answer from the extension');
    } catch (e) {
      // The extension was updated or disabled under this page.
      refuse(m.id, 'ERR_EXTENSION_UNAVAILABLE', `the Cardbound extension is not reachable: ${e.message}`);
    }
  });

  // The card that logged this site in was pulled: tell the page and, when
  // asked to, post the site's logout as the page would (same origin, its
  // cookie), so the server ends the session in every tab, saying why.
  async function logout() {
    const send = globalThis.content?.fetch ?? globalThis.fetch; // Firefox: the page's own fetch
    try {
      const res = await send(`${origin}/cardbound/logout`, {
        method: 'POST', credentials: 'same-origin', headers: { 'content-type': 'application/json' },
        body: '{"reason":"card-removed"}',
      });
      return res.ok;
    } catch {
      return false;
    }
  }

  api.runtime.onMessage.addListener((message, sender, sendResponse) => {
    if (sender.id !== api.runtime.id || !message || message.type !== 'card-removed' || message.origin !== origin) return false;
    post({ kind: 'event', event: 'card-removed', data: { reader: typeof message.reader === 'string' ? message.reader : null } });
    if (!message.postLogout) {
      sendResponse({ loggedOut: false });
      return false;
    }
    logout().then((loggedOut) => sendResponse({ loggedOut }));
    return true;
  });
})();
