// The login window names every module it runs as a modulepreload, so that
// Chromium fetches them all at once instead of one level of imports after
// another (the window's load is most of the time before the user sees it;
// scripts/bench-browser prints it). This keeps the list whole as the
// imports change.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const ui = dirname(fileURLToPath(import.meta.url));

// Every module `file` imports, directly or not (paths relative to ui/).
function reached(file, seen = new Set()) {
  const source = readFileSync(file, 'utf8');
  for (const [, spec] of source.matchAll(/^import[^'"]*['"]([^'"]+)['"];?$/gm)) {
    const path = join(dirname(file), spec);
    const name = relative(ui, path);
    if (seen.has(name)) continue;
    seen.add(name);
    reached(path, seen);
  }
  return seen;
}

test('login.html preloads exactly the modules login.js reaches', () => {
  const html = readFileSync(join(ui, 'login.html'), 'utf8');
  const preloaded = [...html.matchAll(/<link rel="modulepreload" href="([^"]+)">/g)].map((m) => m[1]);
  assert.ok(preloaded.length > 0, 'no modulepreload in login.html');
  assert.deepEqual([...preloaded].sort(), [...reached(join(ui, 'login.js'))].sort());
});
