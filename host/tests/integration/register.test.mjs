// `cardbound-host --register` and `--unregister`, run for real with a
// temporary HOME: the manifests land where each browser looks, name this host
// and the Cardbound extension, and go away again.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, realpathSync, rmSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hostPath } from './host_client.mjs';

const extensionId = process.env.CARDBOUND_EXTENSION_ID ?? 'jiikaeniebdgdahgpccaombblnamdlld';
const geckoId = process.env.CARDBOUND_GECKO_ID ?? 'cardbound@cardbound.org';
const manifestName = 'org.cardbound.host.json';

function tempDir() {
  const dir = mkdtempSync(join(tmpdir(), 'cardbound-register-test-'));
  test.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function host(args, { home, env = {}, cwd } = {}) {
  const base = { ...process.env, ...env };
  if (home === undefined) delete base.HOME;
  else base.HOME = home;
  return spawnSync(hostPath, args, { env: base, cwd, encoding: 'utf8', timeout: 20000 });
}

function checkManifest(file, { browser, path }) {
  assert.equal(statSync(file).mode & 0o777, 0o644, `${file} is 0644`);
  const m = JSON.parse(readFileSync(file, 'utf8'));
  assert.equal(m.name, 'org.cardbound.host');
  assert.equal(m.type, 'stdio');
  assert.equal(m.description, 'Cardbound smart card host');
  assert.equal(m.path, path);
  if (browser === 'firefox') {
    assert.deepEqual(m.allowed_extensions, [geckoId]);
    assert.equal(m.allowed_origins, undefined);
  } else {
    assert.deepEqual(m.allowed_origins, [`chrome-extension://${extensionId}/`]);
    assert.equal(m.allowed_extensions, undefined);
  }
  assert.deepEqual(readdirSync(join(file, '..')), [manifestName], 'no temporary file is left behind');
}

test('registers chromium for a profile, chrome and firefox for the user, then unregisters them', () => {
  const home = tempDir();
  const profile = join(home, 'chromium-profile');
  const cases = [
    { browser: 'chromium', args: ['--profile', profile], file: join(profile, 'NativeMessagingHosts', manifestName) },
    { browser: 'chrome', args: ['--user'], file: join(home, '.config/google-chrome/NativeMessagingHosts', manifestName) },
    { browser: 'firefox', args: ['--user'], file: join(home, '.mozilla/native-messaging-hosts', manifestName) },
  ];
  const self = realpathSync(hostPath); // what /proc/self/exe names
  for (const { browser, args, file } of cases) {
    const r = host(['--register', '--browser', browser, ...args], { home });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, `wrote ${file}\n`);
    assert.equal(r.stderr, '');
    assert.equal(statSync(join(file, '..')).mode & 0o777, 0o755, 'the directory is created 0755');
    checkManifest(file, { browser, path: self });
  }
  // Registering again replaces the file in place.
  const again = host(['--register', '--browser', 'chrome'], { home });
  assert.equal(again.status, 0, again.stderr);
  checkManifest(cases[1].file, { browser: 'chrome', path: self });

  for (const { browser, args, file } of cases) {
    const r = host(['--unregister', '--browser', browser, ...args], { home });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, `removed ${file}\n`);
    assert.ok(!existsSync(file), `${file} is gone`);
  }
  const twice = host(['--unregister', '--browser', 'firefox'], { home });
  assert.equal(twice.status, 0, 'unregistering what is not there is not an error');
  assert.match(twice.stdout, /nothing to remove: .*native-messaging-hosts\/org\.cardbound\.host\.json does not exist/);
});

test('--host-path names another host; a relative one is made absolute', () => {
  const home = tempDir();
  const file = join(home, '.config/chromium/NativeMessagingHosts', manifestName);
  let r = host(['--register', '--browser=chromium', '--host-path', hostPath], { home });
  assert.equal(r.status, 0, r.stderr);
  checkManifest(file, { browser: 'chromium', path: hostPath });

  r = host(['--register', '--browser', 'chromium', '--host-path', 'bin/cardbound-host'], { home, cwd: home });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /warning: .*bin\/cardbound-host is not an executable file/);
  checkManifest(file, { browser: 'chromium', path: join(realpathSync(home), 'bin/cardbound-host') });
});

test('usage errors exit with status 2 and say what is wrong', () => {
  const home = tempDir();
  const cases = [
    [['--register', '--browser', 'safari'], /unknown browser 'safari': use chromium, chrome or firefox/],
    [['--register', '--browser'], /--browser needs a browser/],
    [['--register'], /--register needs --browser/],
    [['--register', '--unregister', '--browser', 'chrome'], /--register and --unregister exclude each other/],
    [['--register', '--browser', 'chrome', '--user', '--system'], /--user and --system exclude each other/],
    [['--register', '--browser', 'chrome', '--system', '--profile', home], /--profile and --system exclude each other/],
    [['--register', '--browser', 'firefox', '--profile', home], /--profile is only for chromium and chrome/],
    [['--unregister', '--browser', 'chrome', '--host-path', '/x'], /--host-path only goes with --register/],
    [['--register', '--browser', 'chrome', '--bogus'], /unknown argument '--bogus'/],
  ];
  for (const [args, message] of cases) {
    const r = host(args, { home });
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, message);
    assert.match(r.stderr, /^cardbound-host: /);
    assert.equal(r.stdout, '');
  }
  assert.deepEqual(readdirSync(home), [], 'nothing was written');
});

test('I/O problems exit with status 1', () => {
  const home = tempDir();
  const noHome = host(['--register', '--browser', 'chrome'], { home: undefined });
  assert.equal(noHome.status, 1);
  assert.match(noHome.stderr, /HOME is not set/);

  const file = join(home, 'a-file');
  writeFileSync(file, '');
  const r = host(['--register', '--browser', 'chromium', '--profile', file], { home });
  assert.equal(r.status, 1);
  assert.match(r.stderr, /cannot create .*a-file\/NativeMessagingHosts: Not a directory/);
});

test('without --register the browser\'s arguments are ignored and the host serves', () => {
  const env = { CARDBOUND_HOST_LOG: '/dev/null' };
  for (const args of [[`chrome-extension://${extensionId}/`],
    ['/usr/lib/mozilla/native-messaging-hosts/org.cardbound.host.json', geckoId]]) {
    const r = host(args, { home: '/nonexistent', env });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, '', 'end of input ends the host without a word');
  }
});
