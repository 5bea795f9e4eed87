import { createHash, randomUUID } from 'node:crypto';
import { type JWTPayload, SignJWT, errors as joseErrors, jwtVerify } from 'jose';
import { unauthenticated } from '../../errors';

/** Each token kind has its own `typ`; one never passes as another. */
export const TokenType = { ACCESS: 'access', REFRESH: 'refresh' } as const;
export type TokenType = (typeof TokenType)[keyof typeof TokenType];

export const ACCESS_TOKEN_TTL_SECONDS = 15 * 60;
export const REFRESH_TOKEN_TTL_SECONDS = 30 * 24 * 60 * 60;
const ALGORITHM = 'HS256';
const AUDIENCE = 'tally';

export interface RefreshClaims {
  userId: string;
  tokenId: string;
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

  signAccess(userId: string): Promise<string> {
    return this.sign(TokenType.ACCESS, userId, ACCESS_TOKEN_TTL_SECONDS, randomUUID());
  }

  signRefresh(claims: RefreshClaims): Promise<string> {
    return this.sign(TokenType.REFRESH, claims.userId, REFRESH_TOKEN_TTL_SECONDS, claims.tokenId, {
      fam: claims.familyId,
    });
  }

  /** The user id of a valid access token; UNAUTHENTICATED for anything else. */
  async verifyAccess(token: string): Promise<string> {
    const payload = await this.verify(token, TokenType.ACCESS);
    return payload.sub;
  }

  async verifyRefresh(token: string): Promise<RefreshClaims> {
    const payload = await this.verify(token, TokenType.REFRESH);
    if (typeof payload.fam !== 'string' || typeof payload.jti !== 'string') {
      throw unauthenticated('Your session is not valid. Please log in again.');
    }
    return { userId: payload.sub, tokenId: payload.jti, familyId: payload.fam };
  }

  private async sign(
    typ: TokenType,
    subject: string,
    ttlSeconds: number,
    jti: string,
    extra: Record<string, string> = {},
  ): Promise<string> {
    return new SignJWT({ typ, ...extra })
      .setProtectedHeader({ alg: ALGORITHM, typ: 'JWT' })
      .setSubject(subject)
      .setIssuer(this.issuer)
      .setAudience(AUDIENCE)
      .setJti(jti)
      .setIssuedAt()
      .setExpirationTime(Math.floor(Date.now() / 1000) + ttlSeconds)
      .sign(this.key);
  }

  private async verify(token: string, typ: TokenType): Promise<JWTPayload & { sub: string }> {
    try {
      const { payload } = await jwtVerify(token, this.key, {
        algorithms: [ALGORITHM],
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

/** SHA-256 of a token, for storage and constant-size comparison. */
export function hashToken(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}
