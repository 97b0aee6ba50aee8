// Errors as the extension hands them to the page: a code from
// docs/protocol.md (the host's codes and the extension's own, section 7), a
// message for people, and the few details the page may see.

import { ErrorCode } from './registry.js';

// Every code of the registry (protocol/registry.json), by name: ErrorCode.BUSY.
export { ErrorCode };

// What of an error the page may learn besides code and message: the host's
// details, and for ERR_HOST_VERSION the host's protocol version and this
// extension's.
const pageDetails = ['reason', 'triesLeft', 'pinState', 'pkcs11Error', 'hostProtocol', 'protocol'];

export class ExtensionError extends Error {
  constructor(code, message, details = {}) {
    super(message || code);
    this.code = code;
    this.details = details;
  }

  // From a host answer's `error` object.
  static fromHost(error) {
    const { code, message, ...details } = error ?? {};
    return new ExtensionError(typeof code === 'string' ? code : ErrorCode.INTERNAL, String(message ?? ''), details);
  }

  // The object the content script posts to the page.
  toPage() {
    const out = { code: this.code, message: this.message };
    for (const k of pageDetails) if (this.details[k] !== undefined) out[k] = this.details[k];
    return out;
  }
}

// Any thrown value as an error for the page; bugs stay vague on purpose.
export function pageError(e) {
  return e instanceof ExtensionError ? e.toPage() : { code: ErrorCode.INTERNAL, message: 'internal error in the extension' };
}
