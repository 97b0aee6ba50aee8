// Transaction confirmation in headless Chromium (issue 17): logged in with
// Mari's card, the demo page asks to confirm "Pay 1,200 EUR to ACME Ltd";
// the extension's window shows exactly the text the server signed, the PIN
// goes in, and the server accepts the confirmation. A page that changes the
// text it posts back gets TRANSACTION_TEXT_CHANGED, a confirmation sent
// twice TRANSACTION_UNKNOWN; a page that uses confirmChallenge with its own
// requests; cancel, and the card pulled while the window is open.
// Screenshots: build/test-artifacts/transaction/.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { benchEnv } from '../integration/bench_env.mjs';
import { assertAccessible } from './axe.mjs';
import { bench, demoResult, LoginFlow, step } from './flow.mjs';
import { buildDir, launchBrowser, startSite } from './harness.mjs';

const env = benchEnv();
const PIN = env.CARDBOUND_CARD_PIN;
const MARI = 'Mari Card'; // card 0
const TEXT = 'Pay 1,200 EUR to ACME Ltd (invoice 2026-118)';
const artefacts = join(buildDir, 'test-artifacts', 'transaction');

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
});

// A page of the site, logged in with Mari's card (the browser's session
// of an earlier test, or a new login).
async function loggedInPage() {
  const page = await browser.context.newPage();
  await page.goto(site.url);
  await page.waitForSelector('#login:not([hidden]), #state.in');
  if (await page.isVisible('#login')) await flow.login(page, { holder: MARI, pin: PIN });
  await page.waitForSelector('#payment:not([hidden])');
  return page;
}

// The confirmation window, once it shows the PIN entry.
async function confirmationWindow(opened) {
  const w = await opened;
  await w.waitForSelector(step.pin);
  return w;
}

const typePin = async (w, pin) => {
  await w.fill('#pin', pin);
  await w.click('#ok').catch((e) => { if (!/closed/i.test(e.message)) throw e; });
};

// The demo page's result: the confirmed text, or the code it was refused with.
const outcome = (page) => demoResult(page, '#confirmed', 'text');

test('confirm a payment: the window shows the server\'s text, a wrong PIN, the right one; the server accepts it', async () => {
  const page = await loggedInPage();
  await page.fill('#paymentText', TEXT);
  const opened = flow.nextWindow();
  await page.click('#confirmPayment');
  const w = await confirmationWindow(opened);
  assert.equal(await w.textContent('h1'), 'Confirm with your card');
  assert.equal(await w.textContent('#transactionText'), TEXT, 'the text, exactly');
  assert.equal(await w.textContent('#holder'), MARI, 'the card of the session');
  assert.equal(await w.textContent('#ok'), 'Confirm');
  assert.equal(await w.isVisible('#back'), false);
  await flow.shot(w, 'confirm');
  await assertAccessible(w, 'the confirmation window');

  await w.fill('#pin', '000000');
  await w.click('#ok');
  await w.waitForFunction(() => /PIN is wrong/.test(document.querySelector('#message').textContent));
  // The wrong PIN ended the card's login, which this very site uses: the
  // window says what happens unless the right PIN follows.
  assert.match(await w.textContent('#message'), /also logged your card out: unless you enter the right PIN soon, the sites you are logged in to with it will log you out/);
  await typePin(w, PIN);
  const result = await outcome(page);
  assert.equal(result.code, undefined, `the page says ${result.code}`);
  assert.equal(result.text, TEXT, 'the server confirmed the text it issued');
  await page.waitForSelector('#state.in'); // still logged in
  await page.close();
});

