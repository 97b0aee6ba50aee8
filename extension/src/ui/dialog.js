// What both trusted windows share: their dialog id, talking to the
// background, the extension's translations, dates for people.
const api = globalThis.browser ?? globalThis.chrome;

export const dialogId = new URLSearchParams(location.search).get('dialog') ?? '';

// Sends an operation of this dialog; resolves with the background's answer.
export function send(op, value) {
  return api.runtime.sendMessage({ type: 'dialog', dialog: dialogId, op, value });
}

export function t(key, ...substitutions) {
  return api.i18n.getMessage(key, substitutions.map(String)) || key;
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
