// Step 2 of a login, the part the user sees (services/card_ceremony.js):
// the site proves itself, the user picks the login certificate and gives
// its PIN in the trusted window, and the host's authenticate signs the
// token. The card is remembered for the session that confirm begins.
import { identifier, onlyKeys, plainObject } from '../../shared/validate.js';
import { runCeremony, serverOf } from '../services/card_ceremony.js';

export { LOGIN_LIMIT_MS } from '../services/card_ceremony.js';

export async function authenticate(context, { origin, args, userActivated = false, signal = null }) {
  onlyKeys(args, ['loginId', 'challenge']);
  const loginId = identifier(args.loginId, 'loginId');
  const challenge = plainObject(args.challenge, 'challenge');
  const { host, sessions } = context;
  const { card, result } = await runCeremony(context, { origin, userActivated, signal }, {
    purpose: 'login',
    verify: serverOf(host, origin, loginId, challenge),
    useCard: (chosen, pinArgs) => host.request('authenticate', { origin, args: { loginId, certificate: chosen.fingerprint, ...pinArgs } }),
  });
  await sessions.rememberLogin(loginId, { origin, fingerprint: card.fingerprint, reader: card.reader });
  return { token: result.token };
}
