// The three steps of a Cardbound login against a host, with the test server
// tool standing in for the relying party.
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { serverMessage, sha } from './host_client.mjs';

export const ORIGIN = 'https://localhost:8443';

export function serverFiles(pki) {
  return { key: join(pki, 'server-localhost.key'), chain: join(pki, 'server-localhost-chain.pem') };
}

// Step 1 and 2: begin-login, a signed challenge that verify-server checks
// (the host keeps it), authenticate. `answer` is verify-server's when it
// refused the server, else authenticate's.
export async function authenticate(host, { pki, fingerprint, pin, origin = ORIGIN, server = serverFiles(pki) }) {
  const begin = await host.call('begin-login', { origin });
  const challenge = serverMessage('challenge', { ...server, origin, 'host-nonce': begin.hostNonce });
  const verified = await host.request('verify-server', { origin, args: { loginId: begin.loginId, challenge } });
  if (verified.error) return { begin, challenge, answer: verified };
  const answer = await host.request('authenticate', {
    origin,
    args: { loginId: begin.loginId, certificate: fingerprint, ...(pin === undefined ? {} : { pin }) },
  });
  return { begin, challenge, answer };
}

// Step 3: the server's receipt, answered with the first presence proof.
export async function confirm(host, { pki, loginId, challenge, token, origin = ORIGIN }) {
  const sessionTag = randomBytes(16).toString('base64url');
  const presenceNonce = randomBytes(32).toString('base64');
  const receipt = serverMessage('receipt', {
    key: serverFiles(pki).key, origin, 'server-nonce': challenge.serverNonce,
    'token-hash': sha('sha256', Buffer.from(token.signature, 'base64')).toString('base64'),
    'session-tag': sessionTag, 'presence-nonce': presenceNonce,
  });
  const answer = await host.request('confirm', { origin, args: { loginId, receipt } });
  return { sessionTag, presenceNonce, answer };
}

export function presenceChallenge(pki, sessionTag, nonce = randomBytes(32).toString('base64'), origin = ORIGIN) {
  return serverMessage('presence', { key: serverFiles(pki).key, origin, 'session-tag': sessionTag, nonce });
}
