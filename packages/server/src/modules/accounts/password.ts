import { hash, verify } from '@node-rs/argon2';

/**
 * argon2id with OWASP's minimum (m = 19 MiB, t = 2, p = 1), as DESIGN.md asks.
 * `algorithm: 2` is Argon2id; the library declares it as a const enum, which a
 * per-file transpiler (swc, ts-node --transpile-only) cannot inline.
 */
const ARGON2ID = 2;
const OPTIONS = { algorithm: ARGON2ID, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

export function hashPassword(password: string): Promise<string> {
  return hash(password, OPTIONS);
}

export async function verifyPassword(passwordHash: string, password: string): Promise<boolean> {
  try {
    return await verify(passwordHash, password);
  } catch {
    return false;
  }
}

let dummyHash: Promise<string> | undefined;

/**
 * Spends the same work as a real check when the email is unknown, so that an unknown email
 * and a wrong password cannot be told apart by timing either.
 */
export async function burnPasswordCheck(password: string): Promise<false> {
  dummyHash ??= hashPassword('tally-dummy-password-for-timing');
  await verifyPassword(await dummyHash, password);
  return false;
}
