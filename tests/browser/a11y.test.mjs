// The login window for people who use the keyboard alone, a large font or
// a screen reader (issue 16, item 5), in English and Estonian: Chromium with
// a 24 px default font (the profile's preference, as a user sets it) and no
// viewport emulation, so the window has the size the extension gave it.
// Each step is checked with axe-core (no serious or critical findings),
// fits the window without scrolling, starts with the focus in the right
// place, takes Enter and Escape. The blocked card's view too (card 1's PIN
// blocked by three wrong PINs, unblocked again with `bench reset-pin 1`).
// The toolbar view (ui/popup.html, opened as a tab) with a site logged in,
// at the largest size a browser gives an action popup (800 × 600 px in
// Chromium and Firefox): axe-core, and it fits without scrolling.
// Screenshots: build/test-artifacts/a11y/.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { benchEnv } from '../integration/bench_env.mjs';
import { assertAccessible } from './axe.mjs';
import { apiMe, bench, LoginFlow, step } from './flow.mjs';
import { buildDir, extensionIdOf, launchBrowser, startSite } from './harness.mjs';

const env = benchEnv();
const PIN = env.CARDBOUND_CARD_PIN;
const MARI = 'Mari Card'; // card 0
const artefacts = join(buildDir, 'test-artifacts', 'a11y');
const LARGE_FONT = { webkit: { webprefs: { default_font_size: 24 } } };
// The largest action popup Chromium (and Firefox) shows; a taller view scrolls.
const POPUP_MAX = { width: 800, height: 600 };

// Nothing scrolls: the page is no taller or wider than the window, and every
// visible button is inside it.
async function assertFits(w, what) {
  const fit = await w.evaluate(() => {
    const root = document.documentElement;
    const outside = [...document.querySelectorAll('button, input')].filter((e) => e.offsetParent !== null).filter((e) => {
      const r = e.getBoundingClientRect();
      return r.bottom > innerHeight || r.right > innerWidth || r.top < 0;
    }).map((e) => e.id || e.textContent.trim());
    return { height: root.scrollHeight, width: root.scrollWidth, innerHeight, innerWidth, outside, font: getComputedStyle(document.body).fontSize };
  });
  assert.ok(parseFloat(fit.font) >= 22, `${what}: the large default font is used (${fit.font})`);
  assert.ok(fit.height <= fit.innerHeight && fit.width <= fit.innerWidth, `${what}: scrolls (${JSON.stringify(fit)})`);
  assert.deepEqual(fit.outside, [], `${what}: controls out of view`);
}

// Each piece of the origin (scheme, host labels, port) stays on one line and
// inside the window: a line may end only between pieces.
async function assertOriginWhole(w, origin, what, within = '#origin') {
  const pieces = await w.evaluate((sel) => [...document.querySelectorAll(`${sel} .piece`)].map((p) => ({
    text: p.textContent, lines: p.getClientRects().length, right: p.getBoundingClientRect().right, width: innerWidth,
  })), within);
  assert.equal(pieces.map((p) => p.text).join(''), origin, `${what}: the whole origin`);
  for (const p of pieces) assert.ok(p.lines === 1 && p.right <= p.width, `${what}: "${p.text}" broken or cut (${JSON.stringify(p)})`);
}

const focused = (w) => w.evaluate(() => document.activeElement?.id || document.activeElement?.className || document.activeElement?.tagName);

async function cancelledBy(w, page, press) {
  await press().catch(() => {}); // the window closes under Playwright
  await page.waitForSelector('#hint[data-code]');
  assert.equal(await page.getAttribute('#hint', 'data-code'), 'ERR_USER_CANCELLED');
  await w.waitForEvent('close', { timeout: 5000 }).catch(() => {});
  assert.equal(w.isClosed(), true, 'the window closed');
}

