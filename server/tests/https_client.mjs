// A client of cardbound-server for the node tests: starts a server, speaks
// its HTTP API over real HTTPS, and plays the card with a key of the test
// PKI (a login, presence proofs), as the browser and the host would.
import { spawn } from 'node:child_process';
import { createHash, createPrivateKey, randomBytes, sign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';

export const root = new URL('../..', import.meta.url).pathname;
export const buildDir = process.env.CARDBOUND_BUILD_DIR ?? join(root, 'build');
export const serverPath = process.env.CARDBOUND_SERVER ?? join(buildDir, 'server/cardbound-server');

const sha = (d) => createHash('sha256').update(d).digest();

// Starts `cardbound-server --demo --listen 127.0.0.1:0 ARGS` with the PKI of
// `env` (CARDBOUND_PKI_DIR); resolves when it listens. `shell` runs it
// through bash with that prefix (e.g. 'ulimit -n 80;').
export async function startServer(env, args, { shell } = {}) {
  const argv = ['--demo', '--listen', '127.0.0.1:0', ...args];
  const proc = shell
    ? spawn('bash', ['-c', `${shell} exec "$0" "$@"`, serverPath, ...argv],
      { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
    : spawn(serverPath, argv, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  proc.stderr.on('data', (d) => { stderr += d; });
  const line = await new Promise((resolve, reject) => {
    proc.stdout.on('data', (d) => resolve(d.toString()));
    proc.on('exit', (c) => reject(new Error(`server exited ${c}: ${stderr}`)));
  });
  return { proc, port: Number(line.match(/127\.0\.0\.1:(\d+)/)[1]), stderr: () => stderr };
}

// The API of the server at `port` for the site `origin`, with the card of
// `pki` (client-p256).
export function apiClient({ pki, port, origin = `https://localhost:${port}` }) {
  const ca = readFileSync(join(pki, 'root-ca.pem'));
  const cardKey = createPrivateKey(readFileSync(join(pki, 'client-p256.key')));
  const cardCert = readFileSync(join(pki, 'client-p256.der'));

  function http(method, path, { body, cookie, originHeader = origin, to = port } = {}) {
    return new Promise((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: to, path, method, ca, servername: 'localhost',
        headers: { ...(body ? { 'content-type': 'application/json' } : {}), ...(cookie ? { cookie } : {}),
          ...(method === 'POST' ? { origin: originHeader } : {}) } }, (res) => {
        let data = '';
        res.on('data', (c) => { data += c; });
        res.on('end', () => resolve({ status: res.statusCode, headers: res.headers,
          json: data && res.headers['content-type']?.startsWith('application/json') ? JSON.parse(data) : data }));
      });
      req.on('error', reject);
      if (body) req.write(JSON.stringify(body));
      req.end();
    });
  }

  // Opens the event stream: `ended` resolves with the first "session-ended"
  // reason (and closes the stream), `received` lists every chunk with its
  // time, `close()` closes it as a tab would.
  function eventStream(cookie, { timeout = 8000 } = {}) {
    const received = [];
    let req;
    const ended = new Promise((resolve, reject) => {
      const timer = setTimeout(() => { req.destroy(); reject(new Error('no session-ended event')); }, timeout);
      req = request({ host: '127.0.0.1', port, path: '/cardbound/events', ca, servername: 'localhost',
        headers: cookie ? { cookie } : {} }, (res) => {
        let buf = '';
        res.on('data', (c) => {
          received.push({ at: Date.now(), text: c.toString() });
          buf += c;
          const m = buf.match(/event: session-ended\ndata: (.*)\n\n/);
          if (m) { clearTimeout(timer); resolve(JSON.parse(m[1]).reason); req.destroy(); }
        });
      });
      req.on('error', () => {});
      req.end();
    });
    return { ended, received, close: () => req.destroy() };
  }

  const cardSign = (preimage) => sign('sha256', preimage, { key: cardKey, dsaEncoding: 'ieee-p1363' }).toString('base64');
  const tokenFor = (nonce) => ({ unverifiedCertificate: cardCert.toString('base64'), algorithm: 'ES256',
    format: 'web-eid:1.0', appVersion: 'test', signature: cardSign(Buffer.concat([sha(origin), sha(nonce)])) });
  const proofFor = (tag, nonce) => ({ format: 'cardbound-presence:1', sessionTag: tag, nonce, algorithm: 'ES256',
    signature: cardSign(Buffer.concat([Buffer.from('cardbound-presence:1\0'), sha(origin), sha(tag), sha(nonce)])) });
  const challenge = async () => (await http('POST', '/cardbound/challenge',
    { body: { hostNonce: randomBytes(32).toString('base64') } })).json;

  // The three-step login; the session's cookie ("name=value"), receipt and challenge.
  async function login({ confirm = true } = {}) {
    const ch = await challenge();
    const res = await http('POST', '/cardbound/login', { body: { serverNonce: ch.serverNonce, token: tokenFor(ch.serverNonce) } });
    if (res.status !== 200) throw new Error(`login: ${res.status} ${JSON.stringify(res.json)}`);
    const setCookie = res.headers['set-cookie'][0];
    const cookie = setCookie.split(';')[0];
    const { receipt } = res.json;
    if (confirm) {
      const c = await http('POST', '/cardbound/confirm', { cookie, body: { proof: proofFor(receipt.sessionTag, receipt.presenceNonce) } });
      if (c.status !== 200) throw new Error(`confirm: ${c.status} ${JSON.stringify(c.json)}`);
    }
    return { cookie, setCookie, receipt, challenge: ch };
  }

  async function prove(cookie, tag) {
    const pc = (await http('POST', '/cardbound/presence/challenge', { cookie, body: {} })).json;
    const proof = proofFor(tag, pc.nonce);
    return { res: await http('POST', '/cardbound/presence', { cookie, body: { proof } }), proof };
  }

  return { ca, http, eventStream, challenge, tokenFor, proofFor, login, prove };
}
