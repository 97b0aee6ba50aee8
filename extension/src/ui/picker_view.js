// The picker step of the login window: which certificate of which card logs
// in to the site. The background lists again when a card or reader comes or
// goes and pushes the new list; "Look again" asks for one. A card whose PIN
// is blocked is marked (choosing it shows why it cannot log in).
import { el, formatDate, phrases, send, t } from './dialog.js';
import { issuerName } from './names.js';

const $ = (id) => document.getElementById(id);

export function createPicker({ show }) {
  async function act(op, value) {
    const reply = await send(op, value);
    if (reply?.state === 'view') show(reply.view);
  }

  function entryFor(c) {
    const blocked = c.pinState === 'locked';
    const button = el('button', { type: 'button', className: blocked ? 'cert locked' : 'cert' },
      el('span', { className: 'holder', textContent: c.holder || c.subject }),
      ...(blocked ? [el('span', { className: 'badge', textContent: t('pickerBlocked') })] : []),
      el('span', { className: 'meta' }, ...phrases(t('pickerIssuedBy', issuerName(c.issuer)), t('pickerValidity', formatDate(c.notAfter)))),
      el('span', { className: 'meta', textContent: t('pickerReader', c.reader) }));
    button.dataset.fingerprint = c.fingerprint;
    button.addEventListener('click', () => act('submit', c.fingerprint));
    return el('li', {}, button);
  }

  function showList(view, entering) {
    const list = $('certs');
    // A new list keeps the focus where it was: never on another certificate
    // than the user's (Enter would choose one they did not mean to). Focus
    // that had nowhere to stay goes to "Look again".
    const focused = entering ? undefined : document.activeElement?.dataset?.fingerprint;
    list.replaceChildren(...view.certificates.map(entryFor));
    list.hidden = view.certificates.length === 0;
    $('empty').hidden = view.certificates.length > 0;
    const buttons = [...list.querySelectorAll('button')];
    const again = buttons.find((b) => b.dataset.fingerprint === focused);
    if (again) again.focus();
    else if (focused !== undefined) $('refresh').focus();
    else if (entering || document.activeElement === document.body) (buttons[0] ?? $('refresh')).focus();
  }

  $('refresh').addEventListener('click', () => act('refresh'));
  $('pickerCancel').addEventListener('click', () => send('cancel'));
  return { show: showList };
}