for (const lang of ['en', 'et']) {
  describe(`the login window in ${lang}, at a 24 px default font`, () => {
    let site;
    let browser;
    let flow;
    const words = JSON.parse(readFileSync(join(buildDir, 'extension', 'chromium', '_locales', lang, 'messages.json'), 'utf8'));
    const say = (key) => words[key].message;

    before(async () => {
      await bench('insert', '0');
      await bench('insert', '1');
      site = await startSite({ env });
      // Chromium on Linux takes its UI language (and chrome.i18n's) from LANGUAGE.
      browser = await launchBrowser({ env: { ...env, LANGUAGE: lang }, args: [`--lang=${lang}`], preferences: LARGE_FONT, viewport: null });
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

    test('picker and PIN entry: accessible, fitting, the focus where the user starts; Enter picks, Escape cancels', async () => {
      const page = await openSite();
      const w = await flow.openWindow(page);
      assert.equal(await w.isVisible(step.picker), true, 'two cards: the picker');
      assert.equal(await w.evaluate(() => document.documentElement.lang), lang);
      assert.equal(await w.textContent('h1'), say('pickerTitle'));
      assert.equal(await focused(w), 'cert', 'the focus starts on the first certificate');
      await assertFits(w, 'picker');
      await assertOriginWhole(w, site.origin, 'picker');
      await assertAccessible(w, `picker (${lang})`);
      await flow.shot(w, `picker-${lang}`);

      await w.keyboard.press('Enter');
      await w.waitForSelector(step.pin);
      assert.equal(await w.textContent('#holder'), MARI, 'Enter chose the focused (first) certificate');
      assert.equal(await w.textContent('h1'), say('pinTitle'));
      assert.equal(await focused(w), 'pin', 'the focus starts in the PIN field');
      await assertFits(w, 'PIN entry');
      await assertOriginWhole(w, site.origin, 'PIN entry');
      await assertAccessible(w, `PIN entry (${lang})`);
      await flow.shot(w, `pin-${lang}`);

      await cancelledBy(w, page, () => w.keyboard.press('Escape'));
      await page.close();
    });

    test('keyboard alone: Enter picks, the PIN typed and Enter logs in', async () => {
      const page = await openSite();
      const w = await flow.openWindow(page);
      await w.keyboard.press('Enter');
      await w.waitForSelector(step.pin);
      await w.keyboard.type('975310');
      await w.keyboard.press('Enter');
      await w.waitForFunction(() => document.querySelector('#message').className.includes('error') && !document.querySelector('#ok').disabled);
      assert.equal(await focused(w), 'pin', 'after a wrong PIN the focus is back in the field');
      await assertAccessible(w, `wrong PIN (${lang})`);
      await w.keyboard.type(PIN);
      await w.keyboard.press('Enter').catch(() => {});
      await page.waitForSelector('#state.in', { timeout: 15_000 });
      assert.equal(await apiMe(page), 200);
      await page.click('#logout');
      await page.waitForSelector('#state.out');
      await page.close();
    });

    async function openPopup() {
      const popup = await browser.context.newPage();
      await popup.setViewportSize(POPUP_MAX);
      await popup.goto(`chrome-extension://${extensionIdOf()}/ui/popup.html`);
      await popup.waitForSelector('#loading[hidden]', { state: 'attached' });
      return popup;
    }

    test('the toolbar view: accessible, in the language, the focus on its title while nobody is logged in', async () => {
      const popup = await openPopup();
      assert.equal(await popup.evaluate(() => document.documentElement.lang), lang);
      assert.equal(await popup.textContent('h1'), say('popupTitle'));
      assert.equal(await popup.textContent('#logOutAll'), say('popupLogOutAll'));
      assert.equal(await popup.locator('#readers > li').count(), 2, 'both readers');
      assert.equal(await focused(popup), 'title', 'nothing to log out of: the focus on the title');
      await assertFits(popup, 'toolbar view');
      await assertAccessible(popup, `toolbar view (${lang})`);
      await flow.shot(popup, `popup-${lang}`);
      await popup.close();
    });

    test('the toolbar view with a site logged in: fits an action popup at 24 px, accessible, each card\'s "Log out" named in the language', async () => {
      const page = await openSite();
      await flow.login(page, { holder: MARI, pin: PIN });
      try {
        const popup = await openPopup();
        assert.equal(await popup.locator('ul.sites li').count(), 1, 'the site is listed');
        assert.equal(await focused(popup), 'logOutAll');
        const button = popup.locator('button.logout-card');
        assert.equal(await button.textContent(), say('popupLogOutCard'));
        assert.equal(await button.getAttribute('aria-label'), say('popupLogOutCardLabel').replace('$1', 'Virtual PCD 00 00'));
        await assertFits(popup, 'toolbar view with a site');
        await assertOriginWhole(popup, site.origin, 'toolbar view', 'ul.sites .origin');
        await assertAccessible(popup, `toolbar view with a site (${lang})`);
        await flow.shot(popup, `popup-site-${lang}`);
        await popup.close();
      } finally {
        await page.click('#logout');
        await page.waitForSelector('#state.out');
        await page.close();
      }
    });

    test('a blocked card: its own title, accessible, fitting, the focus on Close; Escape closes the window', async () => {
      const page = await openSite();
      try {
        const w = await flow.pick(await flow.openPicker(page), 'Jaan Card');
        for (let i = 0; i < 3 && !(await w.isVisible(step.blocked)); i++) {
          const before = await w.textContent('#message');
          await w.fill('#pin', '975310');
          await w.keyboard.press('Enter');
          await w.waitForFunction((prev) => !document.querySelector('#blocked').hidden
            || (document.querySelector('#message').textContent !== prev && !document.querySelector('#ok').disabled), before);
        }
        await w.waitForSelector(step.blocked);
        assert.equal(await w.textContent('h1'), say('blockedTitle'), 'a title of its own');
        assert.equal(await w.title(), say('blockedTitle'));
        assert.equal(await focused(w), 'close', 'the focus on Close');
        await assertFits(w, 'blocked card');
        await assertOriginWhole(w, site.origin, 'blocked card');
        await assertAccessible(w, `blocked card (${lang})`);
        await flow.shot(w, `blocked-${lang}`);
        await w.keyboard.press('Escape').catch(() => {}); // the window closes under Playwright
        await w.waitForEvent('close', { timeout: 5000 }).catch(() => {});
        assert.equal(w.isClosed(), true, 'Escape closed the window');
        await page.waitForSelector('#hint[data-code]');
        assert.equal(await page.getAttribute('#hint', 'data-code'), 'ERR_PIN_BLOCKED');
      } finally {
        await bench('reset-pin', '1');
        await page.close();
      }
    });

    test('one card: straight to the PIN entry, "Other certificate" shows the list; an empty list focuses "Look again"', async () => {
      await bench('pull', '1');
      try {
        const page = await openSite();
        const w = await flow.openWindow(page);
        assert.equal(await w.isVisible(step.pin), true, 'one certificate: the PIN entry at once');
        assert.equal(await focused(w), 'pin');
        await w.keyboard.press('Shift+Tab'); // from the field back to "Other certificate"
        assert.equal(await focused(w), 'back');
        await w.keyboard.press('Enter');
        await w.waitForSelector(step.picker);
        assert.equal(await focused(w), 'cert', 'the list starts on its certificate');
        assert.equal(await w.locator('button.cert').count(), 1);
        await bench('pull', '0');
        await w.waitForSelector('#empty:not([hidden])', { timeout: 5000 });
        assert.equal(await focused(w), 'refresh', 'a list that empties leaves the focus on "Look again"');
        await assertFits(w, 'empty picker');
        await assertAccessible(w, `empty picker (${lang})`);
        await cancelledBy(w, page, () => w.keyboard.press('Escape'));

        const again = await flow.openWindow(page);
        await again.waitForSelector('#empty:not([hidden])');
        assert.equal(await focused(again), 'refresh', 'an empty picker focuses "Look again"');
        await cancelledBy(again, page, () => again.click('#pickerCancel'));
        await page.close();
      } finally {
        await bench('insert', '0');
        await bench('insert', '1');
      }
    });
  });
}
