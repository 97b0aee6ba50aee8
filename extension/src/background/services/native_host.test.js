import { test, describe, mock } from 'node:test';
import assert from 'node:assert/strict';

import { HOST_NAME, NativeHost } from './native_host.js';
import { ExtensionError } from '../../shared/errors.js';
import { PROTOCOL_VERSION } from '../../shared/registry.js';
import { fakePort, flush, settled } from '../../../test-support/fakes.js';

// A port of runtime.connectNative: the test plays the host with answer()
// and exit() (the host went away); disconnect() is the extension closing
// its own end, which, as in browsers, fires nothing on that end.
function nativePort() {
  const p = fakePort();
  p.exit = p.disconnect;
  p.closed = false;
  p.disconnect = () => { p.closed = true; };
  return p;
}

// A NativeHost on fake ports; `ports` lists every port it opened.
function setup(options = {}) {
  const ports = [];
  const connect = mock.fn(() => {
    const p = nativePort();
    ports.push(p);
    return p;
  });
  const host = new NativeHost(connect, options);
  return { host, ports, connect, port: () => ports.at(-1) };
}

// The host's status, as one of this extension's protocol version answers it.
const STATUS = { version: '0.2.0', protocol: PROTOCOL_VERSION, configError: null, readerMonitor: true };

// Plays the host's side of the handshake on `port`: its first message must
// be `status`, alone; it is answered with `result`, and the requests that
// waited go out.
async function handshake(port, result = STATUS) {
  const [first] = port.sent;
  assert.deepEqual(first, { id: first.id, command: 'status' }, 'a new host is asked status first');
  port.answer({ id: first.id, result });
  await flush();
}

// What went to the host after the handshake.
const requests = (port) => port.sent.slice(1);

function isCode(code) {
  return (e) => {
    assert.ok(e instanceof ExtensionError, `expected an ExtensionError, got ${e}`);
    assert.equal(e.code, code);
    return true;
  };
}

