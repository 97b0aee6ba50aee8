// The three steps of a Cardbound login against a host, with the test server
// tool standing in for the relying party.
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { serverMessage, sha } from './host_client.mjs';

export const ORIGIN = 'https://localhost:8443';

export function serverFiles(pki) {
  return { key: join(pki, 'server-localhost.key'), chain: join(pki, 'server-localhost-chain.pem') };
}

// Step 1: begin-login and a signed challenge that verify-server checks (the
// host keeps it). `verified` is verify-server's answer.
export async function verifiedLogin(host, { pki, origin = ORIGIN, server = serverFiles(pki) }) {
  const begin = await host.call('begin-login', { origin });
  const challenge = serverMessage('challenge', { ...server, origin, 'host-nonce': begin.hostNonce });
  const verified = await host.request('verify-server', { origin, args: { loginId: begin.loginId, challenge } });
  return { begin, challenge, verified };
}

// Steps 1 and 2: a verified login, then authenticate. `answer` is
// verify-server's when it refused the server, else authenticate's.
export async function authenticate(host, { pki, fingerprint, pin, origin = ORIGIN, server = serverFiles(pki) }) {
  const { begin, challenge, verified } = await verifiedLogin(host, { pki, origin, server });
  if (verified.error) return { begin, challenge, answer: verified };
  const answer = await host.request('authenticate', {
    origin,
    args: { loginId: begin.loginId, certificate: fingerprint, ...(pin === undefined ? {} : { pin }) },
  });
  return { begin, challenge, answer };
}

// A document signature: a verified login, then sign over `hash`.
export async function signHash(host, { pki, fingerprint, pin, hash, hashFunction, origin = ORIGIN }) {
  const { begin, verified } = await verifiedLogin(host, { pki, origin });
  if (verified.error) return { begin, answer: verified };
  const answer = await host.request('sign', {
    origin,
    args: { loginId: begin.loginId, certificate: fingerprint, hash, hashFunction, ...(pin === undefined ? {} : { pin }) },
  });
  return { begin, answer };
}

// The JWS name of a Web eID signatureAlgorithm (ECC/SHA-384/NONE is ES384).
export function jwsName({ cryptoAlgorithm, hashFunction, paddingScheme }) {
  const bits = hashFunction.slice(4);
  if (cryptoAlgorithm === 'ECC') return `ES${bits}`;
  return `${paddingScheme === 'PSS' ? 'PS' : 'RS'}${bits}`;
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
