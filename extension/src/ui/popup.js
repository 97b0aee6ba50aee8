// The toolbar view (the extension's action popup): each reader, the card in
// it (its holder), the sites logged in with that card, and "log out of all",
// which the background does as a card pull does (actions/popup.js).
//
// Keyboard: the focus starts on "Log out of all" (on the title when nobody
// is logged in), Enter or Space presses it, Escape closes the view.
import { el, t, tOptional, translatePage } from './dialog.js';
import { originPieces } from './names.js';

const api = globalThis.browser ?? globalThis.chrome;
const $ = (id) => document.getElementById(id);

const ask = (op) => api.runtime.sendMessage({ type: 'popup', op });

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

function readerItem(reader, i) {
  const headingId = `reader-${i}`;
  const sites = reader.sites.length
    ? [el('p', { className: 'lead', id: `sites-${i}`, textContent: t('popupSitesLead') }),
      el('ul', { className: 'sites' }, ...reader.sites.map((s) => el('li', {}, origin(s))))]
    : [el('p', { className: 'meta', textContent: t('popupNoSites') })];
  if (reader.sites.length) sites[1].setAttribute('aria-labelledby', `${headingId} sites-${i}`);
  return el('li', { className: 'reader' },
    el('h2', { id: headingId, textContent: reader.name || t('popupUnknownReader') }),
    el('p', { className: reader.holders.length ? 'holder' : 'meta', textContent: cardLine(reader) }),
    ...sites);
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
  show(reply.result);
}

async function logOutOfAll() {
  const button = $('logOutAll');
  button.disabled = true;
  const reply = await ask('log-out-of-all');
  await refresh();
  if (reply?.error) $('status').textContent = tOptional(`code_${reply.error.code}`) || t('popupHostError', reply.error.code);
  else $('status').textContent = t('popupLoggedOut', reply.result.origins.length);
  $('status').className = reply?.error ? 'message error' : 'message';
  $('title').focus();
}

document.addEventListener('keydown', (e) => {
  if (e.key !== 'Escape' || e.defaultPrevented) return;
  e.preventDefault();
  window.close();
});

translatePage();
document.title = t('popupTitle');
$('logOutAll').addEventListener('click', () => { logOutOfAll().catch((e) => console.error('log out of all failed', e)); });
await refresh().catch((e) => {
  console.error('the toolbar view could not ask the background', e);
  show({ readers: [], sessions: 0, hostError: 'ERR_INTERNAL' });
});
($('logOutAll').disabled ? $('title') : $('logOutAll')).focus();
