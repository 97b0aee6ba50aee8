// The running reference server: presence proofs per second (one client,
// sequential, over one keep-alive TLS connection, next to /healthz round
// trips measured the same way as the limit of the transport), and memory per
// live session (RSS growth over 2000 confirmed sessions). Prints figures.
import { spawn } from 'node:child_process';
import { createHash, randomBytes, sign, createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { benchEnv } from '../../tests/integration/bench_env.mjs';
import { Agent, request } from 'node:https';
import { join } from 'node:path';

const root = new URL('../..', import.meta.url).pathname;
const buildDir = process.env.CARDBOUND_BUILD_DIR ?? join(root, 'build');
const env = benchEnv();
const pki = env.CARDBOUND_PKI_DIR;
const ca = readFileSync(join(pki, 'root-ca.pem'));
const key = createPrivateKey(readFileSync(join(pki, 'client-p256.key')));
const cert = readFileSync(join(pki, 'client-p256.der')).toString('base64');
const sha = (d) => createHash('sha256').update(d).digest();
const cardSign = (p) => sign('sha256', p, { key, dsaEncoding: 'ieee-p1363' }).toString('base64');

const server = spawn(join(buildDir, 'server/cardbound-server'), ['--demo', '--listen', '127.0.0.1:0', '--presence-interval', '3600', '--rate-limit', '0'],
  { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
const port = Number((await new Promise((r) => server.stdout.once('data', (d) => r(d.toString())))).match(/:(\d+) /)[1]);
const origin = `https://localhost:${port}`;
const agent = new Agent({ keepAlive: true, maxSockets: 1, ca, servername: 'localhost' });

function http(method, path, body, cookie) {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method, agent, headers: {
      ...(body ? { 'content-type': 'application/json', origin } : {}), ...(cookie ? { cookie } : {}) } }, (res) => {
      let data = '';
      res.on('data', (c) => { data += c; });
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: data }));
    });
    req.on('error', reject);
    if (body) req.write(JSON.stringify(body));
    req.end();
  });
}

async function login() {
  const ch = JSON.parse((await http('POST', '/cardbound/challenge', { hostNonce: randomBytes(32).toString('base64') })).body);
  const token = { unverifiedCertificate: cert, algorithm: 'ES256', format: 'web-eid:1.0', appVersion: 'bench',
    signature: cardSign(Buffer.concat([sha(origin), sha(ch.serverNonce)])) };
  const res = await http('POST', '/cardbound/login', { serverNonce: ch.serverNonce, token });
  if (res.status !== 200) throw new Error(`login: ${res.status} ${res.body}`);
  const cookie = res.headers["set-cookie"][0].split(";")[0];
  const { receipt } = JSON.parse(res.body);
  const proof = (nonce) => ({ format: 'cardbound-presence:1', sessionTag: receipt.sessionTag, nonce, algorithm: 'ES256',
    signature: cardSign(Buffer.concat([Buffer.from('cardbound-presence:1\0'), sha(origin), sha(receipt.sessionTag), sha(nonce)])) });
  await http('POST', '/cardbound/confirm', { proof: proof(receipt.presenceNonce) }, cookie);
  return { cookie, proof };
}

const rss = () => Number(readFileSync(`/proc/${server.pid}/status`, 'utf8').match(/VmRSS:\s+(\d+)/)[1]);

const { cookie, proof } = await login();
const seconds = 3;
let n = 0, t0 = performance.now(), signing = 0;
while (performance.now() - t0 < seconds * 1000) {
  const pc = JSON.parse((await http('POST', '/cardbound/presence/challenge', {}, cookie)).body);
  const s0 = performance.now();
  const p = proof(pc.nonce);
  signing += performance.now() - s0;
  const r = await http('POST', '/cardbound/presence', { proof: p }, cookie);
  if (r.status !== 204) throw new Error(`presence ${r.status} ${r.body}`);
  n++;
}
const elapsed = (performance.now() - t0 - signing) / 1000;
let h = 0;
t0 = performance.now();
while (performance.now() - t0 < seconds * 1000) { await http('GET', '/healthz'); h++; }
const healthz = h / ((performance.now() - t0) / 1000);

const before = rss();
const count = 2000;
for (let i = 0; i < count; i++) await login();
const after = rss();
server.kill();

console.log('cardbound-server benchmark (one client, keep-alive TLS, EC P-256 card)');
console.log(`  presence proofs         ${(n / elapsed).toFixed(0)} /s (challenge + proof = 2 requests each; client signing time excluded)`);
console.log(`  /healthz round trips    ${healthz.toFixed(0)} /s (transport limit, same connection)`);
console.log(`  ratio                   ${((2 * n / elapsed) / healthz).toFixed(2)} (requests/s of presence vs /healthz)`);
console.log(`  memory per session      ${(((after - before) * 1024) / count).toFixed(0)} bytes (RSS growth over ${count} live sessions; target < 2048)`);
