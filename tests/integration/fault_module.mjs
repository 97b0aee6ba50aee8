// Private SoftHSM2 tokens behind cardbound-pkcs11-fault (tests/pkcs11_fault),
// for tests that need a card which is slow, pulled out or broken on cue.
//
//   const tokens = makeFaultTokens({ pkiDir, labels: ['fault-a', 'fault-b'],
//     keys: { 'fault-a': 'client-p256', 'fault-b': 'client-p384' }, pin });
//   spawn(cmd, args, { env: { ...process.env, ...tokens.env } });  // load tokens.modulePath
//   tokens.setFaults(['C_Sign fault-a rv=CKR_DEVICE_REMOVED once']);
//   tokens.clearFaults();
//   tokens.cleanup();
//
// The tokens live in their own temporary folder with their own
// softhsm2.conf, so faults never touch the bench's tokens, and several tests
// may each make their own.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const buildDir = process.env.CARDBOUND_BUILD_DIR ?? new URL('../../build', import.meta.url).pathname;
export const faultModulePath = join(buildDir, 'tests/pkcs11_fault/cardbound-pkcs11-fault.so');
export const softhsmModule = process.env.CARDBOUND_SOFTHSM_MODULE ?? '/usr/lib/softhsm/libsofthsm2.so';

// Makes the tokens `labels` (user PIN `pin`, SO PIN `soPin`) and imports into
// each the PKI's key and certificate named by `keys[label]` (one name or a
// list; ids 01, 02, ... in that order, object labels the names), as
// tests/bench/lib/tokens.sh does for the bench's token. With `log`, fired
// faults go to a file (readLog()) instead of the process's stderr.
export function makeFaultTokens({ pkiDir, labels = ['fault-a', 'fault-b'], keys = {}, pin, soPin = '12345678', log = false }) {
  if (!pkiDir || !pin) throw new Error('makeFaultTokens needs pkiDir and pin');
  const dir = mkdtempSync(join(tmpdir(), 'cardbound-fault-'));
  const conf = join(dir, 'softhsm2.conf');
  const control = join(dir, 'faults.conf');
  const logPath = join(dir, 'faults.log');
  mkdirSync(join(dir, 'tokens'));
  writeFileSync(conf, [`directories.tokendir = ${join(dir, 'tokens')}`, 'objectstore.backend = file',
    'log.level = ERROR', 'slots.removable = false', ''].join('\n'));

  const run = (cmd, args) => execFileSync(cmd, args, {
    env: { ...process.env, SOFTHSM2_CONF: conf }, stdio: ['ignore', 'ignore', 'pipe'],
  });
  try {
    for (const label of labels) {
      run('softhsm2-util', ['--init-token', '--free', '--label', label, '--pin', pin, '--so-pin', soPin]);
      [keys[label] ?? []].flat().forEach((name, i) => {
        const id = String(i + 1).padStart(2, '0');
        run('softhsm2-util', ['--import', join(pkiDir, `${name}.key`), '--token', label, '--label', name,
          '--id', id, '--pin', pin]);
        run('pkcs11-tool', ['--module', softhsmModule, '--token-label', label, '--login', '--pin', pin,
          '--write-object', join(pkiDir, `${name}.der`), '--type', 'cert', '--id', id, '--label', name]);
      });
    }
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`making fault tokens failed: ${e.message}\n${e.stderr ?? ''}`);
  }

  // A new file each time (rename is atomic): the module never reads half a
  // file, and sees a new version even when the text is the same, which arms
  // `once` rules again.
  let version = 0;
  const setFaults = (lines) => {
    const next = `${control}.${process.pid}.${version++}`;
    writeFileSync(next, lines.length ? `${lines.join('\n')}\n` : '');
    renameSync(next, control);
  };
  setFaults([]);

  return {
    dir,
    env: {
      SOFTHSM2_CONF: conf, CARDBOUND_FAULT_TARGET: softhsmModule, CARDBOUND_FAULT_CONTROL: control,
      ...(log ? { CARDBOUND_FAULT_LOG: logPath } : {}),
    },
    modulePath: faultModulePath,
    controlPath: control,
    setFaults,
    clearFaults: () => setFaults([]),
    readLog: () => { try { return readFileSync(logPath, 'utf8'); } catch { return ''; } },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}
