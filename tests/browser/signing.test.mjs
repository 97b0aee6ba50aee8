// Document signing in headless Chromium (issue 17): the demo page's "Sign
// with my card" calls cardbound.getSigningCertificate() and sign() over the
// SHA-256 of its text. The extension's window offers only signing
// certificates (the cards' nonRepudiation keys, not their login keys), then
// asks for the signing PIN of the certificate the page named; the test
// checks the signature with openssl against the card's signing certificate,
// over the document. Wrong PIN, cancel, and the card pulled while the PIN
// entry is open. Screenshots: build/test-artifacts/signing/.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { opensslVerifies } from '../../host/tests/integration/host_client.mjs';
import { jwsName } from '../../host/tests/integration/login_flow.mjs';
import { benchEnv } from '../integration/bench_env.mjs';
import { assertAccessible } from './axe.mjs';
import { bench, certEntry, demoResult, LoginFlow, step } from './flow.mjs';
import { buildDir, launchBrowser, startSite } from './harness.mjs';

const env = benchEnv();
const pki = env.CARDBOUND_PKI_DIR;
// The virtual cards' CAC emulation has one PIN: the signing key uses the card's.
const PIN = env.CARDBOUND_CARD_PIN;
const MARI = 'Mari Card'; // card 0
const artefacts = join(buildDir, 'test-artifacts', 'signing');

let site;
let browser;
let flow;

before(async () => {
  await bench('insert', '0');
  await bench('insert', '1');
  site = await startSite({ env });
  browser = await launchBrowser({ env });
  flow = new LoginFlow(browser.context, { artefacts });
});

after(async () => {
  await browser?.close();
  await site?.stop();
  await bench('insert', '0').catch(() => {});
});

async function openSite() {
  const page = await browser.context.newPage();
  await page.goto(site.url);
  await page.waitForSelector('#login:not([hidden])');
  return page;
}

// Click "Sign with my card": resolves with the window once it shows a step.
async function clickSign(page) {
  const opened = flow.nextWindow();
  await page.click('#sign');
  const w = await opened;
  await w.waitForSelector(`${step.picker}, ${step.pin}, ${step.blocked}`);
  return w;
}

// The demo page's result: the signature and its algorithm, or the error code.
const outcome = (page) => demoResult(page, '#signed', 'signature');

// Through the picker (choosing Mari's signing certificate) to the PIN
// entry of the second window; returns that window.
async function toSigningPin(page) {
  const picker = await clickSign(page);
  const pinWindow = flow.nextWindow();
  await picker.click(`${step.picker} ${certEntry(MARI)}`);
  const w = await pinWindow;
  await w.waitForSelector(step.pin);
  return w;
}

test('sign a document: signing certificates only, the signing PIN, a signature openssl verifies over the document', async () => {
  const page = await openSite();
  const picker = await clickSign(page);
  assert.equal(await picker.textContent('h1'), 'Choose a signing certificate');
  const holders = await picker.locator('button.cert .holder').allTextContents();
  // Each card once: its signing certificate, not its login certificate.
  assert.deepEqual([...holders].sort(), ['Jaan Card', MARI]);
  await flow.shot(picker, 'signing-picker');
  await assertAccessible(picker, 'the signing certificate picker');

  const pinWindow = flow.nextWindow();
  await picker.click(`${step.picker} ${certEntry(MARI)}`);
  const w = await pinWindow;
  await w.waitForSelector(step.pin);
  assert.equal(await w.textContent('h1'), 'Enter your signing PIN');
  assert.equal(await w.textContent('#pinLabel'), 'Signing PIN');
  assert.equal(await w.textContent('#ok'), 'Sign');
  assert.equal(await w.isVisible('#back'), false, 'the page named the certificate: no other to choose');
  await flow.shot(w, 'signing-pin');
  await assertAccessible(w, 'the signing PIN entry');

  // A wrong PIN first: the window stays and says so.
  await w.fill('#pin', '000000');
  await w.click('#ok');
  await w.waitForFunction(() => /PIN is wrong/.test(document.querySelector('#message').textContent));
  await w.fill('#pin', PIN);
  await w.click('#ok').catch((e) => { if (!/closed/i.test(e.message)) throw e; });

  const result = await outcome(page);
  assert.equal(result.code, undefined, `the page says ${result.code}`);
  const certDer = Buffer.from(result.certificate, 'base64');
  assert.ok(certDer.equals(readFileSync(join(pki, 'card0-sign.der'))), "Mari's signing certificate");
  assert.equal(result.hashFunction, 'SHA-256');
  assert.equal(result.cryptoAlgorithm, 'RSA');
  const documentText = await page.inputValue('#document');
  const alg = jwsName(result);
  const signature = Buffer.from(result.signature, 'base64');
  assert.ok(opensslVerifies({ certDer, alg, preimage: Buffer.from(documentText), signature }), `openssl verifies the ${alg} signature`);
  assert.ok(!opensslVerifies({ certDer, alg, preimage: Buffer.from(`${documentText}!`), signature }), 'over this document only');
  assert.ok(!opensslVerifies({ certDer: readFileSync(join(pki, 'card0.der')), alg, preimage: Buffer.from(documentText), signature }),
    'made with the signing key, not the login key');
  await page.close();
});

test('cancel in the picker, and in the PIN entry: the page hears ERR_USER_CANCELLED', async () => {
  const page = await openSite();
  const picker = await clickSign(page);
  await picker.click('#pickerCancel').catch(() => {});
  assert.equal((await outcome(page)).code, 'ERR_USER_CANCELLED');

  const w = await toSigningPin(page);
  await w.click('#cancel').catch(() => {});
  assert.equal((await outcome(page)).code, 'ERR_USER_CANCELLED');
  await page.close();
});

test('the card pulled while the signing PIN is asked: the window says so and takes no PIN; back in, it signs', async () => {
  const page = await openSite();
  const w = await toSigningPin(page);
  await bench('pull', '0');
  try {
    await w.waitForSelector('#cardGone:not([hidden])', { timeout: 10_000 });
    assert.equal(await w.isDisabled('#pin'), true);
  } finally {
    await bench('insert', '0');
  }
  await w.waitForSelector('#cardGone[hidden]', { state: 'attached', timeout: 20_000 });
  await w.fill('#pin', PIN);
  await w.click('#ok').catch((e) => { if (!/closed/i.test(e.message)) throw e; });
  const result = await outcome(page);
  assert.equal(result.code, undefined, `the page says ${result.code}`);
  assert.ok(result.signature);
  await page.close();
});
