// The registry's tables in the guides: docs/protocol.md says what each code
// means and what the caller does; docs/operations.md why it happens and how
// to fix it. Each table is a region; the prose around it is written by hand.
import { fill, hostErrors, ownErrors } from './registry.mjs';
import { andList, table } from './text.mjs';

const code = (c) => `\`${c}\``;
const pad = (lines) => ['', ...lines, ''];

export const protocolTables = {
  'host-errors': (r) => pad(table(['code', 'raised by', 'meaning', 'what the caller does'],
    hostErrors(r).map((e) => [code(e.code), andList(e.raisedBy), fill(r, e.meaning), fill(r, e.callerDoes)]))),
  'not-trusted-reasons': (r) => pad(table(['`reason`', 'meaning'],
    r.notTrustedReasons.map((e) => [code(e.reason), fill(r, e.meaning)]))),
  'validation-codes': (r) => pad(table(['code', 'HTTP status', 'meaning'],
    r.validationCodes.map((c) => [code(c.code), c.httpStatus.join(', '), fill(r, c.meaning)]))),
  'http-error-codes': (r) => pad(table(['code', 'HTTP status', 'meaning'],
    r.httpErrorCodes.map((c) => [code(c.code), c.httpStatus.join(', '), fill(r, c.meaning)]))),
  'end-reasons': (r) => pad(table(['reason', 'from', 'meaning'],
    r.endReasons.map((e) => [code(e.reason), andList(e.raisedBy), fill(r, e.meaning)]))),
  'page-errors': (r) => pad(table(['code', 'raised by', 'meaning', 'what the caller does'],
    ownErrors(r).map((e) => [code(e.code), andList(e.raisedBy), fill(r, e.meaning), fill(r, e.callerDoes)]))),
};

export const operationsTables = {
  'host-errors': (r) => pad(table(['code', 'cause', 'fix'],
    hostErrors(r).map((e) => [code(e.code), fill(r, e.cause), fill(r, e.fix)]))),
  'page-errors': (r) => pad(table(['code', 'cause', 'fix'],
    ownErrors(r).map((e) => [code(e.code), fill(r, e.cause), fill(r, e.fix)]))),
  'not-trusted-reasons': (r) => pad(table(['`reason`', 'cause', 'fix'],
    r.notTrustedReasons.map((e) => [code(e.reason), fill(r, e.cause), fill(r, e.fix)]))),
  'validation-codes': (r) => pad(table(['code', 'cause', 'fix'],
    r.validationCodes.map((c) => [code(c.code), fill(r, c.cause), fill(r, c.fix)]))),
};
