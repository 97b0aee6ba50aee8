// What both trusted windows share: their dialog id, talking to the
// background, the extension's translations, dates for people.
const api = globalThis.browser ?? globalThis.chrome;

export const dialogId = new URLSearchParams(location.search).get('dialog') ?? '';

// Sends an operation of this dialog; resolves with the background's answer.
export function send(op, value) {
  return api.runtime.sendMessage({ type: 'dialog', dialog: dialogId, op, value });
}

export function t(key, ...substitutions) {
  return tOptional(key, ...substitutions) || key;
}

// A message that may not exist: '' then (getMessage's answer for a missing key).
export function tOptional(key, ...substitutions) {
  return api.i18n.getMessage(key, substitutions.map(String));
}

// Fills every element that has a data-i18n attribute with that message.
export function translatePage() {
  document.documentElement.lang = api.i18n.getUILanguage();
  for (const el of document.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
}

export function formatDate(iso) {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? '?' : d.toLocaleDateString(api.i18n.getUILanguage(), { year: 'numeric', month: 'short', day: 'numeric' });
}

// The issuer's common name, or the whole issuer.
export function issuerName(issuer) {
  const m = /(?:^|, )CN=((?:\\.|[^,])*)/.exec(issuer ?? '');
  return m ? m[1].replace(/\\(.)/g, '$1') : issuer ?? '';
}

// Views the background pushes when something changes (a card pulled or
// inserted). Only the background sends them: same extension, and not from a
// tab (the bridge in web pages is part of the extension too). One that comes
// before the page has shown its first view waits and is shown after it: the
// background pushes every change, so it is at least as new as that view.
let showPushed = null;
let early = null;
api.runtime.onMessage.addListener((message, sender) => {
  if (sender.id !== api.runtime.id || sender.tab) return;
  if (message?.type !== 'dialog-view' || message.dialog !== dialogId) return;
  if (showPushed) showPushed(message.view);
  else early = message.view;
});

// Calls `show` with every view pushed from now on (and one pushed already).
export function onView(show) {
  showPushed = show;
  if (early) show(early);
  early = null;
}

// Opens the dialog: its view from the background, or null if it is gone.
export async function hello() {
  translatePage();
  const reply = await send('hello');
  if (reply?.state !== 'view') {
    window.close();
    return null;
  }
  return reply.view;
}

export function el(tag, props = {}, ...children) {
  const node = Object.assign(document.createElement(tag), props);
  node.append(...children);
  return node;
}
