#!/usr/bin/env node
// Builds the extension packages from src/: one source, two browsers.
//   chromium/  Manifest V3 with a service worker and the fixed-id `key`
//   firefox/   Manifest V3 with background scripts and a gecko id
// Unit tests (*.test.js) stay out of the packages.
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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
const manifest = JSON.parse(readFileSync(join(src, 'manifest.json'), 'utf8'));

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
  console.log(`${browser}: ${dir}`);
}
