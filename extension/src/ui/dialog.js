// What every view of the trusted window uses: its dialog id, talking to the
// background, the extension's translations, dates for people.
const api = globalThis.browser ?? globalThis.chrome;

export const dialogId = new URLSearchParams(location.search).get('dialog') ?? '';

// The stage of the view on screen: every action says in which step it was
// made, and the background takes it only in that step (a click on a
// certificate that arrives after the PIN entry is shown is not a PIN).
let stage = null;
export function shownStage(number) {
  stage = number;
}

// Sends an operation of this dialog; resolves with the background's answer.
export function send(op, value) {
  return api.runtime.sendMessage({ type: 'dialog', dialog: dialogId, op, value, stage });
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
  document.documentElement.lang = uiLanguage();
  for (const el of document.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
}

// The language of the messages the window shows (each _locales file says
// its own: the browser may run in a language the extension has no messages
// for): its lang attribute and its dates follow the words.
export function uiLanguage() {
  return api.i18n.getMessage('locale') || api.i18n.getUILanguage();
}

export function formatDate(iso) {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? '?' : d.toLocaleDateString(uiLanguage(), { year: 'numeric', month: 'short', day: 'numeric' });
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

// Phrases on one line, each kept whole: a narrow window (or a large font)
// moves a whole phrase to the next line rather than breaking one.
export function phrases(...texts) {
  return texts.flatMap((text, i) => [...(i ? [' '] : []), el('span', { className: 'phrase', textContent: text })]);
}
