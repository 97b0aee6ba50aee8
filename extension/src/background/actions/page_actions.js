// What a page may ask of the extension, one handler per action. The origin
// always comes from the browser (the sender frame), never from the page.
import { ErrorCode } from '../../shared/errors.js';
import { HostCommand, PageAction } from '../../shared/registry.js';
import { onlyKeys, identifier, plainObject } from '../../shared/validate.js';
import { authenticate } from './authenticate.js';
import { getSigningCertificate, sign } from './sign.js';
import { confirmTransaction } from './transaction.js';

// Only what a page needs to know: no module paths, no configuration files.
async function status({ api, host }) {
  const s = await host.request(HostCommand.STATUS);
  return {
    extension: api.runtime.getManifest().version,
    host: s.version,
    protocol: s.protocol,
    configured: s.configError === null,
    readerMonitor: s.readerMonitor === true,
  };
}

async function beginLogin({ host }, { origin, args }) {
  onlyKeys(args, []);
  const { loginId, hostNonce, expiresAt } = await host.request(HostCommand.BEGIN_LOGIN, { origin });
  return { loginId, hostNonce, expiresAt };
}

async function confirm({ host, sessions }, { origin, tabId, args }) {
  onlyKeys(args, ['loginId', 'receipt']);
  const loginId = identifier(args.loginId, 'loginId');
  const receipt = plainObject(args.receipt, 'receipt');
  const { sessionTag, proof } = await host.request(HostCommand.CONFIRM, { origin, args: { loginId, receipt } });
  await sessions.confirm(loginId, origin, sessionTag, tabId);
  return { sessionTag, proof };
}

async function presence({ host, sessions }, { origin, args }) {
  onlyKeys(args, ['challenge']);
  const challenge = plainObject(args.challenge, 'challenge');
  try {
    const { proof } = await host.request(HostCommand.PRESENCE, { origin, args: { challenge } });
    return { proof };
  } catch (e) {
    if (e.code === ErrorCode.NO_CARD || e.code === ErrorCode.NOT_LOGGED_IN) {
      await sessions.remove(origin, typeof challenge.sessionTag === 'string' ? challenge.sessionTag : undefined);
    }
    throw e;
  }
}

async function logout({ host, sessions }, { origin, args }) {
  onlyKeys(args, ['sessionTag']);
  const sessionTag = args.sessionTag === undefined ? undefined : identifier(args.sessionTag, 'sessionTag');
  await sessions.remove(origin, sessionTag);
  const result = await host.request(HostCommand.LOGOUT, { origin, args: sessionTag ? { sessionTag } : {} });
  return { endedSessions: result.endedSessions };
}

export const pageActions = {
  [PageAction.STATUS]: status,
  [PageAction.BEGIN_LOGIN]: beginLogin,
  [PageAction.AUTHENTICATE]: authenticate,
  [PageAction.GET_SIGNING_CERTIFICATE]: getSigningCertificate,
  [PageAction.SIGN]: sign,
  [PageAction.CONFIRM]: confirm,
  [PageAction.CONFIRM_TRANSACTION]: confirmTransaction,
  [PageAction.PRESENCE]: presence,
  [PageAction.LOGOUT]: logout,
};
