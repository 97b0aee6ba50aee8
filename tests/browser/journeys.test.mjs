// The user's journeys beyond the happy path, in headless Chromium with the
// extension, the host, the virtual cards and cardbound-server --demo, as a
// new user would take them (issue 10): two tabs of one site, a server that
// dies, two logins clicked at once, a card pulled or inserted while the
// trusted windows are open, and what the page says when something is
// missing. Each checks what the user sees, and that no screenshot shows an
// error code or a raw reason. Screenshots: build/test-artifacts/journeys/.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { benchEnv } from '../integration/bench_env.mjs';
import { apiMe, bench, LoginFlow } from './flow.mjs';
import { buildDir, launchBrowser, startSite } from './harness.mjs';

const env = benchEnv();
const PIN = env.CARDBOUND_CARD_PIN;
const MARI = 'Mari Card'; // card 0
const JAAN = 'Jaan Card'; // card 1
const INTERVAL = 2; // seconds between presence proofs
const GRACE = 1;
const DEADLINE_MS = (INTERVAL + GRACE) * 1000;
const presenceArgs = ['--presence-interval', String(INTERVAL), '--presence-grace', String(GRACE)];
const artefacts = join(buildDir, 'test-artifacts', 'journeys');

let site;
let browser;
let flow;

before(async () => {
  await bench('insert', '0');
  await bench('insert', '1');
  site = await startSite({ env, args: presenceArgs });
  browser = await launchBrowser({ env });
  flow = new LoginFlow(browser.context, { artefacts });
});

after(async () => {
  await browser?.close();
  await site?.stop();
  await bench('insert', '0').catch(() => {});
  await bench('insert', '1').catch(() => {});
});

async function openSite(url = site.url, context = browser.context) {
  const page = await context.newPage();
  await page.goto(url);
  await page.waitForSelector('#state.out, #state.in');
  return page;
}

