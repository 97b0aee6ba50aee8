import { test, describe } from 'node:test';
import assert from 'node:assert/strict';

import { identifier, onlyKeys, plainObject, senderOrigin } from './validate.js';
import { ExtensionError } from './errors.js';

const badRequest = (e) => {
  assert.ok(e instanceof ExtensionError);
  assert.equal(e.code, 'ERR_BAD_REQUEST');
  return true;
};

describe('plainObject', () => {
  test('accepts objects and returns them', () => {
    const o = { a: 1 };
    assert.equal(plainObject(o, 'x'), o);
    assert.deepEqual(plainObject({}, 'x'), {});
  });
  test('refuses null, arrays and primitives, naming the argument', () => {
    for (const v of [null, undefined, [], [1], 'o', 1, true]) {
      assert.throws(() => plainObject(v, 'challenge'), (e) => badRequest(e) && /'challenge'/.test(e.message), String(v));
    }
  });
});

describe('identifier', () => {
  test('accepts 1-64 characters of A-Z a-z 0-9 - _', () => {
    for (const v of ['a', 'Z', '0', '-', '_', 'jnyefFDGlaZn59q20UsfdQ', 'x'.repeat(64), 'q5b3Q0xW2J4lF9-3c2yJ0g']) {
      assert.equal(identifier(v, 'id'), v);
    }
  });
  test('refuses anything else', () => {
    for (const v of ['', 'x'.repeat(65), 'a b', 'a.b', 'a/b', 'a+b', 'a=', 'é', 'a\n', '\na', 5, null, undefined, {}, ['a']]) {
      assert.throws(() => identifier(v, 'loginId'), (e) => badRequest(e) && /'loginId'/.test(e.message), JSON.stringify(v));
    }
  });
});

describe('onlyKeys', () => {
  test('allows the named keys, all or some', () => {
    assert.deepEqual(onlyKeys({ a: 1 }, ['a', 'b']), { a: 1 });
    assert.deepEqual(onlyKeys({}, []), {});
  });
  test('refuses any other key, and non-objects', () => {
    assert.throws(() => onlyKeys({ a: 1, c: 2 }, ['a', 'b']), (e) => badRequest(e) && /'c'/.test(e.message));
    assert.throws(() => onlyKeys({ toString: 1 }, []), badRequest);
    assert.throws(() => onlyKeys(JSON.parse('{"__proto__": {}}'), []), badRequest);
    for (const v of [null, [], 'x']) assert.throws(() => onlyKeys(v, []), badRequest);
  });
});

describe('senderOrigin', () => {
  test('takes sender.origin when there is one', () => {
    assert.equal(senderOrigin({ origin: 'https://a.example', url: 'https://b.example/x' }), 'https://a.example');
  });
  test('else the origin of sender.url', () => {
    assert.equal(senderOrigin({ url: 'https://a.example:8443/path?q#f' }), 'https://a.example:8443');
    assert.equal(senderOrigin({ url: 'http://localhost:8080/' }), 'http://localhost:8080');
  });
  test('refuses what is not a web page', () => {
    for (const sender of [
      {}, undefined, null, { origin: 'null' }, { origin: 'chrome-extension://abc' }, { url: 'chrome-extension://abc/ui/pin.html' },
      { url: 'file:///etc/passwd' }, { url: 'about:blank' }, { origin: 5 },
    ]) assert.throws(() => senderOrigin(sender), badRequest, JSON.stringify(sender));
  });
});
