// Document signing, Web eID's two calls in shape (docs/integration.md):
// get-signing-certificate lets the user choose the signing certificate the
// site may use, and sign has the card sign the site's hash with it after
// the signing PIN. Both start as a login does: the site proves itself with
// a signed challenge (its login id and challenge) before any window, and
// they share the login's trusted window (services/card_ceremony.js) with
// the purpose 'sign': only signing certificates, and the signing PIN.
import { ErrorCode, ExtensionError } from '../../shared/errors.js';
import { base64Bytes, identifier, onlyKeys, oneOf, plainObject } from '../../shared/validate.js';
import { runCeremony, serverOf } from '../services/card_ceremony.js';

export const HASH_FUNCTIONS = ['SHA-256', 'SHA-384', 'SHA-512'];
// A certificate as the site passes it back: base64 DER (real ones are 1–3 KiB).
const MAX_CERTIFICATE_BASE64 = 16384;
// The longest hash: SHA-512 is 88 characters of base64.
const MAX_HASH_BASE64 = 128;

// What a key can sign, in Web eID's words: its kind, each hash function,
// and the padding its token makes (RSA-PSS where the host signs PSS).
export function supportedSignatureAlgorithms({ keyType, algorithm }) {
  const ecc = keyType === 'EC';
  const paddingScheme = ecc ? 'NONE' : String(algorithm).startsWith('PS') ? 'PSS' : 'PKCS1.5';
  return HASH_FUNCTIONS.map((hashFunction) => ({ cryptoAlgorithm: ecc ? 'ECC' : 'RSA', hashFunction, paddingScheme }));
}

const hex = (bytes) => [...new Uint8Array(bytes)].map((b) => b.toString(16).padStart(2, '0')).join('');

function loginOf(args) {
  return { loginId: identifier(args.loginId, 'loginId'), challenge: plainObject(args.challenge, 'challenge') };
}

// The user's choice of signing certificate: { certificate (base64 DER),
// supportedSignatureAlgorithms }. The window always shows the list, even
// of one certificate: choosing is the user's consent to show it to the site.
export async function getSigningCertificate(context, { origin, args, userActivated = false, signal = null }) {
  onlyKeys(args, ['loginId', 'challenge']);
  const { loginId, challenge } = loginOf(args);
  const verify = serverOf(context.host, origin, loginId, challenge);
  const { card } = await runCeremony(context, { origin, userActivated, signal }, { purpose: 'sign', pickOnly: true, verify });
  // The window's list holds no DER; the host's has it.
  const { certificates } = await context.host.request('list-certificates', { args: { purpose: 'sign' } });
  const chosen = (certificates ?? []).find((c) => c.fingerprint === card.fingerprint);
  if (!chosen) throw new ExtensionError(ErrorCode.CERTIFICATE_NOT_FOUND, 'the card left before its certificate was read');
  return { certificate: chosen.certificate, supportedSignatureAlgorithms: supportedSignatureAlgorithms(chosen) };
}

// The card's signature over the site's hash: { signature, signatureAlgorithm }.
// The certificate is the one get-signing-certificate gave; no picker, and
// the host refuses a hash of the wrong length for its function.
export async function sign(context, { origin, args, userActivated = false, signal = null }) {
  onlyKeys(args, ['loginId', 'challenge', 'certificate', 'hash', 'hashFunction']);
  const login = loginOf(args);
  const der = base64Bytes(args.certificate, 'certificate', MAX_CERTIFICATE_BASE64);
  const hash = args.hash;
  base64Bytes(hash, 'hash', MAX_HASH_BASE64);
  const hashFunction = oneOf(args.hashFunction, 'hashFunction', HASH_FUNCTIONS);
  const fingerprint = hex(await crypto.subtle.digest('SHA-256', der));
  const { host } = context;
  const { result } = await runCeremony(context, { origin, userActivated, signal }, {
    purpose: 'sign',
    verify: serverOf(host, origin, login.loginId, login.challenge),
    fingerprint,
    useCard: (card, pinArgs) => host.request('sign', {
      origin, args: { loginId: login.loginId, certificate: card.fingerprint, hash, hashFunction, ...pinArgs },
    }),
  });
  return { signature: result.signature, signatureAlgorithm: result.signatureAlgorithm };
}