// What the user reads on the page holds no error code (ERR_…, CERT_REVOKED,
// …) and no raw reason (presence-late, card-removed, …).
const CODE = /\b[A-Z]{2,}(?:_[A-Z0-9]+)+\b|(?:^|[\s:(])(?:logout|presence-late|presence-refused|no-session|card-removed|connection-lost|unknown)\b/;
async function assertWords(page, what) {
  const text = await page.innerText('body');
  assert.doesNotMatch(text, CODE, `${what}: the page shows a code: ${text}`);
}

async function shot(page, name) {
  await flow.shot(page, name);
  await assertWords(page, name);
}

// Windows the extension opens while `fn` runs.
async function windowsDuring(fn) {
  const opened = [];
  const seen = (p) => opened.push(p);
  browser.context.on('page', seen);
  try {
    await fn();
  } finally {
    browser.context.off('page', seen);
  }
  return opened;
}

async function logoutAll(page, ...others) {
  await page.click('#logout');
  for (const p of [page, ...others]) await p.waitForSelector('#state.out');
}

test('journey 1: a second tab learns of the login without a reload; a second login is not needed; both stay logged in', async () => {
  const first = await openSite();
  const second = await openSite();
  assert.match(await second.textContent('#state'), /Not logged in/);
  await flow.login(first, { holder: MARI, pin: PIN });
  // The other tab follows at once, without a reload.
  await second.waitForSelector('#state.in', { timeout: 5000 });
  assert.match(await second.textContent('#state'), /Welcome, Mari Card/);
  await shot(second, 'two-tabs-second-follows');
  // A login asked for in the second tab joins the session: no window, no PIN.
  const opened = await windowsDuring(async () => {
    const holder = await second.evaluate(async () => {
      const cardbound = await import('/cardbound.js');
      return (await cardbound.authenticate()).identity.holder;
    });
    assert.equal(holder, MARI);
  });
  assert.deepEqual(opened.map((p) => p.url()), [], 'no picker or PIN window');
  // Several presence deadlines with the card in: nobody is logged out.
  await sleep(4 * DEADLINE_MS);
  for (const tab of [first, second]) {
    assert.match(await tab.textContent('#state'), /Welcome, Mari Card/);
  }
  assert.equal(await apiMe(first), 200);
  // Logging out in one tab logs out both, in words.
  await logoutAll(second, first);
  for (const tab of [first, second]) {
    assert.equal(await tab.textContent('#state'), 'You have logged out.');
    assert.equal(await tab.getAttribute('#state', 'data-reason'), 'logout');
  }
  await shot(first, 'two-tabs-logged-out');
  await first.close();
  await second.close();
});

test('journey 2: a dead server: the page says the connection is lost at once, and logs out at the presence deadline', async () => {
  const doomed = await startSite({ env, args: presenceArgs });
  const page = await openSite(doomed.url);
  try {
    await flow.login(page, { holder: MARI, pin: PIN });
    await doomed.stop();
    const killed = performance.now();
    // What the page says the moment it notices, read in the same turn: a
    // request already in flight when the server died may still be answered,
    // and the page then says the connection is back until the next one fails.
    const lostText = await (await page.waitForFunction(() => {
      const s = document.querySelector('#state');
      return s.dataset.connection === 'lost' && s.textContent;
    }, null, { timeout: 3000 })).jsonValue();
    const lostMs = performance.now() - killed;
    assert.equal(lostText, 'The connection to the site was lost. Trying again…');
    await shot(page, 'server-gone');
    await page.waitForSelector('#state.out', { timeout: DEADLINE_MS + 3000 });
    const endedMs = performance.now() - killed;
    assert.equal(await page.getAttribute('#state', 'data-reason'), 'connection-lost');
    assert.equal(await page.textContent('#state'), 'The connection to the site was lost, so you have been logged out.');
    await shot(page, 'server-gone-logged-out');
    console.log(`# server killed: connection lost shown after ${lostMs.toFixed(0)} ms, logged out after ${endedMs.toFixed(0)} ms (deadline ${DEADLINE_MS} ms)`);
  } finally {
    await doomed.stop();
    await page.close();
  }
});

test('journey 3: login clicked in two tabs at once: one picker; the other tab waits and joins the login', async () => {
  const first = await openSite();
  const second = await openSite();
  let picker;
  const opened = await windowsDuring(async () => {
    picker = await flow.openPicker(first);
    await second.click('#login');
    await second.waitForFunction(() => /another tab/.test(document.querySelector('#hint').textContent), null, { timeout: 5000 });
    await shot(second, 'second-tab-waits');
    const pinWindow = await flow.pick(picker, MARI);
    await flow.typePin(pinWindow, PIN);
    await first.waitForSelector('#state.in', { timeout: 15_000 });
    await second.waitForSelector('#state.in', { timeout: 5000 });
  });
  assert.equal(opened.length, 1, 'one login window (picker, then PIN entry), for the first tab');
  assert.equal(await second.getAttribute('#hint', 'data-code'), null, 'no error in the second tab');
  assert.match(await second.textContent('#state'), /Welcome, Mari Card/);
  await shot(second, 'second-tab-joined');
  assert.equal(await apiMe(second), 200);
  await logoutAll(first, second);
  await first.close();
  await second.close();
});

test('journey 4: the PIN window says the card was pulled the moment it is, and takes the PIN when it is back', async () => {
  const page = await openSite();
  const pinWindow = await flow.pick(await flow.openPicker(page), MARI);
  try {
    const pulled = performance.now();
    await bench('pull', '0');
    await pinWindow.waitForSelector('#cardGone:not([hidden])', { timeout: 2000 });
    const ms = performance.now() - pulled;
    assert.match(await pinWindow.textContent('#cardGone'), /Your card was removed from the reader/);
    assert.equal(await pinWindow.isDisabled('#pin'), true, 'no PIN for a card that is not there');
    await flow.shot(pinWindow, 'pin-card-pulled');
    console.log(`# card pulled: the PIN window said so after ${ms.toFixed(0)} ms`);
    await bench('insert', '0');
    await pinWindow.waitForSelector('#cardGone', { state: 'hidden', timeout: 10_000 });
    assert.equal(await pinWindow.isDisabled('#pin'), false);
    await flow.typePin(pinWindow, PIN);
    await page.waitForSelector('#state.in', { timeout: 15_000 });
    assert.equal(await apiMe(page), 200);
  } finally {
    await bench('insert', '0');
  }
  await logoutAll(page);
  await page.close();
});

test('journey 4: the picker follows the readers: an inserted card appears, a pulled one goes, without "Look again"', async () => {
  await bench('pull', '0');
  await bench('pull', '1');
  const page = await openSite();
  try {
    const pickerOpens = flow.nextWindow();
    await page.click('#login');
    const picker = await pickerOpens;
    await picker.waitForSelector('#empty:not([hidden])');
    assert.equal(await picker.evaluate(() => document.activeElement.id), 'refresh', 'an empty picker focuses "Look again"');
    await flow.shot(picker, 'picker-no-card');
    const entry = (holder) => `button.cert:has(.holder:text-is("${holder}"))`;
    await bench('insert', '0');
    await picker.waitForSelector(entry(MARI), { timeout: 10_000 });
    assert.equal(await picker.isHidden('#empty'), true);
    await bench('insert', '1');
    await picker.waitForSelector(entry(JAAN), { timeout: 10_000 });
    await flow.shot(picker, 'picker-cards-arrived');
    await bench('pull', '0');
    await picker.waitForSelector(entry(MARI), { state: 'detached', timeout: 2000 });
    assert.equal(await picker.isVisible(entry(JAAN)), true, 'the other card stays');
    await picker.click('#pickerCancel').catch(() => {});
    await page.waitForSelector('#hint[data-code]');
    assert.equal(await page.textContent('#hint'), 'Login cancelled.');
  } finally {
    await bench('insert', '0');
    await bench('insert', '1');
  }
  await page.close();
});

test('journey 5: a missing host program and a missing extension are told apart, each with what to install', async () => {
  // The extension, but no cardbound-host registered for the browser.
  const noHost = await launchBrowser({ env, host: false });
  try {
    const page = await openSite(site.url, noHost.context);
    await page.waitForSelector('#hint[data-code]', { timeout: 10_000 });
    assert.equal(await page.getAttribute('#hint', 'data-code'), 'ERR_HOST_UNAVAILABLE');
    const text = await page.textContent('#hint');
    assert.match(text, /extension is installed, but its helper program is missing/);
    assert.match(text, /sudo apt install \.\/cardbound-host_\d+\.\d+\.\d+_amd64\.deb/);
    await flow.shot(page, 'no-host');
    await assertWords(page, 'no host');
    await page.click('#login');
    await page.waitForFunction(() => !document.querySelector('#login').disabled);
    assert.match(await page.textContent('#hint'), /helper program is missing/, 'the login says the same');
  } finally {
    await noHost.close();
  }
  // No extension at all.
  const noExtension = await launchBrowser({ env, extension: false });
  try {
    const page = await openSite(site.url, noExtension.context);
    await page.waitForSelector('#hint[data-code]', { timeout: 10_000 });
    assert.equal(await page.getAttribute('#hint', 'data-code'), 'ERR_EXTENSION_UNAVAILABLE');
    assert.match(await page.textContent('#hint'), /install the Cardbound browser extension/);
    await flow.shot(page, 'no-extension');
    await assertWords(page, 'no extension');
  } finally {
    await noExtension.close();
  }
});
