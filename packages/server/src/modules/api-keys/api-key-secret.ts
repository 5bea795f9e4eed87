import { createHash, hash, randomBytes } from 'node:crypto';
import { crc32 } from 'node:zlib';

/**
 * Key secrets: `tly_` + 32 random bytes in base62 (43 characters) + a 6-character base62
 * CRC32 of everything before it. A secret scanner recognises the shape and can check the
 * checksum; a typo is refused without a database call. Only the first 12 characters (the
 * display prefix) and a SHA-256 hash are ever stored.
 */
export const SECRET_PREFIX = 'tly_';
const BODY_LENGTH = 43;
const CHECKSUM_LENGTH = 6;
export const DISPLAY_PREFIX_LENGTH = 12;
export const SECRET_LENGTH = SECRET_PREFIX.length + BODY_LENGTH + CHECKSUM_LENGTH;

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const SHAPE = new RegExp(`^${SECRET_PREFIX}[0-9A-Za-z]{${BODY_LENGTH + CHECKSUM_LENGTH}}$`);

function base62(value: bigint, length: number): string {
  let out = '';
  let rest = value;
  while (rest > 0n) {
    out = ALPHABET[Number(rest % 62n)] + out;
    rest /= 62n;
  }
  return out.padStart(length, '0');
}

/** CRC32 in 6 base62 digits; plain number arithmetic (it runs on every key request). */
function checksum(text: string): string {
  let rest = crc32(text);
  let out = '';
  for (let i = 0; i < CHECKSUM_LENGTH; i += 1) {
    out = ALPHABET[rest % 62] + out;
    rest = Math.floor(rest / 62);
  }
  return out;
}

export function generateSecret(): string {
  const body = base62(BigInt(`0x${randomBytes(32).toString('hex')}`), BODY_LENGTH);
  const head = `${SECRET_PREFIX}${body}`;
  return `${head}${checksum(head)}`;
}

/** Shape and checksum only: no database, no secret comparison. */
export function isWellFormedSecret(secret: string): boolean {
  if (secret.length !== SECRET_LENGTH || !SHAPE.test(secret)) return false;
  const head = secret.slice(0, SECRET_LENGTH - CHECKSUM_LENGTH);
  return checksum(head) === secret.slice(SECRET_LENGTH - CHECKSUM_LENGTH);
}

export function displayPrefix(secret: string): string {
  return secret.slice(0, DISPLAY_PREFIX_LENGTH);
}

export function hashSecret(secret: string): Buffer {
  return createHash('sha256').update(secret).digest();
}

/** hashSecret in base64, in one call (no Hash object): the key of every cached key check. */
export function hashSecretBase64(secret: string): string {
  return hash('sha256', secret, 'base64');
}
