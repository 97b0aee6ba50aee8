// End to end in Debian's Firefox (firefox-esr, headless), driven over
// WebDriver BiDi: the demo site, the extension's Firefox build installed as a
// temporary (unsigned) add-on, cardbound-host started by Firefox through
// ~/.mozilla/native-messaging-hosts, the virtual card in the bench's pcscd.
// Screenshots of the picker, the PIN window and the logged-in page are kept
// in build/test-artifacts/firefox/.
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { benchEnv } from '../integration/bench_env.mjs';
import { bench } from '../browser/flow.mjs';
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

async function openSite() {
  const page = await browser.newPage(site.url);
  await page.waitFor('document.querySelector("#login:not([hidden])") !== null', { what: 'the login button' });
  return page;
}

const apiMe = (page) => page.evaluate('fetch("/api/me").then((r) => r.status)');

// Click login, pick Mari's certificate, type the PIN; resolves with the
// milliseconds from the click to the welcome. `shots` keeps screenshots.
async function login(page, { shots = false } = {}) {
  const t0 = performance.now();
  await page.click('#login');
  const picker = await browser.nextWindow('picker', { timeout: 15_000 });
  await picker.waitFor('document.querySelector("button.cert") !== null', { what: 'a certificate in the picker' });
  const holders = await picker.evaluate('[...document.querySelectorAll("button.cert .holder")].map((e) => e.textContent)');
  assert.ok(holders.includes(MARI), `the picker lists ${holders.join(', ')}`);
  assert.match(await picker.text('#site'), new RegExp(site.origin));
  if (shots) await picker.screenshot(join(artefacts, 'picker.png'));
  const picked = await picker.evaluate(`(() => {
    const b = [...document.querySelectorAll('button.cert')].find((e) => e.querySelector('.holder')?.textContent === ${JSON.stringify(MARI)});
    if (!b) return null;
    const text = b.textContent;
    b.click();
    return text;
  })()`, { userActivation: true });
  assert.match(picked ?? '', /Virtual PCD 00 00/);

  const pinWindow = await browser.nextWindow('pin');
  await pinWindow.waitFor(`document.getElementById("holder")?.textContent === ${JSON.stringify(MARI)}`, { what: 'the PIN window' });
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
    assert.match(state, /Logged out: logout/);
    assert.equal(await apiMe(page), 401);
  } finally {
    await bench('insert', '0');
  }
  await page.close();
});