test('a page that changes the text it sends back is refused (TRANSACTION_TEXT_CHANGED); a confirmation sent twice too (TRANSACTION_UNKNOWN)', async () => {
  const page = await loggedInPage();
  const opened = flow.nextWindow();
  // A client whose fetch changes the confirmed text on the way to the
  // server, and keeps what it sent.
  const tampered = page.evaluate(async (text) => {
    const cardbound = await import('/cardbound.js');
    const real = window.fetch.bind(window);
    const fetch = async (url, init) => {
      if (String(url).endsWith('/transaction')) {
        const body = JSON.parse(init.body);
        window.sentConfirmation = structuredClone(body.confirmation);
        body.confirmation.text = 'Pay 9,999 EUR to EVIL Ltd';
        return real(url, { ...init, body: JSON.stringify(body) });
      }
      return real(url, init);
    };
    try {
      await cardbound.createClient({ fetch }).confirmTransaction({ text });
      return { accepted: true };
    } catch (e) {
      return { code: e.code, serverCode: e.serverCode, status: e.status };
    }
  }, TEXT);
  const w = await confirmationWindow(opened);
  assert.equal(await w.textContent('#transactionText'), TEXT, 'the window shows what the server signed');
  await typePin(w, PIN);
  assert.deepEqual(await tampered, { code: 'ERR_SERVER_REFUSED', serverCode: 'TRANSACTION_TEXT_CHANGED', status: 401 });

  // The untouched confirmation now: its nonce was used up by the refusal.
  const replay = await page.evaluate(async () => {
    const res = await fetch('/cardbound/transaction', {
      method: 'POST', credentials: 'same-origin', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ confirmation: window.sentConfirmation }),
    });
    return { status: res.status, body: await res.json() };
  });
  assert.deepEqual(replay, { status: 401, body: { error: 'TRANSACTION_UNKNOWN' } });
  await page.close();
});

test('confirmChallenge: a page that talks to its server itself gets the confirmation, and the server accepts it', async () => {
  const page = await loggedInPage();
  const opened = flow.nextWindow();
  // As an application whose own server issues and checks transactions:
  // the page asks for the challenge, the card confirms it
  // (cardbound.confirmChallenge), the page posts the confirmation.
  const answered = page.evaluate(async (text) => {
    const cardbound = await import('/cardbound.js');
    const post = async (path, body) => {
      const res = await fetch(path, {
        method: 'POST', credentials: 'same-origin', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body),
      });
      return { status: res.status, body: await res.json() };
    };
    const { challenge } = (await post('/cardbound/transaction/challenge', { text })).body;
    const { confirmation } = await cardbound.confirmChallenge(challenge);
    return post('/cardbound/transaction', { confirmation });
  }, TEXT);
  // A page that fails before any window says why, not "no window".
  const w = await Promise.race([confirmationWindow(opened), answered.then((a) => { throw new Error(`answered without a window: ${JSON.stringify(a)}`); })]);
  assert.equal(await w.textContent('#transactionText'), TEXT);
  await typePin(w, PIN);
  const { status, body } = await answered;
  assert.equal(status, 200, JSON.stringify(body));
  assert.equal(body.confirmed, true);
  assert.equal(body.text, TEXT);
  assert.equal(body.identity?.holder, MARI);
  await page.close();
});

test('cancelled in the window: ERR_USER_CANCELLED, and the session goes on', async () => {
  const page = await loggedInPage();
  const opened = flow.nextWindow();
  await page.click('#confirmPayment');
  const w = await confirmationWindow(opened);
  await w.click('#cancel').catch(() => {});
  assert.equal((await outcome(page)).code, 'ERR_USER_CANCELLED');
  await page.waitForSelector('#state.in');
  await page.close();
});

test('the card pulled while the window asks for the PIN: the window says so, the session ends, nothing is confirmed', async () => {
  const page = await loggedInPage();
  const opened = flow.nextWindow();
  await page.click('#confirmPayment');
  const w = await confirmationWindow(opened);
  await bench('pull', '0');
  try {
    await w.waitForSelector('#cardGone:not([hidden])', { timeout: 10_000 });
    assert.equal(await w.isDisabled('#pin'), true);
    await page.waitForSelector('#state.out', { timeout: 10_000 });
    await w.click('#cancel').catch(() => {});
    assert.equal((await outcome(page)).code, 'ERR_USER_CANCELLED');
  } finally {
    await bench('insert', '0');
  }
  await page.close();
});
