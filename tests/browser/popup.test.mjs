// The toolbar view (issue 16, item 4) in headless Chromium: the extension's
// action popup, opened as a tab at chrome-extension://<id>/ui/popup.html
// (headless Chromium has no toolbar to click; the page is the same). After
// a login with Mari's card (two tabs of the site) it lists both readers,
// the card in each and the site under Mari's card; "log out of all", pressed
// from the keyboard, logs both tabs out with the words of a card pull, and
// the server answers /api/me with 401. axe-core finds nothing serious or
// critical. Screenshots: build/test-artifacts/popup/.
// One site only: two demo servers on localhost share their cookies (cookies
// do not keep ports apart), so a login on one would end the other's; the
// unit tests (extension/src/background/actions/popup.test.js) list several
// sites and cards.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { benchEnv } from '../integration/bench_env.mjs';
import { assertAccessible } from './axe.mjs';
import { apiMe, bench, LoginFlow } from './flow.mjs';
import { buildDir, extensionIdOf, launchBrowser, startSite } from './harness.mjs';

const env = benchEnv();
const PIN = env.CARDBOUND_CARD_PIN;
const MARI = 'Mari Card'; // card 0, in Virtual PCD 00 00
const JAAN = 'Jaan Card'; // card 1, in Virtual PCD 00 01
const artefacts = join(buildDir, 'test-artifacts', 'popup');

const popupUrl = `chrome-extension://${extensionIdOf()}/ui/popup.html`;

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
  await bench('insert', '1').catch(() => {});
});

async function openSite() {
  const page = await browser.context.newPage();
  await page.goto(site.url);
  await page.waitForSelector('#login:not([hidden])');
  return page;
}

async function openPopup() {
  const popup = await browser.context.newPage();
  await popup.goto(popupUrl);
  await popup.waitForSelector('#loading[hidden]', { state: 'attached' });
  return popup;
}

// What the view lists: per reader, its name, its card line and its sites.
const listed = (popup) => popup.evaluate(() => [...document.querySelectorAll('#readers > li')].map((li) => ({
  reader: li.querySelector('h2').textContent,
  card: li.querySelector('h2 + p').textContent,
  sites: [...li.querySelectorAll('ul.sites li')].map((s) => s.textContent),
})));

test('the toolbar view lists the readers, the cards and the site; "log out of all" logs both tabs out as a card pull does', async () => {
  const empty = await openPopup();
  assert.deepEqual(await listed(empty), [
    { reader: 'Virtual PCD 00 00', card: `Card: ${MARI}`, sites: [] },
    { reader: 'Virtual PCD 00 01', card: `Card: ${JAAN}`, sites: [] },
  ]);
  assert.equal(await empty.isDisabled('#logOutAll'), true, 'nobody is logged in: nothing to log out of');
  await empty.close();

  const a = await openSite();
  await flow.login(a, { holder: MARI, pin: PIN });
  const b = await browser.context.newPage(); // a second tab follows the login
  await b.goto(site.url);
  await b.waitForSelector('#state.in');
  assert.equal(await apiMe(a), 200);

  const popup = await openPopup();
  assert.equal(await popup.title(), 'Smart cards');
  assert.deepEqual(await listed(popup), [
    { reader: 'Virtual PCD 00 00', card: `Card: ${MARI}`, sites: [site.origin] },
    { reader: 'Virtual PCD 00 01', card: `Card: ${JAAN}`, sites: [] },
  ]);
  assert.equal(await popup.evaluate(() => document.activeElement?.id), 'logOutAll', 'the focus starts on "Log out of all"');
  assert.equal(await popup.textContent('#logOutAll'), 'Log out of all sites');
  await assertAccessible(popup, 'toolbar view');
  await flow.shot(popup, 'popup');

  await popup.keyboard.press('Enter');
  for (const page of [a, b]) {
    await page.waitForSelector('#state.out', { timeout: 5000 });
    assert.equal(await page.getAttribute('#state', 'data-reason'), 'card-removed', 'the reason of a card pull');
    assert.match(await page.textContent('#state'), /Your card was removed from the reader, so you have been logged out\./);
    assert.equal(await apiMe(page), 401);
  }
  await popup.waitForFunction(() => document.querySelector('#status').textContent !== '');
  assert.equal(await popup.textContent('#status'), 'Logged out of all sites (1).');
  assert.deepEqual((await listed(popup)).map((r) => r.sites), [[], []]);
  assert.equal(await popup.isDisabled('#logOutAll'), true);
  await assertAccessible(popup, 'toolbar view after log out of all');
  await flow.shot(popup, 'popup-logged-out');

  // The cards stayed in: a new login works at once.
  await flow.login(a, { holder: MARI, pin: PIN });
  assert.equal(await apiMe(a), 200);
  await a.click('#logout');
  await a.waitForSelector('#state.out');
  for (const p of [popup, a, b]) await p.close();
});

test('a pulled card: its reader says so', async () => {
  await bench('pull', '1');
  try {
    const popup = await openPopup();
    assert.deepEqual((await listed(popup)).map((r) => [r.reader, r.card]),
      [['Virtual PCD 00 00', `Card: ${MARI}`], ['Virtual PCD 00 01', 'No card in the reader.']]);
    await popup.keyboard.press('Escape').catch(() => {}); // a tab does not close itself; the popup does
    await popup.close();
  } finally {
    await bench('insert', '1');
  }
});
