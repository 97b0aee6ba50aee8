// The user's side of a login in the browser, step by step, for the tests,
// the benchmark and the demo: click the page's login button, pick the card's
// certificate in the extension's picker window, type the PIN in its PIN
// window, and wait for the page to welcome the holder.
import { execFile } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { benchPath } from '../integration/bench_env.mjs';
import { hostPath } from './harness.mjs';

const run = promisify(execFile);

// Windows that close themselves (picker, PIN) end Playwright's click with
// "target closed": that is the click working.
const clickClosing = (page, selector) => page.click(selector).catch((e) => {
  if (!/closed/i.test(e.message)) throw e;
});

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

  // Click login; resolves with the picker window once it lists certificates.
  async openPicker(page) {
    const picker = this.nextWindow();
    await page.click('#login');
    const w = await picker;
    await w.waitForSelector('button.cert');
    return w;
  }

  // Picks the certificate with this holder name; resolves with the PIN window.
  async pick(picker, holder) {
    const pinWindow = this.nextWindow();
    await clickClosing(picker, `button.cert:has(.holder:text-is("${holder}"))`);
    const w = await pinWindow;
    await w.waitForSelector('#pin');
    return w;
  }

  async typePin(pinWindow, pin) {
    await pinWindow.fill('#pin', pin);
    await clickClosing(pinWindow, '#ok');
  }

  // The whole login; returns the milliseconds from the click to the welcome.
  async login(page, { holder, pin, shots = false }) {
    const t0 = performance.now();
    const picker = await this.openPicker(page);
    if (shots) await this.shot(picker, 'picker');
    const pinWindow = await this.pick(picker, holder);
    await pinWindow.fill('#pin', pin);
    if (shots) await this.shot(pinWindow, 'pin');
    await clickClosing(pinWindow, '#ok');
    await page.waitForSelector('#state.in', { timeout: 15_000 });
    const ms = performance.now() - t0;
    if (shots) await this.shot(page, 'logged-in');
    return ms;
  }
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
