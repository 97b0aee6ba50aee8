// The trusted login window: one page that shows the step of the login the
// background's view names (view.step): the certificate picker, the PIN
// entry, or a blocked card. A new stage number is a new step (its title,
// its section, the focus where the user starts); the same number is an
// update of the step on screen (a card pulled or inserted). Views come as
// answers to the window's own actions and as pushes from the background;
// both go through show().
//
// Keyboard: focus starts on the step's first control, Enter confirms (the
// focused certificate, the PIN form), Escape cancels the login (or closes a
// window that shows a blocked card, where nothing is left to cancel).
import { hello, onView, phrases, send, shownStage, t } from './dialog.js';
import { issuerName, originPieces, siteIdentity } from './names.js';
import { createPicker } from './picker_view.js';
import { createEntry } from './pin_view.js';

const $ = (id) => document.getElementById(id);

// The words of each step, by what the card is for (view.purpose): logging
// in, or signing with the card's signing certificate and its own PIN.
const WORDS = {
  login: {
    titles: { picker: 'pickerTitle', pin: 'pinTitle', blocked: 'blockedTitle' },
    leads: { picker: 'pickerSiteAsks', pin: 'pinSite', blocked: 'pinSite' },
    empty: 'pickerNoCards', pinLabel: 'pinLabel', submit: 'pinSubmit',
  },
  transaction: {
    titles: { picker: 'pickerTitle', pin: 'txnPinTitle', blocked: 'blockedTitle' },
    leads: { picker: 'txnSite', pin: 'txnSite', blocked: 'txnSite' },
    empty: 'pickerNoCards', pinLabel: 'pinLabel', submit: 'txnSubmit',
  },
  sign: {
    titles: { picker: 'signPickerTitle', pin: 'signPinTitle', blocked: 'blockedTitle' },
    leads: { picker: 'signPickerSiteAsks', pin: 'signPinSite', blocked: 'signPinSite' },
    empty: 'signPickerNoCards', pinLabel: 'signPinLabel', submit: 'signPinSubmit',
  },
};

let current = null; // the view on screen

// The origin, breakable only between its pieces (names.js originPieces).
function showOrigin(origin) {
  const node = $('origin');
  node.replaceChildren();
  originPieces(origin).forEach((piece, i) => {
    if (i > 0) node.append(document.createElement('wbr'));
    node.append(Object.assign(document.createElement('span'), { className: 'piece', textContent: piece }));
  });
}

function showSite(view) {
  showOrigin(view.origin);
  const { organisation, host } = siteIdentity(view.server?.subject, view.origin);
  $('verified').textContent = organisation ? t('siteVerifiedOrg', organisation, host) : t('pickerServerVerified', host);
}

function showBlocked(view, entering) {
  const c = view.certificate;
  $('blockedHolder').textContent = c.holder || c.subject;
  $('blockedMeta').replaceChildren(...phrases(t('pickerIssuedBy', issuerName(c.issuer)), t('pickerReader', c.reader)));
  if (entering) $('close').focus();
}

const picker = createPicker({ show });
const entry = createEntry({ show });
const steps = { picker, pin: entry, blocked: { show: showBlocked } };

function show(view) {
  if (!view || !steps[view.step]) return;
  const entering = view.stage !== current?.stage;
  current = view;
  if (entering) {
    shownStage(view.stage);
    const words = WORDS[view.purpose] ?? WORDS.login;
    const title = t(words.titles[view.step]);
    $('title').textContent = title;
    document.title = title;
    $('siteLead').textContent = t(words.leads[view.step]);
    $('empty').textContent = t(words.empty);
    $('pinLabel').textContent = t(words.pinLabel);
    $('ok').textContent = t(words.submit);
    for (const section of ['picker', 'entry', 'blocked']) $(section).hidden = true;
    $(view.step === 'pin' ? 'entry' : view.step).hidden = false;
  }
  showSite(view);
  // The text to confirm, as the host verified it: text, never markup.
  $('transaction').hidden = typeof view.text !== 'string';
  $('transactionText').textContent = view.text ?? '';
  steps[view.step].show(view, entering);
}

document.addEventListener('keydown', (e) => {
  if (e.key !== 'Escape' || e.defaultPrevented || !current) return;
  e.preventDefault();
  if (current.step === 'blocked') window.close();
  else send('cancel');
});

performance.mark('cardbound-scripts'); // the window's modules ran (for scripts/bench-browser)
const first = await hello();
if (first) {
  $('close').addEventListener('click', () => window.close());
  show(first);
  performance.mark('cardbound-first-view'); // the window shows its first step
  onView(show);
}
