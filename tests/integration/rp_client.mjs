// A relying party's client without a browser: HTTPS requests to the
// endpoints of docs/protocol.md §6 and a node "card" that signs tokens and
// presence proofs with a key of the test PKI, as a card would. For tests and
// benchmarks of any relying party (cardbound-server, Tomcat).
import { createHash, createPrivateKey, randomBytes, sign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:https';
import { join } from 'node:path';

const sha = (d) => createHash('sha256').update(d).digest();

export class RpClient {
  // port: where the site listens on 127.0.0.1; origin: its origin (default
  // https://localhost:PORT); pki: the PKI directory (the bench's, or one made
  // by tests/pki/make-pki); card: the certificate and key name (ES256 keys).
  // localAddress: the client's own address (127.0.0.2 is another client on
  // loopback, for per-client limits).
  constructor({ port, origin = `https://localhost:${port}`, pki, card = 'client-p256', keepAlive = false, localAddress }) {
    this.localAddress = localAddress;
    this.port = port;
    this.origin = origin;
    this.ca = readFileSync(join(pki, 'root-ca.pem'));
    this.cardKey = createPrivateKey(readFileSync(join(pki, `${card}.key`)));
    this.cardCert = readFileSync(join(pki, `${card}.der`));
    this.agent = new Agent({ keepAlive, maxSockets: keepAlive ? 1 : Infinity });
  }

  close() {
    this.agent.destroy();
  }

  // One request; resolves {status, headers, json (parsed JSON, or the text)}.
  // `to`: another port (another server of the same PKI).
  http(method, path, { body, cookie, originHeader = this.origin, raw, to = this.port } = {}) {
    return new Promise((resolve, reject) => {
      const payload = raw ?? (body ? JSON.stringify(body) : null);
      const req = request({ host: '127.0.0.1', port: to, path, method, ca: this.ca, servername: 'localhost', agent: this.agent,
        localAddress: this.localAddress,
        headers: { ...(payload ? { 'content-type': 'application/json' } : {}), ...(cookie ? { cookie } : {}),
          ...(method === 'POST' && originHeader ? { origin: originHeader } : {}) } }, (res) => {
        let data = '';
        res.on('data', (c) => { data += c; });
        res.on('end', () => resolve({ status: res.statusCode, headers: res.headers,
          json: data && res.headers['content-type']?.startsWith('application/json') ? JSON.parse(data) : data }));
      });
      req.on('error', reject);
      if (payload) req.write(payload);
      req.end();
    });
  }

  // Opens the event stream; resolves the first "session-ended" reason.
  events(cookie, timeoutMs = 8000) {
    return this.eventStream(cookie, { timeout: timeoutMs }).ended;
  }

  // Opens the event stream as a tab does: `connected` resolves once the
  // server holds it (its ": connected" comment, or an end at once), so that
  // whatever ends the session after it is heard on the stream; `ended`
  // resolves with the first "session-ended" reason (and closes the stream);
  // `received` lists every chunk with its time; `close()` closes it as a tab
  // would.
  eventStream(cookie, { timeout = 8000 } = {}) {
    const received = [];
    let req;
    let isConnected;
    const connected = new Promise((resolve) => { isConnected = resolve; });
    const ended = new Promise((resolve, reject) => {
      const timer = setTimeout(() => { req.destroy(); reject(new Error('no session-ended event')); }, timeout);
      req = request({ host: '127.0.0.1', port: this.port, path: '/cardbound/events', ca: this.ca, servername: 'localhost',
        headers: cookie ? { cookie } : {} }, (res) => {
        let buf = '';
        res.on('data', (c) => {
          received.push({ at: Date.now(), text: c.toString() });
          buf += c;
          if (buf.includes(': connected\n\n') || buf.includes('event: session-ended')) isConnected();
          const m = buf.match(/event: session-ended\ndata: (.*)\n\n/);
          if (m) { clearTimeout(timer); resolve(JSON.parse(m[1]).reason); req.destroy(); }
        });
      });
      req.on('error', () => {});
      req.end();
    });
    return { connected, ended, received, close: () => req.destroy() };
  }

  cardSign(preimage) {
    return sign('sha256', preimage, { key: this.cardKey, dsaEncoding: 'ieee-p1363' }).toString('base64');
  }

  tokenFor(nonce) {
    return { unverifiedCertificate: this.cardCert.toString('base64'), algorithm: 'ES256', format: 'web-eid:1.0',
      appVersion: 'test', signature: this.cardSign(Buffer.concat([sha(this.origin), sha(nonce)])) };
  }

  proofFor(tag, nonce) {
    return { format: 'cardbound-presence:1', sessionTag: tag, nonce, algorithm: 'ES256',
      signature: this.cardSign(Buffer.concat([Buffer.from('cardbound-presence:1\0'), sha(this.origin), sha(tag), sha(nonce)])) };
  }

  // A signed challenge for a fresh host nonce.
  async challenge() {
    return (await this.http('POST', '/cardbound/challenge', { body: { hostNonce: randomBytes(32).toString('base64') } })).json;
  }

  // The three steps; resolves {cookie, setCookie, receipt, challenge}. Throws on a refusal.
  async login({ confirm = true } = {}) {
    const challenge = await this.challenge();
    const res = await this.http('POST', '/cardbound/login', { body: { serverNonce: challenge.serverNonce, token: this.tokenFor(challenge.serverNonce) } });
    if (res.status !== 200) throw new Error(`login: ${res.status} ${JSON.stringify(res.json)}`);
    const setCookie = res.headers['set-cookie'][0];
    const cookie = setCookie.split(';')[0];
    const { receipt } = res.json;
    if (confirm) {
      const c = await this.http('POST', '/cardbound/confirm', { cookie, body: { proof: this.proofFor(receipt.sessionTag, receipt.presenceNonce) } });
      if (c.status !== 200) throw new Error(`confirm: ${c.status} ${JSON.stringify(c.json)}`);
    }
    return { cookie, setCookie, receipt, challenge };
  }

  // One presence round: a fresh challenge, answered.
  async prove(cookie, tag) {
    const pc = (await this.http('POST', '/cardbound/presence/challenge', { cookie, body: {} })).json;
    const proof = this.proofFor(tag, pc.nonce);
    return { res: await this.http('POST', '/cardbound/presence', { cookie, body: { proof } }), proof };
  }
}
