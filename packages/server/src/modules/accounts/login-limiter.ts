import type { Pool } from 'pg';
import { RateLimit, consumeEach, hashedKey } from '../../platform/rate-limits/rate-limit';

export interface LoginLimits {
  perAccount: number;
  perAddress: number;
  windowSeconds: number;
}

/**
 * Failed logins, counted per account (the normalised email, known or not) and per address.
 * Counters live in PostgreSQL (`rate_limits`), so every server instance sees the same numbers.
 *
 * Consume first: every attempt takes a point from both counters *before* its password is
 * checked, so however many attempts race, at most the limit of them reach the password check
 * and the rest are RATE_LIMITED. A login that succeeds gives both points back (`refund`), so
 * only failures count. We give back the success's own point rather than deleting the account's
 * counter: a legitimate login then does not wipe out the failures an attacker has run up, which
 * would hand them a fresh set of guesses each time the owner logs in.
 */
export class LoginLimiter {
  private readonly byAccount: RateLimit;
  private readonly byAddress: RateLimit;

  constructor(pool: Pool, limits: LoginLimits) {
    const refusal = 'Too many failed logins.';
    const window = { windowSeconds: limits.windowSeconds, refusal };
    this.byAccount = new RateLimit(pool, { name: 'login_account', points: limits.perAccount, ...window });
    this.byAddress = new RateLimit(pool, { name: 'login_address', points: limits.perAddress, ...window });
  }

  /** Takes one attempt from the account's and the address's counters; RATE_LIMITED when either is used up. */
  async consume(email: string, ip: string): Promise<void> {
    await consumeEach([
      [this.byAccount, accountKey(email)],
      [this.byAddress, ip],
    ]);
  }

  /** A password reset: the account's failed logins are forgotten (its owner proved who they are). */
  async forgetAccount(email: string): Promise<void> {
    await this.byAccount.reset(accountKey(email));
  }

  /** The attempt succeeded: it does not count against either limit. */
  async refund(email: string, ip: string): Promise<void> {
    await Promise.all([this.byAccount.refund(accountKey(email)), this.byAddress.refund(ip)]);
  }
}

/** Counters are keyed by a hash of the email, so the table holds no addresses of people. */
export function accountKey(email: string): string {
  return hashedKey(email);
}
