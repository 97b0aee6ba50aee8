// Debian's Firefox (firefox-esr) with the Cardbound extension, driven over
// WebDriver BiDi (bidi.mjs), in a throw-away HOME: a profile that allows the
// unsigned extension and trusts the test CAs for TLS (its cert9.db), and
// ~/.mozilla/native-messaging-hosts/org.cardbound.host.json naming
// cardbound-host. The extension is installed as a temporary add-on
// (webExtension.install), which Firefox allows unsigned.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { benchEnv, repoRoot } from '../integration/bench_env.mjs';
import { hostEnvironment, trustInNss } from '../browser/harness.mjs';
import { BiDi, evaluate, launchFirefox, waitFor } from './bidi.mjs';

export const buildDir = process.env.CARDBOUND_BUILD_DIR ?? join(repoRoot, 'build');
export const extensionDir = join(buildDir, 'extension', 'firefox');
export const hostPath = join(buildDir, 'host', 'cardbound-host');
export const GECKO_ID = 'cardbound@cardbound.org';
// The extension's moz-extension:// host in every test profile (Firefox
// gives each profile a random one unless this preference names it), so a
// test can open the extension's pages, e.g. the toolbar view, as tabs.
export const EXTENSION_UUID = 'c4a7b0de-2f0c-4c1e-9a35-0ca4db0ed016';
export const extensionUrl = (path) => `moz-extension://${EXTENSION_UUID}/${path}`;

const PREFS = {
  'xpinstall.signatures.required': false,
  'extensions.autoDisableScopes': 0,
  'extensions.enabledScopes': 5,
  'browser.shell.checkDefaultBrowser': false,
  'browser.startup.homepage_override.mstone': 'ignore',
  'browser.aboutwelcome.enabled': false,
  'datareporting.policy.dataSubmissionEnabled': false,
  'datareporting.healthreport.uploadEnabled': false,
  'toolkit.telemetry.enabled': false,
  'toolkit.telemetry.unified': false,
  'toolkit.telemetry.archive.enabled': false,
  'app.update.enabled': false,
  'app.update.auto': false,
  'network.proxy.type': 0,
  'app.normandy.enabled': false,
  'browser.region.network.url': '',
  'extensions.webextensions.uuids': JSON.stringify({ [GECKO_ID]: EXTENSION_UUID }),
};

const userJs = (prefs) => Object.entries(prefs).map(([k, v]) => `user_pref(${JSON.stringify(k)}, ${JSON.stringify(v)});\n`).join('');

// Firefox with the extension installed and a BiDi session. `trust` lists CA
// files Firefox trusts for TLS; `hostTrust` those cardbound-host trusts for
// servers.
export async function launchBrowser({ env = benchEnv(), trust, hostTrust, headless = true, hostConfig = {} } = {}) {
  const pki = env.CARDBOUND_PKI_DIR;
  trust ??= [join(pki, 'root-ca.pem')];
  hostTrust ??= [join(pki, 'root-ca.pem')];
  const home = mkdtempSync(join(tmpdir(), 'cardbound-firefox-'));
  const profile = join(home, 'profile');
  mkdirSync(profile);
  writeFileSync(join(profile, 'user.js'), userJs(PREFS));

  // Firefox keeps the CAs it trusts in the profile's NSS database (cert9.db).
  trustInNss(profile, trust);
  // Firefox reads ~/.mozilla/native-messaging-hosts/ for every profile.
  execFileSync(hostPath, ['--register', '--browser', 'firefox', '--user'], { env: { ...process.env, HOME: home }, stdio: 'ignore' });
  const hostEnv = hostEnvironment(home, env, hostTrust, hostConfig);
  const hostLog = hostEnv.CARDBOUND_HOST_LOG;

  const firefox = await launchFirefox({
    profile, headless,
    env: { ...process.env, ...env, ...hostEnv, MOZ_CRASHREPORTER_DISABLE: '1' },
  });
  let bidi;
  try {
    bidi = await BiDi.connect(firefox.url);
    const session = await bidi.send('session.new', { capabilities: { alwaysMatch: { acceptInsecureCerts: false } } });
    const { extension } = await bidi.send('webExtension.install', { extensionData: { type: 'path', path: extensionDir } });
    if (extension !== GECKO_ID) throw new Error(`installed ${extension}, not ${GECKO_ID}`);
    const browser = new Browser(bidi, { firefox, home, hostLog, capabilities: session.capabilities });
    await browser.start();
    return browser;
  } catch (e) {
    bidi?.close();
    await firefox.close();
    rmSync(home, { recursive: true, force: true });
    throw new Error(`${e.message}\n--- Firefox said:\n${firefox.log().slice(-4000)}`);
  }
}

