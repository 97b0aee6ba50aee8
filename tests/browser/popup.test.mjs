// The toolbar view (issue 16, item 4) in headless Chromium: the extension's
// action popup, opened as a tab at chrome-extension://<id>/ui/popup.html
// (headless Chromium has no toolbar to click; the page is the same). After
// a login with Mari's card (two tabs of the site) it lists both readers,
// the card in each and the site under Mari's card; "log out of all", pressed
// from the keyboard, logs both tabs out with the words of a card pull, and
// the server answers /api/me with 401. axe-core finds nothing serious or
// critical. Screenshots: build/test-artifacts/popup/.
// The view follows the cards and the logins while it is open: a login, a
// site's logout, a pull and an insert change it without reopening. Each
// card's "Log out" ends that card's site only: Mari's card logs in to the
// demo site at https://localhost:PORT, Jaan's to a second demo server at
// https://127.0.0.1:PORT (two servers on localhost would share their
// cookies, which do not keep ports apart, so a login on one would end the
// other's; 127.0.0.1 is another host to the cookies, and the test server
// certificate names it too). The unit tests
// (extension/src/background/actions/popup.test.js) list more sites and cards.
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
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

// A demo server whose origin is https://127.0.0.1:PORT (see above).
async function startSiteOnIp() {
  const port = await new Promise((resolve, reject) => {
    const probe = createServer().once('error', reject).listen(0, '127.0.0.1', () => {
      const { port: free } = probe.address();
      probe.close(() => resolve(free));
    });
  });
  const origin = `https://127.0.0.1:${port}`;
  const other = await startSite({ env, listen: `127.0.0.1:${port}`, args: ['--origin', origin] });
  return { ...other, origin, url: `${origin}/` };
}

async function openAt(url) {
  const page = await browser.context.newPage();
  await page.goto(url);
  await page.waitForSelector('#login:not([hidden])');
  return page;
}

// Waits until the open view lists what `want` says (without reloading it).
async function untilListed(popup, want, what) {
  let last;
  for (const deadline = Date.now() + 8000; Date.now() < deadline;) {
    last = await listed(popup);
    if (JSON.stringify(last) === JSON.stringify(want)) return;
    await new Promise((r) => { setTimeout(r, 100); });
  }
  assert.deepEqual(last, want, `${what}: the open view did not follow`);
}

test('the open view follows a login, a site\'s logout, a pulled card and the card put back, without reopening', async () => {
  const popup = await openPopup();
  await popup.evaluate(() => { window.cardboundFirst = true; });
  const none = [
    { reader: 'Virtual PCD 00 00', card: `Card: ${MARI}`, sites: [] },
    { reader: 'Virtual PCD 00 01', card: `Card: ${JAAN}`, sites: [] },
  ];
  assert.deepEqual(await listed(popup), none);

  const page = await openSite();
  await flow.login(page, { holder: MARI, pin: PIN });
  await untilListed(popup, [{ ...none[0], sites: [site.origin] }, none[1]], 'a login');
  assert.equal(await popup.isDisabled('#logOutAll'), false, 'now there is something to log out of');

  await page.click('#logout');
  await page.waitForSelector('#state.out');
  await untilListed(popup, none, 'the site\'s own logout');

  await flow.login(page, { holder: MARI, pin: PIN });
  await untilListed(popup, [{ ...none[0], sites: [site.origin] }, none[1]], 'the second login');
  await popup.bringToFront();
  await popup.focus('#logOutAll');
  try {
    await bench('pull', '0');
    await untilListed(popup, [{ ...none[0], card: 'No card in the reader.' }, none[1]], 'the pull');
    await page.waitForSelector('#state.out', { timeout: 5000 });
    assert.equal(await apiMe(page), 401);
    assert.equal(await popup.isDisabled('#logOutAll'), true);
    assert.equal(await popup.evaluate(() => document.activeElement?.id), 'title', 'the focus left the disabled button for the title');
    await assertAccessible(popup, 'toolbar view after a pull');
  } finally {
    await bench('insert', '0');
  }
  await untilListed(popup, none, 'the card put back');
  assert.equal(await popup.evaluate(() => window.cardboundFirst === true), true, 'the same document all along (never reloaded)');
  await popup.close();
  await page.close();
});

test('a card\'s own "Log out" ends its site only: Jaan\'s site on another host stays logged in and listed', async () => {
  const other = await startSiteOnIp();
  try {
    const a = await openSite();
    await flow.login(a, { holder: MARI, pin: PIN });
    const b = await openAt(other.url);
    await flow.login(b, { holder: JAAN, pin: PIN });
    assert.deepEqual([await apiMe(a), await apiMe(b)], [200, 200], 'both logged in');

    const popup = await openPopup();
    const both = [
      { reader: 'Virtual PCD 00 00', card: `Card: ${MARI}`, sites: [site.origin] },
      { reader: 'Virtual PCD 00 01', card: `Card: ${JAAN}`, sites: [other.origin] },
    ];
    assert.deepEqual(await listed(popup), both);
    // Each reader's button, and what a screen reader says of it.
    const buttons = await popup.evaluate(() => [...document.querySelectorAll('button.logout-card')].map((b) => ({
      text: b.textContent,
      name: b.getAttribute('aria-label'),
      description: b.getAttribute('aria-describedby').split(' ').map((id) => document.getElementById(id).textContent).join(' '),
    })));
    assert.deepEqual(buttons, [
      { text: 'Log out', name: 'Log out of the sites of the card in Virtual PCD 00 00', description: `Card: ${MARI}` },
      { text: 'Log out', name: 'Log out of the sites of the card in Virtual PCD 00 01', description: `Card: ${JAAN}` },
    ]);
    await assertAccessible(popup, 'toolbar view with two cards logged in');

    // From the keyboard: Tab to Mari's reader's button, Enter.
    const mariButton = popup.getByRole('button', { name: 'Log out of the sites of the card in Virtual PCD 00 00' });
    await mariButton.focus();
    await popup.keyboard.press('Enter');
    await a.waitForSelector('#state.out', { timeout: 5000 });
    assert.equal(await a.getAttribute('#state', 'data-reason'), 'card-removed', 'the reason of a card pull');
    assert.equal(await apiMe(a), 401);
    await popup.waitForFunction(() => document.querySelector('#status').textContent !== '');
    assert.equal(await popup.textContent('#status'), 'Logged out of the sites of the card in Virtual PCD 00 00 (1).');
    assert.deepEqual(await listed(popup), [{ ...both[0], sites: [] }, both[1]], 'Jaan\'s reader\'s listing untouched');
    assert.equal(await popup.locator('button.logout-card').count(), 1, 'only Jaan\'s reader has a button left');
    assert.equal(await popup.evaluate(() => document.activeElement?.id), 'title');
    await flow.shot(popup, 'popup-one-card-logged-out');

    // Jaan's site: still logged in, its page not told anything.
    assert.equal(await apiMe(b), 200);
    assert.equal(await b.locator('#state.in').count(), 1);
    await b.click('#logout');
    await b.waitForSelector('#state.out');
    await untilListed(popup, [{ ...both[0], sites: [] }, { ...both[1], sites: [] }], 'Jaan\'s site logged out');
    for (const p of [popup, a, b]) await p.close();
  } finally {
    await other.stop();
  }
});
