#!/usr/bin/env node
// Builds the extension packages from src/: one source, two browsers.
//   chromium/  Manifest V3 with a service worker and the fixed-id `key`
//   firefox/   Manifest V3 with background scripts and a gecko id
// The manifest's version is the registry's (protocol/registry.json), so it
// moves with every other copy of it; src/manifest.json has none of its own.
// Unit tests (*.test.js) stay out of the packages. The words for error
// codes, server codes and ends of sessions come from the JavaScript API
// (js/cardbound.js `messages`) into each package's _locales, so the page and
// the trusted windows say the same.
import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';

const here = dirname(new URL(import.meta.url).pathname);
const usage = `Usage: node extension/build.mjs [--out DIR] [--gecko-id ID]

Writes DIR/chromium and DIR/firefox (default DIR: build/extension).`;

let opts;
try {
  opts = parseArgs({ options: { out: { type: 'string' }, 'gecko-id': { type: 'string' }, help: { type: 'boolean' } } }).values;
} catch (e) {
  console.error(`${e.message}\n${usage}`);
  process.exit(2);
}
if (opts.help) {
  console.log(usage);
  process.exit(0);
}
const out = opts.out ?? join(here, '..', 'build', 'extension');
const geckoId = opts['gecko-id'] ?? 'cardbound@cardbound.org';
const src = join(here, 'src');
const { version } = JSON.parse(readFileSync(join(here, '..', 'protocol', 'registry.json'), 'utf8'));
const manifest = { ...JSON.parse(readFileSync(join(src, 'manifest.json'), 'utf8')), version };
const { messages: pageWords, messageFor } = await import(new URL('../js/cardbound.js', import.meta.url));
// chrome.i18n names: letters, digits and _ only. code_ERR_PIN_BLOCKED,
// server_CERT_REVOKED, reason_card_removed, notice_connectionLost.
const prefixes = { errors: 'code', serverCodes: 'server', reasons: 'reason', notices: 'notice' };
function localeWith(lang) {
  const own = JSON.parse(readFileSync(join(src, '_locales', lang, 'messages.json'), 'utf8'));
  const words = pageWords[lang];
  if (!words) throw new Error(`js/cardbound.js has no messages for the extension's locale ${lang}`);
  for (const [table, prefix] of Object.entries(prefixes)) {
    for (const key of Object.keys(words[table])) {
      const name = `${prefix}_${key.replaceAll('-', '_')}`;
      if (own[name]) throw new Error(`${lang}: ${name} is both in _locales and in js/cardbound.js`);
      // messageFor fills {version}; '$' would start a placeholder.
      own[name] = { message: messageFor(key, { lang }).replaceAll('$', '$$$$') };
    }
  }
  return own;
}

function firefoxManifest(m) {
  const { key, minimum_chrome_version: _, background, ...rest } = m;
  return {
    ...rest,
    background: { scripts: [background.service_worker], type: 'module' },
    browser_specific_settings: { gecko: { id: geckoId, strict_min_version: '128.0' } },
  };
}

for (const [browser, m] of [['chromium', manifest], ['firefox', firefoxManifest(manifest)]]) {
  const dir = join(out, browser);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  cpSync(src, dir, { recursive: true, filter: (path) => !path.endsWith('.test.js') && !path.endsWith('manifest.json') });
  writeFileSync(join(dir, 'manifest.json'), `${JSON.stringify(m, null, 2)}\n`);
  for (const lang of readdirSync(join(src, '_locales'))) {
    writeFileSync(join(dir, '_locales', lang, 'messages.json'), `${JSON.stringify(localeWith(lang), null, 2)}\n`);
  }
  console.log(`${browser}: ${dir}`);
}
