// Places outside the generated files and regions that repeat a registry
// value: a version in a package file or an example, a limit in host code,
// the commands a dispatcher knows.
//
// A stamp is a pattern whose named groups hold registry values (version,
// protocolVersion, or a limit's or lifetime's name). --write rewrites the
// group when the stamp is `write: true`; --check reports any that differ. A
// stamp on code that others own (host/src) is checked only; its pattern also
// accepts the registry's C++ constant, which is how that code should read.
//
// A set is a pattern that finds names (in quotes, or as the registry's C++
// constants) in some files; together they must be the registry's list,
// no more, no less.

const product = (text) => text.split('*').reduce((n, f) => n * Number(f.trim()), 1);
const kebab = (pascalName) => pascalName.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase();

export function registryValues(r) {
  const values = { version: r.version, protocolVersion: r.protocolVersion };
  for (const q of [...r.limits, ...r.lifetimes]) values[q.name] = q.value;
  return values;
}

// A found value as the registry would hold it: numbers may be written as
// products (256 * 1024).
export const valueOf = (expected, found) =>
  (typeof expected === 'number' && /^\d+(\s*\*\s*\d+)*$/.test(found) ? product(found) : found);

const V = '\\d+\\.\\d+\\.\\d+';

export const stamps = [
  // Package metadata (npm): --write keeps them on the registry's version.
  { file: 'package.json', pattern: /^ {2}"version": "(?<version>[^"]*)"/gm, write: true },
  { file: 'package-lock.json', pattern: /^ {2}"name": "cardbound",\n {2}"version": "(?<version>[^"]*)"/gm, write: true },
  { file: 'package-lock.json', pattern: /^ {4}"": \{\n {6}"name": "cardbound",\n {6}"version": "(?<version>[^"]*)"/gm, write: true },
  // The guides' examples and file names.
  { file: 'docs/protocol.md', pattern: /^# Cardbound protocol, version (?<protocolVersion>\d+)$/gm, write: true },
  { file: 'docs/protocol.md', pattern: new RegExp(`"version":"(?<version>${V})","protocol":(?<protocolVersion>\\d+)`, 'g'), write: true },
  { file: 'docs/protocol.md', pattern: new RegExp(`"appVersion":"cardbound-host/(?<version>${V})"`, 'g'), write: true },
  { file: 'docs/operations.md', pattern: /"protocol":(?<protocolVersion>\d+)/g, write: true },
  { file: 'docs/operations.md', pattern: new RegExp(`"version":"(?<version>${V})"`, 'g'), write: true },
  { file: 'docs/operations.md', pattern: new RegExp(`\`cardbound-host (?<version>${V}) started\``, 'g'), write: true },
  { file: 'docs/integration.md', pattern: new RegExp(`^\\| \`ErrorCode\`.*\`'(?<version>${V})'\``, 'gm'), write: true },
  { file: 'docs/integration.md', pattern: /the protocol version it speaks with the extension \(`(?<protocolVersion>\d+)`\)/g, write: true },
  ...['docs/integration.md', 'packaging/README.md'].flatMap((file) => [
    { file, pattern: new RegExp(`cardbound-(?:host|server)_(?<version>${V})_amd64\\.deb`, 'g'), write: true },
    { file, pattern: new RegExp(`cardbound-extension-(?:chromium|firefox)-(?<version>${V})\\.(?:zip|xpi)`, 'g'), write: true },
  ]),
  // The host's constants name the registry's (or, if ever written out,
  // must hold its values).
  {
    file: 'host/src/commands/context.h',
    pattern: /kHostVersion = (?:"(?<version>[^"]*)"|(?:cardbound::)?registry::kVersion);/g,
  },
  {
    file: 'host/src/commands/context.h',
    pattern: /kProtocolVersion = (?:(?<protocolVersion>\d+)|(?:cardbound::)?registry::kProtocolVersion);/g,
  },
  {
    file: 'host/src/messaging/frame.h',
    pattern: /kMaxRequestSize = (?:(?<maxRequestBytes>\d+(?: \* \d+)*)|(?:cardbound::)?registry::kMaxRequestBytes);/g,
  },
  {
    file: 'host/src/messaging/frame.h',
    pattern: /kMaxAnswerSize = (?:(?<maxAnswerBytes>\d+(?: \* \d+)*)|(?:cardbound::)?registry::kMaxAnswerBytes);/g,
  },
  {
    file: 'host/src/commands/login_store.h',
    pattern: /kLoginLifetimeSeconds = (?:(?<loginLifetimeSeconds>\d+(?: \* \d+)*)|(?:cardbound::)?registry::kLoginLifetimeSeconds);/g,
  },
  {
    file: 'host/src/trust/server_verifier.h',
    pattern: /kMaxLifetimeSeconds = (?:(?<maxChallengeLifetimeSeconds>\d+(?: \* \d+)*)|(?:cardbound::)?registry::kMaxChallengeLifetimeSeconds);/g,
  },
  // The extension's background, which another change is reworking.
  {
    file: 'extension/src/background/services/native_host.js',
    pattern: /MAX_REQUEST_BYTES(?: = (?<maxRequestBytes>\d+(?: \* \d+)*);|\b[^\n]*from '\.\.\/\.\.\/shared\/registry\.js')/g,
  },
];

// In quotes, or as the registry's constant in `ns` (host_command::kBeginLogin).
const nameIn = (ns) => `(?:"([a-z-]+)"|(?:cardbound::)?(?:registry::)?${ns}::k(\\w+))`;
const found = (m) => m[1] ?? kebab(m[2]);

export const sets = [
  {
    what: 'the host\'s commands',
    list: 'hostCommands',
    key: 'command',
    files: ['host/src/commands/dispatcher.cpp'],
    pattern: new RegExp(`\\{${nameIn('host_command')}, handle_`, 'g'),
    found,
  },
  {
    what: 'the host\'s events',
    list: 'hostEvents',
    key: 'event',
    files: ['host/src/card/card_events.cpp'],
    pattern: new RegExp(`\\bsend\\(${nameIn('host_event')}`, 'g'),
    found,
  },
  {
    what: 'the host\'s reasons for ERR_SERVER_NOT_TRUSTED',
    list: 'notTrustedReasons',
    key: 'reason',
    files: ['host/src/trust/server_verifier.cpp', 'host/src/commands/confirm.cpp', 'host/src/commands/presence.cpp', 'host/src/commands/login_store.cpp'],
    pattern: new RegExp(`(?:\\bnot_trusted\\(|\\{"reason", )${nameIn('not_trusted')}`, 'g'),
    found,
  },
  {
    what: 'the commands docs/protocol.md section 3 describes',
    list: 'hostCommands',
    key: 'command',
    files: ['docs/protocol.md'],
    pattern: /^### `([a-z-]+)`$/gm,
    found: (m) => m[1],
  },
];
