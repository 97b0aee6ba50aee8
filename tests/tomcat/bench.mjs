// Presence proofs per second through Tomcat (the CardboundServlet and
// cardbound-core in Debian's Tomcat 10.1), next to cardbound-server measured
// the same way in the same run: C clients, each a keep-alive TLS connection
// and a confirmed session of its own, doing presence rounds (a challenge and a
// proof: two requests) back to back for a few seconds after a warm-up.
// Client signing time is excluded. Prints figures; never fails.
//
//   node tests/tomcat/bench.mjs [SECONDS] [CLIENTS]   (the card bench up)
import { benchEnv } from '../integration/bench_env.mjs';
import { RpClient } from '../integration/rp_client.mjs';
import { startSite } from '../browser/harness.mjs';
import { startTomcat } from './tomcat.mjs';

const seconds = Number(process.argv[2] ?? 3);
const clients = Number(process.argv[3] ?? 4);
const env = benchEnv();
const pki = env.CARDBOUND_PKI_DIR;

// Proofs per second of `clients` clients for `secs` seconds.
async function proofsPerSecond(site, secs) {
  const runs = await Promise.all(Array.from({ length: clients }, async () => {
    const c = new RpClient({ port: site.port, origin: site.origin, pki, keepAlive: true });
    const { cookie, receipt } = await c.login();
    let n = 0;
    let signing = 0;
    const t0 = performance.now();
    while (performance.now() - t0 < secs * 1000) {
      const pc = (await c.http('POST', '/cardbound/presence/challenge', { cookie, body: {} })).json;
      const s0 = performance.now();
      const proof = c.proofFor(receipt.sessionTag, pc.nonce);
      signing += performance.now() - s0;
      const r = await c.http('POST', '/cardbound/presence', { cookie, body: { proof } });
      if (r.status !== 204) throw new Error(`presence ${r.status} ${JSON.stringify(r.json)}`);
      n++;
    }
    c.close();
    return { n, seconds: (performance.now() - t0 - signing) / 1000 };
  }));
  return runs.reduce((sum, r) => sum + r.n / r.seconds, 0);
}

async function measure(start, warmup) {
  const site = await start();
  try {
    await proofsPerSecond(site, warmup); // the JVM's JIT, TLS sessions
    return await proofsPerSecond(site, seconds);
  } finally {
    await site.stop();
  }
}

const interval = 3600; // no session ends during the run
const tomcat = await measure(() => startTomcat({ env, presenceInterval: interval, ocsp: 'off' }), 10);
const server = await measure(() => startSite({ env, args: ['--presence-interval', String(interval), '--ocsp', 'off'] }), 1);
console.log(`presence proofs through the relying party (${clients} clients, keep-alive TLS, EC P-256 card, client signing excluded)`);
console.log(`  Tomcat 10.1 + cardbound-tomcat  ${tomcat.toFixed(0).padStart(6)} /s`);
console.log(`  cardbound-server (baseline)     ${server.toFixed(0).padStart(6)} /s`);
console.log(`  ratio Tomcat / cardbound-server ${(tomcat / server).toFixed(2).padStart(6)}`);
