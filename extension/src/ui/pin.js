// The PIN window. The PIN goes to the background in one message and is
// cleared from the field at once; the window shows wrong PINs, the tries
// left and a blocked card, and on a PIN-pad reader asks for the PIN there.
// It follows the card: when the background pushes that the card was pulled,
// the window says so and takes no PIN; when the card is back (perhaps in
// another reader), it asks again.
import { ErrorCode } from '../shared/registry.js';
import { hello, issuerName, onView, send, t, tOptional } from './dialog.js';

const $ = (id) => document.getElementById(id);

let shown = null;      // the view the window shows
let present = true;    // the card is in a reader, as far as the background knows
let checking = false;  // a typed PIN is with the card now

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
  $('cardGone').hidden = true;
  $('blockedArea').hidden = false;
  $('close').focus();
}

function explain(reply) {
  if (reply.code === ErrorCode.PIN_INVALID) return t('pinInvalid');
  if (reply.triesLeft === 1 || reply.pinState === 'final-try') return `${t('pinIncorrect')} ${t('pinFinalTry')}`;
  return t('pinIncorrect');
}

// A failure in plain words: the build adds a message for each error code
// (code_ERR_…); a code without one is named in the general message.
function failure(code) {
  return tOptional(`code_${code}`) || t('errorGeneric', code);
}

// Shows the card, and whether it is in a reader. Absent: the field is
// emptied and disabled, only Cancel is left. Back: the field (or the PIN
// pad's "Try again") is offered again.
function render(view) {
  shown = view;
  $('site').textContent = view.origin;
  $('holder').textContent = view.certificate.holder || view.certificate.subject;
  $('issuer').textContent = t('pickerIssuedBy', issuerName(view.certificate.issuer));
  $('reader').textContent = t('pickerReader', view.certificate.reader);
  if (view.blocked) {
    showBlocked();
    return;
  }
  const back = !present && view.cardPresent !== false;
  present = view.cardPresent !== false;
  $('cardGone').hidden = present;
  $('form').hidden = view.pinPad;
  $('padArea').hidden = !view.pinPad;

  const input = $('pin');
  input.disabled = !present;
  $('ok').disabled = !present || checking;
  $('padMessage').hidden = !present;
  if (!present) {
    input.value = '';
    message('');
    $('padRetry').hidden = true;
  } else if (back && view.pinPad) {
    $('padMessage').textContent = t('pinPadCardBack');
    $('padRetry').hidden = false;
    $('padRetry').focus();
  } else if (back) {
    message(warnFor(view.pinState), 'warn');
    input.focus();
  }
}

async function submit(pin) {
  const reply = await send('submit', pin);
  if (!reply || reply.state === 'done' || reply.state === 'closed') return null;
  if (reply.state === 'blocked') showBlocked();
  else if (reply.state === 'view') render(reply.view);
  else if (reply.state === 'failed') {
    message(failure(reply.code));
    $('padMessage').textContent = failure(reply.code);
  }
  return reply;
}

// On a PIN-pad reader the user types the PIN on the reader while the
// background waits for the card.
async function tryPad() {
  $('padRetry').hidden = true;
  $('padMessage').textContent = t('pinPadPrompt');
  const reply = await submit(null);
  if (reply?.state === 'error') {
    $('padMessage').textContent = explain(reply);
    $('padRetry').hidden = false;
  } else if (reply?.state === 'view' && present) {
    $('padMessage').textContent = t('pinPadCardBack');
    $('padRetry').hidden = false;
  }
}

async function typed(e) {
  e.preventDefault();
  const input = $('pin');
  if (!present) return;
  const pin = input.value;
  input.value = '';
  checking = true;
  $('ok').disabled = true;
  message(t('pinChecking'), 'warn');
  const reply = await submit(pin);
  checking = false;
  $('ok').disabled = !present;
  if (reply?.state === 'error') {
    message(explain(reply));
    input.focus();
  } else if (reply?.state === 'view' && present) {
    // The card was away during the check and is back already: ask again.
    message(warnFor(shown.pinState), 'warn');
    input.focus();
  }
}

const view = await hello();
if (view) {
  $('close').addEventListener('click', () => window.close());
  $('cancel').addEventListener('click', () => send('cancel'));
  $('padCancel').addEventListener('click', () => send('cancel'));
  $('padRetry').addEventListener('click', tryPad);
  $('form').addEventListener('submit', typed);
  render(view);
  if (!view.blocked && present) {
    if (view.pinPad) {
      tryPad();
    } else {
      message(warnFor(view.pinState), 'warn');
      $('pin').focus();
    }
  }
  onView(render);
}
