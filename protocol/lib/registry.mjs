// Reads protocol/registry.json, refuses a registry that could not generate
// sound code (a duplicate code, a missing text, an unknown raiser), and gives
// every entry the names each language spells it with.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export const REGISTRY = 'protocol/registry.json';

// Who may raise an error code, and who may end a session.
const RAISERS = ['host', 'extension', 'page'];
const ENDERS = ['server', 'page'];

// ERR_PIN_BLOCKED → PinBlocked; card-removed → CardRemoved.
export const pascal = (text) =>
  text.toLowerCase().split(/[-_]/).filter(Boolean).map((w) => w[0].toUpperCase() + w.slice(1)).join('');
// card-removed → CARD_REMOVED; maxRequestBytes → MAX_REQUEST_BYTES.
export const upperSnake = (text) => text.replace(/([a-z0-9])([A-Z])/g, '$1_$2').replaceAll('-', '_').toUpperCase();

export class RegistryError extends Error {}

export function loadRegistry(root) {
  let data;
  try {
    data = JSON.parse(readFileSync(join(root, REGISTRY), 'utf8'));
  } catch (e) {
    throw new RegistryError(`${REGISTRY}: ${e.message}`);
  }
  return validate(data);
}

function validate(r) {
  const problems = [];
  const need = (ok, what) => {
    if (!ok) problems.push(what);
  };
  const texts = (entry, where, fields) => {
    for (const f of fields) need(typeof entry[f] === 'string' && entry[f].trim() !== '', `${where}: "${f}" must be a text`);
  };
  const unique = (list, key, where) => {
    const seen = new Set();
    for (const e of list ?? []) {
      need(!seen.has(e[key]), `${where}: ${e[key]} is there twice`);
      seen.add(e[key]);
    }
  };
  const listOf = (name) => {
    need(Array.isArray(r[name]) && r[name].length > 0, `"${name}" must be a non-empty list`);
    return Array.isArray(r[name]) ? r[name] : [];
  };

  need(typeof r.version === 'string' && /^\d+\.\d+\.\d+$/.test(r.version), '"version" must be MAJOR.MINOR.PATCH');
  need(Number.isInteger(r.protocolVersion) && r.protocolVersion > 0, '"protocolVersion" must be a positive integer');
  for (const group of ['limits', 'lifetimes']) {
    for (const q of listOf(group)) {
      need(/^[a-z][A-Za-z]+$/.test(q.name ?? ''), `${group}: "${q.name}" must be a lowerCamelCase name`);
      need(Number.isInteger(q.value) && q.value > 0, `${group}.${q.name}: "value" must be a positive integer`);
      need(q.unit === (group === 'limits' ? 'bytes' : 'seconds'), `${group}.${q.name}: "unit" must be ${group === 'limits' ? 'bytes' : 'seconds'}`);
      texts(q, `${group}.${q.name}`, ['meaning']);
    }
  }
  unique([...(r.limits ?? []), ...(r.lifetimes ?? [])], 'name', 'limits and lifetimes');
  for (const e of listOf('errors')) {
    need(/^ERR_[A-Z0-9]+(_[A-Z0-9]+)*$/.test(e.code ?? ''), `errors: "${e.code}" is not an ERR_ code`);
    need(Array.isArray(e.raisedBy) && e.raisedBy.length > 0 && e.raisedBy.every((x) => RAISERS.includes(x)),
      `${e.code}: "raisedBy" must list some of ${RAISERS.join(', ')}`);
    need(e.cpp === undefined || /^[A-Z][A-Za-z0-9]*$/.test(e.cpp), `${e.code}: "cpp" must be a C++ enumerator name`);
    texts(e, e.code, ['meaning', 'callerDoes', 'cause', 'fix']);
  }
  unique(r.errors, 'code', 'errors');
  for (const [name, key] of [['validationCodes', 'code'], ['httpErrorCodes', 'code']]) {
    for (const c of listOf(name)) {
      need(/^[A-Z][A-Z0-9]*(_[A-Z0-9]+)*$/.test(c.code ?? ''), `${name}: "${c.code}" must be UPPER_SNAKE`);
      need(Array.isArray(c.httpStatus) && c.httpStatus.every((s) => Number.isInteger(s) && s >= 400 && s < 600),
        `${name}.${c.code}: "httpStatus" must list 4xx/5xx statuses`);
      texts(c, `${name}.${c.code}`, name === 'validationCodes' ? ['meaning', 'cause', 'fix'] : ['meaning']);
    }
    unique(r[name], key, name);
  }
  unique([...(r.validationCodes ?? []), ...(r.httpErrorCodes ?? [])], 'code', 'validationCodes and httpErrorCodes');
  for (const e of listOf('endReasons')) {
    need(Array.isArray(e.raisedBy) && e.raisedBy.length > 0 && e.raisedBy.every((x) => ENDERS.includes(x)),
      `endReasons.${e.reason}: "raisedBy" must list some of ${ENDERS.join(', ')}`);
  }
  for (const [name, key] of [['notTrustedReasons', 'reason'], ['endReasons', 'reason'], ['pageActions', 'action'],
    ['hostCommands', 'command'], ['hostEvents', 'event']]) {
    for (const e of listOf(name)) {
      need(/^[a-z]+(-[a-z]+)*$/.test(e[key] ?? ''), `${name}: "${e[key]}" must be lowercase words joined by -`);
      texts(e, `${name}.${e[key]}`, name === 'notTrustedReasons' ? ['meaning', 'cause', 'fix'] : ['meaning']);
    }
    unique(r[name], key, name);
  }
  for (const a of r.pageActions ?? []) {
    need(['content script', 'background'].includes(a.answeredBy), `pageActions.${a.action}: "answeredBy" must be "content script" or "background"`);
  }
  // Texts may name only limits and lifetimes: {maxRequestBytes}.
  const named = new Set([...(r.limits ?? []), ...(r.lifetimes ?? [])].map((q) => q.name));
  const lists = ['limits', 'lifetimes', 'errors', 'notTrustedReasons', 'validationCodes', 'httpErrorCodes', 'endReasons',
    'pageActions', 'hostCommands', 'hostEvents'];
  for (const entry of lists.flatMap((name) => (Array.isArray(r[name]) ? r[name] : []))) {
    for (const text of Object.values(entry).filter((v) => typeof v === 'string')) {
      for (const [, name] of text.matchAll(/\{(\w+)\}/g)) need(named.has(name), `"${text}" names {${name}}, which is no limit or lifetime`);
    }
  }
  if (problems.length) throw new RegistryError(`${REGISTRY} is not valid:\n  ${problems.join('\n  ')}`);

  // The names each language uses.
  for (const e of r.errors) {
    e.js = e.code.slice('ERR_'.length);
    e.cppName = e.cpp ?? pascal(e.js);
  }
  for (const c of [...r.validationCodes, ...r.httpErrorCodes]) c.cppName = pascal(c.code);
  for (const q of [...r.limits, ...r.lifetimes]) {
    q.cppName = `k${q.name[0].toUpperCase()}${q.name.slice(1)}`;
    q.js = upperSnake(q.name);
  }
  return r;
}

export const hostErrors = (r) => r.errors.filter((e) => e.raisedBy.includes('host'));
export const ownErrors = (r) => r.errors.filter((e) => !e.raisedBy.includes('host'));

// A quantity as people read it: 262144 bytes → 256 KiB, 300 seconds → 5 minutes.
export function quantity(q) {
  const { value, unit } = q;
  if (unit === 'bytes') {
    if (value % (1024 * 1024) === 0) return `${value / (1024 * 1024)} MiB`;
    if (value % 1024 === 0) return `${value / 1024} KiB`;
    return `${value} bytes`;
  }
  if (value % 3600 === 0) return `${value / 3600} hour${value === 3600 ? '' : 's'}`;
  if (value % 60 === 0) return `${value / 60} minute${value === 60 ? '' : 's'}`;
  return `${value} s`;
}

// A registry text with its {limit} and {lifetime} names written out.
export function fill(r, text) {
  return text.replace(/\{(\w+)\}/g, (whole, name) => {
    const q = [...r.limits, ...r.lifetimes].find((x) => x.name === name);
    if (!q) throw new RegistryError(`${REGISTRY}: "${text}" names {${name}}, which is no limit or lifetime`);
    return quantity(q);
  });
}
