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
  // port: where the site listens on 127.0.0.1; origin: its origin; pki: the
  // bench's PKI directory; card: the certificate and key name (ES256 keys).
  constructor({ port, origin, pki, card = 'client-p256', keepAlive = false }) {
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
  http(method, path, { body, cookie, originHeader = this.origin, raw } = {}) {
    return new Promise((resolve, reject) => {
      const payload = raw ?? (body ? JSON.stringify(body) : null);
      const req = request({ host: '127.0.0.1', port: this.port, path, method, ca: this.ca, servername: 'localhost', agent: this.agent,
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
  async events(cookie, timeoutMs = 8000) {
    return (await this.eventStream(cookie, timeoutMs)).ended;
  }

  // Opens the event stream and resolves once the server holds it (its
  // ": connected" comment, or an end at once) with {ended}: a promise of the
  // first "session-ended" reason. Whatever ends the session after this
  // resolved is heard on the stream.
  eventStream(cookie, timeoutMs = 8000) {
    return new Promise((connected, failed) => {
      let resolveEnd;
      let rejectEnd;
      const ended = new Promise((res, rej) => { resolveEnd = res; rejectEnd = rej; });
      ended.catch(() => {}); // a caller that only awaits the connection
      const req = request({ host: '127.0.0.1', port: this.port, path: '/cardbound/events', ca: this.ca, servername: 'localhost',
        headers: cookie ? { cookie } : {} }, (res) => {
        let buf = '';
        res.on('data', (c) => {
          buf += c;
          if (buf.includes(': connected\n\n') || buf.includes('event: session-ended')) connected({ ended });
          const m = buf.match(/event: session-ended\ndata: (.*)\n\n/);
          if (m) { clearTimeout(timer); resolveEnd(JSON.parse(m[1]).reason); req.destroy(); }
        });
      });
      const timer = setTimeout(() => {
        req.destroy();
        const e = new Error('no session-ended event');
        failed(e);
        rejectEnd(e);
      }, timeoutMs);
      req.on('error', (e) => { failed(e); rejectEnd(e); });
      req.end();
    });
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

  // The three steps; resolves {cookie, receipt, challenge}. Throws on a refusal.
  async login({ confirm = true } = {}) {
    const challenge = (await this.http('POST', '/cardbound/challenge', { body: { hostNonce: randomBytes(32).toString('base64') } })).json;
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