export class Browser {
  constructor(bidi, { firefox, home, hostLog, capabilities }) {
    Object.assign(this, { bidi, firefox, home, hostLog, capabilities });
    this.created = []; // top-level contexts opened since start(), in order
    this.taken = new Set();
  }

  get version() { return this.capabilities.browserVersion; }

  async start() {
    await this.bidi.send('session.subscribe', { events: ['browsingContext.contextCreated'] });
    this.bidi.on('browsingContext.contextCreated', (c) => { if (!c.parent) this.created.push(c.context); });
  }

  // A new tab at `url`, loaded.
  async newPage(url) {
    const { context } = await this.bidi.send('browsingContext.create', { type: 'tab' });
    this.taken.add(context);
    await this.bidi.send('browsingContext.navigate', { context, url, wait: 'complete' });
    return new Page(this, context);
  }

  // The next window the extension opens with ui/<name>.html (login),
  // once its document has loaded.
  async nextWindow(name, { timeout = 10_000 } = {}) {
    const deadline = Date.now() + timeout;
    const want = new RegExp(`^moz-extension://[^/]+/ui/${name}\\.html\\?`);
    for (;;) {
      for (const context of this.created.filter((c) => !this.taken.has(c))) {
        const tree = await this.bidi.send('browsingContext.getTree', { root: context, maxDepth: 0 }).catch(() => null);
        const url = tree?.contexts?.[0]?.url ?? '';
        if (!tree) this.taken.add(context); // closed meanwhile
        else if (want.test(url)) {
          this.taken.add(context);
          const page = new Page(this, context);
          await page.waitFor('document.readyState === "complete"', { timeout: Math.max(1000, deadline - Date.now()) });
          return page;
        }
      }
      if (Date.now() > deadline) throw new Error(`no ${name} window in ${timeout} ms`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  async close() {
    this.bidi.close();
    await this.firefox.close();
    rmSync(this.home, { recursive: true, force: true });
  }
}

export class Page {
  constructor(browser, context) {
    this.browser = browser;
    this.bidi = browser.bidi;
    this.context = context;
  }

  evaluate(expression, options) {
    return evaluate(this.bidi, this.context, expression, options);
  }

  waitFor(expression, options) {
    return waitFor(this.bidi, this.context, expression, options);
  }

  // Clicks the first element `selector` finds (as script: element.click()
  // with user activation). A window that closes itself on the click ends
  // the evaluation with an error about the context: that is the click working.
  async click(selector) {
    const clicked = await this.evaluate(`(() => { const e = document.querySelector(${JSON.stringify(selector)}); if (!e) return false; e.click(); return true; })()`,
      { userActivation: true }).catch((e) => {
      if (/no such frame|discarded|closed|destroyed/i.test(e.message)) return true;
      throw e;
    });
    if (!clicked) throw new Error(`nothing matches ${selector}`);
  }

  text(selector) {
    return this.evaluate(`document.querySelector(${JSON.stringify(selector)})?.textContent ?? null`);
  }

  // The page as PNG, written to `path`.
  async screenshot(path) {
    const { data } = await this.bidi.send('browsingContext.captureScreenshot', { context: this.context });
    writeFileSync(path, Buffer.from(data, 'base64'));
  }

  async close() {
    await this.bidi.send('browsingContext.close', { context: this.context }).catch(() => {});
  }
}

export function readHostLog(browser) {
  try { return readFileSync(browser.hostLog, 'utf8'); } catch { return ''; }
}
