// axe-core in a page of the browser tests: its findings, and an assertion
// that none is serious or critical.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

// axe-core's findings in the window, as "rule (impact): what ×n". `w` is a
// page that evaluates a string expression and awaits its promise: a
// Playwright page (Chromium) or a BiDi page of tests/firefox/harness.mjs.
// The extension's CSP forbids injected <script>s; evaluation is not bound by it.
export async function axeFindings(w) {
  await w.evaluate(`${axeSource}\n;void 0`);
  const violations = await w.evaluate(`globalThis.axe.run(document, { resultTypes: ['violations'] })
    .then((r) => r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.length })))`);
  return violations.map((v) => ({ id: v.id, impact: v.impact, text: `${v.id} (${v.impact}): ${v.help} ×${v.nodes}` }));
}

export async function assertAccessible(w, what) {
  const findings = await axeFindings(w);
  if (findings.length) console.log(`# axe, ${what}: ${findings.map((f) => f.text).join('; ')}`);
  const bad = findings.filter((f) => f.impact === 'serious' || f.impact === 'critical');
  assert.deepEqual(bad.map((f) => f.text), [], `${what}: serious or critical axe findings`);
}
