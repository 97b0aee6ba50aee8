// The toolbar view (the extension's action popup): each reader, the card in
// it (its holder), the sites logged in with that card with a "Log out" for
// that card, and "log out of all"; the background does both as a card pull
// does (actions/popup.js). While the view is open it follows the cards and
// the logins: the background pushes a new view on every change (its 'popup'
// port tells the background the view is open; services/popup_views.js).
//
// Keyboard: the focus starts on "Log out of all" (on the title when nobody
// is logged in), Enter or Space presses it, Escape closes the view. A view
// pushed while a card's "Log out" has the focus keeps it there.
import { el, t, tOptional, translatePage } from './dialog.js';
import { originPieces } from './names.js';

const api = globalThis.browser ?? globalThis.chrome;
const $ = (id) => document.getElementById(id);

const ask = (op, extra = {}) => api.runtime.sendMessage({ ...extra, type: 'popup', op });

// An origin that breaks only between its pieces (as in the login window).
function origin(text) {
  const node = el('span', { className: 'origin' });
  originPieces(text).forEach((piece, i) => {
    if (i > 0) node.append(document.createElement('wbr'));
    node.append(el('span', { className: 'piece', textContent: piece }));
  });
  return node;
}

function cardLine(reader) {
  if (reader.holders.length) return t('popupCard', reader.holders.join(', '));
  return t(reader.cardPresent ? 'popupCardUnknown' : 'popupNoCard');
}

// A card's own "Log out": its name says which reader's card (several such
// buttons would otherwise all read "Log out"), its description the holder.
function logOutButton(reader, i) {
  const name = reader.name || t('popupUnknownReader');
  const button = el('button', { type: 'button', className: 'logout-card', textContent: t('popupLogOutCard') });
  button.dataset.reader = reader.name;
  button.setAttribute('aria-label', t('popupLogOutCardLabel', name));
  button.setAttribute('aria-describedby', `card-${i}`);
  button.addEventListener('click', () => { logOutOfCard(reader.name, name, button).catch((e) => console.error('log out failed', e)); });
  return el('div', { className: 'actions' }, button);
}

function readerItem(reader, i) {
  const headingId = `reader-${i}`;
  const sites = reader.sites.length
    ? [el('p', { className: 'lead', id: `sites-${i}`, textContent: t('popupSitesLead') }),
      el('ul', { className: 'sites' }, ...reader.sites.map((s) => el('li', {}, origin(s)))),
      logOutButton(reader, i)]
    : [el('p', { className: 'meta', textContent: t('popupNoSites') })];
  if (reader.sites.length) sites[1].setAttribute('aria-labelledby', `${headingId} sites-${i}`);
  return el('li', { className: 'reader' },
    el('h2', { id: headingId, textContent: reader.name || t('popupUnknownReader') }),
    el('p', { className: reader.holders.length ? 'holder' : 'meta', id: `card-${i}`, textContent: cardLine(reader) }),
    ...sites);
}

// The newest view shown: views come numbered (the answer to 'view' and the
// pushed ones), and an older one that arrives late is not shown.
let shownSeq = -Infinity;

function showNewer(view) {
  if (Number.isFinite(view.seq)) {
    if (view.seq <= shownSeq) return;
    shownSeq = view.seq;
  }
  const focused = document.activeElement;
  const focusedReader = focused?.classList.contains('logout-card') ? focused.dataset.reader : null;
  show(view);
  // The list was made anew: the same reader's button takes the focus back;
  // focus that went with the old list (or with a button now disabled) goes
  // to the title, not to the page's body.
  const again = focusedReader === null ? null
    : [...document.querySelectorAll('button.logout-card')].find((b) => b.dataset.reader === focusedReader);
  if (again) again.focus();
  else if (focused && focused !== document.body && !focused.isConnected) $('title').focus();
  else if (focused === $('logOutAll') && $('logOutAll').disabled) $('title').focus();
}

function show(view) {
  $('loading').hidden = true;
  const code = view.hostError;
  $('hostError').hidden = !code;
  $('hostError').textContent = code ? (tOptional(`code_${code}`) || t('popupHostError', code)) : '';
  $('readers').replaceChildren(...view.readers.map(readerItem));
  $('noReaders').hidden = view.readers.length > 0 || Boolean(code);
  $('logOutAll').disabled = view.sessions === 0;
  document.body.dataset.sessions = String(view.sessions);
}

async function refresh() {
  const reply = await ask('view');
  if (reply?.error) {
    show({ readers: [], sessions: 0, hostError: reply.error.code });
    return;
  }
  showNewer(reply.result);
}

function said(reply, done) {
  const failed = Boolean(reply?.error);
  $('status').textContent = failed ? (tOptional(`code_${reply.error.code}`) || t('popupHostError', reply.error.code)) : done(reply.result);
  $('status').className = failed ? 'message error' : 'message';
}

async function logOutOfAll() {
  const button = $('logOutAll');
  button.disabled = true;
  const reply = await ask('log-out-of-all');
  await refresh();
  said(reply, (result) => t('popupLoggedOut', result.origins.length));
  $('title').focus();
}

// One card's "Log out" (`reader`: its reader's name as the host gives it,
// `shown`: as the view shows it).
async function logOutOfCard(reader, shown, button) {
  button.disabled = true;
  const reply = await ask('log-out-of-card', { reader });
  await refresh();
  said(reply, (result) => t('popupLoggedOutCard', shown, result.origins.length));
  $('title').focus();
}

// Views the background pushes. Only the background sends them: this
// extension, and not from a tab (a content script is this extension too).
api.runtime.onMessage.addListener((message, sender) => {
  if (sender.id !== api.runtime.id || sender.tab) return;
  if (message?.type !== 'popup-view' || !message.view || typeof message.view !== 'object') return;
  showNewer(message.view);
});

// Tells the background that this view is open, for as long as the page is.
// A background that stopped (and started again) knows nothing of it: the
// view asks again, with a fresh view, after a moment.
function watch() {
  const port = api.runtime.connect({ name: 'popup' });
  port.onDisconnect.addListener(() => {
    setTimeout(() => {
      watch();
      refresh().catch(() => {});
    }, 500);
  });
}

document.addEventListener('keydown', (e) => {
  if (e.key !== 'Escape' || e.defaultPrevented) return;
  e.preventDefault();
  window.close();
});

translatePage();
document.title = t('popupTitle');
watch();
$('logOutAll').addEventListener('click', () => { logOutOfAll().catch((e) => console.error('log out of all failed', e)); });
await refresh().catch((e) => {
  console.error('the toolbar view could not ask the background', e);
  show({ readers: [], sessions: 0, hostError: 'ERR_INTERNAL' });
});
($('logOutAll').disabled ? $('title') : $('logOutAll')).focus();
