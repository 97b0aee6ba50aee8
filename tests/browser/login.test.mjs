// End to end in Debian's Chromium (headless, new mode): the demo site, the
// unpacked extension, cardbound-host started by the browser through its
// native messaging manifest, the virtual card in the bench's pcscd.
// Screenshots of the picker, the PIN window and the logged-in page are kept
// in build/test-artifacts/browser/.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { benchEnv } from '../integration/bench_env.mjs';
import { apiMe, bench, certEntry, killHostOf, LoginFlow, step } from './flow.mjs';
import { buildDir, launchBrowser, readHostLog, startSite } from './harness.mjs';
import { repoRoot } from '../integration/bench_env.mjs';

const env = benchEnv();
const pki = env.CARDBOUND_PKI_DIR;
const PIN = env.CARDBOUND_CARD_PIN;
const MARI = 'Mari Card'; // card 0
const INTERVAL = 2; // seconds between presence proofs
const GRACE = 1;
const artefacts = join(buildDir, 'test-artifacts', 'browser');

let site;
let browser;
let flow;

before(async () => {
  await bench('insert', '0');
  site = await startSite({ env, args: ['--presence-interval', String(INTERVAL), '--presence-grace', String(GRACE)] });
  // The browser trusts the unrelated CA for TLS too; the host never does.
  browser = await launchBrowser({ env, trust: [join(pki, 'root-ca.pem'), join(pki, 'other-ca.pem')] });
  flow = new LoginFlow(browser.context, { artefacts });
});

after(async () => {
  await browser?.close();
  await site?.stop();
  await bench('insert', '0').catch(() => {});
});

async function openSite(url = site.url) {
  const page = await browser.context.newPage();
  await page.goto(url);
  await page.waitForSelector('#login:not([hidden])');
  return page;
}

async function logout(page) {
  await page.click('#logout');
  await page.waitForSelector('#state.out');
}

test('happy path: picker, PIN, welcome; /api/me answers 200', async () => {
  const page = await openSite();
  assert.equal(await apiMe(page), 401);
  const picker = await flow.openPicker(page);
  const holders = await picker.locator('button.cert .holder').allTextContents();
  assert.ok(holders.includes(MARI), `the picker lists ${holders.join(', ')}`);
  const entry = await picker.locator(`button.cert:has(.holder:text-is("${MARI}"))`).textContent();
  assert.match(entry, /Cardbound Test Issuing CA/);
  assert.match(entry, /Virtual PCD 00 00/);
  assert.match(await picker.textContent('#origin'), new RegExp(site.origin));
  assert.equal(await picker.textContent('#verified'), 'Verified: Cardbound Test (localhost)', 'the site as a person reads it');
  await flow.shot(picker, 'picker');
  const pinWindow = await flow.pick(picker, MARI);
  assert.equal(pinWindow, picker, 'the PIN entry is in the same window');
  assert.equal(await pinWindow.title(), 'Enter your PIN');
  await pinWindow.fill('#pin', PIN);
  await flow.shot(pinWindow, 'pin');
  await flow.typePin(pinWindow, PIN);
  await page.waitForSelector('#state.in');
  assert.match(await page.textContent('#state'), /Welcome, Mari Card/);
  await flow.shot(page, 'logged-in');
  assert.equal(await apiMe(page), 200);
  await logout(page);
  assert.equal(await apiMe(page), 401);
  await page.close();
});

test('a wrong PIN shows the error in the PIN window; the right one then logs in', async () => {
  const page = await openSite();
  const pinWindow = await flow.pick(await flow.openPicker(page), MARI);
  await pinWindow.fill('#pin', '975310');
  await pinWindow.click('#ok');
  await pinWindow.waitForSelector('#message.error');
  assert.match(await pinWindow.textContent('#message'), /PIN is wrong/);
  assert.doesNotMatch(await pinWindow.textContent('#message'), /log you out/, 'no site is logged in with the card: nothing at stake');
  await flow.shot(pinWindow, 'pin-wrong');
  assert.equal(await apiMe(page), 401);
  await flow.typePin(pinWindow, PIN);
  await page.waitForSelector('#state.in');
  assert.equal(await apiMe(page), 200);
  await logout(page);
  await page.close();
  const log = readHostLog(browser);
  assert.match(log, /'authenticate'/, 'the host logged at debug level');
  const leaks = log.split('\n').filter((l) => l.includes(PIN) || l.includes('975310'));
  assert.deepEqual(leaks, [], 'neither PIN is in the host log');
});

