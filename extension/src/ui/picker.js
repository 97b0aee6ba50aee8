// The certificate picker: which certificate of which card logs in to the site.
// The background lists again when a card or reader comes or goes and pushes
// the new list; "Look again" asks for one.
import { el, formatDate, hello, issuerName, onView, send, t } from './dialog.js';

function show(view) {
  document.getElementById('site').textContent = view.origin;
  document.getElementById('verified').textContent = t('pickerServerVerified', view.server?.subject ?? '');
  const list = document.getElementById('certs');
  // A new list keeps the focus where it was: never on another certificate
  // than the user's (Enter would choose one they did not mean to).
  const focused = document.activeElement?.dataset?.fingerprint;
  list.replaceChildren(...view.certificates.map((c) => {
    const button = el('button', { type: 'button', className: 'cert' },
      el('div', { className: 'holder', textContent: c.holder || c.subject }),
      el('div', { className: 'meta', textContent: t('pickerIssuedBy', issuerName(c.issuer)) }),
      el('div', { className: 'meta', textContent: t('pickerValidity', formatDate(c.notBefore), formatDate(c.notAfter)) }),
      el('div', { className: 'meta', textContent: t('pickerReader', c.reader) }));
    button.dataset.fingerprint = c.fingerprint;
    button.addEventListener('click', () => choose(c.fingerprint));
    return el('li', {}, button);
  }));
  document.getElementById('empty').hidden = view.certificates.length > 0;
  const buttons = [...list.querySelectorAll('button')];
  const again = buttons.find((b) => b.dataset.fingerprint === focused);
  if (again) again.focus();
  else if (focused === undefined && document.activeElement === document.body) buttons[0]?.focus();
}

async function choose(fingerprint) {
  const reply = await send('submit', fingerprint);
  if (reply?.state === 'view') show(reply.view);
}

const view = await hello();
if (view) {
  show(view);
  onView(show);
  document.getElementById('refresh').addEventListener('click', async () => {
    const reply = await send('refresh');
    if (reply?.state === 'view') show(reply.view);
  });
  document.getElementById('cancel').addEventListener('click', () => send('cancel'));
}
