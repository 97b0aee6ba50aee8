// The checks no --write can fix, because a person must choose the words or
// the code: names the registry does not know, and missing translations.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { regionNames, styleOf } from './regions.mjs';

// The tree's files: git's (tracked, and new ones it does not ignore), or,
// outside a checkout, every file but node_modules and build directories.
export function listFiles(root) {
  try {
    const out = execFileSync('git', ['-C', root, 'ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
      encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'],
    });
    return [...new Set(out.split('\0').filter(Boolean))].filter((f) => isFile(join(root, f))).sort();
  } catch {
    const files = [];
    const walk = (dir) => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        if (entry.name === 'node_modules' || entry.name === '.git' || /^build(-|$)/.test(entry.name)) continue;
        const path = join(dir, entry.name);
        if (entry.isDirectory()) walk(path);
        else if (entry.isFile()) files.push(relative(root, path));
      }
    };
    walk(root);
    return files.sort();
  }
}

function isFile(path) {
  try {
    return statSync(path).isFile();
  } catch {
    return false; // deleted but not yet staged
  }
}

function readText(root, file) {
  const bytes = readFileSync(join(root, file));
  return bytes.includes(0) ? null : bytes.toString('utf8');
}

const lineOf = (text, index) => text.slice(0, index).split('\n').length;

// Tests use made-up codes on purpose; so does the type check of the page's
// API (js/types-check.ts, which proves unknown codes do not compile).
const madeUpOnPurpose = (file) => /\.test\./.test(file) || /(^|\/)tests\//.test(file) || file === 'js/types-check.ts';

// Every ERR_ code in the tree's sources and guides is one of the registry.
// Not OpenSSL's X509_V_ERR_… (part of a longer name), its ERR_GET_LIB(…)
// macros (called like functions), nor its library numbers ERR_LIB_….
export function scanErrorCodes(root, files, r) {
  const known = new Set(r.errors.map((e) => e.code));
  const problems = [];
  const token = /(?<![A-Za-z0-9_])ERR_(?!LIB_)[A-Z0-9_]*[A-Z0-9]\b(?!\s*\()/g;
  for (const file of files.filter((f) => !madeUpOnPurpose(f))) {
    const text = readText(root, file);
    if (text === null) continue;
    for (const m of text.matchAll(token)) {
      if (!known.has(m[0])) problems.push(`${file}:${lineOf(text, m.index)}: ${m[0]} is not a code of the registry`);
    }
  }
  return problems;
}

// Every code the relying party answers with, and every code the page tests
// `serverCode` against, is one of the registry.
export function scanServerCodes(root, files, r) {
  const known = new Set([...r.validationCodes, ...r.httpErrorCodes].map((c) => c.code));
  const problems = [];
  const report = (file, text, m, code) => {
    if (!known.has(code)) problems.push(`${file}:${lineOf(text, m.index)}: "${code}" is not a validation or HTTP error code of the registry`);
  };
  const httpWords = new Set(['GET', 'POST', 'HEAD', 'PUT', 'DELETE', 'OPTIONS', 'PATCH']);
  // The Redis stores send commands (SELECT, EVALSHA, PUBLISH), upper-case
  // words too, and answer with no code: they throw StoreUnavailable, which
  // the router maps to STORE_UNAVAILABLE.
  const serverSource = (f) => /^server\/src\/.*\.(cpp|h)$/.test(f) && !/^server\/src\/store\//.test(f);
  for (const file of files.filter(serverSource)) {
    const text = readText(root, file);
    for (const m of text.matchAll(/(getenv\(\s*)?"([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*)"/g)) {
      if (m[1] || m[2].length < 4 || httpWords.has(m[2])) continue; // environment variables, methods
      report(file, text, m, m[2]);
    }
  }
  for (const file of files.filter((f) => /^(js|extension\/src)\/.*\.m?js$/.test(f) && !madeUpOnPurpose(f))) {
    const text = readText(root, file);
    for (const m of text.matchAll(/serverCode\s*[!=]==?\s*'([^']*)'/g)) report(file, text, m, m[1]);
  }
  return problems;
}

// js/cardbound.js has words, in every language, for every code a page can
// see, every server code and every end of a session; and none for codes the
// registry does not know.
export async function checkWords(root, r) {
  const file = 'js/cardbound.js';
  let messages;
  try {
    ({ messages } = await import(`${pathToFileURL(join(root, file)).href}?check=${Date.now()}`));
  } catch (e) {
    return [`${file}: cannot be loaded to check its messages: ${e.message}`];
  }
  if (!messages || typeof messages !== 'object') return [`${file}: exports no messages`];
  const problems = [];
  const expect = (lang, table, required, allowed) => {
    const words = messages[lang]?.[table] ?? {};
    for (const key of required) {
      if (typeof words[key] !== 'string' || !words[key].trim()) problems.push(`${file}: messages.${lang}.${table} has no words for ${key}`);
    }
    for (const key of Object.keys(words)) {
      if (!allowed.has(key)) problems.push(`${file}: messages.${lang}.${table} has words for ${key}, which the registry does not know`);
    }
  };
  const errors = r.errors.map((e) => e.code);
  const validation = r.validationCodes.map((c) => c.code);
  const reasons = r.endReasons.map((e) => e.reason);
  for (const lang of Object.keys(messages)) {
    expect(lang, 'errors', errors, new Set(errors));
    expect(lang, 'serverCodes', validation, new Set([...validation, ...r.httpErrorCodes.map((c) => c.code)]));
    expect(lang, 'reasons', reasons, new Set(reasons));
  }
  if (!messages.en) problems.push(`${file}: messages has no English (en)`);
  return problems;
}

// A generated region the generator does not write would silently go stale.
export function scanRegions(root, files, outputs) {
  const known = new Set(outputs.flatMap((o) => Object.keys(o.regions ?? {}).map((name) => `${o.file} ${name}`)));
  const problems = [];
  for (const file of files.filter((f) => !f.startsWith('protocol/'))) {
    const text = readText(root, file);
    if (text === null) continue;
    for (const { name, line } of regionNames(text, styleOf(file))) {
      if (!known.has(`${file} ${name}`)) problems.push(`${file}:${line + 1}: region ${name} is not one that protocol/generate.mjs writes`);
    }
  }
  return problems;
}
