// The version handshake (issue 12) in headless Chromium: parts of Cardbound
// from different releases are refused by name, with words that say what to
// update, before anything else is asked of them.
//  (a) the extension, as build.mjs packages it now, with a fake
//      cardbound-host (a node script written here, speaking native messaging
//      framing) that answers `status` with protocol 1: the page's
//      authenticate() fails with ERR_HOST_VERSION, and every request starts
//      a fresh host that is asked nothing but `status`;
//  (b) an extension whose content script says protocol 99 (the package,
//      patched): the page's API refuses it with ERR_EXTENSION_VERSION; no
//      host is needed for that.
// The page is the demo page with the JavaScript API of js/cardbound.js as it
// is now (served by cardbound-server --site), so the test does not depend
// on the API compiled into the server.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { benchEnv, repoRoot } from '../integration/bench_env.mjs';
import { extensionIdOf, launchBrowser, startSite } from './harness.mjs';

const env = benchEnv();
const work = mkdtempSync(join(tmpdir(), 'cardbound-version-'));
const { VERSION, PROTOCOL_VERSION, messages } = await import(join(repoRoot, 'js', 'cardbound.js'));
const words = (code) => messages.en.errors[code].replaceAll('{version}', VERSION);

let site;

// The extension as build.mjs packages it, and its Chromium id (from the
// manifest key, as Chromium derives it).
const packages = join(work, 'extension');
execFileSync(process.execPath, [join(repoRoot, 'extension', 'build.mjs'), '--out', packages], { stdio: 'ignore' });
const extension = join(packages, 'chromium');
const extensionId = extensionIdOf(extension);

// The same package, but speaking protocol 99 (its content script's ping and
// the background's registry alike).
function otherProtocolPackage(protocol) {
  const dir = join(packages, `chromium-protocol-${protocol}`);
  cpSync(extension, dir, { recursive: true });
  for (const [file, pattern] of [
    [join(dir, 'content', 'bridge.js'), /\bconst PROTOCOL_VERSION = \d+;/g],
    [join(dir, 'shared', 'registry.js'), /\bexport const PROTOCOL_VERSION = \d+;/g],
  ]) {
    const text = readFileSync(file, 'utf8');
    assert.equal(text.match(pattern)?.length, 1, `one PROTOCOL_VERSION in ${file}`);
    writeFileSync(file, text.replace(pattern, (m) => m.replace(/\d+;$/, `${protocol};`)));
  }
  return dir;
}

// A cardbound-host of protocol 1: it answers `status` and refuses
// everything else, and logs each start and each command it gets.
function writeOldHost(protocol) {
  const log = join(work, 'old-host.log');
  const script = join(work, 'old-host.mjs');
  writeFileSync(script, `#!${process.execPath}
import { appendFileSync } from 'node:fs';
const log = (entry) => appendFileSync(${JSON.stringify(log)}, JSON.stringify({ pid: process.pid, ...entry }) + '\\n');
const send = (message) => {
  const body = Buffer.from(JSON.stringify(message));
  const head = Buffer.alloc(4);
  head.writeUInt32LE(body.length);
  process.stdout.write(Buffer.concat([head, body]));
};
log({ started: true });
let input = Buffer.alloc(0);
process.stdin.on('data', (chunk) => {
  input = Buffer.concat([input, chunk]);
  while (input.length >= 4 && input.length >= 4 + input.readUInt32LE(0)) {
    const length = input.readUInt32LE(0);
    const request = JSON.parse(input.subarray(4, 4 + length).toString('utf8'));
    input = input.subarray(4 + length);
    log({ command: request.command });
    if (request.command === 'status') {
      send({ id: request.id, result: { version: '0.1.0', protocol: ${protocol}, configFiles: [], configError: null,
        modules: [], readerMonitor: true, readers: [] } });
    } else {
      send({ id: request.id, error: { code: 'ERR_UNKNOWN_COMMAND', message: 'no such command in protocol ${protocol}' } });
    }
  }
});
process.stdin.on('end', () => process.exit(0));
`);
  chmodSync(script, 0o755);
  return { script, log };
}

// Registers `script` as cardbound-host for the browser's profile (Chromium
// reads the manifest when the extension connects).
function registerHost(browser, script) {
  const dir = join(browser.home, 'profile', 'NativeMessagingHosts');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'org.cardbound.host.json'), JSON.stringify({
    name: 'org.cardbound.host', description: 'a cardbound-host of another release', path: script, type: 'stdio',
    allowed_origins: [`chrome-extension://${extensionId}/`],
  }));
}

const withExtension = (dir, options = {}) => launchBrowser({
  env, ...options, extension: false, args: [`--load-extension=${dir}`, `--disable-extensions-except=${dir}`],
});

