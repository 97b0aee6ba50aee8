// Drives a built cardbound-host over stdio exactly as a browser does:
// 4-byte little-endian length + UTF-8 JSON, answers matched by id, events
// collected as they arrive.
import { spawn, execFileSync } from 'node:child_process';
import { benchEnv } from '../../../tests/integration/bench_env.mjs';
import { createHash, X509Certificate } from 'node:crypto';
import { mkdtempSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const buildDir = process.env.CARDBOUND_BUILD_DIR ?? new URL('../../../build', import.meta.url).pathname;
export const hostPath = join(buildDir, 'host/cardbound-host');
export const testServer = join(buildDir, 'host/tests/cardbound-test-server');
export { benchEnv, benchPath } from '../../../tests/integration/bench_env.mjs';

export class Host {
  // `env` goes over the bench's environment (a test's own SoftHSM2 tokens, say).
  constructor({ modules, caFiles, extraConfig = {}, env = {} }) {
    const dir = mkdtempSync(join(tmpdir(), 'cardbound-host-test-'));
    this.dir = dir;
    const config = join(dir, 'host.json');
    writeFileSync(config, JSON.stringify({ pkcs11Modules: modules, caFiles, useSystemTrust: false, ...extraConfig }));
    this.proc = spawn(hostPath, ['chrome-extension://test/'], {
      env: { ...process.env, ...benchEnv(), ...env, CARDBOUND_HOST_CONFIG: config, CARDBOUND_HOST_LOG: join(dir, 'host.log'), HOME: dir },
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    this.buffer = Buffer.alloc(0);
    this.pending = new Map();
    this.events = [];
    this.eventWaiters = [];
    this.nextId = 1;
    this.exited = new Promise((resolve) => this.proc.on('exit', (code, signal) => resolve({ code, signal })));
    this.proc.stdout.on('data', (chunk) => this.#onData(chunk));
  }

  #onData(chunk) {
    this.buffer = Buffer.concat([this.buffer, chunk]);
    while (this.buffer.length >= 4) {
      const len = this.buffer.readUInt32LE(0);
      if (this.buffer.length < 4 + len) break;
      const msg = JSON.parse(this.buffer.subarray(4, 4 + len).toString('utf8'));
      this.buffer = this.buffer.subarray(4 + len);
      if (msg.event) {
        msg.receivedAt = performance.now();
        this.events.push(msg);
        this.eventWaiters = this.eventWaiters.filter((w) => !w(msg));
      } else if (this.pending.has(msg.id)) {
        this.pending.get(msg.id)(msg);
        this.pending.delete(msg.id);
      } else {
        (this.unmatched ??= []).push(msg);
      }
    }
  }

  sendRaw(bytes) { this.proc.stdin.write(bytes); }

  frame(obj) {
    const body = Buffer.from(typeof obj === 'string' ? obj : JSON.stringify(obj), 'utf8');
    const head = Buffer.alloc(4);
    head.writeUInt32LE(body.length, 0);
    return Buffer.concat([head, body]);
  }

  // Sends a request and resolves with the whole answer ({id, result} or {id, error}).
  request(command, { origin, args, timeoutMs = 20000 } = {}) {
    const id = String(this.nextId++);
    const msg = { id, command };
    if (origin) msg.origin = origin;
    if (args) msg.arguments = args;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no answer to ${command} in ${timeoutMs} ms`)), timeoutMs);
      this.pending.set(id, (answer) => { clearTimeout(timer); resolve(answer); });
      this.sendRaw(this.frame(msg));
    });
  }

  async call(command, opts) {
    const answer = await this.request(command, opts);
    if (answer.error) throw Object.assign(new Error(`${command}: ${answer.error.code} ${answer.error.message}`), { answer });
    return answer.result;
  }

  // Resolves with the first event (already received or coming) that matches.
  waitForEvent(match, timeoutMs = 5000) {
    const found = this.events.find(match);
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no matching event')), timeoutMs);
      this.eventWaiters.push((e) => { if (!match(e)) return false; clearTimeout(timer); resolve(e); return true; });
    });
  }

  async close() {
    this.proc.stdin.end();
    return this.exited;
  }
}

export function fingerprintOf(pemOrDerPath) {
  const cert = new X509Certificate(readFileSync(pemOrDerPath));
  return cert.fingerprint256.replaceAll(':', '').toLowerCase();
}

export function serverMessage(kind, args) {
  const argv = [kind];
  for (const [k, v] of Object.entries(args)) argv.push(`--${k}`, String(v));
  return JSON.parse(execFileSync(testServer, argv, { encoding: 'utf8' }));
}

export const sha = (alg, data) => createHash(alg).update(data).digest();

// ECDSA raw r||s -> DER, for openssl.
export function rawToDer(raw) {
  const half = raw.length / 2;
  const int = (b) => {
    let i = 0;
    while (i < b.length - 1 && b[i] === 0) i++;
    b = b.subarray(i);
    if (b[0] & 0x80) b = Buffer.concat([Buffer.from([0]), b]);
    return Buffer.concat([Buffer.from([0x02, b.length]), b]);
  };
  const body = Buffer.concat([int(raw.subarray(0, half)), int(raw.subarray(half))]);
  const len = body.length < 128 ? Buffer.from([body.length]) : Buffer.from([0x81, body.length]);
  return Buffer.concat([Buffer.from([0x30]), len, body]);
}

// Checks with the openssl command that `signature` (JWS algorithm `alg`) by
// the certificate's key covers H(preimage): the card signed the digest.
export function opensslVerifies({ certDer, alg, preimage, signature }) {
  const dir = mkdtempSync(join(tmpdir(), 'cardbound-verify-'));
  const hash = { 256: 'sha256', 384: 'sha384', 512: 'sha512' }[alg.slice(2)];
  writeFileSync(join(dir, 'cert.der'), certDer);
  const pub = execFileSync('openssl', ['x509', '-inform', 'DER', '-in', join(dir, 'cert.der'), '-pubkey', '-noout']);
  writeFileSync(join(dir, 'pub.pem'), pub);
  writeFileSync(join(dir, 'data'), preimage);
  writeFileSync(join(dir, 'sig'), alg.startsWith('ES') ? rawToDer(signature) : signature);
  try {
    const pss = alg.startsWith('PS') ? ['-sigopt', 'rsa_padding_mode:pss', '-sigopt', 'rsa_pss_saltlen:digest'] : [];
    const out = execFileSync('openssl', ['dgst', `-${hash}`, ...pss, '-verify', join(dir, 'pub.pem'), '-signature', join(dir, 'sig'), join(dir, 'data')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    return out.trim() === 'Verified OK';
  } catch {
    return false;
  }
}

// The preimage whose hash the card signs at login: H(origin) || H(nonce).
export function loginPreimage(alg, origin, nonce) {
  const h = { 256: 'sha256', 384: 'sha384', 512: 'sha512' }[alg.slice(2)];
  return Buffer.concat([sha(h, origin), sha(h, nonce)]);
}

// ... and for presence: "cardbound-presence:1" 0x00 H(origin) H(tag) H(nonce).
export function presencePreimage(alg, origin, tag, nonce) {
  const h = { 256: 'sha256', 384: 'sha384', 512: 'sha512' }[alg.slice(2)];
  return Buffer.concat([Buffer.from('cardbound-presence:1\0'), sha(h, origin), sha(h, tag), sha(h, nonce)]);
}

// ... and for a transaction: "cardbound-transaction:1" 0x00 H(origin) H(tag) H(text) H(nonce).
export function transactionPreimage(alg, origin, tag, text, nonce) {
  const h = { 256: 'sha256', 384: 'sha384', 512: 'sha512' }[alg.slice(2)];
  return Buffer.concat([Buffer.from('cardbound-transaction:1\0'), sha(h, origin), sha(h, tag), sha(h, text), sha(h, nonce)]);
}
