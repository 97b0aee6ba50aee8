// The extension's background: one native port to cardbound-host, the page
// requests the content scripts pass on, the trusted windows, and the card
// events that log sites out.
import { cardRemoved } from './actions/card_removed.js';
import { pageActions } from './actions/page_actions.js';
import { logOutOfAll, logOutOfCard, popupView } from './actions/popup.js';
import { CardSessions } from './services/card_sessions.js';
import { Dialogs } from './services/dialogs.js';
import { HOST_NAME, NativeHost } from './services/native_host.js';
import { PopupViews } from './services/popup_views.js';
import { ErrorCode, ExtensionError, pageError } from '../shared/errors.js';
import { plainObject, senderOrigin } from '../shared/validate.js';

const api = globalThis.browser ?? globalThis.chrome;

const context = {
  api,
  host: new NativeHost(() => api.runtime.connectNative(HOST_NAME)),
  sessions: new CardSessions(api.storage?.session ?? null),
  dialogs: new Dialogs(api),
};

// The open toolbar view follows the logins (and the cards: below).
const popupViews = new PopupViews(api, () => popupView(context));
context.sessions.onChange(() => popupViews.changed());

// A page request, as the content script passed it on. `userActivated` is
// the content script's own reading of the page (the user was using it), not
// the page's word. `signal` aborts when the frame that asked is gone.
async function handlePageRequest(message, sender, signal = null) {
  try {
    if (!sender.tab) throw new ExtensionError(ErrorCode.BAD_REQUEST, 'requests come from tabs only');
    const origin = senderOrigin(sender);
    const action = Object.hasOwn(pageActions, message.action) ? pageActions[message.action] : null;
    if (!action) throw new ExtensionError(ErrorCode.UNKNOWN_COMMAND, 'no such action');
    const args = plainObject(message.arguments ?? {}, 'arguments');
    const userActivated = message.userActivated === true;
    return { result: await action(context, { origin, tabId: sender.tab.id, args, userActivated, signal }) };
  } catch (e) {
    if (!(e instanceof ExtensionError)) console.error(`page request '${message.action}' failed`, e);
    return { error: pageError(e) };
  }
}

api.runtime.onMessage.addListener((message, sender, sendResponse) => {
  if (sender.id !== api.runtime.id || !message || typeof message !== 'object') return false;
  if (message.type === 'page-request') {
    handlePageRequest(message, sender).then(sendResponse);
    return true;
  }
  if (message.type === 'dialog') return context.dialogs.handleMessage(message, sender, sendResponse);
  if (message.type === 'popup') return handlePopupMessage(message, sender, sendResponse);
  return false;
});

// The toolbar view (ui/popup.html). Only that page of this extension: the
// browser sets sender.url, and a content script's is its web page's. (The
// popup opened as a tab, as the browser tests do, has a sender.tab.)
const fromPopup = (sender) => String(sender?.url ?? '').startsWith(api.runtime.getURL('ui/popup.html'));

function handlePopupMessage(message, sender, sendResponse) {
  if (!fromPopup(sender)) return false;
  const ops = {
    view: () => popupViews.current(),
    'log-out-of-all': () => logOutOfAll(context).then((origins) => ({ origins })),
    'log-out-of-card': () => logOutOfCard(context, message.reader).then((origins) => ({ origins })),
  };
  if (!Object.hasOwn(ops, message.op)) return false;
  ops[message.op]().then(
    (result) => sendResponse({ result }),
    (e) => sendResponse({ error: pageError(e) }),
  );
  return true;
}

// A page request on a port of its own (authenticate: it waits for the user
// for minutes). The browser closes the port when the frame that opened it
// unloads (closed, reloaded, navigated; that frame only, not the tab's other
// frames), so a port that closes before its answer means nobody is there to
// use the token: the request is called off. One request per port.
function servePort(port) {
  const pageGone = new AbortController();
  port.onDisconnect.addListener(() => pageGone.abort());
  const first = (message) => {
    port.onMessage.removeListener(first);
    if (!message || typeof message !== 'object' || message.type !== 'page-request') {
      port.disconnect();
      return;
    }
    handlePageRequest(message, port.sender, pageGone.signal).then((reply) => {
      if (pageGone.signal.aborted) return;
      try {
        port.postMessage(reply);
      } catch {
        // The frame went just now.
      }
    });
  };
  port.onMessage.addListener(first);
}

api.runtime.onConnect.addListener((port) => {
  if (port.name === 'popup') {
    // An open toolbar view, for as long as the port lasts (PopupViews).
    if (port.sender?.id === api.runtime.id && fromPopup(port.sender)) popupViews.watch(port);
    else port.disconnect();
    return;
  }
  if (port.name !== 'page-request') return;
  if (port.sender?.id !== api.runtime.id) {
    port.disconnect();
    return;
  }
  servePort(port);
});

// The host events that change what the toolbar view shows.
const CARD_EVENTS = ['card-removed', 'card-inserted', 'reader-added', 'reader-removed'];

// While any site is logged in with a card, the port stays open: card events
// arrive only through it. A host that died is started again, less often each
// time it dies without having said anything.
const FIRST_RETRY_MS = 500;
let retryDelay = FIRST_RETRY_MS;
async function keepListening() {
  if ((await context.sessions.count()) === 0 || context.host.connected) return;
  try {
    context.host.ensureConnected();
  } catch {
    setTimeout(keepListening, retryDelay);
  }
}

context.host.onEvent((message) => {
  if (message.event === 'host-disconnected') {
    setTimeout(keepListening, retryDelay);
    retryDelay = Math.min(retryDelay * 2, 10_000);
    return;
  }
  retryDelay = FIRST_RETRY_MS;
  if (message.event === 'card-removed') {
    cardRemoved(context, message.data ?? {}).catch((e) => console.error('logging out after card removal failed', e));
  }
  if (CARD_EVENTS.includes(message.event)) {
    popupViews.changed(message.event === 'card-inserted' ? message.data?.reader : null);
  }
});

keepListening();