test('the PIN window counts down the tries and shows a blocked card; the page gets ERR_PIN_BLOCKED', async () => {
  // Card 1 (Jaan Card) is blocked here and unblocked again at the end.
  const page = await openSite();
  const pinWindow = await flow.pick(await flow.openPicker(page), 'Jaan Card');
  try {
    const texts = [];
    for (let i = 0; i < 2; i++) {
      await pinWindow.fill('#pin', '975310');
      await pinWindow.click('#ok');
      const before = texts.at(-1) ?? '';
      await pinWindow.waitForFunction((prev) => {
        const m = document.querySelector('#message');
        return m.className.includes('error') && m.textContent !== prev && !document.querySelector('#ok').disabled;
      }, before);
      texts.push(await pinWindow.textContent('#message'));
    }
    assert.match(texts[0], /PIN is wrong/);
    assert.match(texts[1], /last try/, 'the window warns before the try that blocks');
    await flow.shot(pinWindow, 'pin-last-try');
    await pinWindow.fill('#pin', '975310');
    await pinWindow.click('#ok');
    await pinWindow.waitForSelector(step.blocked);
    assert.match(await pinWindow.textContent('#blocked'), /blocked/);
    assert.equal(await pinWindow.textContent('h1'), 'PIN blocked', 'a title of its own');
    assert.equal(await pinWindow.title(), 'PIN blocked');
    await flow.shot(pinWindow, 'pin-blocked');
    await page.waitForSelector('#hint[data-code]');
    assert.equal(await page.getAttribute('#hint', 'data-code'), 'ERR_PIN_BLOCKED');
    assert.match(await page.textContent('#hint'), /^The PIN of your card is blocked\. Unblock it with your PUK/, 'in words');
    await pinWindow.click('#close').catch(() => {});
    // The next login marks the blocked card in the list.
    const again = await flow.openPicker(page);
    assert.equal(await again.textContent(`${certEntry('Jaan Card')} .badge`), 'PIN blocked');
    assert.equal(await again.locator(`${certEntry(MARI)} .badge`).count(), 0);
    await flow.shot(again, 'picker-blocked-card');
    await again.click('#pickerCancel').catch(() => {});
  } finally {
    await bench('reset-pin', '1');
    await page.close();
  }
});

test('cancel in the picker gives the page ERR_USER_CANCELLED, shown as "Login cancelled." and not as a failure', async () => {
  const page = await openSite();
  const picker = await flow.openPicker(page);
  await picker.click('#pickerCancel').catch(() => {});
  await page.waitForSelector('#hint[data-code]');
  assert.equal(await page.getAttribute('#hint', 'data-code'), 'ERR_USER_CANCELLED');
  assert.equal(await page.textContent('#hint'), 'Login cancelled.');
  assert.equal(await page.getAttribute('#hint', 'class'), '', 'not shown as an error');
  assert.equal(await apiMe(page), 401);
  await page.close();
});

test('a server whose challenge is signed by an untrusted CA: no window opens, ERR_SERVER_NOT_TRUSTED', async () => {
  const rogue = await startSite({ env, args: ['--cert', join(pki, 'server-other-ca.pem'), '--key', join(pki, 'server-other-ca.key')] });
  try {
    const page = await openSite(rogue.url);
    const windows = [];
    const opened = (p) => windows.push(p.url());
    browser.context.on('page', opened);
    await page.click('#login');
    await page.waitForSelector('#hint[data-code]');
    browser.context.off('page', opened);
    assert.equal(await page.getAttribute('#hint', 'data-code'), 'ERR_SERVER_NOT_TRUSTED');
    assert.match(await page.textContent('#hint'), /^This site could not prove who it is/, 'in words');
    assert.deepEqual(windows, [], 'no login window opened');
    assert.match(readHostLog(browser), /ERR_SERVER_NOT_TRUSTED/);
    await page.close();
  } finally {
    await rogue.stop();
  }
});

