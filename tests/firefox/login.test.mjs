// End to end in Debian's Firefox (firefox-esr, headless), driven over
// WebDriver BiDi: the demo site, the extension's Firefox build installed as a
// temporary (unsigned) add-on, cardbound-host started by Firefox through
// ~/.mozilla/native-messaging-hosts, the virtual card in the bench's pcscd.
// Screenshots of the picker, the PIN window and the logged-in page are kept
// in build/test-artifacts/firefox/.
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { benchEnv } from '../integration/bench_env.mjs';
import { bench } from '../browser/flow.mjs';
import { opensslVerifies } from '../../host/tests/integration/host_client.mjs';
import { jwsName } from '../../host/tests/integration/login_flow.mjs';
import { startSite } from '../browser/harness.mjs';
import { buildDir, launchBrowser, readHostLog } from './harness.mjs';

const env = benchEnv();
const PIN = env.CARDBOUND_CARD_PIN;
const MARI = 'Mari Card'; // card 0
const artefacts = join(buildDir, 'test-artifacts', 'firefox');

let site;
let browser;

before(async () => {
  mkdirSync(artefacts, { recursive: true });
  await bench('insert', '0');
  await bench('insert', '1'); // two cards: the window opens on the picker
  site = await startSite({ env });
  browser = await launchBrowser({ env });
  console.log(`# Firefox ${browser.version}`);
});

after(async () => {
  if (browser) {
    // What Firefox (with the extension's console) and the host said.
    writeFileSync(join(artefacts, 'firefox.log'), browser.firefox.log());
    writeFileSync(join(artefacts, 'host.log'), readHostLog(browser));
  }
  await browser?.close();
  await site?.stop();
});

async function openSite(target = site) {
  const page = await browser.newPage(target.url);
  await page.waitFor('document.querySelector("#login:not([hidden])") !== null', { what: 'the login button' });
  return page;
}

const apiMe = (page) => page.evaluate('fetch("/api/me").then((r) => r.status)');

// Click login, pick Mari's certificate, type the PIN; resolves with the
// milliseconds from the click to the welcome. `shots` keeps screenshots.
async function login(page, { shots = false, target = site } = {}) {
  const t0 = performance.now();
  await page.click('#login');
  // One login window: the picker (both cards are in), then the PIN entry.
  const picker = await browser.nextWindow('login', { timeout: 15_000 });
  await picker.waitFor('document.querySelector("#picker:not([hidden]) button.cert") !== null', { what: 'a certificate in the picker' });
  const holders = await picker.evaluate('[...document.querySelectorAll("button.cert .holder")].map((e) => e.textContent)');
  assert.ok(holders.includes(MARI), `the picker lists ${holders.join(', ')}`);
  assert.match(await picker.text('#origin'), new RegExp(target.origin));
  if (shots) await picker.screenshot(join(artefacts, 'picker.png'));
  const picked = await picker.evaluate(`(() => {
    const b = [...document.querySelectorAll('button.cert')].find((e) => e.querySelector('.holder')?.textContent === ${JSON.stringify(MARI)});
    if (!b) return null;
    const text = b.textContent;
    b.click();
    return text;
  })()`, { userActivation: true });
  assert.match(picked ?? '', /Virtual PCD 00 00/);

  const pinWindow = picker;
  await pinWindow.waitFor(`!document.getElementById("entry").hidden && document.getElementById("holder")?.textContent === ${JSON.stringify(MARI)}`, { what: 'the PIN entry' });
  await pinWindow.evaluate(`document.getElementById('pin').value = ${JSON.stringify(PIN)}`);
  if (shots) await pinWindow.screenshot(join(artefacts, 'pin.png'));
  await pinWindow.click('#ok');

  const state = await page.waitFor('document.querySelector("#state.in")?.textContent', { timeout: 20_000, what: 'the welcome' })
    .catch(async (e) => {
      throw new Error(`${e.message}; hint: ${await page.text('#hint')}; host log:\n${readHostLog(browser).slice(-3000)}`);
    });
  assert.match(state, /Welcome, Mari Card/);
  return performance.now() - t0;
}

// The page's own request to the extension (docs/protocol.md §7), as
// cardbound.js posts it.
const ask = (page, action) => page.evaluate(`new Promise((resolve) => {
  const id = 'test-' + Math.random().toString(36).slice(2);
  addEventListener('message', function answer(e) {
    if (e.source !== window || e.data?.channel !== 'org.cardbound' || e.data.kind !== 'answer' || e.data.id !== id) return;
    removeEventListener('message', answer);
    resolve(e.data);
  });
  postMessage({ channel: 'org.cardbound', kind: 'request', id, action: ${JSON.stringify(action)} }, location.origin);
})`, { timeout: 20_000 });