// The demo page, with the API of js/cardbound.js as it is now.
before(async () => {
  const root = join(work, 'site');
  mkdirSync(root);
  const page = readFileSync(join(repoRoot, 'server', 'web', 'index.html'), 'utf8');
  assert.ok(page.includes("from '/cardbound.js'"));
  writeFileSync(join(root, 'index.html'), page.replace("from '/cardbound.js'", "from '/cardbound-now.js'"));
  cpSync(join(repoRoot, 'js', 'cardbound.js'), join(root, 'cardbound-now.js'));
  site = await startSite({ env, args: ['--site', root] });
});

after(async () => {
  await site?.stop();
  rmSync(work, { recursive: true, force: true });
});

// What the page's own authenticate() rejects with.
const authenticateFails = (page) => page.evaluate(async () => {
  const cardbound = await import('/cardbound-now.js');
  try {
    await cardbound.authenticate();
    return null;
  } catch (e) {
    const { name, code, hostProtocol, extensionProtocol, protocol } = e;
    return { name, code, hostProtocol, extensionProtocol, protocol };
  }
});

// The demo page's login button: what it says after a click.
async function clickLogin(page) {
  await page.click('#login'); // clears the hint
  await page.waitForSelector('#hint[data-code]', { timeout: 10_000 });
  return { code: await page.getAttribute('#hint', 'data-code'), text: await page.textContent('#hint') };
}

test('(a) a host of protocol 1 is refused: ERR_HOST_VERSION, with words; each request starts it afresh and asks only status', async () => {
  assert.equal(PROTOCOL_VERSION, 2);
  const host = writeOldHost(1);
  const browser = await withExtension(extension, { host: false });
  try {
    registerHost(browser, host.script);
    const page = await browser.context.newPage();
    await page.goto(site.url);
    // availability() on load: the extension's `status` reaches the host.
    await page.waitForSelector('#hint[data-code]', { timeout: 10_000 });
    assert.equal(await page.getAttribute('#hint', 'data-code'), 'ERR_HOST_VERSION');
    assert.equal(await page.textContent('#hint'), words('ERR_HOST_VERSION'));
    assert.match(await page.textContent('#hint'), /from different releases\. Install Cardbound \d+\.\d+\.\d+ for both/);

    // The login button: the same refusal, in words.
    assert.deepEqual(await clickLogin(page), { code: 'ERR_HOST_VERSION', text: words('ERR_HOST_VERSION') });

    // The page's authenticate(): the class and both versions.
    assert.deepEqual(await authenticateFails(page), {
      name: 'VersionMismatchError', code: 'ERR_HOST_VERSION', hostProtocol: 1, extensionProtocol: undefined, protocol: 2,
    });

    // Every request met a host of its own (the refused one's port is
    // closed), and no host heard anything but the handshake's status.
    const entries = readFileSync(host.log, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    const byHost = new Map();
    for (const e of entries.filter((x) => x.command)) byHost.set(e.pid, [...(byHost.get(e.pid) ?? []), e]);
    assert.ok(byHost.size >= 3, `a fresh host for each of the 3 requests (${byHost.size} started)`);
    for (const [pid, commands] of byHost) assert.deepEqual(commands.map((c) => c.command), ['status'], `host ${pid}`);
    assert.equal(entries.filter((e) => e.started).length, byHost.size);
  } finally {
    await browser.close();
  }
});

test('(b) an extension of protocol 99 is refused by the page: ERR_EXTENSION_VERSION, with words', async () => {
  // No cardbound-host at all: the page refuses before it asks the extension anything.
  const browser = await withExtension(otherProtocolPackage(99), { host: false });
  try {
    const page = await browser.context.newPage();
    await page.goto(site.url);
    await page.waitForSelector('#hint[data-code]', { timeout: 10_000 });
    assert.equal(await page.getAttribute('#hint', 'data-code'), 'ERR_EXTENSION_VERSION', 'not "not installed", nor "no host"');
    assert.equal(await page.textContent('#hint'), words('ERR_EXTENSION_VERSION'));
    assert.match(await page.textContent('#hint'), /^This site needs Cardbound \d+\.\d+\.\d+\. Update the Cardbound browser extension/);

    const availability = await page.evaluate(async () => (await import('/cardbound-now.js')).availability());
    assert.deepEqual(availability, {
      available: false, code: 'ERR_EXTENSION_VERSION', message: words('ERR_EXTENSION_VERSION'), extensionProtocol: 99, protocol: 2,
    });
    assert.deepEqual(await clickLogin(page), { code: 'ERR_EXTENSION_VERSION', text: words('ERR_EXTENSION_VERSION') });
    assert.deepEqual(await authenticateFails(page), {
      name: 'VersionMismatchError', code: 'ERR_EXTENSION_VERSION', hostProtocol: undefined, extensionProtocol: 99, protocol: 2,
    });
  } finally {
    await browser.close();
  }
});
