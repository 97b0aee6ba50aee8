// The real programs the tests start (issue 15: Debian's, installed by
// scripts/setup): their path, or a clear error, never a skip.
import { accessSync, constants } from 'node:fs';

// `name` at `path`, unless the environment variable `variable` names another
// one; throws when it is not an executable there.
export function program(name, path, variable) {
  const found = process.env[variable] ?? path;
  try {
    accessSync(found, constants.X_OK);
  } catch {
    throw new Error(`${name} was not found at ${found} (set ${variable}, or install Debian's ${name}: ` +
      'scripts/setup does); this needs a real one and skips nothing');
  }
  return found;
}
