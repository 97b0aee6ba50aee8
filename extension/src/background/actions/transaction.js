// confirm-transaction: the user confirms, with the card of the site's live
// session and its PIN, a text the site's server signed ("Pay 1,200 EUR to
// ACME"). The host verifies the server's challenge first and hands back its
// text: the trusted window shows that text, never one from the page, and
// the card signs exactly it (docs/protocol.md §3). A page that changes the
// text it sends its server afterwards gets the confirmation refused there.
import { onlyKeys, plainObject } from '../../shared/validate.js';
import { runCeremony } from '../services/card_ceremony.js';

export async function confirmTransaction(context, { origin, args, userActivated = false, signal = null }) {
  onlyKeys(args, ['challenge']);
  const challenge = plainObject(args.challenge, 'challenge');
  const { host } = context;
  const { result } = await runCeremony(context, { origin, userActivated, signal }, {
    purpose: 'transaction',
    verify: async () => {
      const { text, certificate, server } = await host.request('verify-transaction', { origin, args: { challenge } });
      return { server, text, fingerprint: certificate };
    },
    useCard: (card, pinArgs) => host.request('confirm-transaction', { origin, args: { challenge, ...pinArgs } }),
  });
  return { confirmation: result.confirmation };
}
