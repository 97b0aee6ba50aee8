import { test, describe } from 'node:test';
import assert from 'node:assert/strict';

import { ErrorCode, ExtensionError, pageError } from './errors.js';

describe('ExtensionError', () => {
  test('carries code, message and details', () => {
    const e = new ExtensionError('ERR_BUSY', 'busy now', { x: 1 });
    assert.ok(e instanceof Error);
    assert.equal(e.code, 'ERR_BUSY');
    assert.equal(e.message, 'busy now');
    assert.deepEqual(e.details, { x: 1 });
    assert.equal(new ExtensionError('ERR_TIMEOUT').message, 'ERR_TIMEOUT', 'the code stands in for a missing message');
  });

  test('fromHost keeps code, message and the rest as details', () => {
    const e = ExtensionError.fromHost({ code: 'ERR_PIN_INCORRECT', message: 'wrong', pinState: 'final-try', triesLeft: 1 });
    assert.equal(e.code, 'ERR_PIN_INCORRECT');
    assert.equal(e.message, 'wrong');
    assert.deepEqual(e.details, { pinState: 'final-try', triesLeft: 1 });
  });

  test('fromHost of nonsense is ERR_INTERNAL', () => {
    for (const error of [undefined, null, {}, { code: 5 }, { code: { x: 1 } }]) {
      assert.equal(ExtensionError.fromHost(error).code, ErrorCode.INTERNAL, JSON.stringify(error));
    }
  });

  test('toPage shows code, message and only the details a page may see', () => {
    const e = ExtensionError.fromHost({
      code: 'ERR_PKCS11', message: 'failed', pkcs11Error: 'CKR_DEVICE_ERROR', reason: 'r', triesLeft: 2, pinState: 'ok',
      module: '/usr/lib/secret.so', configFile: '/etc/cardbound/host.json',
    });
    assert.deepEqual(e.toPage(), {
      code: 'ERR_PKCS11', message: 'failed', pkcs11Error: 'CKR_DEVICE_ERROR', reason: 'r', triesLeft: 2, pinState: 'ok',
    });
    assert.deepEqual(new ExtensionError('ERR_BUSY', 'b').toPage(), { code: 'ERR_BUSY', message: 'b' });
  });

  test('toPage shows both protocol versions of ERR_HOST_VERSION, also a host that named none', () => {
    const e = new ExtensionError(ErrorCode.HOST_VERSION, 'v', { hostProtocol: 1, protocol: 2, version: '0.1.0' });
    assert.deepEqual(e.toPage(), { code: 'ERR_HOST_VERSION', message: 'v', hostProtocol: 1, protocol: 2 });
    assert.deepEqual(new ExtensionError(ErrorCode.HOST_VERSION, 'v', { hostProtocol: null, protocol: 2 }).toPage(),
      { code: 'ERR_HOST_VERSION', message: 'v', hostProtocol: null, protocol: 2 });
  });
});

describe('pageError', () => {
  test('an ExtensionError as the page sees it', () => {
    assert.deepEqual(pageError(new ExtensionError('ERR_NO_CARD', 'no card', { reason: 'x', secret: 1 })),
      { code: 'ERR_NO_CARD', message: 'no card', reason: 'x' });
  });

  test('anything else is a vague ERR_INTERNAL', () => {
    for (const e of [new TypeError("Cannot read properties of undefined (reading 'x') at /ext/background/index.js"), 'text', null, undefined]) {
      const out = pageError(e);
      assert.equal(out.code, 'ERR_INTERNAL');
      assert.equal(out.message.includes('index.js'), false);
      assert.deepEqual(Object.keys(out).sort(), ['code', 'message']);
    }
  });
});

test('ErrorCode is frozen and its values are their names with ERR_', () => {
  assert.ok(Object.isFrozen(ErrorCode));
  for (const [k, v] of Object.entries(ErrorCode)) assert.equal(v, `ERR_${k}`);
});

test('ErrorCode has the version codes of docs/protocol.md section 7', () => {
  assert.equal(ErrorCode.HOST_VERSION, 'ERR_HOST_VERSION');
  assert.equal(ErrorCode.EXTENSION_VERSION, 'ERR_EXTENSION_VERSION');
});
