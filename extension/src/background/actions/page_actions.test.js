import { test, describe } from 'node:test';
import assert from 'node:assert/strict';

import { pageActions } from './page_actions.js';
import { authenticate } from './authenticate.js';
import { CardSessions } from '../services/card_sessions.js';
import { ExtensionError } from '../../shared/errors.js';
import { scriptedHost } from '../../../test-support/fakes.js';

const ORIGIN = 'https://a.example';
const CARD = { fingerprint: 'ab'.repeat(32), reader: 'Reader One' };

function isCode(code) {
  return (e) => {
    assert.ok(e instanceof ExtensionError, `expected an ExtensionError, got ${e?.stack ?? e}`);
    assert.equal(e.code, code);
    return true;
  };
}

function hostError(code, details = {}) {
  return new ExtensionError(code, `host says ${code}`, details);
}

// sessions with one confirmed session per tag in `tags`.
async function sessionsWith(tags, origin = ORIGIN) {
  const sessions = new CardSessions();
  for (const tag of tags) {
    await sessions.rememberLogin(`L-${tag}`, { origin, ...CARD });
    await sessions.confirm(`L-${tag}`, origin, tag, 1);
  }
  return sessions;
}

async function tagsLeft(sessions) {
  // takeForRemovedCard empties; fine at the end of a test.
  return (await sessions.takeForRemovedCard({ reader: CARD.reader })).map((s) => `${s.origin} ${s.sessionTag}`);
}

