// The host's stdio contract with the browser: framing, limits, malformed
// input, unknown commands, clean exit at end of input.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { hostPath } from './host_client.mjs';

// The version the host must say: the protocol registry's.
const { version, protocolVersion } = JSON.parse(readFileSync(new URL('../../../protocol/registry.json', import.meta.url), 'utf8'));

const frame = (obj) => {
  const body = Buffer.from(typeof obj === 'string' ? obj : JSON.stringify(obj));
  const head = Buffer.alloc(4);
  head.writeUInt32LE(body.length);
  return Buffer.concat([head, body]);
};

function readAll(stdout) {
  const out = [];
  let b = stdout;
  while (b.length >= 4) {
    const n = b.readUInt32LE(0);
    out.push(JSON.parse(b.subarray(4, 4 + n)));
    b = b.subarray(4 + n);
  }
  return out;
}

function run(input, env = {}) {
  const r = spawnSync(hostPath, [], { input, env: { ...process.env, HOME: '/nonexistent', CARDBOUND_HOST_LOG: '/dev/null', ...env }, timeout: 20000 });
  return { status: r.status, signal: r.signal, messages: readAll(r.stdout), stdout: r.stdout };
}

test('--help and --version tell the truth', () => {
  const help = spawnSync(hostPath, ['--help'], { encoding: 'utf8' });
  assert.equal(help.status, 0);
  assert.match(help.stdout, /native messaging host/);
  assert.match(help.stdout, /CARDBOUND_HOST_CONFIG/);
  const v = spawnSync(hostPath, ['--version'], { encoding: 'utf8' });
  assert.ok(v.stdout.startsWith(`cardbound-host ${version} (protocol ${protocolVersion}`), v.stdout);
});

test('answers carry the request id; unknown commands and bad JSON get error codes', () => {
  const input = Buffer.concat([
    frame({ id: 'a', command: 'status' }),
    frame({ id: 'b', command: 'make-coffee' }),
    frame('{not json'),
    frame({ id: 'c', command: 'begin-login', origin: 'http://example.org' }),
    frame({ id: 'd', command: 'begin-login' }),
    frame({ id: 'e', command: 'status', arguments: { surprise: 1 } }),
  ]);
  const { status, signal, messages } = run(input);
  assert.equal(signal, null);
  assert.equal(status, 0, 'EOF on stdin ends the host cleanly');
  assert.deepEqual(messages.map((m) => [m.id, m.error?.code ?? 'ok']), [
    ['a', 'ok'], ['b', 'ERR_UNKNOWN_COMMAND'], [null, 'ERR_BAD_REQUEST'], ['c', 'ERR_ORIGIN_NOT_ALLOWED'],
    ['d', 'ERR_BAD_REQUEST'], ['e', 'ERR_BAD_REQUEST']]);
  assert.equal(messages[0].result.protocol, protocolVersion);
  assert.equal(messages[0].result.version, version);
});

test('an oversized message is refused with an error and the next one is answered', () => {
  const big = Buffer.alloc(300 * 1024, 0x20);
  const head = Buffer.alloc(4);
  head.writeUInt32LE(big.length);
  const { status, messages } = run(Buffer.concat([head, big, frame({ id: 'after', command: 'status' })]));
  assert.equal(status, 0);
  assert.equal(messages[0].error.code, 'ERR_MESSAGE_TOO_LARGE');
  assert.equal(messages[0].id, null);
  assert.equal(messages[1].id, 'after');
});

test('a message cut short ends the host without a crash', () => {
  const head = Buffer.alloc(4);
  head.writeUInt32LE(1000);
  const { status, signal, messages } = run(Buffer.concat([frame({ id: 'x', command: 'status' }), head, Buffer.from('{"id":')]));
  assert.equal(signal, null);
  assert.equal(status, 0);
  assert.equal(messages.length, 1);
});

test('nothing but framed messages reaches stdout', () => {
  const { stdout, messages } = run(Buffer.concat([frame({ id: 'a', command: 'status' }), frame({ id: 'b', command: 'list-certificates' })]));
  const framedLength = messages.reduce((n, m) => n + 4 + Buffer.byteLength(JSON.stringify(m)), 0);
  assert.equal(stdout.length, framedLength);
});

test('a broken configuration is reported by status and refuses the rest', async () => {
  const { mkdtempSync, writeFileSync } = await import('node:fs');
  const dir = mkdtempSync('/tmp/cardbound-badconf-');
  writeFileSync(`${dir}/host.json`, '{"pkcs11Modules": "not-a-list"}');
  const { messages } = run(Buffer.concat([frame({ id: 's', command: 'status' }), frame({ id: 'l', command: 'list-certificates' })]),
    { CARDBOUND_HOST_CONFIG: `${dir}/host.json` });
  assert.match(messages[0].result.configError, /pkcs11Modules/);
  assert.equal(messages[1].error.code, 'ERR_HOST_MISCONFIGURED');
});

test('a module that fails to load is reported in status, and nothing but frames reaches stdout', async () => {
  const { mkdtempSync, writeFileSync } = await import('node:fs');
  const dir = mkdtempSync('/tmp/cardbound-badmodule-');
  writeFileSync(`${dir}/host.json`, '{"pkcs11Modules": ["/nonexistent/module.so"], "logLevel": "debug"}');
  const r = run(frame({ id: 's', command: 'status' }), { CARDBOUND_HOST_CONFIG: `${dir}/host.json`, CARDBOUND_HOST_LOG: '' });
  assert.equal(r.messages.length, 1);
  assert.equal(r.stdout.length, 4 + Buffer.byteLength(JSON.stringify(r.messages[0])), 'no log line on stdout');
  assert.deepEqual(r.messages[0].result.modules.map((m) => [m.loaded, /cannot load/.test(m.error)]), [[false, true]]);
});
