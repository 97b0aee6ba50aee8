// protocol/generate.mjs catches drift: a copy of the tree with one thing
// changed in one place only fails --check, naming that place; --write then
// --check brings a changed registry into every file.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, test } from 'node:test';
import { listFiles } from './lib/scans.mjs';

const here = dirname(new URL(import.meta.url).pathname);
const tree = join(here, '..');
const generator = join(here, 'generate.mjs');
const files = listFiles(tree);
const copies = [];
after(() => {
  for (const dir of copies) rmSync(dir, { recursive: true, force: true });
});

// A copy of the tree's files (not a git checkout: the generator walks it).
function copy() {
  const dir = mkdtempSync(join(tmpdir(), 'cardbound-registry-'));
  copies.push(dir);
  for (const f of files) {
    mkdirSync(dirname(join(dir, f)), { recursive: true });
    cpSync(join(tree, f), join(dir, f));
  }
  return dir;
}

const run = (root, mode) => {
  const r = spawnSync(process.execPath, [generator, mode, '--root', root], { encoding: 'utf8' });
  return { status: r.status, out: r.stdout + r.stderr };
};
const change = (root, file, from, to) => {
  const text = readFileSync(join(root, file), 'utf8');
  assert.ok(text.includes(from), `${file} has ${JSON.stringify(from)}`);
  writeFileSync(join(root, file), text.replace(from, to));
};
const fails = (root, ...named) => {
  const { status, out } = run(root, '--check');
  assert.equal(status, 1, out);
  for (const n of named) assert.ok(out.includes(n), `the report names ${n}:\n${out}`);
  return out;
};
// A code no registry will ever hold, spelled so that this file does not hold it either.
const madeUp = ['ERR', 'FROM', 'NOWHERE'].join('_');

test('--help tells what it does', () => {
  const r = spawnSync(process.execPath, [generator, '--help'], { encoding: 'utf8' });
  assert.equal(r.status, 0);
  for (const word of ['--check', '--write', '--root', 'registry.json']) assert.ok(r.stdout.includes(word), word);
  assert.equal(spawnSync(process.execPath, [generator], { encoding: 'utf8' }).status, 2, 'neither --check nor --write');
});

test('the tree as it is agrees with the registry', () => {
  const { status, out } = run(copy(), '--check');
  assert.equal(status, 0, out);
});

test('an error code the registry lacks, in the extension only', () => {
  const root = copy();
  change(root, 'extension/src/shared/errors.js', 'export { ErrorCode };', `export { ErrorCode };\nexport const NEW = '${madeUp}';`);
  fails(root, `extension/src/shared/errors.js:`, `${madeUp} is not a code of the registry`);
});

test('an enumerator added to the generated registry.h by hand', () => {
  const root = copy();
  change(root, 'common/src/cardbound/protocol/registry.h', '    BadRequest,\n', '    BadRequest,\n    Teapot,\n');
  fails(root, 'common/src/cardbound/protocol/registry.h: differs from the registry');
});

test('a missing Estonian word', () => {
  const root = copy();
  const file = 'js/cardbound.js';
  const text = readFileSync(join(root, file), 'utf8');
  const et = text.indexOf('  et: {');
  const line = /\n {6}ERR_PIN_BLOCKED: '[^\n]*/.exec(text.slice(et));
  writeFileSync(join(root, file), text.slice(0, et) + text.slice(et).replace(line[0], ''));
  fails(root, 'messages.et.errors has no words for ERR_PIN_BLOCKED');
});

test('words for a server code the registry does not know', () => {
  const root = copy();
  change(root, 'js/cardbound.js', '      SESSION_EXISTS:', "      CERT_STOLEN: 'Stolen.',\n      SESSION_EXISTS:");
  fails(root, 'messages.en.serverCodes has words for CERT_STOLEN, which the registry does not know');
});

test('a server code the registry does not know, in the relying party', () => {
  const root = copy();
  change(root, 'server/src/http/router.cpp', 'registry::HttpErrorCode::Internal)', 'registry::HttpErrorCode::Internal) && "CERT_STOLEN"');
  fails(root, 'server/src/http/router.cpp:', '"CERT_STOLEN" is not a validation or HTTP error code');
});

test('another version in package.json', () => {
  const root = copy();
  const { version } = JSON.parse(readFileSync(join(root, 'protocol/registry.json'), 'utf8'));
  change(root, 'package.json', `"version": "${version}"`, '"version": "9.8.7"');
  fails(root, 'package.json:3: version is 9.8.7');
});

