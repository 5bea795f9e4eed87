import { createHash, randomBytes } from 'node:crypto';

/** An invitation's token: 256 random bits, base64url (43 characters); only its hash is kept. */
const TOKEN_BYTES = 32;
const TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;

export function newInvitationToken(): string {
  return randomBytes(TOKEN_BYTES).toString('base64url');
}

/** Whether a text has a token's shape (anything else is refused without a database call). */
export function isInvitationToken(token: string): boolean {
  return TOKEN_PATTERN.test(token);
}

export function hashInvitationToken(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}
