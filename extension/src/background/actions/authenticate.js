// Step 2 of a login, the part the user sees. The server's challenge is
// verified first, so a site that cannot prove itself never gets as far as a
// window, let alone a PIN. Then the certificate picker, then the PIN window,
// which stays open through wrong PINs and shows the tries left.
import { ErrorCode, ExtensionError } from '../../shared/errors.js';
import { identifier, onlyKeys, plainObject } from '../../shared/validate.js';

// What the picker shows of a certificate (no DER, nothing the UI does not need).
function describe(c) {
  return {
    fingerprint: c.fingerprint, holder: c.holder, subject: c.subject, issuer: c.issuer,
    notBefore: c.notBefore, notAfter: c.notAfter, reader: c.reader, tokenLabel: c.tokenLabel,
    pinPad: c.pinPad === true, pinState: c.pinState,
  };
}

async function listCards(host) {
  const { certificates } = await host.request('list-certificates');
  return (certificates ?? []).map(describe);
}

async function pickCertificate(dialog, host) {
  for (;;) {
    const action = await dialog.next();
    if (action.op === 'refresh') {
      dialog.view.certificates = await listCards(host);
      action.respond({ state: 'view', view: dialog.view });
      continue;
    }
    const card = dialog.view.certificates.find((c) => c.fingerprint === action.value);
    if (!card) {
      action.respond({ state: 'view', view: dialog.view });
      continue;
    }
    action.respond({ state: 'done' });
    return card;
  }
}

// Asks for the PIN until the card accepts it, blocks, or the user cancels.
// The PIN passes from the window to the host request and is kept nowhere.
async function enterPin(dialog, host, origin, request) {
  for (;;) {
    const action = await dialog.next();
    const args = { ...request };
    if (!dialog.view.pinPad) {
      const pin = action.value;
      if (typeof pin !== 'string' || pin.length < 4 || pin.length > 64) {
        action.respond({ state: 'error', code: ErrorCode.PIN_INVALID });
        continue;
      }
      args.pin = pin;
    }
    try {
      const { token } = await host.request('authenticate', { origin, args });
      action.respond({ state: 'done' });
      return token;
    } catch (e) {
      if (e.code === ErrorCode.PIN_INCORRECT || e.code === ErrorCode.PIN_INVALID) {
        action.respond({ state: 'error', code: e.code, triesLeft: e.details.triesLeft ?? null, pinState: e.details.pinState ?? null });
        continue;
      }
      if (e.code === ErrorCode.PIN_BLOCKED) {
        action.respond({ state: 'blocked' });
        dialog.release();
      } else {
        action.respond({ state: 'failed', code: e.code });
      }
      throw e;
    }
  }
}

let busy = false;

export async function authenticate({ host, dialogs, sessions }, { origin, args }) {
  onlyKeys(args, ['loginId', 'challenge']);
  const loginId = identifier(args.loginId, 'loginId');
  const challenge = plainObject(args.challenge, 'challenge');
  // One login with windows at a time, across all tabs.
  if (busy) throw new ExtensionError(ErrorCode.BUSY, 'another login is waiting for the user');
  busy = true;
  try {
    const verified = await host.request('verify-server', { origin, args: { loginId, challenge } });

    const picker = await dialogs.show('picker', { origin, server: verified.server, certificates: await listCards(host) });
    let card;
    try {
      card = await pickCertificate(picker, host);
    } finally {
      picker.close();
    }

    const blocked = card.pinState === 'locked';
    const pinWindow = await dialogs.show('pin', { origin, certificate: card, pinPad: card.pinPad, pinState: card.pinState, blocked });
    if (blocked) {
      pinWindow.release();
      throw new ExtensionError(ErrorCode.PIN_BLOCKED, 'the PIN is blocked');
    }
    try {
      const token = await enterPin(pinWindow, host, origin, { loginId, challenge, certificate: card.fingerprint });
      await sessions.rememberLogin(loginId, { origin, fingerprint: card.fingerprint, reader: card.reader });
      return { token };
    } finally {
      pinWindow.close();
    }
  } finally {
    busy = false;
  }
}
