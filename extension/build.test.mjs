// The packages build.mjs makes: the fixed extension id, the two browsers'
// manifests, no tests inside, translations complete.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';

const here = new URL('.', import.meta.url).pathname;
const out = mkdtempSync(join(tmpdir(), 'cardbound-extension-'));
after(() => rmSync(out, { recursive: true, force: true }));
execFileSync(process.execPath, [join(here, 'build.mjs'), '--out', out, '--gecko-id', process.env.CARDBOUND_GECKO_ID ?? 'cardbound@cardbound.org']);
const manifest = (browser) => JSON.parse(readFileSync(join(out, browser, 'manifest.json'), 'utf8'));
const files = (dir) => readdirSync(dir, { recursive: true });

test('the Chromium id comes from the manifest key and is the one the host manifests name', () => {
  const der = Buffer.from(manifest('chromium').key, 'base64');
  const hex = createHash('sha256').update(der).digest('hex').slice(0, 32);
  const id = [...hex].map((c) => String.fromCharCode(97 + parseInt(c, 16))).join('');
  assert.equal(id, process.env.CARDBOUND_EXTENSION_ID ?? 'jiikaeniebdgdahgpccaombblnamdlld');
});

test('both packages carry the registry\'s version, which src/manifest.json does not repeat', () => {
  const { version } = JSON.parse(readFileSync(join(here, '..', 'protocol', 'registry.json'), 'utf8'));
  assert.match(version, /^\d+\.\d+\.\d+$/);
  assert.equal(manifest('chromium').version, version);
  assert.equal(manifest('firefox').version, version);
  assert.equal(JSON.parse(readFileSync(join(here, 'src', 'manifest.json'), 'utf8')).version, undefined);
});

test('Chromium runs a module service worker; Firefox background scripts with a gecko id', () => {
  const c = manifest('chromium');
  const f = manifest('firefox');
  assert.equal(c.manifest_version, 3);
  assert.deepEqual(c.background, { service_worker: 'background/index.js', type: 'module' });
  assert.equal(f.manifest_version, 3);
  assert.deepEqual(f.background, { scripts: ['background/index.js'], type: 'module' });
  assert.equal(f.browser_specific_settings.gecko.id, process.env.CARDBOUND_GECKO_ID ?? 'cardbound@cardbound.org');
  assert.equal(f.key, undefined);
  assert.deepEqual(c.permissions.sort(), ['nativeMessaging', 'storage']);
  for (const m of [c, f]) {
    assert.ok(m.content_scripts[0].matches.every((p) => !/:\*\//.test(p)), 'match patterns carry no port');
    assert.match(m.content_security_policy.extension_pages, /script-src 'self'/, 'no remote code');
    assert.equal(m.web_accessible_resources, undefined, 'no page can load (or frame) the PIN window');
    assert.equal(m.externally_connectable, undefined, 'pages reach the extension only through the content script');
  }
});

test('both browsers have the toolbar view (the action popup), shipped in the package', () => {
  for (const browser of ['chromium', 'firefox']) {
    const m = manifest(browser);
    assert.deepEqual(m.action, { default_title: '__MSG_appName__', default_popup: 'ui/popup.html' }, browser);
    const all = files(join(out, browser));
    for (const f of ['popup.html', 'popup.js']) assert.ok(all.includes(join('ui', f)), `${browser}: ui/${f}`);
  }
});

test('no tests and no remote scripts in the packages', () => {
  for (const browser of ['chromium', 'firefox']) {
    const all = files(join(out, browser));
    assert.ok(all.includes(join('background', 'index.js')));
    assert.deepEqual(all.filter((f) => f.endsWith('.test.js')), []);
    for (const f of all.filter((n) => n.endsWith('.html'))) {
      const html = readFileSync(join(out, browser, f), 'utf8');
      assert.doesNotMatch(html, /src="https?:/, `${f} loads nothing remote`);
    }
  }
});

test('English and Estonian translate the same keys, and every key the windows use', () => {
  const messages = (lang) => JSON.parse(readFileSync(join(here, 'src', '_locales', lang, 'messages.json'), 'utf8'));
  const en = messages('en');
  const et = messages('et');
  assert.deepEqual(Object.keys(et).sort(), Object.keys(en).sort());
  const ui = join(here, 'src', 'ui');
  const used = new Set();
  for (const f of readdirSync(ui)) {
    const text = readFileSync(join(ui, f), 'utf8');
    for (const m of text.matchAll(/data-i18n="(\w+)"|\bt\('(\w+)'/g)) used.add(m[1] ?? m[2]);
  }
  assert.ok(used.size > 10);
  for (const key of used) assert.ok(en[key], `en lacks ${key}`);
  for (const key of ['appName', 'appDescription']) assert.ok(en[key] && et[key]);
});

test('the packages say what the JavaScript API says, for every code and reason, in both languages', async () => {
  const { messages, messageFor, ErrorCode, EndReason } = await import(new URL('../js/cardbound.js', import.meta.url));
  for (const browser of ['chromium', 'firefox']) {
    for (const lang of ['en', 'et']) {
      const built = JSON.parse(readFileSync(join(out, browser, '_locales', lang, 'messages.json'), 'utf8'));
      for (const code of Object.values(ErrorCode)) assert.equal(built[`code_${code}`]?.message, messageFor(code, { lang }), `${lang} ${code}`);
      for (const reason of Object.values(EndReason)) {
        assert.equal(built[`reason_${reason.replaceAll('-', '_')}`]?.message, messages[lang].reasons[reason], `${lang} ${reason}`);
      }
      for (const code of Object.keys(messages[lang].serverCodes)) assert.ok(built[`server_${code}`], `${lang} ${code}`);
      assert.ok(built.pinTitle, 'the extension\'s own words stay');
      assert.doesNotMatch(JSON.stringify(built), /\{version\}/);
    }
  }
});

test("the content script's ping says the protocol version of src/shared/registry.js", async () => {
  const { PROTOCOL_VERSION } = await import(new URL('./src/shared/registry.js', import.meta.url));
  assert.ok(Number.isInteger(PROTOCOL_VERSION));
  for (const browser of ['chromium', 'firefox']) {
    const bridge = readFileSync(join(out, browser, 'content', 'bridge.js'), 'utf8');
    assert.match(bridge, new RegExp(`\\bconst PROTOCOL_VERSION = ${PROTOCOL_VERSION};`), browser);
    assert.equal(readFileSync(join(out, browser, 'shared', 'registry.js'), 'utf8'),
      readFileSync(join(here, 'src', 'shared', 'registry.js'), 'utf8'), `${browser}: the background's registry`);
  }
});
