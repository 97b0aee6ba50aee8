import { test, describe } from 'node:test';
import assert from 'node:assert/strict';

import { CardSessions } from './card_sessions.js';
import { memoryStorage } from '../../../test-support/fakes.js';

const A = 'https://a.example';
const B = 'https://b.example';
const card1 = { fingerprint: 'f1'.repeat(32), reader: 'Reader One' };
const card2 = { fingerprint: 'f2'.repeat(32), reader: 'Reader Two' };

// A session of `origin` with `card`, through rememberLogin and confirm.
async function login(sessions, loginId, origin, card, sessionTag, tabId = 1) {
  await sessions.rememberLogin(loginId, { origin, ...card });
  return sessions.confirm(loginId, origin, sessionTag, tabId);
}

describe('CardSessions', () => {
  test('confirm turns a remembered login into a session of the same origin', async () => {
    const sessions = new CardSessions();
    await sessions.rememberLogin('L1', { origin: A, ...card1 });
    assert.equal(await sessions.count(), 0, 'a login is not a session yet');
    const session = await sessions.confirm('L1', A, 'tag1', 7);
    assert.deepEqual(session, { origin: A, sessionTag: 'tag1', fingerprint: card1.fingerprint, reader: card1.reader, tabId: 7 });
    assert.equal(await sessions.count(), 1);
  });

  test('confirm from another origin makes no session and uses the login up', async () => {
    const sessions = new CardSessions();
    await sessions.rememberLogin('L1', { origin: A, ...card1 });
    assert.equal(await sessions.confirm('L1', B, 'tag1', 1), null);
    assert.equal(await sessions.count(), 0);
    assert.equal(await sessions.confirm('L1', A, 'tag1', 1), null, 'the login is gone');
    assert.equal(await sessions.count(), 0);
  });

  test('confirm of an unknown login makes no session', async () => {
    const sessions = new CardSessions();
    assert.equal(await sessions.confirm('nope', A, 'tag1', 1), null);
    assert.equal(await sessions.count(), 0);
  });

  test('a login is confirmed once', async () => {
    const sessions = new CardSessions();
    await login(sessions, 'L1', A, card1, 'tag1');
    assert.equal(await sessions.confirm('L1', A, 'tag2', 1), null);
    assert.equal(await sessions.count(), 1);
  });

  test('the same origin and tag again replaces the session', async () => {
    const sessions = new CardSessions();
    await login(sessions, 'L1', A, card1, 'tag1', 1);
    await login(sessions, 'L2', A, card2, 'tag1', 2);
    assert.equal(await sessions.count(), 1);
    const gone = await sessions.takeForRemovedCard({ reader: card2.reader });
    assert.deepEqual(gone.map((s) => [s.sessionTag, s.tabId]), [['tag1', 2]]);
  });

  test('remove with a tag ends only that session of the origin', async () => {
    const sessions = new CardSessions();
    await login(sessions, 'L1', A, card1, 'tag1');
    await login(sessions, 'L2', A, card1, 'tag2');
    await login(sessions, 'L3', B, card1, 'tag1');
    await sessions.remove(A, 'tag1');
    const left = await sessions.takeForRemovedCard({ reader: card1.reader });
    assert.deepEqual(left.map((s) => [s.origin, s.sessionTag]), [[A, 'tag2'], [B, 'tag1']]);
  });

  test('remove without a tag ends every session of the origin, and only of it', async () => {
    const sessions = new CardSessions();
    await login(sessions, 'L1', A, card1, 'tag1');
    await login(sessions, 'L2', A, card2, 'tag2');
    await login(sessions, 'L3', B, card1, 'tag3');
    await sessions.remove(A);
    const left = await sessions.takeForRemovedCard({ reader: card1.reader, certificates: [card2.fingerprint] });
    assert.deepEqual(left.map((s) => [s.origin, s.sessionTag]), [[B, 'tag3']]);
  });

  test('remove of what is not there changes nothing', async () => {
    const sessions = new CardSessions();
    await login(sessions, 'L1', A, card1, 'tag1');
    await sessions.remove(A, 'other');
    await sessions.remove(B);
    assert.equal(await sessions.count(), 1);
  });

  test('a removed card takes out the sessions with its certificate, in whatever reader', async () => {
    const sessions = new CardSessions();
    await login(sessions, 'L1', A, card1, 'tag1');
    await login(sessions, 'L2', B, card2, 'tag2');
    const gone = await sessions.takeForRemovedCard({ reader: 'Some Other Reader', certificates: [card1.fingerprint] });
    assert.deepEqual(gone.map((s) => s.sessionTag), ['tag1']);
    assert.equal(await sessions.count(), 1);
    assert.deepEqual(await sessions.takeForRemovedCard({ reader: 'x', certificates: [card1.fingerprint] }), [],
      'taken out means gone');
  });

  test('a removed card takes out the sessions of its reader, whatever the certificate', async () => {
    const sessions = new CardSessions();
    await login(sessions, 'L1', A, card1, 'tag1');
    await login(sessions, 'L2', B, card2, 'tag2');
    const gone = await sessions.takeForRemovedCard({ reader: card2.reader, certificates: ['ffff'] });
    assert.deepEqual(gone, [{ origin: B, sessionTag: 'tag2', fingerprint: card2.fingerprint, reader: card2.reader, tabId: 1 }]);
    assert.equal(await sessions.count(), 1);
  });

  test('a removed card that matches nothing takes nothing', async () => {
    const sessions = new CardSessions();
    await login(sessions, 'L1', A, card1, 'tag1');
    assert.deepEqual(await sessions.takeForRemovedCard({ reader: null }), []);
    assert.deepEqual(await sessions.takeForRemovedCard({ reader: 'Reader Three', certificates: [] }), []);
    assert.equal(await sessions.count(), 1);
  });

  test('keeps at most 32 logins waiting for confirm, dropping the oldest', async () => {
    const sessions = new CardSessions();
    for (let i = 0; i < 33; i++) await sessions.rememberLogin(`L${i}`, { origin: A, ...card1 });
    assert.equal(await sessions.confirm('L0', A, 'tag0', 1), null, 'the oldest login was dropped');
    assert.notEqual(await sessions.confirm('L1', A, 'tag1', 1), null);
    assert.notEqual(await sessions.confirm('L32', A, 'tag32', 1), null);
  });

  test('32 waiting logins are all kept', async () => {
    const sessions = new CardSessions();
    for (let i = 0; i < 32; i++) await sessions.rememberLogin(`L${i}`, { origin: A, ...card1 });
    for (let i = 0; i < 32; i++) assert.notEqual(await sessions.confirm(`L${i}`, A, `tag${i}`, 1), null, `L${i}`);
    assert.equal(await sessions.count(), 32);
  });

  test('keeps at most 256 sessions, dropping the oldest', async () => {
    const sessions = new CardSessions();
    for (let i = 0; i < 257; i++) {
      await login(sessions, `L${i}`, A, { fingerprint: `fp${i}`, reader: `R${i}` }, `tag${i}`);
    }
    assert.equal(await sessions.count(), 256);
    assert.deepEqual(await sessions.takeForRemovedCard({ reader: 'R0' }), [], 'the first session was dropped');
    assert.equal((await sessions.takeForRemovedCard({ reader: 'R1' })).length, 1);
    assert.equal((await sessions.takeForRemovedCard({ reader: 'R256' })).length, 1);
  });

  test('works without storage', async () => {
    const sessions = new CardSessions(null);
    await login(sessions, 'L1', A, card1, 'tag1');
    assert.equal(await sessions.count(), 1);
  });

  test('take: only the sessions it picks, each once', async () => {
    const sessions = new CardSessions();
    await login(sessions, 'L1', A, card1, 'tag1');
    await login(sessions, 'L2', B, card2, 'tag2');
    const gone = await sessions.take((s) => s.reader === card2.reader);
    assert.deepEqual(gone.map((s) => [s.origin, s.sessionTag]), [[B, 'tag2']]);
    assert.deepEqual((await sessions.list()).map((s) => s.origin), [A]);
    assert.deepEqual(await sessions.take((s) => s.reader === card2.reader), []);
  });

  test('onChange hears every change of the sessions, after it is made, and nothing else', async () => {
    const sessions = new CardSessions();
    const heard = [];
    const stop = sessions.onChange(async () => heard.push(await sessions.count()));
    await sessions.rememberLogin('L1', { origin: A, ...card1 });
    assert.deepEqual(heard, [], 'a login is not a session yet');
    await sessions.confirm('L1', A, 'tag1', 1);
    await login(sessions, 'L2', B, card2, 'tag2');
    await sessions.remove(B, 'no-such-tag');
    await sessions.take(() => false);
    assert.deepEqual(heard, [1, 2], 'confirms only: nothing was removed or taken');
    await sessions.remove(B, 'tag2');
    await sessions.takeForRemovedCard({ reader: card1.reader });
    assert.deepEqual(heard, [1, 2, 1, 0]);
    stop();
    await login(sessions, 'L3', A, card1, 'tag3');
    assert.equal(heard.length, 4, 'a stopped listener hears nothing');
  });

  describe('in storage.session', () => {
    test('a new CardSessions on the same storage knows the sessions', async () => {
      const storage = memoryStorage();
      const before = new CardSessions(storage);
      await login(before, 'L1', A, card1, 'tag1', 5);
      await login(before, 'L2', B, card2, 'tag2', 6);

      const after = new CardSessions(storage); // the service worker started again
      assert.equal(await after.count(), 2);
      const gone = await after.takeForRemovedCard({ reader: card1.reader });
      assert.deepEqual(gone, [{ origin: A, sessionTag: 'tag1', fingerprint: card1.fingerprint, reader: card1.reader, tabId: 5 }]);

      const third = new CardSessions(storage);
      assert.equal(await third.count(), 1, 'the removal was saved too');
    });

    test('a login remembered before a restart can be confirmed after it', async () => {
      const storage = memoryStorage();
      await new CardSessions(storage).rememberLogin('L1', { origin: A, ...card1 });
      const after = new CardSessions(storage);
      assert.notEqual(await after.confirm('L1', A, 'tag1', 1), null);
      assert.equal(await new CardSessions(storage).count(), 1);
    });

    test('a login is remembered without waiting for storage; the write follows', async () => {
      const storage = memoryStorage();
      let release;
      const set = storage.set;
      storage.set = (items) => new Promise((resolve) => { release = () => resolve(set(items)); });
      const s = new CardSessions(storage);
      await s.rememberLogin('L1', { origin: A, ...card1 }); // resolves with the write still held
      assert.equal(typeof release, 'function', 'the write began');
      assert.equal(storage.data.has('cardSessions'), false, 'and is not done');
      release();
      await new Promise((r) => setTimeout(r, 0));
      storage.set = set;
      assert.notEqual(await new CardSessions(storage).confirm('L1', A, 'tag1', 1), null, 'a restarted worker finds it');
    });

    test('a login storage refuses is still confirmed in this worker', async () => {
      const storage = memoryStorage();
      const set = storage.set;
      storage.set = async () => { throw new Error('quota'); };
      const s = new CardSessions(storage);
      const logged = [];
      const error = console.error;
      console.error = (...a) => logged.push(a.join(' '));
      try {
        await s.rememberLogin('L1', { origin: A, ...card1 });
        await new Promise((r) => setTimeout(r, 0));
      } finally {
        console.error = error;
      }
      assert.match(logged.join('\n'), /could not be kept/);
      storage.set = set;
      assert.notEqual(await s.confirm('L1', A, 'tag1', 1), null);
    });

    test('remove is saved', async () => {
      const storage = memoryStorage();
      const s = new CardSessions(storage);
      await login(s, 'L1', A, card1, 'tag1');
      await s.remove(A);
      assert.equal(await new CardSessions(storage).count(), 0);
    });

    test('reads storage once, saves on every change, under one key', async () => {
      const storage = memoryStorage();
      const s = new CardSessions(storage);
      await Promise.all([s.count(), s.count(), s.count()]);
      assert.equal(storage.gets, 1);
      await login(s, 'L1', A, card1, 'tag1');
      assert.equal(storage.gets, 1);
      assert.equal(storage.sets, 2);
      assert.deepEqual([...storage.data.keys()], ['cardSessions']);
      const saved = storage.data.get('cardSessions');
      assert.deepEqual(saved.sessions, [{ origin: A, sessionTag: 'tag1', fingerprint: card1.fingerprint, reader: card1.reader, tabId: 1 }]);
      assert.deepEqual(saved.logins, {}, 'the confirmed login is no longer kept');
    });

    test('something else under the key is ignored', async () => {
      for (const junk of [null, 'text', 42, { sessions: 'no' }, { logins: {} }]) {
        const storage = memoryStorage();
        storage.data.set('cardSessions', junk);
        const s = new CardSessions(storage);
        assert.equal(await s.count(), 0, JSON.stringify(junk));
        assert.notEqual(await login(s, 'L1', A, card1, 'tag1'), null);
      }
    });

    test('saved sessions without a logins object still allow new logins', async () => {
        const storage = memoryStorage();
        storage.data.set('cardSessions', { sessions: [] });
        const s = new CardSessions(storage);
        await s.rememberLogin('L1', { origin: A, ...card1 });
        assert.notEqual(await s.confirm('L1', A, 'tag1', 1), null);
      });

    test('the operations of one worker see each other before storage answers', async () => {
      const storage = memoryStorage();
      const s = new CardSessions(storage);
      await Promise.all([
        s.rememberLogin('L1', { origin: A, ...card1 }),
        s.rememberLogin('L2', { origin: B, ...card2 }),
      ]);
      await Promise.all([s.confirm('L1', A, 'tag1', 1), s.confirm('L2', B, 'tag2', 2)]);
      assert.equal(await s.count(), 2);
      assert.equal(await new CardSessions(storage).count(), 2);
    });
  });
});
