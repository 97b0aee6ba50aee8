// Debian's haproxy in front of several cardbound-server instances, for the
// scale-out tests (issue 15). TLS ends at haproxy, with the site's own
// certificate (the browser sees one site), and haproxy speaks TLS again to
// each instance, checking its certificate against the test root: nothing
// crosses loopback in clear. Round robin in HTTP mode, so every request
// (not every connection) is balanced; /healthz health checks take an
// instance out within a second of its death and put it back when it answers.
// Killed with the node process that started it (setpriv --pdeathsig).
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { connect as tlsConnect } from 'node:tls';
import { join } from 'node:path';
import { program } from './programs.mjs';
import { freePort } from './redis_server.mjs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export const haproxyBinary = () => program('haproxy', '/usr/sbin/haproxy', 'CARDBOUND_HAPROXY');

// One `server` line: TLS to the instance, its certificate checked for
// "localhost" against the test root; health checks on /healthz every 300 ms,
// out after 2 failures, back after 1 success.
const serverLine = (name, port, ca, { backup = false } = {}) =>
  `    server ${name} 127.0.0.1:${port} ssl verify required ca-file ${ca} verifyhost localhost sni str(localhost) ` +
  `check inter 300ms fall 2 rise 1${backup ? ' backup' : ''}`;

// The configuration. `instances`: {name: port}. `routes`: paths that must
// reach their instances in a set order, [{name, paths, servers: [name…],
// backup: [name…]}]: round robin over `servers` in that order (a name may
// repeat), `backup` only while none of them answers. Everything else is
// round robin over all instances; /cardbound/events too, unless a route
// takes it. The backend of the event streams lets them idle longer than the
// server's keep-alive comment, and haproxy never buffers a response.
export function haproxyConfig({ port, pem, ca, instances, routes = [] }) {
  const names = Object.keys(instances);
  const all = [
    ...routes,
    ...(routes.some((r) => r.paths.includes('/cardbound/events')) ? [] : [{ name: 'streams', paths: ['/cardbound/events'], servers: names }]),
  ];
  const backend = ({ name, paths = [], servers, backup = [] }) => [
    `backend ${name}`,
    '    balance roundrobin',
    ...(paths.includes('/cardbound/events') ? ['    timeout server 120s', '    timeout tunnel 120s'] : []),
    '    option httpchk GET /healthz',
    '    http-check expect status 200',
    ...servers.map((s, i) => serverLine(`${s}${i}`, instances[s], ca)),
    ...backup.map((s, i) => serverLine(`${s}backup${i}`, instances[s], ca, { backup: true })),
    '',
  ];
  return [
    'global',
    '    log stderr format raw local0 info',
    '    maxconn 2000',
    '',
    'defaults',
    '    mode http',
    '    log global',
    '    option httplog',
    '    timeout connect 2s',
    '    timeout client 60s',
    '    timeout server 60s',
    '    timeout http-request 10s',
    '    timeout http-keep-alive 10s',
    // A connection refused by a dead instance is tried again, the last time
    // on another instance; a request sent and unanswered is not (a POST may
    // have taken effect).
    '    retries 2',
    '    option redispatch 1',
    '    retry-on conn-failure',
    '',
    'frontend site',
    `    bind 127.0.0.1:${port} ssl crt ${pem} alpn http/1.1`,
    ...all.map((r) => `    use_backend ${r.name} if { path ${r.paths.join(' ')} }`),
    '    default_backend instances',
    '',
    ...backend({ name: 'instances', servers: names }),
    ...all.flatMap(backend),
  ].join('\n');
}

// Starts haproxy on a free port (or `port`) for the site whose chain and key
// are `certFile` and `keyFile` (joined into one file in `dir`, as haproxy
// wants them); resolves once it completes a TLS handshake.
export async function startHaproxy({ dir, certFile, keyFile, ca, instances, routes, port }) {
  port ??= await freePort();
  const pem = join(dir, 'haproxy-site.pem');
  writeFileSync(pem, readFileSync(certFile, 'utf8') + readFileSync(keyFile, 'utf8'), { mode: 0o600 });
  const cfg = join(dir, 'haproxy.cfg');
  writeFileSync(cfg, `${haproxyConfig({ port, pem, ca, instances, routes })}\n`);
  execCheck(cfg);
  const proc = spawn('setpriv', ['--pdeathsig', 'KILL', '--', haproxyBinary(), '-db', '-f', cfg],
    { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  proc.stdout.on('data', (d) => { log += d; });
  proc.stderr.on('data', (d) => { log += d; });
  const exited = new Promise((resolve) => proc.on('exit', resolve));
  const handshake = () => new Promise((resolve) => {
    const s = tlsConnect({ host: '127.0.0.1', port, servername: 'localhost', ca: readFileSync(ca) }, () => { s.destroy(); resolve(true); });
    s.on('error', () => resolve(false));
  });
  for (const until = Date.now() + 10000; ;) {
    if (proc.exitCode !== null) throw new Error(`haproxy exited: ${log}`);
    if (await handshake()) break;
    if (Date.now() > until) {
      proc.kill('SIGKILL');
      throw new Error(`haproxy did not answer TLS on port ${port} in 10 s: ${log}`);
    }
    await sleep(50);
  }
  return {
    port, config: cfg, log: () => log,
    stop: async () => {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      proc.kill('SIGTERM');
      await Promise.race([exited, sleep(3000)]);
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
    },
  };
}

// haproxy -c: a configuration it refuses fails here, with its words.
function execCheck(cfg) {
  const r = spawnSync(haproxyBinary(), ['-c', '-q', '-f', cfg], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`haproxy refused ${cfg}: ${r.stdout}${r.stderr}`);
}
