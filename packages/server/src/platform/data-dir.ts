import { constants } from 'node:fs';
import { access, mkdir } from 'node:fs/promises';
import { StartupError, fsReason } from './startup-error';

/**
 * DATA_DIR, made on first use (mode 0700: it holds generated secrets) and checked to be
 * writable. A folder that cannot work stops the start with one line that says which and why.
 * An existing folder's mode is never changed.
 */
export async function ensureDataDir(dir: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await access(dir, constants.W_OK | constants.X_OK);
  } catch (error) {
    throw new StartupError(
      `DATA_DIR ${dir} cannot be used (${fsReason(error)}): set DATA_DIR to a folder this user can write, e.g. DATA_DIR=$HOME/.tally`,
    );
  }
}
