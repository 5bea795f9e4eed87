import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Config } from './config';
import { ensureDataDir } from './data-dir';

/**
 * The JWT signing secret: JWT_SECRET, else the file JWT_SECRET_FILE names, else one generated
 * on first start and kept in DATA_DIR, so tokens survive a restart.
 */
export async function loadJwtSecret(config: Pick<Config, 'jwtSecret' | 'jwtSecretFile' | 'dataDir'>): Promise<string> {
  if (config.jwtSecret) return config.jwtSecret;
  if (config.jwtSecretFile) {
    const secret = (await readFile(config.jwtSecretFile, 'utf8')).trim();
    if (secret.length < 32)
      throw new Error(`JWT_SECRET_FILE ${config.jwtSecretFile} must hold at least 32 characters.`);
    return secret;
  }
  const file = join(config.dataDir, 'jwt-secret');
  if (existsSync(file)) return readGeneratedSecret(file);
  await ensureDataDir(config.dataDir);
  const secret = randomBytes(48).toString('base64url');
  await writeFile(file, `${secret}\n`, { mode: 0o600, flag: 'wx' }).catch(async (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EEXIST') throw error;
  });
  return readGeneratedSecret(file);
}

/** DATA_DIR/jwt-secret as read back: held to the same length as JWT_SECRET_FILE (an emptied file never signs). */
async function readGeneratedSecret(file: string): Promise<string> {
  const secret = (await readFile(file, 'utf8')).trim();
  if (secret.length < 32) {
    throw new Error(
      `${file} must hold at least 32 characters: delete it to have a new secret generated (everyone signs in again), or set JWT_SECRET.`,
    );
  }
  return secret;
}
