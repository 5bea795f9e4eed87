import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadJwtSecret } from './secrets';

const fresh = () => mkdtempSync(join(tmpdir(), 'tally-secrets-'));
const generated = (dataDir: string) => ({ jwtSecret: undefined, jwtSecretFile: undefined, dataDir });

describe('the generated JWT secret in DATA_DIR', () => {
  it('is generated once, long enough, and read back the same', async () => {
    const dataDir = fresh();
    const first = await loadJwtSecret(generated(dataDir));
    expect(first.length).toBeGreaterThanOrEqual(32);
    expect(await loadJwtSecret(generated(dataDir))).toBe(first);
  });

  it.each([
    ['empty', ''],
    ['short', 'too-short-to-sign-with\n'],
  ])('is refused when the file is %s, as JWT_SECRET_FILE would be', async (_what, content) => {
    const dataDir = fresh();
    writeFileSync(join(dataDir, 'jwt-secret'), content);
    await expect(loadJwtSecret(generated(dataDir))).rejects.toThrow(/jwt-secret must hold at least 32 characters/);
  });
});
