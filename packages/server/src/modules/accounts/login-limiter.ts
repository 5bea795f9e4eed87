import { createHash } from 'node:crypto';
import { ErrorCode } from '@tally/shared';
import type { Pool } from 'pg';
import { RateLimiterPostgres, RateLimiterRes } from 'rate-limiter-flexible';
import { AppError } from '../../errors';

export interface LoginLimits {
  perAccount: number;
  perAddress: number;
  windowSeconds: number;
}

/**
 * Failed logins, counted per account (the normalised email, known or not) and per address.
 * Counters live in PostgreSQL (`rate_limits`), so every server instance sees the same numbers.
 * Each attempt counts, including several aliased `logIn` fields in one document.
 */
export class LoginLimiter {
  private readonly byAccount: RateLimiterPostgres;
  private readonly byAddress: RateLimiterPostgres;

  constructor(pool: Pool, limits: LoginLimits) {
    const common = { storeClient: pool, storeType: 'pool', tableName: 'rate_limits', tableCreated: true };
    this.byAccount = new RateLimiterPostgres({
      ...common,
      keyPrefix: 'login_account',
      points: limits.perAccount,
      duration: limits.windowSeconds,
    });
    this.byAddress = new RateLimiterPostgres({
      ...common,
      keyPrefix: 'login_address',
      points: limits.perAddress,
      duration: limits.windowSeconds,
    });
  }

  /** RATE_LIMITED when either counter is already used up; changes nothing. */
  async assertAllowed(email: string, ip: string): Promise<void> {
    const [account, address] = await Promise.all([this.byAccount.get(accountKey(email)), this.byAddress.get(ip)]);
    const blocked = [
      { res: account, max: this.byAccount.points },
      { res: address, max: this.byAddress.points },
    ].filter((c): c is { res: RateLimiterRes; max: number } => c.res !== null && c.res.consumedPoints >= c.max);
    if (blocked.length > 0) throw rateLimited(Math.max(...blocked.map((b) => b.res.msBeforeNext)));
  }

  async recordFailure(email: string, ip: string): Promise<void> {
    await Promise.all([this.byAccount.penalty(accountKey(email), 1), this.byAddress.penalty(ip, 1)]);
  }

  async recordSuccess(email: string): Promise<void> {
    await this.byAccount.delete(accountKey(email));
  }
}

/** Counters are keyed by a hash of the email, so the table holds no addresses of people. */
export function accountKey(email: string): string {
  return createHash('sha256').update(email).digest('base64url');
}

function rateLimited(msBeforeNext: number): AppError {
  const retryAfterSeconds = Math.max(1, Math.ceil(msBeforeNext / 1000));
  return new AppError(ErrorCode.RATE_LIMITED, `Too many failed logins. Try again in ${retryAfterSeconds} seconds.`, {
    retryAfterSeconds,
  });
}
