// The protocol registry's numbers for the extension.
//
// A placeholder: this file will be generated from the protocol registry
// (with VERSION beside PROTOCOL_VERSION); do not edit it by hand once it is.
// PROTOCOL_VERSION is the version of docs/protocol.md the extension speaks,
// with cardbound-host (the `protocol` of its `status`) and with the page
// (the `protocol` of the content script's `ping` answer).

export const PROTOCOL_VERSION = 2;
