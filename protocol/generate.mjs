#!/usr/bin/env node
// Makes the tree agree with protocol/registry.json, the one source of
// Cardbound's version, error codes, reasons, names, limits and lifetimes.
// No npm packages: node's own modules only.
//
// It owns three kinds of text (protocol/lib/):
//   generated files    whole files (outputs.mjs)
//   generated regions  between BEGIN/END marker comments in hand-written files
//                      (outputs.mjs, regions.mjs)
//   stamps and sets    places that repeat a registry value: versions in package
//                      files and examples, limits in host code (places.mjs)
// and checks what a person must fix: unknown ERR_ codes and server codes in
// sources and guides, missing words in js/cardbound.js (scans.mjs).
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { outputs } from './lib/outputs.mjs';
import { registryValues, sets, stamps, valueOf } from './lib/places.mjs';
import { loadRegistry, REGISTRY, RegistryError } from './lib/registry.mjs';
import { styleOf, withRegion } from './lib/regions.mjs';
import { checkWords, listFiles, scanErrorCodes, scanRegions, scanServerCodes } from './lib/scans.mjs';

const usage = `Usage: node protocol/generate.mjs --check | --write [--root DIR]

Makes the tree agree with ${REGISTRY}: the version, every error code, reason,
action, command, event, limit and lifetime of the protocol.

  --check     change nothing. Name every generated file and region that differs
              from the registry, every place that repeats a registry value
              differently (versions in package files and examples, limits in
              host code), every ERR_ code in the sources and guides and every
              server code that the registry does not know, and every missing or
              unknown word in js/cardbound.js's messages. Exit status 1 if
              anything is named (ctest protocol_registry runs this).
  --write     rewrite the generated files and regions and the version stamps
              from the registry, then name what only a person can fix (as
              --check does): exit status 1 if anything is left.
  --root DIR  the tree to work on (default: the one holding this script).
  --help      this text.

Generated files and regions say so in their first line or marker comment:
edit the registry, never them. To release a new version, change "version" in
${REGISTRY} and run --write.`;

let opts;
try {
  opts = parseArgs({
    options: { check: { type: 'boolean' }, write: { type: 'boolean' }, root: { type: 'string' }, help: { type: 'boolean' } },
  }).values;
} catch (e) {
  console.error(`${e.message}\n\n${usage}`);
  process.exit(2);
}
if (opts.help) {
  console.log(usage);
  process.exit(0);
}
if (Boolean(opts.check) === Boolean(opts.write)) {
  console.error(`give --check or --write\n\n${usage}`);
  process.exit(2);
}
const root = resolve(opts.root ?? join(dirname(fileURLToPath(import.meta.url)), '..'));
const write = Boolean(opts.write);

let registry;
try {
  registry = loadRegistry(root);
} catch (e) {
  if (!(e instanceof RegistryError)) throw e;
  console.error(`protocol/generate.mjs: ${e.message}`);
  process.exit(2);
}

const problems = []; // what differs from the registry
const rewritten = [];

function read(file) {
  try {
    return readFileSync(join(root, file), 'utf8');
  } catch (e) {
    if (e.code === 'ENOENT') return null;
    throw e;
  }
}

// The first line where two texts part, for a short report.
function firstDifference(want, have) {
  const a = want.split('\n');
  const b = have.split('\n');
  const i = a.findIndex((line, n) => line !== b[n]);
  const n = i === -1 ? a.length : i;
  return `line ${n + 1}: expected ${JSON.stringify(a[n] ?? '(end of text)')}, found ${JSON.stringify(b[n] ?? '(end of text)')}`;
}

