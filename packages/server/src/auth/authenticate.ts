import type { IncomingHttpHeaders } from 'node:http';
import type { Principal } from './principal';
import { type AppError, unauthenticated } from '../platform/errors';
import { rateLimited } from '../platform/rate-limits/rate-limit';

export const API_KEY_PREFIX = 'tly_';

/** The single credential of a request, as sent; null when there is none. */
export function readCredential(headers: IncomingHttpHeaders): string | null {
  const authorization = headers.authorization;
  const apiKeyHeader = headers['x-api-key'];
  const apiKey = Array.isArray(apiKeyHeader) ? apiKeyHeader[0] : apiKeyHeader;
  if (authorization !== undefined && apiKey !== undefined) {
    throw unauthenticated('Send one credential: either Authorization or X-API-Key, not both.');
  }
  if (apiKey !== undefined) {
    // X-API-Key is for API keys only: a user's token goes in Authorization, where it is expected.
    const key = apiKey.trim();
    if (!key.startsWith(API_KEY_PREFIX)) {
      throw unauthenticated(
        `X-API-Key takes an API key (${API_KEY_PREFIX}…); send a user token as "Authorization: Bearer <token>".`,
      );
    }
    return key;
  }
  if (authorization === undefined) return null;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
  if (!match?.[1]) throw unauthenticated('The Authorization header must be "Bearer <token>".');
  return match[1];
}

/** Checks a user's access token (the accounts module's TokenService). */
export interface AccessTokens {
  verifyAccess(token: string): Promise<{ userId: string; familyId: string }>;
}

/** Why an API key was refused: the verifier says what it found, the edge picks the words. */
export type ApiKeyRefusal =
  | { readonly ok: false; readonly reason: 'malformed' | 'unknown' | 'revoked' | 'expired' | 'address' }
  | { readonly ok: false; readonly reason: 'rate-limited'; readonly retryAfterMs: number };

export type ApiKeyCheck = { readonly ok: true; readonly principal: Principal } | ApiKeyRefusal;

export interface ApiKeyVerifier {
  /**
   * `ip`: the caller's address, for limiting failed key checks. Never throws for a bad key.
   * Answers at once when it can (a key it knows), with a promise when it must look.
   */
  verify(secret: string, ip: string): ApiKeyCheck | Promise<ApiKeyCheck>;
}

/** The refusal of the API key failure limit (RATE_LIMITED), before its "Try again in …". */
export const API_KEY_FAILURES_REFUSAL = 'Too many unknown API keys from this address.';

/** A refused key as the request's error: UNAUTHENTICATED (401), or RATE_LIMITED (429). */
export function apiKeyRefusal(refusal: ApiKeyRefusal): AppError {
  switch (refusal.reason) {
    case 'malformed':
    case 'unknown':
      return unauthenticated('This API key is not valid.');
    case 'revoked':
      return unauthenticated('This API key has been revoked.');
    case 'expired':
      return unauthenticated('This API key has expired.');
    case 'address':
      return unauthenticated('This API key is not allowed from this address.');
    case 'rate-limited':
      return rateLimited(API_KEY_FAILURES_REFUSAL, refusal.retryAfterMs);
  }
}

function keyPrincipal(check: ApiKeyCheck): Principal {
  if (check.ok) return check.principal;
  throw apiKeyRefusal(check);
}

/** Login families that have ended (see modules/accounts/revoked-sessions.ts). */
export interface SessionRevocations {
  isRevoked(familyId: string): boolean | Promise<boolean>;
}

/**
 * Turns a request's headers into its principal. A present but bad, expired or revoked
 * credential is UNAUTHENTICATED for the whole request; no credential is an anonymous caller.
 */
export class Authenticator {
  constructor(
    private readonly tokens: AccessTokens,
    private readonly apiKeys: ApiKeyVerifier | null,
    private readonly revocations: SessionRevocations,
  ) {}

  /**
   * The request's principal. At once (no promise) for no credential and for an API key the
   * verifier knows, the hot path; a promise for a user's token or a key looked up. Throws (or
   * rejects) with UNAUTHENTICATED or RATE_LIMITED.
   */
  authenticate(headers: IncomingHttpHeaders, ip: string): Principal | null | Promise<Principal | null> {
    const credential = readCredential(headers);
    if (credential === null) return null;
    if (credential.startsWith(API_KEY_PREFIX)) {
      if (!this.apiKeys) throw unauthenticated('API keys are not accepted here.');
      const check = this.apiKeys.verify(credential, ip);
      return check instanceof Promise ? check.then(keyPrincipal) : keyPrincipal(check);
    }
    return this.userPrincipal(credential);
  }

  private async userPrincipal(credential: string): Promise<Principal> {
    const claims = await this.tokens.verifyAccess(credential);
    // From memory on the hot path; a promise only while the change feed is down.
    const revoked = this.revocations.isRevoked(claims.familyId);
    if (revoked === true || (revoked !== false && (await revoked))) {
      throw unauthenticated('Your session has ended. Please log in again.');
    }
    return { kind: 'user', userId: claims.userId, familyId: claims.familyId };
  }
}