describe('NativeHost', () => {
  test('names the host of the native messaging manifest', () => {
    assert.equal(HOST_NAME, 'org.cardbound.host');
  });

  test('does not connect until asked', () => {
    const { host, connect } = setup();
    assert.equal(connect.mock.callCount(), 0);
    assert.equal(host.connected, false);
  });

  test('posts {id, command, origin, arguments}, leaving out what is not given', async () => {
    const { host, port } = setup();
    const a = host.request('status');
    const b = host.request('logout', { origin: 'https://a.example', args: { sessionTag: 'abc' } });
    assert.equal(host.connected, true);
    await handshake(port());
    const [m1, m2] = requests(port());
    assert.deepEqual(m1, { id: m1.id, command: 'status' });
    assert.deepEqual(m2, { id: m2.id, command: 'logout', origin: 'https://a.example', arguments: { sessionTag: 'abc' } });
    assert.equal(typeof m1.id, 'string');
    assert.notEqual(m1.id, m2.id);
    assert.notEqual(m1.id, port().sent[0].id, 'the handshake has an id of its own');
    assert.match(m1.id, /^[A-Za-z0-9._-]{1,64}$/);
    port().answer({ id: m1.id, result: {} });
    port().answer({ id: m2.id, result: {} });
    await Promise.all([a, b]);
  });

  test('matches answers to requests by id, in any order', async () => {
    const { host, port, connect } = setup();
    const first = host.request('status');
    const second = host.request('list-certificates');
    const third = host.request('begin-login', { origin: 'https://a.example' });
    await handshake(port());
    const [m1, m2, m3] = requests(port());
    port().answer({ id: m3.id, result: { loginId: 'L3' } });
    port().answer({ id: m1.id, result: { version: '1' } });
    port().answer({ id: m2.id, result: { certificates: [] } });
    assert.deepEqual(await first, { version: '1' });
    assert.deepEqual(await second, { certificates: [] });
    assert.deepEqual(await third, { loginId: 'L3' });
    assert.equal(connect.mock.callCount(), 1, 'one port for all requests');
  });

  test('an answer without result resolves with an empty object', async () => {
    const { host, port } = setup();
    const p = host.request('logout', { origin: 'https://a.example', args: {} });
    await handshake(port());
    port().answer({ id: requests(port())[0].id });
    assert.deepEqual(await p, {});
  });

  test('an error answer rejects with an ExtensionError carrying code and details', async () => {
    const { host, port } = setup();
    const p = host.request('authenticate', { origin: 'https://a.example', args: {} });
    await handshake(port());
    port().answer({
      id: requests(port())[0].id,
      error: { code: 'ERR_PIN_INCORRECT', message: 'the PIN is incorrect', pinState: 'final-try', triesLeft: 1 },
    });
    await assert.rejects(p, (e) => {
      isCode('ERR_PIN_INCORRECT')(e);
      assert.equal(e.message, 'the PIN is incorrect');
      assert.deepEqual(e.details, { pinState: 'final-try', triesLeft: 1 });
      return true;
    });
  });

  test('an error answer without a string code becomes ERR_INTERNAL', async () => {
    const { host, port } = setup();
    const p = host.request('status');
    await handshake(port());
    port().answer({ id: requests(port())[0].id, error: { code: 42, message: 'odd' } });
    await assert.rejects(p, isCode('ERR_INTERNAL'));
  });

  test('answers with unknown ids, non-objects and null ids are dropped', async () => {
    const { host, port } = setup();
    const p = host.request('status');
    await handshake(port());
    port().answer({ id: 'no-such-id', result: { wrong: true } });
    port().answer({ id: null, error: { code: 'ERR_MESSAGE_TOO_LARGE', message: 'too large' } });
    port().answer(null);
    port().answer('text');
    assert.equal(await settled(p), false);
    port().answer({ id: requests(port())[0].id, result: { right: true } });
    assert.deepEqual(await p, { right: true });
  });

  test('uses the documented deadlines by default', () => {
    const { host } = setup();
    assert.equal(host.deadlineFor('authenticate'), 120_000);
    assert.equal(host.deadlineFor('confirm'), 30_000);
    assert.equal(host.deadlineFor('presence'), 30_000);
    assert.equal(host.deadlineFor('status'), 15_000);
    assert.equal(host.deadlineFor('logout'), 15_000);
  });

  test('a request past its deadline fails with ERR_TIMEOUT and its late answer is dropped', async () => {
    const deadlineFor = mock.fn((command) => (command === 'slow' ? 5 : 10_000));
    const { host, port } = setup({ deadlineFor });
    await handshake(host.ensureConnected());
    const slow = host.request('slow');
    const other = host.request('status');
    assert.deepEqual(deadlineFor.mock.calls.map((c) => c.arguments[0]), ['status', 'slow', 'status'], 'the handshake, then the two');
    await assert.rejects(slow, (e) => isCode('ERR_TIMEOUT')(e) && /slow/.test(e.message));
    // The late answer neither throws nor settles anything else.
    port().answer({ id: requests(port())[0].id, result: { late: true } });
    assert.equal(await settled(other), false);
    port().answer({ id: requests(port())[1].id, result: { ok: true } });
    assert.deepEqual(await other, { ok: true });
    assert.equal(host.connected, true, 'a timeout does not drop the port');
  });

  test("a request's deadline runs while it waits for the handshake; it is then not sent at all", async () => {
    const { host, port } = setup({ deadlineFor: (command) => (command === 'slow' ? 5 : 10_000) });
    const slow = host.request('slow');
    await assert.rejects(slow, isCode('ERR_TIMEOUT'));
    await handshake(port());
    assert.deepEqual(requests(port()), [], 'nothing is sent for a request that has failed');
  });

  test('settling a request clears its deadline timer', async () => {
    const made = [];
    const realSetTimeout = globalThis.setTimeout;
    const setSpy = mock.method(globalThis, 'setTimeout', (fn, ms, ...rest) => {
      const t = realSetTimeout(fn, ms, ...rest);
      made.push(t);
      return t;
    });
    const clearSpy = mock.method(globalThis, 'clearTimeout');
    try {
      const { host, port } = setup({ deadlineFor: () => 60_000 });
      const answered = host.request('status');
      const failedPost = host.request('status');
      const disconnected = host.request('status');
      await handshake(port());
      port().answer({ id: requests(port())[0].id, result: {} });
      await answered;
      port().postError = new Error('gone');
      await assert.rejects(host.request('status'), isCode('ERR_HOST_UNAVAILABLE'));
      port().exit();
      await assert.rejects(failedPost, isCode('ERR_HOST_UNAVAILABLE'));
      await assert.rejects(disconnected, isCode('ERR_HOST_UNAVAILABLE'));
      // A refused host: its handshake's timer, and the waiting request's.
      const refused = host.request('status');
      port().answer({ id: port().sent[0].id, result: { protocol: PROTOCOL_VERSION + 1 } });
      await assert.rejects(refused, isCode('ERR_HOST_VERSION'));
      const cleared = new Set(clearSpy.mock.calls.map((c) => c.arguments[0]));
      assert.equal(made.length, 7, 'two handshakes and five requests');
      for (const t of made) assert.ok(cleared.has(t), 'every deadline timer was cleared');
    } finally {
      setSpy.mock.restore();
      clearSpy.mock.restore();
    }
  });

  test('a disconnect fails pending requests with ERR_HOST_UNAVAILABLE and tells the listeners', async () => {
    const { host, port } = setup();
    const events = [];
    host.onEvent((m) => events.push(m));
    const a = host.request('status');
    const b = host.request('authenticate', { origin: 'https://a.example', args: {} });
    await handshake(port());
    port().exit({ message: 'Native host has exited.' });
    await assert.rejects(a, (e) => isCode('ERR_HOST_UNAVAILABLE')(e) && /Native host has exited/.test(e.message));
    await assert.rejects(b, isCode('ERR_HOST_UNAVAILABLE'));
    assert.equal(host.connected, false);
    assert.deepEqual(events, [{ event: 'host-disconnected', data: { reason: 'Native host has exited.' } }]);
  });

  test('a disconnect without a reason says the host exited', async () => {
    const { host, port } = setup();
    const events = [];
    host.onEvent((m) => events.push(m));
    host.ensureConnected();
    port().exit();
    assert.deepEqual(events, [{ event: 'host-disconnected', data: { reason: 'the host exited' } }]);
  });

  test('after a disconnect the next request opens a new port; the old one is not heard any more', async () => {
    const { host, ports, connect } = setup();
    const events = [];
    host.onEvent((m) => events.push(m));
    const first = host.request('status');
    const old = ports[0];
    await handshake(old);
    old.exit();
    await assert.rejects(first, isCode('ERR_HOST_UNAVAILABLE'));

    const second = host.request('status');
    assert.equal(connect.mock.callCount(), 2);
    const fresh = ports[1];
    await handshake(fresh);
    assert.equal(requests(fresh).length, 1);
    assert.equal(requests(old).length, 1, 'nothing more goes to the dead port');

    // The dead port's messages and disconnects are ignored.
    old.answer({ id: requests(fresh)[0].id, result: { from: 'old' } });
    old.answer({ event: 'card-removed', data: {} });
    old.exit();
    assert.equal(await settled(second), false);
    assert.equal(host.connected, true);
    assert.equal(events.length, 1, 'only the first disconnect was reported');

    fresh.answer({ id: requests(fresh)[0].id, result: { from: 'new' } });
    assert.deepEqual(await second, { from: 'new' });
  });

  test('events go to every listener, answers do not; a throwing listener does not stop the others', async () => {
    const errorLog = mock.method(console, 'error', () => {});
    try {
      const { host, port } = setup();
      const heard = [];
      host.onEvent(() => { throw new Error('listener bug'); });
      host.onEvent((m) => heard.push(['a', m]));
      const stop = host.onEvent((m) => heard.push(['b', m]));
      await handshake(host.ensureConnected());
      const event = { event: 'card-removed', data: { reader: 'R1', certificates: ['f1'] } };
      port().answer(event);
      assert.deepEqual(heard, [['a', event], ['b', event]]);
      assert.equal(errorLog.mock.callCount(), 1);

      stop();
      const p = host.request('status');
      port().answer({ event: 'card-inserted', data: { reader: 'R1' } });
      port().answer({ id: requests(port())[0].id, result: {} });
      await p;
      assert.deepEqual(heard.slice(2), [['a', { event: 'card-inserted', data: { reader: 'R1' } }]]);
    } finally {
      errorLog.mock.restore();
    }
  });

  test('an event with an id is still an event, not an answer', async () => {
    const { host, port } = setup();
    const heard = [];
    host.onEvent((m) => heard.push(m));
    const p = host.request('status');
    await handshake(port());
    const id = requests(port())[0].id;
    port().answer({ id, event: 'card-removed', data: {} });
    assert.equal(heard.length, 1);
    assert.equal(await settled(p), false);
    port().answer({ id, result: {} });
    await p;
  });

  test('ensureConnected opens one port and keeps it', async () => {
    const { host, connect } = setup();
    const p1 = host.ensureConnected();
    const p2 = host.ensureConnected();
    assert.equal(p1, p2);
    assert.equal(connect.mock.callCount(), 1);
    assert.equal(host.connected, true);
    assert.equal(p1.sent.length, 1, 'one handshake');
    await handshake(p1);
    assert.equal(host.ensureConnected(), p1);
    assert.equal(p1.sent.length, 1);
  });

  test('a connect that throws gives ERR_HOST_UNAVAILABLE and leaves no port', async () => {
    let fail = true;
    const ports = [];
    const host = new NativeHost(() => {
      if (fail) throw new Error('Access to the specified native messaging host is forbidden.');
      const p = nativePort();
      ports.push(p);
      return p;
    });
    assert.throws(() => host.ensureConnected(), (e) => isCode('ERR_HOST_UNAVAILABLE')(e) && /forbidden/.test(e.message));
    // However request reports it (thrown or rejected), it is ERR_HOST_UNAVAILABLE.
    await assert.rejects(async () => host.request('status'), isCode('ERR_HOST_UNAVAILABLE'));
    assert.equal(host.connected, false);

    fail = false;
    const p = host.request('status');
    assert.equal(ports.length, 1);
    await handshake(ports[0]);
    ports[0].answer({ id: requests(ports[0])[0].id, result: { ok: 1 } });
    assert.deepEqual(await p, { ok: 1 });
  });

  // Bug (see report): request() throws synchronously when connect throws, so
  // `host.request(...).catch(...)` (as card_removed.js does) does not catch it.
  test('request returns a rejected promise, not a synchronous throw, when the host cannot start', async () => {
    const host = new NativeHost(() => { throw new Error('no host'); });
    let result;
    assert.doesNotThrow(() => { result = host.request('status'); });
    await assert.rejects(result, isCode('ERR_HOST_UNAVAILABLE'));
  });

  test('a postMessage that throws fails the request with ERR_HOST_UNAVAILABLE', async () => {
    const { host, port } = setup({ deadlineFor: () => 10_000 });
    await handshake(host.ensureConnected());
    port().postError = new Error('Attempting to use a disconnected port object');
    await assert.rejects(host.request('status'), (e) => isCode('ERR_HOST_UNAVAILABLE')(e) && /disconnected port/.test(e.message));
  });
});