test('the page reaches the native host: isAvailable() is true, status comes from cardbound-host', { timeout: 60_000 }, async () => {
  const page = await openSite();
  // page → content script → background → cardbound-host `status` and back
  assert.equal(await page.evaluate('import("/cardbound.js").then((m) => m.isAvailable())', { timeout: 20_000 }), true,
    `isAvailable() is false; host log:\n${readHostLog(browser)}`);
  const { result, error } = await ask(page, 'status');
  assert.equal(error, undefined, JSON.stringify(error));
  assert.deepEqual(Object.keys(result).sort(), ['configured', 'extension', 'host', 'protocol', 'readerMonitor']);
  assert.match(result.host, /^\d+\.\d+\.\d+/, 'the host says its version');
  assert.equal(result.configured, true);
  assert.equal(result.readerMonitor, true);
  assert.match(readHostLog(browser), /cardbound-host \S+ started/);
  await page.close();
});

test('login: picker, PIN, welcome; /api/me answers 200', { timeout: 60_000 }, async () => {
  const page = await openSite();
  assert.equal(await apiMe(page), 401);
  const ms = await login(page, { shots: true });
  await page.screenshot(join(artefacts, 'logged-in.png'));
  assert.equal(await apiMe(page), 200);
  console.log(`# click to welcome: ${ms.toFixed(0)} ms`);
  await page.click('#logout');
  await page.waitFor('document.querySelector("#state.out") !== null', { what: 'the logout' });
  assert.equal(await apiMe(page), 401);
  await page.close();
});

test('pulling the card logs the page out through the extension', { timeout: 60_000 }, async () => {
  const page = await openSite();
  await login(page);
  assert.equal(await apiMe(page), 200);
  const pulled = performance.now();
  await bench('pull', '0');
  try {
    // The site's presence deadline is far off: a logout now is the
    // extension's (host card-removed → background → content script posts
    // /cardbound/logout as the page).
    const state = await page.waitFor('document.querySelector("#state.out")?.textContent', { timeout: 5000, what: 'the logout' });
    console.log(`# pull to logout: ${(performance.now() - pulled).toFixed(0)} ms`);
    assert.equal(state, 'Your card was removed from the reader, so you have been logged out.');
    assert.equal(await apiMe(page), 401);
  } finally {
    await bench('insert', '0');
  }
  await page.close();
});

// The journeys of issue 10 that depend on the browser's own machinery (a
// BroadcastChannel between tabs, Web Locks, EventSource errors), on a site
// with short presence deadlines.
const INTERVAL = 2;
const GRACE = 1;
const DEADLINE_MS = (INTERVAL + GRACE) * 1000;
const presenceArgs = ['--presence-interval', String(INTERVAL), '--presence-grace', String(GRACE)];
const state = (page) => page.evaluate('(() => { const s = document.querySelector("#state"); return { cls: s.className, text: s.textContent, reason: s.dataset.reason ?? null }; })()');

test('journey 1: a second tab follows the login without a reload, needs no login of its own, and both stay logged in', { timeout: 90_000 }, async () => {
  const tabs = await startSite({ env, args: presenceArgs });
  try {
    const first = await openSite(tabs);
    const second = await openSite(tabs);
    await login(first, { target: tabs });
    await second.waitFor('document.querySelector("#state.in") !== null', { timeout: 5000, what: 'the second tab following the login' });
    assert.match((await state(second)).text, /Welcome, Mari Card/);
    await second.screenshot(join(artefacts, 'two-tabs-second-follows.png'));
    // A login asked for in the second tab joins the session: no window.
    const holder = await second.evaluate('import("/cardbound.js").then((m) => m.authenticate()).then((s) => s.identity.holder)', { timeout: 10_000 });
    assert.equal(holder, MARI);
    await assert.rejects(browser.nextWindow('login', { timeout: 1000 }), /no login window/);
    await sleep(4 * DEADLINE_MS);
    for (const tab of [first, second]) assert.match((await state(tab)).text, /Welcome, Mari Card/);
    assert.equal(await apiMe(first), 200);
    await second.click('#logout');
    for (const tab of [first, second]) {
      await tab.waitFor('document.querySelector("#state.out") !== null', { what: 'the logout in every tab' });
      assert.deepEqual(await state(tab), { cls: 'card out', text: 'You have logged out.', reason: 'logout' });
    }
    await first.close();
    await second.close();
  } finally {
    await tabs.stop();
  }
});

