// The pictures in README.md and docs/integration.md, taken from a real login
// in headless Chromium (the same LoginFlow as the browser tests): the
// picker, the PIN entry, the logged-in page, the toolbar view with the site
// under Mari's card, a transaction confirmation, and the page after the card
// was pulled. Each is cropped
// to what it shows, so the PNGs stay small.
//   node tests/browser/screenshots.mjs [--out DIR]   (default docs/images; the bench must be up)
// scripts/screenshots brings the bench up and runs this.
import { mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { benchEnv, repoRoot } from '../integration/bench_env.mjs';
import { bench, LoginFlow, step } from './flow.mjs';
import { extensionIdOf, launchBrowser, startSite } from './harness.mjs';

const { values } = parseArgs({ options: { out: { type: 'string' }, help: { type: 'boolean' } } });
if (values.help) {
  console.log('Usage: node tests/browser/screenshots.mjs [--out DIR]   (default DIR: docs/images; the bench must be up)');
  process.exit(0);
}
const out = values.out ?? join(repoRoot, 'docs', 'images');
mkdirSync(out, { recursive: true });
const env = benchEnv();

// The part of the window that has something in it: from the top to the
// bottom of the last visible element, the window's width.
async function shootContent(page, name, selector) {
  const clip = await page.evaluate((sel) => {
    const bottom = Math.max(...[...document.querySelectorAll(sel)].filter((e) => e.offsetParent !== null || e === document.body)
      .map((e) => e.getBoundingClientRect().bottom));
    return { x: 0, y: 0, width: document.documentElement.clientWidth, height: Math.ceil(bottom) + 12 };
  }, selector);
  const path = join(out, `${name}.png`);
  await page.screenshot({ path, clip });
  console.log(`${path}: ${clip.width}×${clip.height}, ${statSync(path).size} bytes`);
}

await bench('insert', '0');
await bench('insert', '1'); // two cards: the picker lists both
const site = await startSite({ env, args: ['--presence-interval', '10'] });
const browser = await launchBrowser({ env, viewport: null });
try {
  const flow = new LoginFlow(browser.context);
  const page = await browser.context.newPage();
  await page.setViewportSize({ width: 640, height: 400 });
  await page.goto(site.url);
  await page.waitForSelector('#login:not([hidden])');

  const w = await flow.openWindow(page);
  await w.waitForSelector(`${step.picker} button.cert`);
  await shootContent(w, 'picker', 'header, #picker li, #picker .actions');
  await flow.pick(w, 'Mari Card');
  await w.fill('#pin', env.CARDBOUND_CARD_PIN);
  await shootContent(w, 'pin', 'header, #entry .card, #entry .actions');
  await w.click('#ok').catch(() => {}); // the window closes
  await page.waitForSelector('#state.in');
  await page.mouse.move(0, 0);
  await shootContent(page, 'logged-in', 'h1, #state, #logout');

  // The toolbar view (the action popup's page, as a tab: headless Chromium
  // has no toolbar), about as wide as the browser shows it.
  const popup = await browser.context.newPage();
  await popup.setViewportSize({ width: 400, height: 600 });
  await popup.goto(`chrome-extension://${extensionIdOf()}/ui/popup.html`);
  await popup.waitForSelector('ul.sites li');
  await popup.locator('#logOutAll').blur();
  await shootContent(popup, 'popup', 'h1, #readers > li, main > .actions');
  await popup.close();

  // A transaction confirmation: the text the server signed, in the window.
  const opened = flow.nextWindow();
  await page.click('#confirmPayment');
  const confirm = await opened;
  await confirm.waitForSelector(step.pin);
  await shootContent(confirm, 'confirm', 'header, #entry .card, #transaction, #entry .actions');
  await confirm.click('#cancel').catch(() => {}); // the window closes

  await bench('pull', '0');
  await page.waitForSelector('#state.out', { timeout: 5000 });
  await shootContent(page, 'logged-out', 'h1, #state, #login');
} finally {
  await browser.close();
  await site.stop();
  await bench('insert', '0').catch(() => {});
}
