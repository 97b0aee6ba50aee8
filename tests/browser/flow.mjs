// The user's side of a login in the browser, step by step, for the tests,
// the benchmark and the demo: click the page's login button, pick the card's
// certificate in the extension's login window, type the PIN in the same
// window, and wait for the page to welcome the holder. The window opens on
// the PIN entry when there is exactly one certificate; "Other certificate"
// goes back to the list.
import { execFile } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { benchPath } from '../integration/bench_env.mjs';
import { hostPath } from './harness.mjs';

const run = promisify(execFile);

// The login window closes itself when the login is over: Playwright's click
// then ends with "target closed", which is the click working.
const clickClosing = (page, selector) => page.click(selector).catch((e) => {
  if (!/closed/i.test(e.message)) throw e;
});

// The steps of the login window (ui/login.html), as selectors.
export const step = {
  picker: '#picker:not([hidden])',
  pin: '#entry:not([hidden])',
  blocked: '#blocked:not([hidden])',
};
export const certEntry = (holder) => `button.cert:has(.holder:text-is("${holder}"))`;

export class LoginFlow {
  constructor(context, { artefacts = null } = {}) {
    this.context = context;
    this.artefacts = artefacts;
    if (artefacts) mkdirSync(artefacts, { recursive: true });
  }

  async shot(page, name) {
    if (this.artefacts) await page.screenshot({ path: join(this.artefacts, `${name}.png`) });
  }

  nextWindow(timeout = 10_000) {
    return this.context.waitForEvent('page', { timeout });
  }

  // Click login; resolves with the login window once it shows a step (the
  // picker, or the PIN entry of the only certificate).
  async openWindow(page) {
    const opened = this.nextWindow();
    await page.click('#login');
    const w = await opened;
    await w.waitForSelector(`${step.picker}, ${step.pin}, ${step.blocked}`);
    return w;
  }

  // Click login; resolves with the login window once it lists certificates
  // (going back to the list if it opened on the PIN entry).
  async openPicker(page) {
    const w = await this.openWindow(page);
    if (await w.isVisible(step.pin)) await w.click('#back');
    await w.waitForSelector(`${step.picker} button.cert`);
    return w;
  }

  // Picks the certificate with this holder name (unless the window shows
  // its PIN entry already); resolves with the window at its PIN entry.
  async pick(w, holder) {
    if (!(await this.showsPinOf(w, holder))) {
      await w.click(`${step.picker} ${certEntry(holder)}`);
      await w.waitForFunction((name) => !document.querySelector('#entry').hidden
        && document.querySelector('#holder').textContent === name, holder);
    }
    await w.waitForSelector('#pin');
    return w;
  }

  showsPinOf(w, holder) {
    return w.evaluate((name) => !document.querySelector('#entry').hidden && document.querySelector('#holder').textContent === name, holder);
  }

  async typePin(w, pin) {
    await w.fill('#pin', pin);
    await clickClosing(w, '#ok');
  }

  // The whole login; returns the milliseconds from the click to the moment
  // the page showed the welcome (watchState). With `parts`, returns them
  // apart, each from the moment the browser handed a click to the page or
  // window (its click event), not from when the test asked Playwright to
  // click: { total, shown, typing, done, input }: click to the window's
  // first step on screen (its 'cardbound-first-view' mark, by the window's
  // own clock), the test picking and typing, and OK to the welcome. `shown`
  // + `done` is what the product took; `typing` is the user's (here the
  // test's) share; `input` is Playwright's own time from its two clicks to
  // their events (about 40-60 ms each here), which no product can save.
  async login(page, { holder, pin, shots = false, parts = false }) {
    await watchState(page);
    const t0 = Date.now();
    const w = await this.openWindow(page);
    const shownAt = parts ? await firstViewAt(w) : null;
    const opening = parts ? await this.windowOpening(w) : null;
    if (shots && await w.isVisible(step.picker)) await this.shot(w, 'picker');
    await this.pick(w, holder);
    await w.fill('#pin', pin);
    if (shots) await this.shot(w, 'pin');
    const okEventAt = parts ? await clickEventIn(w) : null;
    const ok = Date.now();
    await clickClosing(w, '#ok');
    await page.waitForSelector('#state.in', { timeout: 15_000 });
    const welcome = await stateShownAt(page, 'in');
    if (shots) await this.shot(page, 'logged-in');
    if (!parts) return welcome - t0;
    const clicked = await page.evaluate(() => window.cardboundStateAt.clicked);
    const okAt = await okEventAt();
    return {
      total: welcome - clicked, shown: shownAt - clicked, typing: okAt - shownAt, done: welcome - okAt,
      input: clicked - t0 + okAt - ok,
      // `shown` in three: until the extension asks for the window; Chromium
      // opening it (until its page has arrived); the page's own start.
      beforeWindow: opening.asked - clicked, chromium: opening.arrived - opening.asked, windowPage: shownAt - opening.arrived,
    };
  }

