// The certificate picker: which certificate of which card logs in to the site.
import { el, formatDate, hello, issuerName, send, t } from './dialog.js';

function show(view) {
  document.getElementById('site').textContent = view.origin;
  document.getElementById('verified').textContent = t('pickerServerVerified', view.server?.subject ?? '');
  const list = document.getElementById('certs');
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
  list.querySelector('button')?.focus();
}

async function choose(fingerprint) {
  const reply = await send('submit', fingerprint);
  if (reply?.state === 'view') show(reply.view);
}

const view = await hello();
if (view) {
  show(view);
  document.getElementById('refresh').addEventListener('click', async () => {
    const reply = await send('refresh');
    if (reply?.state === 'view') show(reply.view);
  });
  document.getElementById('cancel').addEventListener('click', () => send('cancel'));
}
