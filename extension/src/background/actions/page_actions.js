// What a page may ask of the extension, one handler per action. The origin
// always comes from the browser (the sender frame), never from the page.
import { onlyKeys, identifier, plainObject } from '../../shared/validate.js';
import { authenticate } from './authenticate.js';

// Only what a page needs to know: no module paths, no configuration files.
async function status({ api, host }) {
  const s = await host.request('status');
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
  const { loginId, hostNonce, expiresAt } = await host.request('begin-login', { origin });
  return { loginId, hostNonce, expiresAt };
}

async function confirm({ host, sessions }, { origin, tabId, args }) {
  onlyKeys(args, ['loginId', 'receipt']);
  const loginId = identifier(args.loginId, 'loginId');
  const receipt = plainObject(args.receipt, 'receipt');
  const { sessionTag, proof } = await host.request('confirm', { origin, args: { loginId, receipt } });
  await sessions.confirm(loginId, origin, sessionTag, tabId);
  return { sessionTag, proof };
}

async function presence({ host, sessions }, { origin, args }) {
  onlyKeys(args, ['challenge']);
  const challenge = plainObject(args.challenge, 'challenge');
  try {
    const { proof } = await host.request('presence', { origin, args: { challenge } });
    return { proof };
  } catch (e) {
    if (e.code === 'ERR_NO_CARD' || e.code === 'ERR_NOT_LOGGED_IN') {
      await sessions.remove(origin, typeof challenge.sessionTag === 'string' ? challenge.sessionTag : undefined);
    }
    throw e;
  }
}

async function logout({ host, sessions }, { origin, args }) {
  onlyKeys(args, ['sessionTag']);
  const sessionTag = args.sessionTag === undefined ? undefined : identifier(args.sessionTag, 'sessionTag');
  await sessions.remove(origin, sessionTag);
  const result = await host.request('logout', { origin, args: sessionTag ? { sessionTag } : {} });
  return { endedSessions: result.endedSessions };
}

export const pageActions = {
  status,
  'begin-login': beginLogin,
  authenticate,
  confirm,
  presence,
  logout,
};