describe('pageActions', () => {
  test('has exactly the actions of the page API', () => {
    assert.deepEqual(Object.keys(pageActions).sort(), ['authenticate', 'begin-login', 'confirm', 'confirm-transaction', 'get-signing-certificate', 'logout', 'presence', 'sign', 'status']);
    assert.equal(pageActions.authenticate, authenticate);
    assert.equal(Object.getPrototypeOf(pageActions), Object.prototype);
  });

  describe('status', () => {
    const full = {
      version: '0.1.0', protocol: 1, configFiles: ['/etc/cardbound/host.json'], configError: null,
      modules: [{ path: '/usr/lib/x86_64-linux-gnu/p11-kit-proxy.so', loaded: true, error: '' }],
      readerMonitor: true, readers: [{ name: 'Virtual PCD 00 00', cardPresent: true }],
    };

    // The extension's version is its manifest's.
    const api = { runtime: { getManifest: () => ({ version: '9.8.7' }) } };

    test('tells only versions, whether configured and whether readers are watched', async () => {
      const host = scriptedHost({ status: () => full });
      const s = await pageActions.status({ api, host }, { origin: ORIGIN, args: {} });
      assert.deepEqual(s, { extension: '9.8.7', host: '0.1.0', protocol: 1, configured: true, readerMonitor: true });
      assert.equal(JSON.stringify(s).includes('/usr/lib'), false, 'no module paths');
      assert.equal(JSON.stringify(s).includes('/etc/'), false, 'no configuration files');
      assert.deepEqual(host.calls, [{ command: 'status', origin: undefined, args: undefined }], 'status has no origin');
    });

    test('a configuration error is just "not configured"; readerMonitor only when true', async () => {
      const host = scriptedHost({ status: () => ({ ...full, configError: '/etc/cardbound/host.json: bad JSON', readerMonitor: 'yes' }) });
      const s = await pageActions.status({ api, host }, { origin: ORIGIN, args: {} });
      assert.equal(s.configured, false);
      assert.equal(s.readerMonitor, false);
      assert.equal(JSON.stringify(s).includes('host.json'), false);
    });

    test('host errors go to the page', async () => {
      const host = scriptedHost({ status: () => { throw hostError('ERR_HOST_UNAVAILABLE'); } });
      await assert.rejects(pageActions.status({ api, host }, { origin: ORIGIN, args: {} }), isCode('ERR_HOST_UNAVAILABLE'));
    });
  });

  describe('begin-login', () => {
    test('asks the host for the origin and passes on only loginId, hostNonce, expiresAt', async () => {
      const host = scriptedHost({
        'begin-login': () => ({ loginId: 'L1', hostNonce: 'bm9uY2U=', expiresAt: '2026-11-27T21:39:45Z', internal: 'x' }),
      });
      const r = await pageActions['begin-login']({ host }, { origin: ORIGIN, args: {} });
      assert.deepEqual(r, { loginId: 'L1', hostNonce: 'bm9uY2U=', expiresAt: '2026-11-27T21:39:45Z' });
      assert.deepEqual(host.calls, [{ command: 'begin-login', origin: ORIGIN, args: undefined }]);
    });

    test('takes no arguments', async () => {
      const host = scriptedHost({ 'begin-login': () => ({}) });
      await assert.rejects(pageActions['begin-login']({ host }, { origin: ORIGIN, args: { origin: 'https://evil.example' } }),
        isCode('ERR_BAD_REQUEST'));
      assert.deepEqual(host.calls, []);
    });
  });

  describe('confirm', () => {
    test('passes the receipt on and turns the login into a session of the tab', async () => {
      const sessions = new CardSessions();
      await sessions.rememberLogin('L1', { origin: ORIGIN, ...CARD });
      const proof = { format: 'cardbound-presence:1', sessionTag: 'T1' };
      const host = scriptedHost({ confirm: () => ({ sessionTag: 'T1', proof, extra: 1 }) });
      const receipt = { origin: ORIGIN, sessionTag: 'T1' };
      const r = await pageActions.confirm({ host, sessions }, { origin: ORIGIN, tabId: 9, args: { loginId: 'L1', receipt } });
      assert.deepEqual(r, { sessionTag: 'T1', proof });
      assert.deepEqual(host.calls, [{ command: 'confirm', origin: ORIGIN, args: { loginId: 'L1', receipt } }]);
      assert.deepEqual(await sessions.takeForRemovedCard({ reader: CARD.reader }),
        [{ origin: ORIGIN, sessionTag: 'T1', fingerprint: CARD.fingerprint, reader: CARD.reader, tabId: 9 }]);
    });

    test('a host error makes no session', async () => {
      const sessions = new CardSessions();
      await sessions.rememberLogin('L1', { origin: ORIGIN, ...CARD });
      const host = scriptedHost({ confirm: () => { throw hostError('ERR_SERVER_NOT_TRUSTED', { reason: 'receipt-mismatch' }); } });
      await assert.rejects(pageActions.confirm({ host, sessions }, { origin: ORIGIN, tabId: 1, args: { loginId: 'L1', receipt: {} } }),
        isCode('ERR_SERVER_NOT_TRUSTED'));
      assert.equal(await sessions.count(), 0);
    });

    test('checks its arguments', async () => {
      const host = scriptedHost({ confirm: () => ({ sessionTag: 'T1' }) });
      const sessions = new CardSessions();
      for (const args of [{}, { loginId: 'L1' }, { loginId: 'bad id', receipt: {} }, { loginId: 'L1', receipt: 'r' },
        { loginId: 'L1', receipt: {}, more: 1 }]) {
        await assert.rejects(pageActions.confirm({ host, sessions }, { origin: ORIGIN, tabId: 1, args }), isCode('ERR_BAD_REQUEST'),
          JSON.stringify(args));
      }
      assert.deepEqual(host.calls, []);
    });
  });

  describe('presence', () => {
    test('passes the challenge on and only the proof back', async () => {
      const sessions = await sessionsWith(['T1']);
      const proof = { format: 'cardbound-presence:1', sessionTag: 'T1', nonce: 'n', signature: 's' };
      const host = scriptedHost({ presence: () => ({ proof, other: 1 }) });
      const challenge = { sessionTag: 'T1', nonce: 'n' };
      assert.deepEqual(await pageActions.presence({ host, sessions }, { origin: ORIGIN, args: { challenge } }), { proof });
      assert.deepEqual(host.calls, [{ command: 'presence', origin: ORIGIN, args: { challenge } }]);
      assert.equal(await sessions.count(), 1);
    });

    test('ERR_NO_CARD drops the session of that tag and goes to the page', async () => {
      const sessions = await sessionsWith(['T1', 'T2']);
      const host = scriptedHost({ presence: () => { throw hostError('ERR_NO_CARD'); } });
      await assert.rejects(pageActions.presence({ host, sessions }, { origin: ORIGIN, args: { challenge: { sessionTag: 'T1' } } }),
        isCode('ERR_NO_CARD'));
      assert.deepEqual(await tagsLeft(sessions), [`${ORIGIN} T2`]);
    });

    test('ERR_NOT_LOGGED_IN drops the session too', async () => {
      const sessions = await sessionsWith(['T1', 'T2']);
      const host = scriptedHost({ presence: () => { throw hostError('ERR_NOT_LOGGED_IN'); } });
      await assert.rejects(pageActions.presence({ host, sessions }, { origin: ORIGIN, args: { challenge: { sessionTag: 'T2' } } }),
        isCode('ERR_NOT_LOGGED_IN'));
      assert.deepEqual(await tagsLeft(sessions), [`${ORIGIN} T1`]);
    });

    test('a challenge without a tag string drops every session of the origin', async () => {
      const sessions = await sessionsWith(['T1', 'T2']);
      const host = scriptedHost({ presence: () => { throw hostError('ERR_NO_CARD'); } });
      await assert.rejects(pageActions.presence({ host, sessions }, { origin: ORIGIN, args: { challenge: { sessionTag: 5 } } }),
        isCode('ERR_NO_CARD'));
      assert.equal(await sessions.count(), 0);
    });

    test('other errors keep the session', async () => {
      const sessions = await sessionsWith(['T1']);
      for (const code of ['ERR_SERVER_NOT_TRUSTED', 'ERR_PKCS11', 'ERR_TIMEOUT', 'ERR_HOST_UNAVAILABLE']) {
        const host = scriptedHost({ presence: () => { throw hostError(code); } });
        await assert.rejects(pageActions.presence({ host, sessions }, { origin: ORIGIN, args: { challenge: { sessionTag: 'T1' } } }),
          isCode(code));
      }
      assert.equal(await sessions.count(), 1);
    });

    test('checks its arguments', async () => {
      const host = scriptedHost({ presence: () => ({}) });
      const sessions = new CardSessions();
      for (const args of [{}, { challenge: 'c' }, { challenge: null }, { challenge: {}, sessionTag: 'T1' }]) {
        await assert.rejects(pageActions.presence({ host, sessions }, { origin: ORIGIN, args }), isCode('ERR_BAD_REQUEST'));
      }
      assert.deepEqual(host.calls, []);
    });
  });

  describe('logout', () => {
    test('with a tag: ends that session here and at the host', async () => {
      const sessions = await sessionsWith(['T1', 'T2']);
      const host = scriptedHost({ logout: () => ({ endedSessions: 1, cardsLoggedOut: 0 }) });
      assert.deepEqual(await pageActions.logout({ host, sessions }, { origin: ORIGIN, args: { sessionTag: 'T1' } }), { endedSessions: 1 });
      assert.deepEqual(host.calls, [{ command: 'logout', origin: ORIGIN, args: { sessionTag: 'T1' } }]);
      assert.deepEqual(await tagsLeft(sessions), [`${ORIGIN} T2`]);
    });

    test('without a tag: ends every session of the origin, and of it only', async () => {
      const sessions = await sessionsWith(['T1', 'T2']);
      await sessions.rememberLogin('LB', { origin: 'https://b.example', ...CARD });
      await sessions.confirm('LB', 'https://b.example', 'TB', 2);
      const host = scriptedHost({ logout: () => ({ endedSessions: 2 }) });
      assert.deepEqual(await pageActions.logout({ host, sessions }, { origin: ORIGIN, args: {} }), { endedSessions: 2 });
      assert.deepEqual(host.calls, [{ command: 'logout', origin: ORIGIN, args: {} }]);
      assert.deepEqual(await tagsLeft(sessions), ['https://b.example TB']);
    });

    test('validates sessionTag and takes nothing else', async () => {
      const sessions = await sessionsWith(['T1']);
      const host = scriptedHost({ logout: () => ({ endedSessions: 0 }) });
      for (const args of [{ sessionTag: '' }, { sessionTag: 'a b' }, { sessionTag: 'x'.repeat(65) }, { sessionTag: 7 },
        { sessionTag: null }, { sessionTag: '../x' }, { origin: 'https://b.example' }, { sessionTag: 'T1', all: true }]) {
        await assert.rejects(pageActions.logout({ host, sessions }, { origin: ORIGIN, args }), isCode('ERR_BAD_REQUEST'), JSON.stringify(args));
      }
      assert.deepEqual(host.calls, []);
      assert.equal(await sessions.count(), 1, 'nothing was ended');
    });

    test('an explicit undefined tag is "all sessions"', async () => {
      const sessions = await sessionsWith(['T1', 'T2']);
      const host = scriptedHost({ logout: () => ({ endedSessions: 2 }) });
      await pageActions.logout({ host, sessions }, { origin: ORIGIN, args: { sessionTag: undefined } });
      assert.deepEqual(host.calls[0].args, {});
      assert.equal(await sessions.count(), 0);
    });
  });
});