// Issue 12: every host started is asked `status` first, and only one that
// speaks this extension's protocol version (docs/protocol.md §2, §3) is used.
describe('NativeHost: the version handshake', () => {
  test('this extension speaks protocol 2', () => {
    assert.equal(PROTOCOL_VERSION, 2);
  });

  test('a new host is asked status before anything else; requests wait for its answer', async () => {
    const { host, port } = setup();
    const p = host.request('begin-login', { origin: 'https://a.example' });
    const q = host.request('list-certificates');
    assert.equal(port().sent.length, 1, 'only the handshake is sent');
    assert.equal(port().sent[0].command, 'status');
    await flush();
    assert.equal(port().sent.length, 1, 'the requests wait for its answer');
    assert.equal(await settled(p), false);
    await handshake(port());
    assert.deepEqual(requests(port()).map((m) => m.command), ['begin-login', 'list-certificates'], 'in the order asked');
    port().answer({ id: requests(port())[0].id, result: { loginId: 'L1' } });
    port().answer({ id: requests(port())[1].id, result: { certificates: [] } });
    assert.deepEqual(await p, { loginId: 'L1' });
    assert.deepEqual(await q, { certificates: [] });
  });

  test('one handshake a port: once it passed, requests go out at once', async () => {
    const { host, port, connect } = setup();
    await handshake(host.ensureConnected());
    const p = host.request('logout', { origin: 'https://a.example', args: {} });
    assert.deepEqual(requests(port()).map((m) => m.command), ['logout'], 'sent in the same turn, no second status');
    port().answer({ id: requests(port())[0].id, result: { endedSessions: 0 } });
    await p;
    assert.equal(connect.mock.callCount(), 1);
    assert.equal(port().closed, false);
  });

  test('the page\'s own status after the handshake is a request like any other', async () => {
    const { host, port } = setup();
    const p = host.request('status');
    await handshake(port());
    assert.deepEqual(requests(port()).map((m) => m.command), ['status']);
    port().answer({ id: requests(port())[0].id, result: STATUS });
    assert.deepEqual(await p, STATUS);
  });

  for (const [what, result, hostProtocol] of [
    ['protocol 1 (an older host)', { version: '0.1.0', protocol: 1 }, 1],
    ['protocol 3 (a newer host)', { version: '0.3.0', protocol: 3 }, 3],
    ['no protocol', { version: '0.0.9' }, null],
    ['protocol "2", a string', { version: '0.2.0', protocol: '2' }, null],
    ['protocol 2.5', { version: '0.2.0', protocol: 2.5 }, null],
    ['protocol null', { protocol: null }, null],
  ]) {
    test(`a host that says ${what} is refused: ERR_HOST_VERSION for every waiting request, the port closed`, async () => {
      const { host, port } = setup();
      const events = [];
      host.onEvent((m) => events.push(m));
      const waiting = [host.request('begin-login', { origin: 'https://a.example' }), host.request('status')]
        .map((p) => assert.rejects(p, (e) => {
          isCode('ERR_HOST_VERSION')(e);
          assert.deepEqual(e.details, { hostProtocol, protocol: PROTOCOL_VERSION });
          assert.match(e.message, /protocol/);
          // The page may see both versions.
          assert.deepEqual(e.toPage(), { code: 'ERR_HOST_VERSION', message: e.message, hostProtocol, protocol: PROTOCOL_VERSION });
          return true;
        }));
      const refused = port();
      await handshake(refused, result);
      await Promise.all(waiting);
      assert.deepEqual(requests(refused), [], 'nothing but status went to it');
      assert.equal(refused.closed, true, 'the extension closed the port (ending that host)');
      assert.equal(host.connected, false);
      assert.equal(events.length, 1);
      assert.equal(events[0].event, 'host-disconnected');
      assert.match(events[0].data.reason, /protocol/);
    });
  }

  test('after a refusal the next request starts the host again: an updated host is used', async () => {
    const { host, ports, connect } = setup();
    const first = assert.rejects(host.request('begin-login', { origin: 'https://a.example' }), isCode('ERR_HOST_VERSION'));
    await handshake(ports[0], { version: '0.1.0', protocol: 1 });
    await first;
    // Still the old host on disk: refused again, on a port of its own.
    const second = assert.rejects(host.request('begin-login', { origin: 'https://a.example' }), isCode('ERR_HOST_VERSION'));
    assert.equal(connect.mock.callCount(), 2);
    await handshake(ports[1], { version: '0.1.0', protocol: 1 });
    await second;
    // The host was updated meanwhile (no browser restart).
    const third = host.request('begin-login', { origin: 'https://a.example' });
    assert.equal(connect.mock.callCount(), 3);
    await handshake(ports[2]);
    assert.deepEqual(requests(ports[2]).map((m) => m.command), ['begin-login']);
    ports[2].answer({ id: requests(ports[2])[0].id, result: { loginId: 'L1' } });
    assert.deepEqual(await third, { loginId: 'L1' });
    assert.deepEqual(ports.map((p) => p.closed), [true, true, false]);
    // The refused ports are not heard any more.
    ports[0].answer({ id: requests(ports[2])[0].id, result: {} });
    ports[0].exit();
    assert.equal(host.connected, true);
  });

  test('the events of a host are heard only once its handshake passed', async () => {
    const { host, port } = setup();
    const heard = [];
    host.onEvent((m) => heard.push(m));
    host.ensureConnected();
    const early = { event: 'card-inserted', data: { reader: 'R1' } };
    port().answer(early);
    assert.deepEqual(heard, [], 'held while its version is unknown');
    await handshake(port());
    assert.deepEqual(heard, [early], 'then heard, in order');
    const later = { event: 'card-removed', data: { reader: 'R1' } };
    port().answer(later);
    assert.deepEqual(heard, [early, later]);
  });

  test('the events of a refused host are never heard', async () => {
    const { host, port } = setup();
    const heard = [];
    host.onEvent((m) => heard.push(m));
    host.ensureConnected();
    port().answer({ event: 'card-removed', data: { reader: 'R1' } });
    await handshake(port(), { protocol: 1 });
    assert.deepEqual(heard.map((m) => m.event), ['host-disconnected']);
  });

  test('a host that keeps its port open for card events is asked too (ensureConnected)', async () => {
    const { host, port } = setup();
    const events = [];
    host.onEvent((m) => events.push(m));
    host.ensureConnected();
    await handshake(port(), { protocol: 3 });
    assert.equal(port().closed, true);
    assert.equal(host.connected, false, 'so the background starts it again later');
    assert.equal(events[0].event, 'host-disconnected');
  });

  test('a host that does not answer the handshake in time: the waiting requests fail with ERR_TIMEOUT, the port is closed', async () => {
    const { host, port } = setup({ deadlineFor: (command) => (command === 'status' ? 5 : 10_000) });
    const p = host.request('begin-login', { origin: 'https://a.example' });
    const silent = port();
    await assert.rejects(p, (e) => isCode('ERR_TIMEOUT')(e) && /'status'/.test(e.message));
    assert.deepEqual(requests(silent), []);
    assert.equal(silent.closed, true);
    assert.equal(host.connected, false);
    // A late answer of the closed port does not let anything through.
    silent.answer({ id: silent.sent[0].id, result: STATUS });
    await flush();
    assert.deepEqual(requests(silent), []);
  });

  test('a host that answers the handshake with an error: the waiting requests get that error, the port is closed', async () => {
    const { host, port } = setup();
    const p = host.request('list-certificates');
    port().answer({ id: port().sent[0].id, error: { code: 'ERR_INTERNAL', message: 'broken' } });
    await assert.rejects(p, (e) => isCode('ERR_INTERNAL')(e) && e.message === 'broken');
    assert.deepEqual(requests(port()), []);
    assert.equal(port().closed, true);
    assert.equal(host.connected, false);
  });

  test('a host that exits during the handshake: ERR_HOST_UNAVAILABLE, as before', async () => {
    const { host, port } = setup();
    const p = host.request('list-certificates');
    port().exit({ message: 'Native host has exited.' });
    await assert.rejects(p, (e) => isCode('ERR_HOST_UNAVAILABLE')(e) && /exited/.test(e.message));
    assert.deepEqual(requests(port()), []);
    assert.equal(port().closed, false, 'nothing to close');
  });
});