test('journey 2: a dead server: the page says the connection is lost at once, and logs out at the presence deadline', { timeout: 60_000 }, async () => {
  const doomed = await startSite({ env, args: presenceArgs });
  const page = await openSite(doomed);
  try {
    await login(page, { target: doomed });
    await doomed.stop();
    const killed = performance.now();
    // Read in the same evaluation as the flag: a request already in flight
    // when the server died may still be answered, and the page then says the
    // connection is back until the next one fails.
    const lostText = await page.waitFor('(() => { const s = document.querySelector("#state"); return s.dataset.connection === "lost" && s.textContent; })()',
      { timeout: 3000, what: 'connection lost' });
    const lostMs = performance.now() - killed;
    assert.equal(lostText, 'The connection to the site was lost. Trying again…');
    await page.screenshot(join(artefacts, 'server-gone.png'));
    await page.waitFor('document.querySelector("#state.out") !== null', { timeout: DEADLINE_MS + 3000, what: 'the logout at the deadline' });
    const endedMs = performance.now() - killed;
    assert.deepEqual(await state(page),
      { cls: 'card out', text: 'The connection to the site was lost, so you have been logged out.', reason: 'connection-lost' });
    await page.screenshot(join(artefacts, 'server-gone-logged-out.png'));
    console.log(`# server killed: connection lost shown after ${lostMs.toFixed(0)} ms, logged out after ${endedMs.toFixed(0)} ms (deadline ${DEADLINE_MS} ms)`);
  } finally {
    await doomed.stop();
    await page.close();
  }
});

test('signing a document (issue 17): the signing certificate, the signing PIN, a signature openssl verifies', { timeout: 90_000 }, async () => {
  const page = await openSite();
  await page.click('#sign');
  // The first window offers signing certificates only: each card once.
  const picker = await browser.nextWindow('login', { timeout: 15_000 });
  await picker.waitFor('document.querySelector("#picker:not([hidden]) button.cert") !== null', { what: 'a signing certificate' });
  assert.equal(await picker.text('h1'), 'Choose a signing certificate');
  const holders = await picker.evaluate('[...document.querySelectorAll("button.cert .holder")].map((e) => e.textContent).sort()');
  assert.deepEqual(holders, ['Jaan Card', MARI]);
  await picker.evaluate(`[...document.querySelectorAll('button.cert')].find((e) => e.querySelector('.holder')?.textContent === ${JSON.stringify(MARI)}).click()`,
    { userActivation: true });
  // The second asks for the signing PIN of the certificate the page named.
  const entry = await browser.nextWindow('login', { timeout: 15_000 });
  await entry.waitFor('!document.getElementById("entry").hidden', { what: 'the signing PIN entry' });
  assert.equal(await entry.text('h1'), 'Enter your signing PIN');
  await entry.screenshot(join(artefacts, 'signing-pin.png'));
  await entry.evaluate(`document.getElementById('pin').value = ${JSON.stringify(PIN)}`);
  await entry.click('#ok');
  const result = await page.waitFor('(() => { const d = document.querySelector("#signed").dataset; return d.signature || d.code ? JSON.stringify({ ...d }) : null; })()',
    { timeout: 20_000, what: 'the signature' });
  const signed = JSON.parse(result);
  assert.equal(signed.code, undefined, `the page says ${signed.code}`);
  const certDer = Buffer.from(signed.certificate, 'base64');
  assert.ok(certDer.equals(readFileSync(join(env.CARDBOUND_PKI_DIR, 'card0-sign.der'))), "Mari's signing certificate");
  const documentText = await page.evaluate('document.getElementById("document").value');
  assert.ok(opensslVerifies({ certDer, alg: jwsName(signed), preimage: Buffer.from(documentText), signature: Buffer.from(signed.signature, 'base64') }),
    'openssl verifies the signature over the document');
  await page.close();
});

test('confirming a transaction (issue 17): the server\'s text in the window, the PIN, the server accepts it', { timeout: 90_000 }, async () => {
  const page = await openSite();
  await login(page);
  const text = 'Pay 1,200 EUR to ACME Ltd (invoice 2026-118)';
  await page.evaluate(`document.getElementById('paymentText').value = ${JSON.stringify(text)}`);
  await page.click('#confirmPayment');
  const w = await browser.nextWindow('login', { timeout: 15_000 });
  await w.waitFor('!document.getElementById("entry").hidden', { what: 'the confirmation\'s PIN entry' });
  assert.equal(await w.text('h1'), 'Confirm with your card');
  assert.equal(await w.text('#transactionText'), text);
  await w.screenshot(join(artefacts, 'confirm.png'));
  await w.evaluate(`document.getElementById('pin').value = ${JSON.stringify(PIN)}`);
  await w.click('#ok');
  const confirmed = await page.waitFor('(() => { const d = document.querySelector("#confirmed").dataset; return d.text || d.code ? JSON.stringify({ ...d }) : null; })()',
    { timeout: 20_000, what: 'the server\'s answer' });
  assert.deepEqual(JSON.parse(confirmed), { text });
  await page.click('#logout');
  await page.waitFor('document.querySelector("#state.out") !== null', { what: 'the logout' });
  await page.close();
});
