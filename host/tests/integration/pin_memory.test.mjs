// The PIN is wiped on every path: after the host has refused a request that
// carried a PIN — for each way a request can be refused — no byte sequence
// of that PIN is left anywhere in the host's writable memory (heap, stacks,
// data), as read through /proc/PID/mem. A string the host is known to keep
// (a pending login's origin) is found by the same scan, so the scan can see
// what it looks for.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { closeSync, openSync, readFileSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { Host, benchEnv, fingerprintOf, serverMessage } from './host_client.mjs';
import { ORIGIN, serverFiles } from './login_flow.mjs';

const env = benchEnv();
const pki = env.CARDBOUND_PKI_DIR;
const fingerprint = fingerprintOf(join(pki, 'client-p256.pem'));
let host;

before(() => {
  host = new Host({ modules: [env.CARDBOUND_SOFTHSM_MODULE], caFiles: [join(pki, 'root-ca.pem')] });
});
after(async () => {
  const { code, signal } = await host.close();
  assert.equal(signal, null);
  assert.equal(code, 0);
});

// A PIN no other byte sequence in the process will match by chance.
const newPin = (length = 64) => randomBytes(length).toString('hex').slice(0, length);
// What to look for: every 12 characters of the PIN, at every 8th: freeing a
// block overwrites its first bytes with the allocator's pointers, which may
// cut a PIN left in it but leaves the rest.
const pieces = (pin) => {
  const out = [];
  for (let i = 0; i + 12 <= pin.length; i += 8) out.push(pin.slice(i, i + 12));
  return out;
};

// Every writable mapping of the process, searched for each needle.
function scanMemory(pid, needles) {
  const found = new Map(needles.map((n) => [n, []]));
  const mem = openSync(`/proc/${pid}/mem`, 'r');
  try {
    for (const line of readFileSync(`/proc/${pid}/maps`, 'utf8').split('\n')) {
      const m = line.match(/^([0-9a-f]+)-([0-9a-f]+) (rw..) \S+ \S+ \S+\s*(.*)$/);
      if (!m) continue;
      const start = Number.parseInt(m[1], 16);
      const size = Number.parseInt(m[2], 16) - start;
      if (size > 256 * 1024 * 1024) continue;
      const buf = Buffer.alloc(size);
      let got = 0;
      try {
        got = readSync(mem, buf, 0, size, start);
      } catch {
        continue; // a guard page or a mapping gone meanwhile
      }
      const region = buf.subarray(0, got);
      for (const n of needles) if (region.includes(Buffer.from(n))) found.get(n).push(m[4] || 'anonymous');
    }
  } finally {
    closeSync(mem);
  }
  return found;
}

async function verifiedLogin() {
  const begin = await host.call('begin-login', { origin: ORIGIN });
  const challenge = serverMessage('challenge', { ...serverFiles(pki), origin: ORIGIN, 'host-nonce': begin.hostNonce });
  await host.call('verify-server', { origin: ORIGIN, args: { loginId: begin.loginId, challenge } });
  return begin.loginId;
}

// Each refusal path: a PIN of its own, what the host answers.
const paths = [
  ['bad JSON', 'ERR_BAD_REQUEST', async (pin) => host.sendRaw(host.frame(`{"id":"x1","command":"authenticate","arguments":{"pin":"${pin}"`))],
  ['an unknown top-level field', 'ERR_BAD_REQUEST', async (pin) => host.sendRaw(host.frame({ id: 'x2', command: 'authenticate', extra: 1, arguments: { pin } }))],
  ['an origin that may not use a card', 'ERR_ORIGIN_NOT_ALLOWED', async (pin) => host.request('authenticate', { origin: 'http://example.org', args: { pin } })],
  ['a command that takes no PIN', 'ERR_BAD_REQUEST', async (pin) => host.request('begin-login', { origin: ORIGIN, args: { pin } })],
  ['an unknown command', 'ERR_UNKNOWN_COMMAND', async (pin) => host.request('sign-everything', { origin: ORIGIN, args: { pin } })],
  ['an unknown login', 'ERR_LOGIN_UNKNOWN', async (pin) => host.request('authenticate', { origin: ORIGIN, args: { loginId: 'nope', certificate: fingerprint, pin } })],
  ['a login whose server was not verified', 'ERR_BAD_REQUEST', async (pin) => {
    const { loginId } = await host.call('begin-login', { origin: ORIGIN });
    return host.request('authenticate', { origin: ORIGIN, args: { loginId, certificate: fingerprint, pin } });
  }],
  ['a PIN too long', 'ERR_PIN_INVALID', async (pin) => host.request('authenticate', { origin: ORIGIN, args: { loginId: await verifiedLogin(), certificate: fingerprint, pin } }), 300], // over 64: refused before any card
  ['a certificate on no card', 'ERR_CERTIFICATE_NOT_FOUND', async (pin) => host.request('authenticate', { origin: ORIGIN, args: { loginId: await verifiedLogin(), certificate: 'ab'.repeat(32), pin } })],
  ['a wrong PIN, refused by the card', 'ERR_PIN_INCORRECT', async (pin) => host.request('authenticate', { origin: ORIGIN, args: { loginId: await verifiedLogin(), certificate: fingerprint, pin } })],
  ['a message over the size limit', 'ERR_MESSAGE_TOO_LARGE', async (pin) => host.sendRaw(host.frame({ id: 'x3', command: 'authenticate', arguments: { pin, pad: 'p'.repeat(300 * 1024) } }))],
];

test('no refused request leaves its PIN in the host\'s memory', async () => {
  const pins = [];
  for (const [what, code, send, length] of paths) {
    const pin = newPin(length);
    pins.push([what, pin]);
    const answer = await send(pin);
    if (answer) assert.equal(answer.error?.code, code, `${what}: ${JSON.stringify(answer)}`);
  }
  // The three raw sends are answered too (the client matches no id to them).
  const deadline = performance.now() + 10_000;
  while ((host.unmatched ?? []).length < 3 && performance.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  assert.deepEqual((host.unmatched ?? []).map((m) => m.error?.code),
    ['ERR_BAD_REQUEST', 'ERR_BAD_REQUEST', 'ERR_MESSAGE_TOO_LARGE']);

  // A string the host keeps, for the scan to find.
  const control = `https://kept-${newPin(16)}.example`;
  await host.call('begin-login', { origin: control });
  await host.call('status'); // the loop is past every request above
  await new Promise((r) => setTimeout(r, 300)); // and the card threads past theirs

  const found = scanMemory(host.proc.pid, [control, ...pins.flatMap(([, pin]) => pieces(pin))]);
  assert.ok(found.get(control).length > 0, 'the scan finds a string the host keeps');
  const left = pins.filter(([, pin]) => pieces(pin).some((p) => found.get(p).length > 0)).map(([what]) => what);
  assert.deepEqual(left, [], 'refusals whose PIN (or 12 characters of it) is still in memory');
});
