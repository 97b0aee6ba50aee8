// Presence in a background tab (issue 16): Chromium's intensive wake-up
// throttling (a page hidden for 5 minutes gets about one timer wake-up a
// minute for chained timers) is forced on with a 10 s grace period, the
// logged-in page is hidden behind another tab, and the session must stay
// alive for five presence deadlines.
//
// A control shows that the throttling is in force: a chain of timers (each
// started by the last one's callback) in another hidden tab nearly stops.
// The same chain in the site's page is only logged: that page was not
// intensively throttled at all in Chromium 156 (it kept a 1 s cadence; an
// open event stream or the Web Lock it holds while proving may exempt it).
// The presence rounds do not depend on either: intensive throttling only
// touches chains of five timers or more, and each round's wait starts when
// the server's challenge arrives (a network task) and ends in a message from
// the extension, so a hidden page proves on time (to the whole second). On
// the code before issue 16 this test passes too: it guards that property.
//
// Playwright logs in, then lets go of the browser: while it is attached it
// keeps every page visible. The tab switch and the checks after it go
// through the DevTools protocol directly (cdp.mjs).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { benchEnv } from '../integration/bench_env.mjs';
import { Cdp, targets } from './cdp.mjs';
import { bench, LoginFlow } from './flow.mjs';
import { launchDetachable, startSite } from './harness.mjs';

const env = benchEnv();
const INTERVAL = 4;
const GRACE = 2;
const DEADLINE_MS = (INTERVAL + GRACE) * 1000;
const THROTTLING_GRACE_S = 10;

let site;
let chromium;
const cdps = [];

before(async () => {
  await bench('insert', '0');
  site = await startSite({ env, args: ['--presence-interval', String(INTERVAL), '--presence-grace', String(GRACE), '--access-log', 'text'] });
  chromium = await launchDetachable(site.url, {
    env, args: [`--enable-features=IntensiveWakeUpThrottling:grace_period_seconds/${THROTTLING_GRACE_S}`],
  });
});

after(async () => {
  for (const c of cdps) c.close();
  try {
    await chromium?.close();
  } finally {
    await site?.stop();
  }
});

// The access log's presence proofs: when each was answered 204 (ms).
const proofTimes = () => [...site.log().matchAll(/^\[(\S+ \S+)\] .* "POST \/cardbound\/presence" 204 /gm)]
  .map((m) => new Date(m[1].replace(' ', 'T')).getTime());

test('a page hidden behind another tab, under intensive wake-up throttling, keeps its session for five deadlines', async () => {
  const pw = await chromium.connect();
  const context = pw.contexts()[0];
  let page;
  for (const until = Date.now() + 10_000; !page && Date.now() < until; await sleep(100)) {
    page = context.pages().find((p) => p.url().startsWith(site.url));
  }
  assert.ok(page, 'the site opened');
  await page.waitForSelector('#login:not([hidden])');
  await new LoginFlow(context).login(page, { holder: 'Mari Card', pin: env.CARDBOUND_CARD_PIN });
  await pw.close(); // lets go; Chromium runs on

  const { browser, pages } = await targets(chromium.devtools);
  const b = await Cdp.open(browser);
  const p = await Cdp.open(pages.find((t) => t.url.startsWith(site.url)).webSocketDebuggerUrl);
  cdps.push(b, p);
  // The control tab, and the site's page: a chain of timers, each 500 ms,
  // started by the last.
  const chain = `window.ticks = []; (function tick() { setTimeout(() => { ticks.push(Date.now()); tick(); }, 500); })(); true`;
  const control = await b.send('Target.createTarget', { url: 'about:blank', newWindow: false });
  const c = await Cdp.open((await targets(chromium.devtools)).pages.find((t) => t.id === control.targetId).webSocketDebuggerUrl);
  cdps.push(c);
  await c.evaluate(chain);
  await p.evaluate(chain);
  const { targetId } = await b.send('Target.createTarget', { url: 'about:blank', newWindow: false });
  await b.send('Target.activateTarget', { targetId });
  await sleep(300);
  assert.equal(await p.evaluate('document.visibilityState'), 'hidden', 'the site\'s page is behind the other tab');
  assert.equal(await c.evaluate('document.visibilityState'), 'hidden', 'so is the control');
  const hidden = Date.now();

  await sleep(THROTTLING_GRACE_S * 1000 + 5 * DEADLINE_MS);
  const throttledFrom = hidden + THROTTLING_GRACE_S * 1000 + 2000;
  const after = (list) => list.filter((t) => t > throttledFrom).length;
  const controlTicks = after(await c.evaluate('ticks'));
  const pageTicks = after(await p.evaluate('ticks'));
  const proofs = proofTimes().filter((t) => t > throttledFrom);
  const gaps = proofTimes().filter((t) => t > hidden).map((t, i, a) => (i ? t - a[i - 1] : t - hidden));
  const throttledS = Math.round((Date.now() - throttledFrom) / 1000);
  console.log(`# hidden ${Math.round((Date.now() - hidden) / 1000)} s; in the last ${throttledS} s (every 0.5 s unthrottled) ` +
    `the control chain ticked ${controlTicks} times, the site page's chain ${pageTicks}; ` +
    `presence proofs since hidden ${gaps.length}, gaps ${gaps.join(' ')} ms`);
  assert.ok(controlTicks <= 2, `the control was not throttled (${controlTicks} ticks): the test proves nothing`);
  assert.ok(proofs.length >= 5, `only ${proofs.length} presence proofs while throttled`);
  assert.ok(Math.max(...gaps) < DEADLINE_MS, `a gap of ${Math.max(...gaps)} ms between proofs (deadline ${DEADLINE_MS} ms)`);
  assert.match(await p.evaluate(`document.querySelector('#state').className`), /\bin\b/);
  assert.equal(await p.evaluate(`fetch('/api/me').then((r) => r.status)`), 200);
});
