// A login with the virtual card through the real pieces, with no browser:
// this script plays the extension and the page. cardbound-host drives the
// card through OpenSC and pcscd; cardbound-server is the site. Then the
// card is pulled: the host reports it at once, the "extension" logs the site
// out, and the server ends the session for every tab.
//
//   node tests/e2e/card_login.mjs          prints what happens; exit 0 on success
import { spawn, execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Host, fingerprintOf } from '../../host/tests/integration/host_client.mjs';
import { benchEnv, benchPath, repoRoot } from '../integration/bench_env.mjs';

const buildDir = process.env.CARDBOUND_BUILD_DIR ?? join(repoRoot, 'build');
const env = benchEnv();
const pki = env.CARDBOUND_PKI_DIR;
const ca = readFileSync(join(pki, 'root-ca.pem'));
const say = (text) => console.log(`  ${text}`);

export async function cardLogin() {
  const server = spawn(join(buildDir, 'server/cardbound-server'), ['--demo', '--listen', '127.0.0.1:0', '--presence-interval', '5'],
    { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  const port = Number((await new Promise((r) => server.stdout.once('data', (d) => r(d.toString())))).match(/:(\d+) /)[1]);
  const origin = `https://localhost:${port}`;
  const host = new Host({ modules: [env.CARDBOUND_OPENSC_MODULE], caFiles: [join(pki, 'root-ca.pem')] });
  const result = {};
  try {
    const http = (method, path, { body, cookie } = {}) => new Promise((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, path, method, ca, servername: 'localhost',
        headers: { ...(body ? { 'content-type': 'application/json', origin } : {}), ...(cookie ? { cookie } : {}) } }, (res) => {
        let data = '';
        res.on('data', (c) => { data += c; });
        res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, json: data && res.headers['content-type']?.startsWith('application/json') ? JSON.parse(data) : data }));
      });
      req.on('error', reject);
      if (body) req.write(JSON.stringify(body));
      req.end();
    });
    const events = (cookie) => new Promise((resolve) => {
      const req = request({ host: '127.0.0.1', port, path: '/cardbound/events', ca, servername: 'localhost', headers: { cookie } }, (res) => {
        let buf = '';
        res.on('data', (c) => { buf += c; const m = buf.match(/event: session-ended\ndata: (.*)\n\n/); if (m) { resolve(JSON.parse(m[1]).reason); req.destroy(); } });
      });
      req.on('error', () => {});
      req.end();
    });

    say(`site ${origin} (cardbound-server), card in "${env.CARDBOUND_READER_0}" (cardbound-host, OpenSC, pcscd)`);
    const { certificates } = await host.call('list-certificates');
    const card = certificates.find((c) => c.fingerprint === fingerprintOf(join(pki, 'card0.pem')));
    say(`1. certificate picker: ${card.holder}, issued by ${card.issuer.split('CN=')[1]}, ${card.algorithm}`);

    const begin = await host.call('begin-login', { origin });
    const challenge = (await http('POST', '/cardbound/challenge', { body: { hostNonce: begin.hostNonce } })).json;
    const server = await host.call('verify-server', { origin, args: { loginId: begin.loginId, challenge } });
    say(`2. the server proved itself: ${server.server.subject} (verified before any PIN)`);

    const t0 = performance.now();
    const auth = await host.call('authenticate', { origin, args: { loginId: begin.loginId, certificate: card.fingerprint, pin: env.CARDBOUND_CARD_PIN } });
    const login = await http('POST', '/cardbound/login', { body: { serverNonce: challenge.serverNonce, token: auth.token } });
    if (login.status !== 200) throw new Error(`login refused: ${JSON.stringify(login.json)}`);
    const cookie = login.headers['set-cookie'][0].split(';')[0];
    say(`3. PIN entered, the card signed, the server validated the token (chain, OCSP, signature)`);
    result.beforeConfirm = (await http('GET', '/api/me', { cookie })).status;

    const confirm = await host.call('confirm', { origin, args: { loginId: begin.loginId, receipt: login.json.receipt } });
    const confirmed = await http('POST', '/cardbound/confirm', { cookie, body: { proof: confirm.proof } });
    if (confirmed.status !== 200) throw new Error(`confirm refused: ${JSON.stringify(confirmed.json)}`);
    result.loginMs = performance.now() - t0;
    const me = await http('GET', '/api/me', { cookie });
    result.me = me;
    say(`4. receipt verified, first presence proof accepted: /api/me ${me.status}, welcome ${me.json.holder} (${result.loginMs.toFixed(0)} ms from PIN to access)`);

    const pc = (await http('POST', '/cardbound/presence/challenge', { cookie, body: {} })).json;
    const p = await host.call('presence', { origin, args: { challenge: pc } });
    result.presence = (await http('POST', '/cardbound/presence', { cookie, body: { proof: p.proof } })).status;
    say(`5. presence proven without a PIN: ${result.presence}`);

    const tab = events(cookie);
    const pulledAt = performance.now();
    const pulling = promisify(execFile)(benchPath, ['pull', '0']);
    const removed = await host.waitForEvent((e) => e.event === 'card-removed' && e.data.reader === env.CARDBOUND_READER_0, 5000);
    // What the extension does with the event: log out every origin that used the card.
    if (removed.data.certificates.includes(card.fingerprint)) {
      await host.call('logout', { origin });
      await http('POST', '/cardbound/logout', { cookie, body: {} });
    }
    result.tabReason = await tab;
    result.after = (await http('GET', '/api/me', { cookie })).status;
    result.pullToLogoutMs = performance.now() - pulledAt;
    await pulling;
    say(`6. card pulled: host event after ${(removed.receivedAt - pulledAt).toFixed(0)} ms, other tab told "${result.tabReason}", /api/me ${result.after} after ${result.pullToLogoutMs.toFixed(0)} ms`);
    result.beforeConfirmNote = `before confirm /api/me answered ${result.beforeConfirm}`;
    return result;
  } finally {
    await promisify(execFile)(benchPath, ['insert', '0']).catch(() => {});
    await host.close();
    server.kill();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const r = await cardLogin();
  const ok = r.beforeConfirm === 401 && r.me.status === 200 && r.presence === 204 && r.tabReason === 'logout' && r.after === 401;
  console.log(ok ? '  The card logged the user in, and pulling it logged the user out.' : `  FAILED: ${JSON.stringify(r)}`);
  process.exit(ok ? 0 : 1);
}