test('a generated table edited by hand', () => {
  const root = copy();
  change(root, 'docs/protocol.md', '| `ERR_PIN_BLOCKED` |', '| `ERR_PIN_BLOCKED` | (edited) |');
  fails(root, 'docs/protocol.md: region host-errors differs');
});

test('a host limit that no longer agrees (code the generator does not write)', () => {
  const root = copy();
  const text = readFileSync(join(root, 'host/src/messaging/frame.h'), 'utf8');
  writeFileSync(join(root, 'host/src/messaging/frame.h'), text.replace(/kMaxRequestSize = [^;]+;/, 'kMaxRequestSize = 128 * 1024;'));
  fails(root, 'host/src/messaging/frame.h:', 'maxRequestBytes is 128 * 1024');
});

test('a host command the registry lacks', () => {
  const root = copy();
  change(root, 'host/src/commands/dispatcher.cpp', '{"status", handle_status},', '{"status", handle_status},\n        {"make-coffee", handle_status},');
  fails(root, 'host/src/commands/dispatcher.cpp: the host\'s commands include make-coffee');
});

test('a new registry version: --write rewrites every copy, then --check passes', () => {
  const root = copy();
  const registryFile = join(root, 'protocol/registry.json');
  const registry = JSON.parse(readFileSync(registryFile, 'utf8'));
  const old = registry.version;
  writeFileSync(registryFile, readFileSync(registryFile, 'utf8').replace(`"version": "${old}"`, '"version": "9.8.7"'));
  fails(root, 'package.json', 'common/src/cardbound/protocol/registry.h', 'js/cardbound.js: region version');
  const written = run(root, '--write');
  assert.equal(written.status, 0, written.out);
  for (const f of ['package.json', 'package-lock.json', 'common/src/cardbound/protocol/registry.h', 'extension/src/shared/registry.js',
    'js/cardbound.js', 'docs/protocol.md', 'packaging/README.md']) assert.ok(written.out.includes(`rewrote ${f}`), `${f}:\n${written.out}`);
  const checked = run(root, '--check');
  assert.equal(checked.status, 0, checked.out);
  assert.match(readFileSync(join(root, 'js/cardbound.js'), 'utf8'), /export const VERSION = '9\.8\.7';/);
  assert.match(readFileSync(join(root, 'packaging/README.md'), 'utf8'), /cardbound-host_9\.8\.7_amd64\.deb/);
  assert.doesNotMatch(readFileSync(join(root, 'packaging/README.md'), 'utf8'), new RegExp(old.replaceAll('.', '\\.')));
  assert.doesNotMatch(run(root, '--write').out, /rewrote/, 'a second --write has nothing to do');
});

test('a new code in the registry: --write spreads it, --check asks for its words', () => {
  const root = copy();
  const registryFile = join(root, 'protocol/registry.json');
  const registry = JSON.parse(readFileSync(registryFile, 'utf8'));
  registry.errors.push({
    code: 'ERR_CARD_TOO_HOT', raisedBy: ['host'], meaning: 'the card is too hot', callerDoes: 'wait', cause: 'sun', fix: 'shade',
  });
  writeFileSync(registryFile, JSON.stringify(registry, null, 2));
  const written = run(root, '--write');
  assert.equal(written.status, 1, 'words only a person can write are missing');
  assert.ok(written.out.includes('messages.en.errors has no words for ERR_CARD_TOO_HOT'), written.out);
  assert.ok(written.out.includes('messages.et.errors has no words for ERR_CARD_TOO_HOT'), written.out);
  assert.match(readFileSync(join(root, 'common/src/cardbound/protocol/registry.h'), 'utf8'), /CardTooHot,\n/);
  assert.match(readFileSync(join(root, 'docs/protocol.md'), 'utf8'), /\| `ERR_CARD_TOO_HOT` \| host \| the card is too hot \| wait \|/);
  assert.match(readFileSync(join(root, 'extension/src/shared/registry.js'), 'utf8'), /CARD_TOO_HOT: 'ERR_CARD_TOO_HOT'/);
});

test('a registry that could not generate sound code is refused', () => {
  const root = copy();
  const registryFile = join(root, 'protocol/registry.json');
  const registry = JSON.parse(readFileSync(registryFile, 'utf8'));
  registry.errors.push({ ...registry.errors[0] });
  writeFileSync(registryFile, JSON.stringify(registry, null, 2));
  const { status, out } = run(root, '--check');
  assert.equal(status, 2);
  assert.match(out, /ERR_BAD_REQUEST is there twice/);
});
