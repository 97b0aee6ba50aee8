// Debian's Tomcat 10.1 (tomcat10-common, libtomcat10-java) in a CATALINA_BASE
// of its own, made here for each run: an HTTPS connector on 127.0.0.1 with
// the bench's localhost certificate, a UserDatabaseRealm whose users are card
// subjects, the cardbound jars in lib/, and the example WAR as the root
// application. For the Tomcat tests and the benchmark; stop() ends it.
import { execFileSync, spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../integration/bench_env.mjs';

export const buildDir = process.env.CARDBOUND_BUILD_DIR ?? join(repoRoot, 'build');
const javaDir = join(buildDir, 'java');
const catalinaHome = process.env.CARDBOUND_CATALINA_HOME ?? '/usr/share/tomcat10';
const jackson = ['jackson-databind', 'jackson-core', 'jackson-annotations'].map((j) => `/usr/share/java/${j}.jar`);

const xml = (s) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

// A port free on 127.0.0.1 now (Tomcat binds it a moment later).
function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

// The Realm's user name of a certificate, as Tomcat derives it (our tool).
export function realmName(certFile) {
  return execFileSync('java', ['-cp', join(javaDir, 'cardbound-tomcat.jar'), 'org.cardbound.tomcat.tools.RealmName', certFile],
    { encoding: 'utf8' }).trim();
}

// users: [{certificate: PEM file, roles: 'cardholder'}]; cardbound: more
// system properties for the example's context.xml.
export async function startTomcat({ env, users = [], presenceInterval = 30, presenceGrace = 10, ocsp = 'aia', maxThreads = 50 }) {
  const pki = env.CARDBOUND_PKI_DIR;
  const port = await freePort();
  const origin = `https://localhost:${port}`;
  const base = mkdtempSync(join(tmpdir(), 'cardbound-tomcat-'));
  for (const d of ['conf', 'lib', 'logs', 'temp', 'webapps', 'work']) mkdirSync(join(base, d));

  writeFileSync(join(base, 'conf', 'server.xml'), `<?xml version="1.0" encoding="UTF-8"?>
<Server port="-1" shutdown="SHUTDOWN">
  <GlobalNamingResources>
    <Resource name="UserDatabase" auth="Container" type="org.apache.catalina.UserDatabase"
              factory="org.apache.catalina.users.MemoryUserDatabaseFactory" pathname="conf/tomcat-users.xml" readonly="true" />
  </GlobalNamingResources>
  <Service name="Catalina">
    <Connector port="${port}" address="127.0.0.1" protocol="org.apache.coyote.http11.Http11NioProtocol"
               SSLEnabled="true" scheme="https" secure="true" maxThreads="${maxThreads}">
      <SSLHostConfig protocols="TLSv1.2+TLSv1.3">
        <Certificate certificateFile="${xml(join(pki, 'server-localhost.pem'))}"
                     certificateKeyFile="${xml(join(pki, 'server-localhost.key'))}"
                     certificateChainFile="${xml(join(pki, 'intermediate-ca.pem'))}" />
      </SSLHostConfig>
    </Connector>
    <Engine name="Catalina" defaultHost="localhost">
      <Realm className="org.apache.catalina.realm.LockOutRealm">
        <Realm className="org.apache.catalina.realm.UserDatabaseRealm" resourceName="UserDatabase" />
      </Realm>
      <Host name="localhost" appBase="webapps" unpackWARs="true" autoDeploy="false" />
    </Engine>
  </Service>
</Server>
`);
  // Card holders by certificate subject; no passwords: nobody logs in by one.
  writeFileSync(join(base, 'conf', 'tomcat-users.xml'), `<?xml version="1.0" encoding="UTF-8"?>
<tomcat-users xmlns="http://tomcat.apache.org/xml" version="1.0">
  <role rolename="cardholder" />
${users.map((u) => `  <user username="${xml(realmName(u.certificate))}" roles="${xml(u.roles)}" />`).join('\n')}
</tomcat-users>
`);
  // The defaults a stock conf/web.xml gives: static files and their types.
  writeFileSync(join(base, 'conf', 'web.xml'), `<?xml version="1.0" encoding="UTF-8"?>
<web-app xmlns="https://jakarta.ee/xml/ns/jakartaee" version="6.0">
  <servlet>
    <servlet-name>default</servlet-name>
    <servlet-class>org.apache.catalina.servlets.DefaultServlet</servlet-class>
    <init-param><param-name>listings</param-name><param-value>false</param-value></init-param>
  </servlet>
  <servlet-mapping><servlet-name>default</servlet-name><url-pattern>/</url-pattern></servlet-mapping>
  <session-config><session-timeout>30</session-timeout></session-config>
  <mime-mapping><extension>html</extension><mime-type>text/html</mime-type></mime-mapping>
  <mime-mapping><extension>js</extension><mime-type>text/javascript</mime-type></mime-mapping>
  <welcome-file-list><welcome-file>index.html</welcome-file></welcome-file-list>
</web-app>
`);
  writeFileSync(join(base, 'conf', 'logging.properties'), [
    'handlers = java.util.logging.ConsoleHandler',
    'java.util.logging.ConsoleHandler.level = FINE',
    'java.util.logging.ConsoleHandler.formatter = org.apache.juli.OneLineFormatter',
    '.level = INFO', '',
  ].join('\n'));
  for (const jar of [join(javaDir, 'cardbound-core.jar'), join(javaDir, 'cardbound-tomcat.jar'), ...jackson]) {
    copyFileSync(jar, join(base, 'lib', jar.split('/').pop()));
  }
  copyFileSync(join(javaDir, 'cardbound-example.war'), join(base, 'webapps', 'ROOT.war'));

  const props = {
    'cardbound.origin': origin,
    'cardbound.trustAnchors': join(pki, 'ca-chain.pem'),
    'cardbound.crls': join(pki, 'intermediate-ca.crl.pem'),
    'cardbound.ocsp': ocsp,
    'cardbound.presenceInterval': String(presenceInterval),
    'cardbound.presenceGrace': String(presenceGrace),
  };
  const proc = spawn(join(catalinaHome, 'bin', 'catalina.sh'), ['run'], {
    env: { ...process.env, ...env, CATALINA_HOME: catalinaHome, CATALINA_BASE: base, CATALINA_PID: '',
      CATALINA_OPTS: Object.entries(props).map(([k, v]) => `-D${k}=${v}`).join(' ') + ' -Xms64m -Xmx256m' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  proc.stdout.on('data', (d) => { log += d; });
  proc.stderr.on('data', (d) => { log += d; });
  const stop = () => new Promise((resolve) => {
    const done = () => { rmSync(base, { recursive: true, force: true }); resolve(); };
    if (proc.exitCode !== null || proc.signalCode !== null) return done();
    const kill = setTimeout(() => proc.kill('SIGKILL'), 10_000);
    proc.once('exit', () => { clearTimeout(kill); done(); });
    proc.kill('SIGTERM');
  });

  // Ready when the application answers over HTTPS (at most 60 s).
  const ca = readFileSync(join(pki, 'root-ca.pem'));
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`Tomcat exited (${proc.exitCode}):\n${log}`);
    const status = await new Promise((resolve) => {
      const req = request({ host: '127.0.0.1', port, path: '/cardbound/session', ca, servername: 'localhost', timeout: 2000 },
        (res) => { res.resume(); resolve(res.statusCode); });
      req.on('error', () => resolve(0));
      req.on('timeout', () => { req.destroy(); resolve(0); });
      req.end();
    });
    if (status === 401) break;
    if (status !== 0 && status !== 404) { await stop(); throw new Error(`Tomcat answered ${status}:\n${log}`); }
    if (Date.now() > deadline) { await stop(); throw new Error(`Tomcat did not start in 60 s:\n${log}`); }
    await new Promise((r) => setTimeout(r, 250));
  }
  return { proc, port, origin, url: `${origin}/`, base, log: () => log, stop };
}
