// The Cardbound demo in a real browser: Chromium with the extension opens the
// demo site, the user logs in with the virtual card (picker, PIN), the card is
// pulled, and the site logs the user out. Headed when there is a display,
// otherwise headless and scripted. Prints what happens and keeps screenshots.
//   node tests/browser/demo.mjs [--out DIR]     (the bench must be up)
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { benchEnv } from '../integration/bench_env.mjs';
import { apiMe, bench, LoginFlow } from './flow.mjs';
import { buildDir, launchBrowser, startSite } from './harness.mjs';

const { values } = parseArgs({ options: { out: { type: 'string' }, help: { type: 'boolean' } } });
if (values.help) {
  console.log('Usage: node tests/browser/demo.mjs [--out DIR]   (default DIR: build/demo; the bench must be up)');
  process.exit(0);
}
const out = values.out ?? join(buildDir, 'demo');
mkdirSync(out, { recursive: true });
const env = benchEnv();
const headed = Boolean(process.env.DISPLAY || process.env.WAYLAND_DISPLAY);
const pause = (ms) => new Promise((r) => setTimeout(r, headed ? ms : 0));
const say = (text) => console.log(`  ${text}`);

await bench('insert', '0');
const site = await startSite({ env, args: ['--presence-interval', '10'] });
const browser = await launchBrowser({ env, headless: !headed });
try {
  const flow = new LoginFlow(browser.context, { artefacts: out });
  say(`Chromium ${headed ? 'on your display' : 'headless'} with the Cardbound extension; the site is ${site.origin}`);
  const page = await browser.context.newPage();
  await page.goto(site.url);
  await page.waitForSelector('#login:not([hidden])');
  await flow.shot(page, '1-site');
  say(`1. the site: "${(await page.textContent('#state')).trim()}"`);
  await pause(1500);

  const picker = await flow.openPicker(page);
  await flow.shot(picker, '2-picker');
  const holders = await picker.locator('button.cert .holder').allTextContents();
  say(`2. the login button: the site proved itself to the host, the picker lists ${holders.join(', ')}`);
  await pause(1500);
  const pinWindow = await flow.pick(picker, 'Mari Card');
  await pinWindow.fill('#pin', env.CARDBOUND_CARD_PIN);
  await flow.shot(pinWindow, '3-pin');
  say('3. picked Mari Card; the PIN entry, in the same window (the extension\'s own, the page cannot see it)');
  await pause(1500);
  const t0 = performance.now();
  await pinWindow.click('#ok').catch(() => {});
  await page.waitForSelector('#state.in');
  await flow.shot(page, '4-logged-in');
  say(`4. ${(await page.textContent('#state')).trim()} (${(performance.now() - t0).toFixed(0)} ms after the PIN; /api/me ${await apiMe(page)})`);
  await pause(3000);

  const pulled = performance.now();
  await bench('pull', '0');
  await page.waitForSelector('#state.out', { timeout: 5000 });
  const ms = performance.now() - pulled;
  await flow.shot(page, '5-card-pulled');
  say(`5. card pulled: "${(await page.textContent('#state')).trim()}" after ${ms.toFixed(0)} ms; /api/me ${await apiMe(page)}`);
  await pause(3000);
  say(`Screenshots: ${out}/{1-site,2-picker,3-pin,4-logged-in,5-card-pulled}.png`);
} finally {
  await browser.close();
  await site.stop();
  await bench('insert', '0').catch(() => {});
}
