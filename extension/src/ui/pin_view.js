// The PIN step of the login window. The PIN goes to the background in one
// message and is cleared from the field at once; the step shows wrong PINs,
// the tries left, and on a PIN-pad reader asks for the PIN there. It follows
// the card: when the background pushes that the card was pulled, it says so
// and takes no PIN; when the card is back (perhaps in another reader), it
// asks again. "Other certificate" goes back to the list.
import { ErrorCode } from '../shared/registry.js';
import { phrases, send, t, tOptional } from './dialog.js';
import { issuerName } from './names.js';

const $ = (id) => document.getElementById(id);

// What the card says about its PIN before any try.
function warnFor(pinState) {
  if (pinState === 'final-try') return t('pinFinalTry');
  if (pinState === 'count-low') return t('pinCountLow');
  return '';
}

function explain(reply) {
  if (reply.code === ErrorCode.PIN_INVALID) return t('pinInvalid');
  const wrong = [t('pinIncorrect')];
  if (reply.triesLeft === 1 || reply.pinState === 'final-try') wrong.push(t('pinFinalTry'));
  // The check logged the card out, and sites use it (card_ceremony.js).
  if (reply.sitesLoggedOut > 0) wrong.push(t('pinSitesLoggedOut'));
  return wrong.join(' ');
}

// A failure in plain words: the build adds a message for each error code
// (code_ERR_…); a code without one is named in the general message.
function failure(code) {
  return tOptional(`code_${code}`) || t('errorGeneric', code);
}

function message(text, cls = 'error') {
  $('message').textContent = text;
  $('message').className = `message ${cls}`;
}

export function createEntry({ show }) {
  let shown = null;      // the view on screen
  let present = true;    // the card is in a reader, as far as the background knows
  let checking = false;  // a PIN (typed or on the pad) is with the card now

  function busy(on) {
    checking = on;
    $('ok').disabled = on || !present;
    $('back').disabled = on;
  }

  // Shows the card, and whether it is in a reader. Absent: the field is
  // emptied and disabled, only Cancel and "Other certificate" are left.
  // Back: the field (or the PIN pad's "Try again") is offered again.
  function render(view, entering) {
    shown = view;
    const c = view.certificate;
    $('holder').textContent = c.holder || c.subject;
    // The site named the certificate (a signature): there is no other.
    $('back').hidden = view.fixed === true;
    $('cardMeta').replaceChildren(...phrases(t('pickerIssuedBy', issuerName(c.issuer)), t('pickerReader', c.reader)));
    if (entering) {
      present = true;
      $('pin').value = '';
      message('');
      busy(false);
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
      // The focus must not be left on a control that is now disabled.
      if (document.activeElement === input || document.activeElement === $('ok') || document.activeElement === document.body) {
        $(view.pinPad ? 'padCancel' : 'cancel').focus();
      }
    } else if (entering && view.pinPad) {
      tryPad();
    } else if (entering) {
      message(warnFor(view.pinState), 'warn');
      input.focus();
    } else if (back && view.pinPad) {
      $('padMessage').textContent = t('pinPadCardBack');
      $('padRetry').hidden = false;
      $('padRetry').focus();
    } else if (back) {
      message(warnFor(view.pinState), 'warn');
      input.focus();
    }
  }

  // Sends a PIN (null: on the pad); shows the answer. Another step (a
  // blocked card) goes to the window.
  async function submit(pin) {
    const stage = shown.stage;
    const reply = await send('submit', pin);
    if (!reply || reply.state === 'done' || reply.state === 'closed') return null;
    if (reply.state === 'view' && reply.view.stage !== stage) show(reply.view);
    else if (reply.state === 'view') render(reply.view, false);
    else if (reply.state === 'failed') {
      message(failure(reply.code));
      $('padMessage').textContent = failure(reply.code);
    }
    return reply;
  }

  // On a PIN-pad reader the user types the PIN on the reader while the
  // background waits for the card; the prompt has the focus (read out, and
  // Escape cancels from there).
  async function tryPad() {
    $('padRetry').hidden = true;
    $('padMessage').textContent = t('pinPadPrompt');
    $('padMessage').focus();
    busy(true);
    const reply = await submit(null);
    busy(false);
    if (reply?.state === 'error') {
      $('padMessage').textContent = explain(reply);
      $('padRetry').hidden = false;
      $('padRetry').focus();
    } else if (reply?.state === 'view' && reply.view.stage === shown.stage && present) {
      $('padMessage').textContent = t('pinPadCardBack');
      $('padRetry').hidden = false;
      $('padRetry').focus();
    }
  }

  async function typed(e) {
    e.preventDefault();
    const input = $('pin');
    if (!present || checking) return;
    const pin = input.value;
    input.value = '';
    busy(true);
    message(t('pinChecking'), 'warn');
    const reply = await submit(pin);
    busy(false);
    if (reply?.state === 'error') {
      message(explain(reply));
      input.focus();
    } else if (reply?.state === 'view' && reply.view.stage === shown.stage && present) {
      // The card was away during the check and is back already: ask again.
      message(warnFor(shown.pinState), 'warn');
      input.focus();
    }
  }

  async function back() {
    const reply = await send('back');
    if (reply?.state === 'view') show(reply.view);
  }

  $('cancel').addEventListener('click', () => send('cancel'));
  $('padCancel').addEventListener('click', () => send('cancel'));
  $('padRetry').addEventListener('click', tryPad);
  $('back').addEventListener('click', back);
  $('form').addEventListener('submit', typed);
  return { show: render };
}
