// cardbound-pkcs11-fault through pkcs11-tool, with two private SoftHSM2
// tokens made by tests/integration/fault_module.mjs from the bench's PKI.
import { test, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { benchEnv } from '../integration/bench_env.mjs';
import { makeFaultTokens } from '../integration/fault_module.mjs';

const bench = benchEnv();
const pin = bench.CARDBOUND_USER_PIN;
const keys = { 'fault-a': 'client-p256', 'fault-b': 'client-p384' };
let tokens;
let digest;

before(() => {
  tokens = makeFaultTokens({ pkiDir: bench.CARDBOUND_PKI_DIR, labels: Object.keys(keys), keys, pin });
  assert.ok(existsSync(tokens.modulePath), `build ${tokens.modulePath} first`);
  digest = join(tokens.dir, 'digest');
  writeFileSync(digest, createHash('sha256').update('cardbound fault test').digest());
});
after(() => tokens?.cleanup());
beforeEach(() => tokens.clearFaults());

function tool(args, env = {}) {
  const started = performance.now();
  const r = spawnSync('pkcs11-tool', ['--module', tokens.modulePath, ...args],
    { env: { ...process.env, ...tokens.env, ...env }, encoding: 'utf8', timeout: 60000 });
  return { ...r, ms: performance.now() - started, text: `${r.stdout}${r.stderr}` };
}

// Raw ECDSA over a SHA-256 digest (SoftHSM2 2.6 has no ECDSA-SHA256), checked
// by openssl against the certificate, so a forwarded C_Sign is shown real.
function sign(label) {
  const out = join(tokens.dir, `${label}.sig`);
  const r = tool(['--token-label', label, '--login', '--pin', pin, '--sign', '-m', 'ECDSA',
    '--signature-format', 'openssl', '--id', '01', '-i', digest, '-o', out]);
  if (r.status !== 0) return { ...r, verified: false };
  const pem = join(bench.CARDBOUND_PKI_DIR, `${keys[label]}.pem`);
  const pub = join(tokens.dir, `${label}.pub`);
  writeFileSync(pub, execFileSync('openssl', ['x509', '-in', pem, '-pubkey', '-noout']));
  const v = spawnSync('openssl', ['pkeyutl', '-verify', '-pubin', '-inkey', pub, '-in', digest, '-sigfile', out],
    { encoding: 'utf8' });
  return { ...r, verified: v.status === 0 };
}

const count = (text, re) => (text.match(new RegExp(re, `${re.flags ?? ''}g`)) ?? []).length;
const listed = (text) => count(text, /^Slot \d+ /m);

test('with no rules both tokens are listed and both sign', () => {
  const r = tool(['-L']);
  assert.equal(r.status, 0, r.text);
  assert.match(r.stdout, /token label\s+: fault-a\n/);
  assert.match(r.stdout, /token label\s+: fault-b\n/);
  assert.equal(r.stderr, '', 'the module says nothing when no fault fires');
  for (const label of Object.keys(keys)) {
    const s = sign(label);
    assert.equal(s.status, 0, s.text);
    assert.ok(s.verified, `openssl verifies the signature of ${label}`);
  }
});

test('C_Sign fault-a rv=CKR_DEVICE_REMOVED: fault-a cannot sign, fault-b still signs', () => {
  tokens.setFaults(['C_Sign fault-a rv=CKR_DEVICE_REMOVED']);
  const a = sign('fault-a');
  assert.notEqual(a.status, 0, a.text);
  assert.match(a.stderr, /C_Sign on token 'fault-a': line 1 .*answers CKR_DEVICE_REMOVED \(0x32\) without forwarding/);
  // pkcs11-tool answers a failed C_Sign by signing again in parts (C_SignInit,
  // C_SignUpdate). The module ended SoftHSM2's sign operation as a failed
  // C_Sign does, so C_SignInit works again (else CKR_OPERATION_ACTIVE); then
  // SoftHSM2 refuses raw ECDSA in parts.
  assert.doesNotMatch(a.stderr, /CKR_OPERATION_ACTIVE/);
  assert.match(a.stderr, /C_SignUpdate failed: rv = CKR_OPERATION_NOT_INITIALIZED/);
  const b = sign('fault-b');
  assert.equal(b.status, 0, b.text);
  assert.ok(b.verified);

  // A card that is gone fails C_SignInit too, which pkcs11-tool reports itself.
  tokens.setFaults(['C_SignInit fault-a rv=CKR_DEVICE_REMOVED', 'C_Sign fault-a rv=CKR_DEVICE_REMOVED']);
  const gone = sign('fault-a');
  assert.notEqual(gone.status, 0);
  assert.match(gone.stderr, /C_SignInit failed: rv = CKR_DEVICE_REMOVED/);
  assert.ok(sign('fault-b').verified);
});

test('a once rule fires a single time in a process; without once it fires at every call', () => {
  // pkcs11-tool -L asks C_GetTokenInfo once per slot (fault-a, fault-b and
  // SoftHSM2's free slot).
  tokens.setFaults(['C_GetTokenInfo * rv=CKR_DEVICE_ERROR once']);
  const once = tool(['-L']);
  assert.equal(listed(once.stdout), 3, once.text);
  assert.equal(count(once.stdout, /C_GetTokenInfo\(\) failed: rv = CKR_DEVICE_ERROR/), 1, once.text);
  assert.equal(count(once.stderr, /C_GetTokenInfo on token/), 1, once.text);

  tokens.setFaults(['C_GetTokenInfo * rv=CKR_DEVICE_ERROR']);
  const always = tool(['-L']);
  assert.equal(count(always.stdout, /C_GetTokenInfo\(\) failed: rv = CKR_DEVICE_ERROR/), 3, always.text);
});

test('the control file is read again while the process runs, and writing it again arms once rules again', async () => {
  // pkcs11-tool -L makes three C_GetTokenInfo calls. The first waits; while it
  // does, the same once rule is written again, so the second waits too; while
  // that one does, an error is asked for, which the third gets.
  const pause = 'C_GetTokenInfo * delay=1000 once';
  tokens.setFaults([pause]);
  const child = spawn('pkcs11-tool', ['--module', tokens.modulePath, '-L'], { env: { ...process.env, ...tokens.env } });
  let stdout = '';
  let stderr = '';
  const waiters = [];
  child.stdout.on('data', (d) => { stdout += d; });
  child.stderr.on('data', (d) => {
    stderr += d;
    for (const w of waiters.filter((x) => count(stderr, /waits 1000 ms/) >= x.n)) w.resolve();
  });
  const exited = new Promise((resolve) => child.on('exit', resolve));
  const waitsFor = (n) => Promise.race([exited, new Promise((resolve) => waiters.push({ n, resolve }))]);
  await waitsFor(1);
  tokens.setFaults([pause]);
  await waitsFor(2);
  tokens.setFaults(['C_GetTokenInfo * rv=CKR_TOKEN_NOT_PRESENT']);
  assert.equal(await exited, 0, stderr);
  assert.equal(listed(stdout), 3, stdout);
  assert.equal(count(stderr, /waits 1000 ms/), 2, stderr);
  assert.equal(count(stdout, /C_GetTokenInfo\(\) failed: rv = CKR_TOKEN_NOT_PRESENT/), 1, `${stdout}${stderr}`);
});

test('C_Login fault-a delay=1500 makes the login take at least 1.5 s, and fault-a still signs', () => {
  tokens.setFaults(['C_Login fault-a delay=1500']);
  const s = sign('fault-a');
  assert.equal(s.status, 0, s.text);
  assert.ok(s.verified);
  assert.ok(s.ms >= 1500, `took ${s.ms} ms`);
  assert.match(s.stderr, /C_Login on token 'fault-a': .*waits 1500 ms, then forwards the call/);
});

for (const [rule, label, expected] of [
  ['C_Login fault-b rv=CKR_PIN_LOCKED', 'fault-b', /C_Login failed: rv = CKR_PIN_LOCKED/],
  ['C_OpenSession fault-a rv=0xe0', 'fault-a', /C_OpenSession failed: rv = CKR_TOKEN_NOT_PRESENT/],
  ['C_FindObjectsInit * rv=CKR_DEVICE_ERROR', 'fault-b', /C_FindObjectsInit failed: rv = CKR_DEVICE_ERROR/],
  ['C_Login fault-a rv=CKR_DEVICE_ERROR after', 'fault-a', /C_Login failed: rv = CKR_DEVICE_ERROR/],
]) {
  test(`${rule}: pkcs11-tool gets the error`, () => {
    tokens.setFaults([rule]);
    const s = sign(label);
    assert.notEqual(s.status, 0, s.text);
    assert.match(s.stderr, expected);
    assert.match(s.stderr, rule.endsWith('after') ? /after forwarding the call/ : /without forwarding the call/);
  });
}

test('delay and rv together: the error comes after the wait', () => {
  tokens.setFaults(['C_Sign fault-b delay=300 rv=CKR_DEVICE_ERROR once']);
  const s = sign('fault-b');
  assert.notEqual(s.status, 0);
  assert.ok(s.ms >= 300, `took ${s.ms} ms`);
  assert.match(s.stderr, /C_Sign on token 'fault-b': .*waits 300 ms, then answers CKR_DEVICE_ERROR \(0x30\)/);
});

test('lines that are no rule are ignored with one warning each; the good rules still work', () => {
  const bad = ['this is not a rule', 'C_Sign fault-a rv=CKR_NO_SUCH_THING', 'C_Login * delay=soon',
    'C_Sign fault-a once', 'C_Frobnicate * rv=CKR_DEVICE_ERROR', `C_Sign ${'x'.repeat(33)} rv=5`];
  tokens.setFaults(['# a comment', '', ...bad, 'C_GetTokenInfo fault-b rv=CKR_DEVICE_ERROR  # the one good rule']);
  const r = tool(['-L']);
  assert.equal(r.status, 0, r.text);
  for (const [i, line] of bad.entries()) {
    assert.equal(count(r.stderr, `faults\\.conf:${i + 3}: line ignored: .*: ${line.replace(/[*.]/g, '\\$&')}\\n`), 1,
      `one warning for line ${i + 3}:\n${r.stderr}`);
  }
  assert.equal(count(r.stdout, /C_GetTokenInfo\(\) failed: rv = CKR_DEVICE_ERROR/), 1, r.text);
  assert.match(r.stdout, /token label\s+: fault-a\n/);
});

test('a missing target module: C_GetFunctionList fails and the module says why', () => {
  const missing = join(tokens.dir, 'no-such-module.so');
  const r = tool(['-L'], { CARDBOUND_FAULT_TARGET: missing });
  assert.notEqual(r.status, 0);
  assert.ok(r.stderr.includes(`CARDBOUND_FAULT_TARGET ${missing} cannot be loaded`), r.stderr);
  assert.match(r.text, /C_GetFunctionList failed 5|Failed to load pkcs11 module/); // 5: CKR_GENERAL_ERROR

  const unset = tool(['-L'], { CARDBOUND_FAULT_TARGET: '' });
  assert.notEqual(unset.status, 0);
  assert.match(unset.stderr, /CARDBOUND_FAULT_TARGET is not set/);
});

test('CARDBOUND_FAULT_LOG takes the fired faults off stderr', () => {
  const logFile = join(tokens.dir, 'fired.log');
  tokens.setFaults(['C_Login fault-b rv=CKR_PIN_LOCKED']);
  const r = spawnSync('pkcs11-tool', ['--module', tokens.modulePath, '--token-label', 'fault-b', '--login', '--pin', pin, '-O'],
    { env: { ...process.env, ...tokens.env, CARDBOUND_FAULT_LOG: logFile }, encoding: 'utf8' });
  assert.notEqual(r.status, 0);
  assert.doesNotMatch(r.stderr, /cardbound-pkcs11-fault/);
  assert.match(readFileSync(logFile, 'utf8'), /C_Login on token 'fault-b': .*CKR_PIN_LOCKED/);
});
