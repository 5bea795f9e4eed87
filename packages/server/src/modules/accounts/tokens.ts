import { createHash, randomUUID } from 'node:crypto';
import { type JWTPayload, SignJWT, errors as joseErrors, jwtVerify } from 'jose';
import { unauthenticated } from '../../platform/errors';

/** Each token kind has its own `typ`; one never passes as another. */
export const TokenType = { ACCESS: 'access', REFRESH: 'refresh' } as const;
export type TokenType = (typeof TokenType)[keyof typeof TokenType];

export const ACCESS_TOKEN_TTL_SECONDS = 15 * 60;
/** A login unused for this long ends (each refresh starts this anew, up to the family's end). */
export const REFRESH_TOKEN_TTL_SECONDS = 30 * 24 * 60 * 60;
/** A login family ends this long after the password was given, however often it is refreshed. */
export const SESSION_FAMILY_TTL_SECONDS = 90 * 24 * 60 * 60;
const ALGORITHM = 'HS256';
const AUDIENCE = 'tally';

export interface RefreshClaims {
  userId: string;
  tokenId: string;
  familyId: string;
  /** The family's absolute end, in seconds since the epoch. */
  familyExpiresAt: number;
}

export interface AccessClaims {
  userId: string;
  /** The login family the token was issued for; refused on every instance once it ends. */
  familyId: string;
}

/** Signs and checks Tally's JWTs: algorithm pinned, `iss`/`aud`/`exp`/`typ` always checked. */
export class TokenService {
  private readonly key: Uint8Array;

  constructor(
    secret: string,
    private readonly issuer: string,
  ) {
    this.key = new TextEncoder().encode(secret);
  }

  signAccess(claims: AccessClaims): Promise<string> {
    return this.sign(TokenType.ACCESS, claims.userId, nowSeconds() + ACCESS_TOKEN_TTL_SECONDS, randomUUID(), {
      fam: claims.familyId,
    });
  }

  /** Expires after REFRESH_TOKEN_TTL_SECONDS unused, and at the family's end at the latest. */
  signRefresh(claims: RefreshClaims): Promise<string> {
    return this.sign(TokenType.REFRESH, claims.userId, refreshExpiry(claims.familyExpiresAt), claims.tokenId, {
      fam: claims.familyId,
      fex: claims.familyExpiresAt,
    });
  }

  /** The claims of a valid access token; UNAUTHENTICATED for anything else. */
  async verifyAccess(token: string): Promise<AccessClaims> {
    const payload = await this.verify(token, TokenType.ACCESS);
    if (typeof payload.fam !== 'string') throw unauthenticated('Your session is not valid. Please log in again.');
    return { userId: payload.sub, familyId: payload.fam };
  }

  async verifyRefresh(token: string): Promise<RefreshClaims> {
    const payload = await this.verify(token, TokenType.REFRESH);
    if (typeof payload.fam !== 'string' || typeof payload.jti !== 'string' || typeof payload.fex !== 'number') {
      throw unauthenticated('Your session is not valid. Please log in again.');
    }
    return { userId: payload.sub, tokenId: payload.jti, familyId: payload.fam, familyExpiresAt: payload.fex };
  }

  private async sign(
    typ: TokenType,
    subject: string,
    expiresAt: number,
    jti: string,
    extra: Record<string, string | number> = {},
  ): Promise<string> {
    return new SignJWT({ typ, ...extra })
      .setProtectedHeader({ alg: ALGORITHM, typ: 'JWT' })
      .setSubject(subject)
      .setIssuer(this.issuer)
      .setAudience(AUDIENCE)
      .setJti(jti)
      .setIssuedAt()
      .setExpirationTime(expiresAt)
      .sign(this.key);
  }

  private async verify(token: string, typ: TokenType): Promise<JWTPayload & { sub: string }> {
    try {
      const { payload } = await jwtVerify(token, this.key, {
        algorithms: [ALGORITHM],
        // The header's `typ` too: Tally signs only "JWT"; the token kind is the `typ` claim.
        typ: 'JWT',
        issuer: this.issuer,
        audience: AUDIENCE,
        requiredClaims: ['exp', 'sub', 'typ', 'jti'],
      });
      if (payload.typ !== typ || typeof payload.sub !== 'string') {
        throw unauthenticated('This token cannot be used here.');
      }
      return { ...payload, sub: payload.sub };
    } catch (error) {
      if (error instanceof joseErrors.JWTExpired) {
        throw unauthenticated(
          typ === TokenType.ACCESS ? 'Your access token has expired.' : 'Your session has expired.',
        );
      }
      if (error instanceof joseErrors.JOSEError) throw unauthenticated('The token is not valid.');
      throw error;
    }
  }
}

function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

/** When a refresh token issued now expires (seconds since the epoch). */
export function refreshExpiry(familyExpiresAt: number): number {
  return Math.min(nowSeconds() + REFRESH_TOKEN_TTL_SECONDS, familyExpiresAt);
}

/** The end of a family that starts now (seconds since the epoch). */
export function newFamilyExpiry(): number {
  return nowSeconds() + SESSION_FAMILY_TTL_SECONDS;
}

/** SHA-256 of a token, for storage and constant-size comparison. */
export function hashToken(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}
