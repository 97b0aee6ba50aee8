// The PIN window. The PIN goes to the background in one message and is
// cleared from the field at once; the window shows wrong PINs, the tries
// left and a blocked card, and on a PIN-pad reader asks for the PIN there.
import { hello, issuerName, send, t } from './dialog.js';

const $ = (id) => document.getElementById(id);

function message(text, cls = 'error') {
  $('message').textContent = text;
  $('message').className = `message ${cls}`;
}

// What the card says about its PIN before any try.
function warnFor(pinState) {
  if (pinState === 'final-try') return t('pinFinalTry');
  if (pinState === 'count-low') return t('pinCountLow');
  return '';
}

function showBlocked() {
  $('form').hidden = true;
  $('padArea').hidden = true;
  $('blockedArea').hidden = false;
  $('close').focus();
}

function explain(reply) {
  if (reply.code === 'ERR_PIN_INVALID') return t('pinInvalid');
  if (reply.triesLeft === 1 || reply.pinState === 'final-try') return `${t('pinIncorrect')} ${t('pinFinalTry')}`;
  return t('pinIncorrect');
}

async function submit(pin) {
  const reply = await send('submit', pin);
  if (!reply || reply.state === 'done' || reply.state === 'closed') return null;
  if (reply.state === 'blocked') showBlocked();
  else if (reply.state === 'failed') message(t('errorGeneric', reply.code));
  return reply;
}

const view = await hello();
if (view) {
  $('site').textContent = view.origin;
  $('holder').textContent = view.certificate.holder || view.certificate.subject;
  $('issuer').textContent = t('pickerIssuedBy', issuerName(view.certificate.issuer));
  $('reader').textContent = t('pickerReader', view.certificate.reader);
  $('close').addEventListener('click', () => window.close());

  if (view.blocked) {
    showBlocked();
  } else if (view.pinPad) {
    $('form').hidden = true;
    $('padArea').hidden = false;
    $('padCancel').addEventListener('click', () => send('cancel'));
    const tryPad = async () => {
      $('padRetry').hidden = true;
      $('padMessage').textContent = t('pinPadPrompt');
      const reply = await submit(null);
      if (reply?.state === 'error') {
        $('padMessage').textContent = explain(reply);
        $('padRetry').hidden = false;
      }
    };
    $('padRetry').addEventListener('click', tryPad);
    tryPad();
  } else {
    const input = $('pin');
    message(warnFor(view.pinState), 'warn');
    input.focus();
    $('cancel').addEventListener('click', () => send('cancel'));
    $('form').addEventListener('submit', async (e) => {
      e.preventDefault();
      const pin = input.value;
      input.value = '';
      $('ok').disabled = true;
      message(t('pinChecking'), 'warn');
      const reply = await submit(pin);
      $('ok').disabled = false;
      if (reply?.state === 'error') {
        message(explain(reply));
        input.focus();
      }
    });
  }
}
