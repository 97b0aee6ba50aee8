import { test } from 'node:test';
import assert from 'node:assert/strict';

import { dnAttributes, issuerName, originPieces, siteIdentity } from './names.js';

test('a DN in its attributes, escapes undone', () => {
  assert.deepEqual(dnAttributes('C=EE, O=Cardbound Test, CN=localhost'), [['C', 'EE'], ['O', 'Cardbound Test'], ['CN', 'localhost']]);
  assert.deepEqual(dnAttributes('CN=Smith\\, John,O=A\\+B'), [['CN', 'Smith, John'], ['O', 'A+B']]);
  assert.deepEqual(dnAttributes(''), []);
  assert.deepEqual(dnAttributes(undefined), []);
});

test("the issuer's common name, or the whole issuer", () => {
  assert.equal(issuerName('C=EE, O=Cardbound Test, CN=Cardbound Test Issuing CA'), 'Cardbound Test Issuing CA');
  assert.equal(issuerName('O=No Name Ltd'), 'O=No Name Ltd');
  assert.equal(issuerName(undefined), '');
});

test("the site's identity: the organisation from the DN, the host from the origin", () => {
  assert.deepEqual(siteIdentity('C=EE, O=Cardbound Test, CN=localhost', 'https://localhost:41701'),
    { organisation: 'Cardbound Test', host: 'localhost' });
  assert.deepEqual(siteIdentity('CN=www.bank.example', 'https://www.bank.example'), { organisation: '', host: 'www.bank.example' });
  assert.deepEqual(siteIdentity('O=Pank AS\\, Tallinn, CN=pank.ee', 'not an origin'), { organisation: 'Pank AS, Tallinn', host: 'pank.ee' });
});

test('an origin breaks only between scheme, labels and port', () => {
  assert.deepEqual(originPieces('https://localhost:41701'), ['https://', 'localhost', ':41701']);
  assert.deepEqual(originPieces('https://login.bank.example'), ['https://', 'login', '.bank', '.example']);
  assert.deepEqual(originPieces('https://[::1]:8443'), ['https://', '[::1]', ':8443']);
  assert.deepEqual(originPieces('https://127.0.0.1'), ['https://', '127.0.0.1']);
  assert.equal(originPieces('https://a.example:8443').join(''), 'https://a.example:8443', 'nothing lost');
  assert.deepEqual(originPieces('odd'), ['odd']);
});
