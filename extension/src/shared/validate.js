// Checks on what a page sends. The host checks everything again; these keep
// nonsense from reaching it and give the page a clear ERR_BAD_REQUEST.
import { ErrorCode, ExtensionError } from './errors.js';

const ID = /^[A-Za-z0-9_-]{1,64}$/;

function bad(message) {
  return new ExtensionError(ErrorCode.BAD_REQUEST, message);
}

export function plainObject(value, name) {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw bad(`'${name}' must be an object`);
  return value;
}

// Login ids (host) and session tags (server): base64url-ish, 1–64 characters.
export function identifier(value, name) {
  if (typeof value !== 'string' || !ID.test(value)) throw bad(`'${name}' must be 1-64 characters of A-Z a-z 0-9 - _`);
  return value;
}

// Standard base64 (with padding) of at most `maxLength` characters; returns
// the bytes.
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
export function base64Bytes(value, name, maxLength) {
  if (typeof value !== 'string' || value.length === 0 || value.length > maxLength || !BASE64.test(value)) {
    throw bad(`'${name}' must be base64 of at most ${maxLength} characters`);
  }
  return Uint8Array.from(atob(value), (c) => c.charCodeAt(0));
}

// One of the listed strings.
export function oneOf(value, name, allowed) {
  if (!allowed.includes(value)) throw bad(`'${name}' must be one of ${allowed.join(', ')}`);
  return value;
}

// Only the named keys; any other is refused (as the host does).
export function onlyKeys(args, allowed) {
  plainObject(args, 'arguments');
  for (const k of Object.keys(args)) if (!allowed.includes(k)) throw bad(`unexpected argument '${k}'`);
  return args;
}

// The page's origin as the browser reports it for the sending frame.
export function senderOrigin(sender) {
  const origin = sender?.origin ?? (sender?.url ? new URL(sender.url).origin : null);
  if (typeof origin !== 'string' || !/^https?:\/\//.test(origin)) throw bad('requests come from web pages only');
  return origin;
}