test('pulling the card logs out this tab and a second tab within 2 s, both saying the card was removed', async () => {
  const page = await openSite();
  await flow.login(page, { holder: MARI, pin: PIN });
  const second = await browser.context.newPage();
  await second.goto(site.url);
  await second.waitForSelector('#state.in');
  const pulled = performance.now();
  await bench('pull', '0');
  try {
    await page.waitForSelector('#state.out', { timeout: 2000 });
    const firstMs = performance.now() - pulled;
    await second.waitForSelector('#state.out', { timeout: 2000 });
    const secondMs = performance.now() - pulled;
    assert.equal(await apiMe(page), 401);
    for (const tab of [page, second]) {
      assert.equal(await tab.getAttribute('#state', 'data-reason'), 'card-removed');
      assert.match(await tab.textContent('#state'), /Your card was removed from the reader, so you have been logged out\./);
    }
    console.log(`# pull to logout: this tab ${firstMs.toFixed(0)} ms, second tab ${secondMs.toFixed(0)} ms`);
  } finally {
    await bench('insert', '0');
  }
  await page.close();
  await second.close();
});

test('a reload keeps the session: the new page takes over the presence proofs', async () => {
  const page = await openSite();
  await flow.login(page, { holder: MARI, pin: PIN });
  await page.reload();
  await page.waitForSelector('#state.in');
  // Three deadlines (interval + grace) pass; only the reloaded page can have proven presence.
  await new Promise((r) => setTimeout(r, 3 * (INTERVAL + GRACE) * 1000));
  assert.equal(await apiMe(page), 200);
  assert.match(await page.textContent('#state'), /Welcome, Mari Card/);
  await logout(page);
  await page.close();
});

test('with the host killed, the session still ends by the presence deadline', async () => {
  const page = await openSite();
  await flow.login(page, { holder: MARI, pin: PIN });
  assert.equal(await apiMe(page), 200);
  const killedAt = performance.now();
  assert.ok(killHostOf(browser) >= 1, 'found the host the browser started');
  await page.waitForSelector('#state.out', { timeout: (INTERVAL + GRACE + 3) * 1000 });
  const ms = performance.now() - killedAt;
  assert.equal(await page.getAttribute('#state', 'data-reason'), 'presence-late');
  assert.match(await page.textContent('#state'), /stopped hearing from your card/);
  assert.equal(await apiMe(page), 401);
  console.log(`# host killed: session ended after ${ms.toFixed(0)} ms (interval ${INTERVAL} s + grace ${GRACE} s)`);
  await page.close();
});

test('docs/integration.md: its copy-paste page with --site and --protect guards a page of one\'s own', async () => {
  // The page exactly as the guide prints it, and a page only card holders see.
  const guide = readFileSync(join(repoRoot, 'docs', 'integration.md'), 'utf8');
  const html = guide.split('### A complete login page')[1].match(/```html\n([\s\S]*?)```/)[1];
  const dir = mkdtempSync(join(tmpdir(), 'cardbound-my-site-'));
  mkdirSync(join(dir, 'private'));
  writeFileSync(join(dir, 'index.html'), html);
  writeFileSync(join(dir, 'private', 'index.html'), '<h1>Only for card holders</h1>');
  const mine = await startSite({ env, args: ['--site', dir, '--protect', '/private/'] });
  const privatePage = (page) => page.evaluate(async () => {
    const res = await fetch('/private/');
    return { redirected: res.redirected, text: await res.text() };
  });
  try {
    const page = await openSite(mine.url);
    assert.equal((await privatePage(page)).redirected, true, 'sent to the front page before the login');
    await flow.login(page, { holder: MARI, pin: PIN });
    assert.match(await page.textContent('#state'), /Logged in as Mari Card/);
    assert.deepEqual(await privatePage(page), { redirected: false, text: '<h1>Only for card holders</h1>' });
    await bench('pull', '0');
    await page.waitForSelector('#state.out', { timeout: 2000 });
    assert.match(await page.textContent('#message'), /Your card was removed/);
    assert.equal((await privatePage(page)).redirected, true, 'and again after the card is pulled');
    await page.close();
  } finally {
    await bench('insert', '0');
    await mine.stop();
  }
});
