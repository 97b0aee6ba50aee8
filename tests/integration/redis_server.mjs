// Debian's redis-server for the tests and benchmarks that need a real one
// (issue 15): on loopback, a free port, in a directory of the caller's, and
// killed with the node process that started it (setpriv --pdeathsig) if that
// dies before stopping it. Fails, never skips, without redis-server.
import { spawn } from 'node:child_process';
import { program } from './programs.mjs';
import { connect as tcpConnect, createServer as tcpServer } from 'node:net';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export const redisBinary = () => program('redis-server', '/usr/bin/redis-server', 'CARDBOUND_REDIS_SERVER');

// A TCP port nobody listens on at the moment of asking.
export const freePort = () => new Promise((resolve, reject) => {
  const s = tcpServer();
  s.on('error', reject);
  s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
});

// PING over a raw connection: true when Redis answers +PONG within 1 s.
export const redisAnswers = (port) => new Promise((resolve) => {
  const s = tcpConnect({ host: '127.0.0.1', port });
  let data = '';
  const done = (v) => { clearTimeout(timer); s.destroy(); resolve(v); };
  const timer = setTimeout(() => done(false), 1000);
  s.on('connect', () => s.write('PING\r\n'));
  s.on('data', (d) => { data += d; if (data.includes('\r\n')) done(data.startsWith('+PONG')); });
  s.on('error', () => done(false));
});

// INFO SECTIONS... of the Redis at `port`, over a raw connection (no client
// library), as {field: value}: numbers where they are numbers, and each
// commandstats line as {calls, usec, ...}. Throws when Redis does not answer
// within 2 s or answers an error.
export function redisInfo(port, ...sections) {
  return new Promise((resolve, reject) => {
    const s = tcpConnect({ host: '127.0.0.1', port });
    let data = Buffer.alloc(0);
    const fail = (why) => { clearTimeout(timer); s.destroy(); reject(new Error(`INFO on port ${port}: ${why}`)); };
    const timer = setTimeout(() => fail('no answer in 2 s'), 2000);
    s.on('connect', () => s.write(`INFO ${sections.join(' ')}\r\n`));
    s.on('data', (d) => {
      data = Buffer.concat([data, d]);
      const eol = data.indexOf('\r\n');
      if (eol < 0) return;
      const head = data.subarray(0, eol).toString();
      if (head[0] !== '$') { fail(head); return; }
      const len = Number(head.slice(1));
      if (data.length < eol + 2 + len + 2) return;
      clearTimeout(timer);
      s.destroy();
      const info = {};
      for (const line of data.subarray(eol + 2, eol + 2 + len).toString().split('\r\n')) {
        const m = line.match(/^([^#:][^:]*):(.*)$/);
        if (!m) continue;
        info[m[1]] = m[1].startsWith('cmdstat_')
          ? Object.fromEntries(m[2].split(',').map((kv) => { const [k, v] = kv.split('='); return [k, Number(v)]; }))
          : (m[2] !== '' && !Number.isNaN(Number(m[2])) ? Number(m[2]) : m[2]);
      }
      resolve(info);
    });
    s.on('error', (e) => fail(e.message));
  });
}

// A redis-server that the caller starts, stops and starts again on the same
// port and directory. `aof`: persistence through the append-only file,
// written through at every command (appendfsync always), so even a killed
// Redis keeps every write it acknowledged; otherwise no persistence at all.
export class RedisServer {
  constructor({ dir, port, aof = false }) {
    this.dir = dir;
    this.port = port;
    this.aof = aof;
    this.proc = null;
  }

  static async start(options) {
    const server = new RedisServer({ ...options, port: options.port ?? await freePort() });
    await server.start();
    return server;
  }

  url(db = 0) {
    return `redis://127.0.0.1:${this.port}/${db}`;
  }

  get running() {
    return this.proc !== null && this.proc.exitCode === null && this.proc.signalCode === null;
  }

  async start() {
    const persistence = this.aof
      ? ['--appendonly', 'yes', '--appendfsync', 'always', '--save', '']
      : ['--appendonly', 'no', '--save', ''];
    const proc = spawn('setpriv', ['--pdeathsig', 'KILL', '--', redisBinary(), '--port', String(this.port),
      '--bind', '127.0.0.1', ...persistence, '--daemonize', 'no', '--dir', this.dir],
    { stdio: ['ignore', 'pipe', 'pipe'] });
    let log = '';
    proc.stdout.on('data', (d) => { log += d; });
    proc.stderr.on('data', (d) => { log += d; });
    this.proc = proc;
    this.exited = new Promise((resolve) => proc.on('exit', resolve));
    for (const until = Date.now() + 10000; Date.now() < until;) {
      if (proc.exitCode !== null) throw new Error(`redis-server on port ${this.port} exited: ${log}`);
      if (await redisAnswers(this.port)) return;
      await sleep(20);
    }
    proc.kill('SIGKILL');
    throw new Error(`redis-server on port ${this.port} did not answer PING in 10 s: ${log}`);
  }

  // A Redis that hangs: it takes connections (the kernel does) and answers
  // nothing until thawed.
  freeze() {
    this.proc.kill('SIGSTOP');
  }

  thaw() {
    this.proc.kill('SIGCONT');
  }

  // SIGTERM (Redis finishes its writes and exits) or SIGKILL (a crash); a
  // Redis that ignores SIGTERM for 5 s is killed.
  async stop(signal = 'SIGTERM') {
    if (!this.running) return;
    this.proc.kill(signal);
    await Promise.race([this.exited, sleep(5000)]);
    if (this.running) {
      this.proc.kill('SIGKILL');
      await this.exited;
    }
  }
}