// Generated files and regions.
for (const output of outputs) {
  const have = read(output.file);
  let want;
  if (output.whole) {
    want = output.whole(registry);
    if (have === null) {
      if (!write) problems.push(`${output.file}: missing (a generated file)`);
    } else if (have !== want && !write) {
      problems.push(`${output.file}: differs from the registry (a generated file), ${firstDifference(want, have)}`);
    }
  } else {
    if (have === null) {
      problems.push(`${output.file}: missing (it holds generated regions)`);
      continue;
    }
    want = have;
    for (const [name, render] of Object.entries(output.regions)) {
      const result = withRegion(want, styleOf(output.file), name, render(registry));
      if (result.error) {
        problems.push(`${output.file}: ${result.error}`);
        continue;
      }
      if (result.text !== want && !write) {
        problems.push(`${output.file}: region ${name} differs from the registry, ${firstDifference(result.text, want)}`);
      }
      want = result.text;
    }
  }
  if (write && want !== have) {
    writeFileSync(join(root, output.file), want);
    rewritten.push(output.file);
  }
}

// Stamps: registry values repeated elsewhere.
const values = registryValues(registry);
const texts = new Map();
for (const stamp of stamps) {
  const text = texts.get(stamp.file) ?? read(stamp.file);
  if (text === null) {
    problems.push(`${stamp.file}: missing (it repeats registry values)`);
    continue;
  }
  const edits = [];
  const pattern = new RegExp(stamp.pattern.source, `${stamp.pattern.flags}d`);
  const matches = [...text.matchAll(pattern)];
  for (const m of matches) {
    const where = `${stamp.file}:${text.slice(0, m.index).split('\n').length}`;
    for (const [name, found] of Object.entries(m.groups)) {
      if (found === undefined) continue; // the registry's own constant
      const expected = values[name];
      if (valueOf(expected, found) === expected) continue;
      if (stamp.write && write) {
        edits.push({ at: m.indices.groups[name], text: String(expected) });
      } else {
        problems.push(`${where}: ${name} is ${found}, the registry says ${expected}${stamp.write ? '' : ' (not written by --write: change the code)'}`);
      }
    }
  }
  let next = text;
  for (const { at: [start, end], text: value } of edits.sort((a, b) => b.at[0] - a.at[0])) {
    next = next.slice(0, start) + value + next.slice(end);
  }
  if (matches.length === 0) problems.push(`${stamp.file}: no longer has the text ${stamp.pattern} (update protocol/lib/places.mjs)`);
  texts.set(stamp.file, next);
}
for (const [file, text] of texts) {
  if (write && text !== read(file)) {
    writeFileSync(join(root, file), text);
    rewritten.push(file);
  }
}

// Sets: names listed elsewhere, which must be the registry's.
for (const set of sets) {
  const names = new Set();
  for (const file of set.files) {
    const text = read(file);
    if (text === null) {
      problems.push(`${file}: missing (it lists ${set.what})`);
      continue;
    }
    for (const m of text.matchAll(set.pattern)) names.add(set.found(m));
  }
  const registered = registry[set.list].map((e) => e[set.key]);
  const where = set.files.join(', ');
  for (const name of registered) if (!names.has(name)) problems.push(`${where}: ${set.what} lack ${name}, which the registry has`);
  for (const name of names) if (!registered.includes(name)) problems.push(`${where}: ${set.what} include ${name}, which the registry does not have`);
}

// What a person must fix.
const files = listFiles(root);
problems.push(...scanErrorCodes(root, files, registry));
problems.push(...scanServerCodes(root, files, registry));
problems.push(...scanRegions(root, files, outputs));
problems.push(...(await checkWords(root, registry)));

for (const file of [...new Set(rewritten)]) console.log(`rewrote ${file}`);
if (problems.length) {
  console.error(`protocol/generate.mjs: ${problems.length} place(s) disagree with ${REGISTRY}:`);
  for (const p of problems) console.error(`  ${p}`);
  if (!write) console.error(`Generated text: run \`node protocol/generate.mjs --write\`. The rest: fix by hand, or add to the registry.`);
  process.exit(1);
}
console.log(`protocol/generate.mjs: the tree agrees with ${REGISTRY} (version ${registry.version}, protocol ${registry.protocolVersion})`);