  // When the extension asked for login window `w` (the service worker's
  // 'cardbound-window-asked' mark) and when its page had arrived (its
  // navigation's responseEnd), by Date.now().
  async windowOpening(w) {
    const extension = w.url().split('/').slice(0, 3).join('/'); // chrome-extension://ID (URL's origin is 'null' there)
    const worker = this.context.serviceWorkers().find((sw) => sw.url().startsWith(`${extension}/`));
    if (!worker) throw new Error('no service worker of the extension');
    const asked = await worker.evaluate(() => {
      const mark = performance.getEntriesByName('cardbound-window-asked').at(-1);
      return mark ? performance.timeOrigin + mark.startTime : null;
    });
    const arrived = await w.evaluate(() => performance.timeOrigin + performance.getEntriesByType('navigation')[0].responseEnd);
    if (asked === null) throw new Error('the extension did not mark asking for its window');
    return { asked, arrived };
  }
}

// When the login window showed its first step, by Date.now() (ui/login.js
// marks it; the window's timeOrigin is on the same clock).
export function firstViewAt(w) {
  return w.evaluate(async () => {
    for (let i = 0; i < 100 && !performance.getEntriesByName('cardbound-first-view').length; i++) {
      await new Promise((r) => setTimeout(r, 5));
    }
    const mark = performance.getEntriesByName('cardbound-first-view')[0];
    if (!mark) throw new Error('the login window never marked its first view');
    return performance.timeOrigin + mark.startTime;
  });
}

// When the next click in window `w` reaches it (its click event, by
// Date.now()): resolves, once the listener is in, with a function that
// waits for it. Heard through the console, which still reports a window
// that the click closes right after.
export async function clickEventIn(w) {
  const heard = w.waitForEvent('console', { predicate: (m) => m.text().startsWith('cardbound-clicked '), timeout: 10_000 });
  heard.catch(() => {}); // the click may fail first; then nobody asks
  await w.evaluate(() => document.addEventListener('click', () => console.log(`cardbound-clicked ${Date.now()}`), { capture: true, once: true }));
  return async () => Number((await heard).text().split(' ')[1]);
}

// Records, in the page, when it last showed each state (its #state element
// turning "in" or "out") and when it last got a click, by Date.now(), which
// is this process's clock too.
// Timings come from there, not from when Playwright notices: its
// waitForSelector polls at the page's animation frames, and a page that is
// not being painted (headless, once the login window has closed) gets one
// about every 400 ms.
export async function watchState(page) {
  await page.evaluate(() => {
    if (window.cardboundStateAt) return;
    const state = document.querySelector('#state');
    const shown = () => ['in', 'out'].find((c) => state.classList.contains(c)) ?? null;
    const at = { last: shown(), clicked: null };
    window.cardboundStateAt = at;
    // The last click the page got (its event), for the benchmark.
    document.addEventListener('click', () => { at.clicked = Date.now(); }, true);
    new MutationObserver(() => {
      const now = shown();
      if (now && now !== at.last) at[now] = Date.now();
      at.last = now;
    }).observe(state, { attributes: true, attributeFilter: ['class'] });
  });
}

// When the page last turned to `state` ('in' or 'out'), or null.
export const stateShownAt = (page, state) => page.evaluate((s) => window.cardboundStateAt?.[s] ?? null, state);

// The demo page's result in `selector` (#signed, #confirmed): its data
// attributes once it holds `key` (the outcome) or `code` (the refusal).
export async function demoResult(page, selector, key) {
  await page.waitForFunction(([sel, k]) => {
    const d = document.querySelector(sel).dataset;
    return d[k] || d.code;
  }, [selector, key], { timeout: 15_000 });
  return page.evaluate((sel) => ({ ...document.querySelector(sel).dataset }), selector);
}

// What the server says to this page's cookie.
export function apiMe(page) {
  return page.evaluate(async () => (await fetch('/api/me')).status);
}

export const bench = (...args) => run(benchPath, args);

// Kills the cardbound-host that this browser started (found by the host
// configuration file in its environment).
export function killHostOf(browser) {
  const config = `CARDBOUND_HOST_CONFIG=${join(browser.home, 'host.json')}`;
  let killed = 0;
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0] !== hostPath) continue;
      if (!readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').includes(config)) continue;
      process.kill(Number(pid), 'SIGKILL');
      killed++;
    } catch { /* gone meanwhile */ }
  }
  return killed;
}
