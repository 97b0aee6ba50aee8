// What the browser tests and the demo share: the reference server on a free
// port, and Debian's Chromium with the unpacked extension in a throw-away
// HOME whose NSS database trusts the test CAs and whose profile names
// cardbound-host as the native messaging host.
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { benchEnv, repoRoot } from '../integration/bench_env.mjs';

export const buildDir = process.env.CARDBOUND_BUILD_DIR ?? join(repoRoot, 'build');
export const extensionDir = join(buildDir, 'extension', 'chromium');
export const hostPath = join(buildDir, 'host', 'cardbound-host');

// The Chromium id of the unpacked extension in `dir`, from its manifest's
// key as Chromium derives it: the first 32 hex digits of the key's SHA-256,
// 0-f mapped to a-p.
export function extensionIdOf(dir = extensionDir) {
  const key = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')).key;
  return [...createHash('sha256').update(Buffer.from(key, 'base64')).digest('hex').slice(0, 32)]
    .map((c) => String.fromCharCode(97 + parseInt(c, 16))).join('');
}
const serverPath = join(buildDir, 'server', 'cardbound-server');

// cardbound-server --demo on 127.0.0.1:<free port> (or `listen`), as
// https://localhost:<port>.
export async function startSite({ env = benchEnv(), args = [], listen = '127.0.0.1:0' } = {}) {
  const proc = spawn(serverPath, ['--demo', '--listen', listen, ...args],
    { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  proc.stderr.on('data', (d) => { log += d; });
  const line = await new Promise((resolve, reject) => {
    proc.stdout.once('data', (d) => resolve(d.toString()));
    proc.once('exit', (code) => reject(new Error(`cardbound-server exited (${code}): ${log}`)));
  });
  const port = Number(line.match(/:(\d+)\s/)[1]);
  const origin = `https://localhost:${port}`;
  return {
    proc, port, origin, url: `${origin}/`, log: () => log,
    stop: () => new Promise((resolve) => {
      if (proc.exitCode !== null || proc.signalCode !== null) return resolve();
      proc.once('exit', resolve);
      proc.kill();
    }),
  };
}

// Trusts CA files for TLS in an NSS database (a directory; created if new).
export function trustInNss(dir, caFiles) {
  mkdirSync(dir, { recursive: true });
  const db = `sql:${dir}`;
  execFileSync('certutil', ['-N', '-d', db, '--empty-password']);
  caFiles.forEach((file, i) => execFileSync('certutil', ['-A', '-d', db, '-n', `cardbound-test-${i}`, '-t', 'C,,', '-i', file]));
}

// The configuration of the cardbound-host a browser in `home` starts: the
// bench's virtual cards through OpenSC, `caFiles` trusted for servers, a
// debug log in `home`. Returns the environment that points the host at it.
export function hostEnvironment(home, env, caFiles, extra = {}) {
  const config = join(home, 'host.json');
  const hostLog = join(home, 'host.log');
  writeFileSync(config, JSON.stringify({
    pkcs11Modules: [env.CARDBOUND_OPENSC_MODULE], caFiles, useSystemTrust: false, logFile: hostLog, logLevel: 'debug', ...extra,
  }));
  return { HOME: home, CARDBOUND_HOST_CONFIG: config, CARDBOUND_HOST_LOG: hostLog };
}

// A throw-away HOME and profile for Chromium with the extension. `trust`
// lists CA files the browser trusts for TLS; `hostTrust` those
// cardbound-host trusts for servers. As a user may have it: `extension:
// false` without the extension, `host: false` with the extension but no
// cardbound-host registered. `args`: more Chromium flags. `preferences`: the
// profile's preferences (e.g. a default font size), as a user would have set
// them. Returns the profile, the Chromium flags and the environment to start
// Chromium with.
function prepareProfile({ env = benchEnv(), trust, hostTrust, headless = true, hostConfig = {},
  extension = true, host = true, args = [], preferences = null } = {}) {
  const pki = env.CARDBOUND_PKI_DIR;
  trust ??= [join(pki, 'root-ca.pem')];
  hostTrust ??= [join(pki, 'root-ca.pem')];
  const home = mkdtempSync(join(tmpdir(), 'cardbound-browser-'));
  const profile = join(home, 'profile');
  mkdirSync(profile);
  if (preferences) {
    mkdirSync(join(profile, 'Default'));
    writeFileSync(join(profile, 'Default', 'Preferences'), JSON.stringify(preferences));
  }

  // Chromium on Linux trusts the CAs of $HOME/.pki/nssdb.
  trustInNss(join(home, '.pki', 'nssdb'), trust);
  if (host) execFileSync(hostPath, ['--register', '--browser', 'chromium', '--profile', profile], { stdio: 'ignore' });
  const hostEnv = hostEnvironment(home, env, hostTrust, hostConfig);
  return {
    home, profile, hostLog: hostEnv.CARDBOUND_HOST_LOG,
    env: { ...process.env, ...env, ...hostEnv },
    args: [
      ...(headless ? ['--headless=new'] : []),
      ...(extension ? [`--load-extension=${extensionDir}`, `--disable-extensions-except=${extensionDir}`] : []),
      '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', ...args,
    ],
  };
}

const chromiumPath = () => process.env.CARDBOUND_CHROMIUM ?? '/usr/bin/chromium';

// Chromium with the extension, driven by Playwright (prepareProfile says
// the options). `viewport`: null lets every window keep its own size (the
// login window's, as the extension opened it).
export async function launchBrowser({ viewport = { width: 900, height: 700 }, ...options } = {}) {
  const p = prepareProfile(options);
  const context = await chromium.launchPersistentContext(p.profile, {
    executablePath: chromiumPath(),
    // Playwright's own headless mode cannot load extensions; Chromium's new
    // headless mode can.
    headless: false,
    args: p.args,
    env: p.env,
    viewport,
  });
  return {
    context, home: p.home, hostLog: p.hostLog,
    close: async () => {
      await context.close().catch(() => {});
      rmSync(p.home, { recursive: true, force: true });
    },
  };
}

// Chromium with the extension, opening `url`, that Playwright can attach to
// and leave again (connect() and then browser.close(), which only
// disconnects): while Playwright is attached it keeps every page visible,
// so a test of hidden pages must let go first. `devtools` is the DevTools
// endpoint (http://127.0.0.1:PORT) for raw protocol clients (cdp.mjs).
export async function launchDetachable(url, options = {}) {
  const p = prepareProfile(options);
  // Its own process group: close() ends Chromium's helpers (renderers, the
  // GPU process, the native host) with it, so none of them still writes into
  // the profile while it is removed.
  const proc = spawn(chromiumPath(), [...p.args, `--user-data-dir=${p.profile}`, '--remote-debugging-port=0', url],
    { env: p.env, stdio: 'ignore', detached: true });
  const signalGroup = (signal) => {
    try {
      process.kill(-proc.pid, signal);
    } catch { /* gone already */ }
  };
  const exited = new Promise((resolve) => proc.once('exit', resolve));
  // Chromium writes the port it chose into the profile.
  let port = null;
  for (const until = Date.now() + 15_000; port === null;) {
    try {
      port = Number(readFileSync(join(p.profile, 'DevToolsActivePort'), 'utf8').split('\n')[0]) || null;
    } catch { /* not yet */ }
    if (port === null) {
      if (proc.exitCode !== null || Date.now() > until) throw new Error('Chromium did not open its DevTools port');
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  const devtools = `http://127.0.0.1:${port}`;
  return {
    devtools, home: p.home, hostLog: p.hostLog,
    connect: () => chromium.connectOverCDP(devtools),
    close: async () => {
      if (proc.exitCode === null && proc.signalCode === null) {
        signalGroup('SIGTERM');
        await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
      }
      signalGroup('SIGKILL'); // whatever of the group is left
      // A helper that was writing may need a moment to be gone.
      rmSync(p.home, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
    },
  };
}

export function readHostLog(browser) {
  try { return readFileSync(browser.hostLog, 'utf8'); } catch { return ''; }
}
