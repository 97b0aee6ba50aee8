// The toolbar view (issue 16, item 4) in Debian's Firefox (headless, over
// WebDriver BiDi): the extension's action popup, opened as a tab of
// moz-extension://<uuid>/ui/popup.html. A headless Firefox has no toolbar to
// click, BiDi has no command that opens an action popup, and BiDi's
// browsingContext.navigate refuses moz-extension:// addresses ("not allowed
// in this context", firefox-esr here); so the login window, an extension page,
// opens the view with window.open before the login. The open view follows
// the login without a reload (the background pushes it a new view), lists
// the readers, the card in each and the site logged in with Mari's card;
// "log out of all" logs the page out with the words of a card pull, and the
// server answers /api/me with 401. On the way axe-core checks the login
// window (the picker and the PIN entry) and the toolbar view in Firefox:
// BiDi's script.evaluate runs axe in the extension page as Playwright's
// evaluate does in Chromium, and a probe (a button without a name) shows
// that axe really looks there.
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { benchEnv } from '../integration/bench_env.mjs';
import { assertAccessible, axeFindings } from '../browser/axe.mjs';
import { bench } from '../browser/flow.mjs';
import { startSite } from '../browser/harness.mjs';
import { setTimeout as sleep } from 'node:timers/promises';
import { buildDir, extensionUrl, launchBrowser, Page, readHostLog } from './harness.mjs';

const env = benchEnv();
const PIN = env.CARDBOUND_CARD_PIN;
const MARI = 'Mari Card'; // card 0, in Virtual PCD 00 00
const JAAN = 'Jaan Card'; // card 1, in Virtual PCD 00 01
const artefacts = join(buildDir, 'test-artifacts', 'firefox');

let site;
let browser;

before(async () => {
  mkdirSync(artefacts, { recursive: true });
  await bench('insert', '0');
  await bench('insert', '1');
  site = await startSite({ env });
  browser = await launchBrowser({ env });
});

after(async () => {
  await browser?.close();
  await site?.stop();
});

const apiMe = (page) => page.evaluate('fetch("/api/me").then((r) => r.status)');

// Logs in with Mari's card; on the way the login window opens the toolbar
// view (see above), which this resolves with.
async function loginOpeningPopup(page) {
  await page.click('#login');
  const w = await browser.nextWindow('login', { timeout: 15_000 });
  await w.evaluate(`window.open(${JSON.stringify(extensionUrl('ui/popup.html?test'))}, '_blank') !== null`, { userActivation: true });
  const popup = await findContext(extensionUrl('ui/popup.html?test'));
  await popup.evaluate('window.cardboundFirst = true'); // never reloaded: see the test
  await w.waitFor('document.querySelector("#picker:not([hidden]) button.cert") !== null', { what: 'a certificate in the picker' });
  await assertAxeWorks(w);
  await assertAccessible(w, 'login window: picker (Firefox)');
  await w.evaluate(`[...document.querySelectorAll('button.cert')].find((e) => e.querySelector('.holder')?.textContent === ${JSON.stringify(MARI)}).click()`,
    { userActivation: true });
  await w.waitFor(`!document.getElementById("entry").hidden && document.getElementById("holder")?.textContent === ${JSON.stringify(MARI)}`, { what: 'the PIN entry' });
  await assertAccessible(w, 'login window: PIN entry (Firefox)');
  await w.evaluate(`document.getElementById('pin').value = ${JSON.stringify(PIN)}`);
  await w.click('#ok');
  await page.waitFor('document.querySelector("#state.in") !== null', { timeout: 20_000, what: 'the welcome' })
    .catch(async (e) => { throw new Error(`${e.message}; host log:\n${readHostLog(browser).slice(-3000)}`); });
  return popup;
}

// axe-core runs in Firefox's extension page and finds what is there: a
// button without a name, put in for the probe, is a critical finding.
async function assertAxeWorks(w) {
  await w.evaluate('document.body.append(Object.assign(document.createElement("button"), { id: "axeProbe" })); true');
  const found = await axeFindings(w);
  await w.evaluate('document.getElementById("axeProbe").remove(); true');
  assert.ok(found.some((f) => f.id === 'button-name' && f.impact === 'critical'), `axe saw the probe (${JSON.stringify(found)})`);
}

// The top-level context showing `url` (window.open's tab is in the tree
// but not among the contexts the harness saw created).
async function findContext(url, timeout = 10_000) {
  for (const deadline = Date.now() + timeout; Date.now() < deadline;) {
    const { contexts } = await browser.bidi.send('browsingContext.getTree', { maxDepth: 0 });
    const found = contexts.find((c) => c.url === url);
    if (found) {
      browser.taken.add(found.context);
      const page = new Page(browser, found.context);
      await page.waitFor('document.readyState === "complete"');
      return page;
    }
    await sleep(100);
  }
  throw new Error(`no context at ${url} in ${timeout} ms`);
}

const LISTED = `[...document.querySelectorAll('#readers > li')].map((li) => ({
  reader: li.querySelector('h2').textContent,
  card: li.querySelector('h2 + p').textContent,
  sites: [...li.querySelectorAll('ul.sites li')].map((s) => s.textContent),
}))`;
const listed = (popup) => popup.evaluate(LISTED);

test('the toolbar view lists the readers, the cards and the site; "log out of all" logs the page out as a card pull does', { timeout: 90_000 }, async () => {
  const page = await browser.newPage(site.url);
  await page.waitFor('document.querySelector("#login:not([hidden])") !== null', { what: 'the login button' });
  const popup = await loginOpeningPopup(page);
  assert.equal(await apiMe(page), 200);
  // Opened before the login, the view shows the site without a reload.
  const want = JSON.stringify([
    { reader: 'Virtual PCD 00 00', card: `Card: ${MARI}`, sites: [site.origin] },
    { reader: 'Virtual PCD 00 01', card: `Card: ${JAAN}`, sites: [] },
  ]);
  await popup.waitFor(`JSON.stringify(${LISTED}) === ${JSON.stringify(want)}`, { what: `the open view to list ${want}` })
    .catch(async (e) => { throw new Error(`${e.message}; it lists ${JSON.stringify(await listed(popup))}`); });
  assert.equal(await popup.evaluate('window.cardboundFirst === true && !document.getElementById("logOutAll").disabled'), true,
    'the same document, "Log out of all" enabled');
  assert.equal(await popup.text('button.logout-card'), 'Log out', 'Mari\'s card\'s own "Log out"');
  await assertAccessible(popup, 'toolbar view (Firefox)');
  await popup.screenshot(join(artefacts, 'popup.png'));

  await popup.click('#logOutAll');
  const state = await page.waitFor('document.querySelector("#state.out")?.textContent', { timeout: 5000, what: 'the logout' });
  assert.equal(state, 'Your card was removed from the reader, so you have been logged out.');
  assert.equal(await page.evaluate('document.querySelector("#state").dataset.reason'), 'card-removed');
  assert.equal(await apiMe(page), 401);
  await popup.waitFor('document.getElementById("status").textContent !== ""', { what: 'the view saying it is done' });
  assert.equal(await popup.text('#status'), 'Logged out of all sites (1).');
  assert.deepEqual((await listed(popup)).map((r) => r.sites), [[], []]);
  await popup.close();
  await page.close();
});
