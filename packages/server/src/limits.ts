import type { Pool } from 'pg';
import type { Logger } from 'pino';
import { API_KEY_FAILURES_REFUSAL } from './auth/authenticate';
import type { PasswordResetLimits } from './modules/accounts/password-reset.service';
import type { InvitationLimits } from './modules/invitations/invitation.service';
import type { Config } from './platform/config';
import { BatchedRateLimit } from './platform/rate-limits/batched-rate-limit';
import { RateLimit } from './platform/rate-limits/rate-limit';

/**
 * Every rate limit Tally applies, built from the settings (README, "Configuration"). Counts live
 * in PostgreSQL, so they hold across instances; the two busiest (ingest, analytics) count in
 * memory and share their counts in batches.
 */
export interface Limits {
  /** Events per API key per minute (POST /v1/events). */
  ingest: BatchedRateLimit;
  /** Analytics fields per API key or user per minute. */
  analytics: BatchedRateLimit;
  signUps: RateLimit;
  /** Unknown or revoked API keys per client address. */
  apiKeyFailures: RateLimit;
  invitations: InvitationLimits;
  passwordResets: PasswordResetLimits;
  /** Account page changes (name, email, password, deletion) per user. */
  accountChanges: RateLimit;
  /** Shares the batched counts one last time. */
  close(): Promise<void>;
}

export function createLimits(pool: Pool, config: Config, logger: Logger): Limits {
  const ingest = new BatchedRateLimit(
    pool,
    {
      name: 'ingest_key',
      points: config.ingestLimits.eventsPerKeyPerMinute,
      windowSeconds: 60,
      refusal: 'Too many events from this API key.',
    },
    (error) => logger.warn({ err: error }, 'could not share the ingest rate limit counts'),
  );
  const analytics = new BatchedRateLimit(
    pool,
    {
      name: 'analytics_caller',
      points: config.analytics.queriesPerMinute,
      windowSeconds: 60,
      refusal: 'Too many analytics queries from this API key or user.',
    },
    (error) => logger.warn({ err: error }, 'could not share the analytics rate limit counts'),
  );
  return {
    ingest,
    analytics,
    signUps: new RateLimit(pool, {
      name: 'signup_address',
      points: config.signUpLimits.perAddress,
      windowSeconds: config.signUpLimits.windowSeconds,
      refusal: 'Too many sign-ups from this address.',
    }),
    apiKeyFailures: new RateLimit(pool, {
      name: 'api_key_failures_address',
      points: config.apiKeyFailureLimits.perAddress,
      windowSeconds: config.apiKeyFailureLimits.windowSeconds,
      refusal: API_KEY_FAILURES_REFUSAL,
      rememberRefusals: true,
    }),
    invitations: invitationLimits(pool, config),
    passwordResets: passwordResetLimits(pool, config),
    // As many as a person needs on their account page in an hour, few enough that a stolen
    // session cannot send a stream of confirmation emails; password checks are also counted
    // as logins (LoginLimiter).
    accountChanges: new RateLimit(pool, {
      name: 'account_change_user',
      points: ACCOUNT_CHANGES_PER_HOUR,
      windowSeconds: 60 * 60,
      refusal: 'Too many account changes. Try again in an hour.',
    }),
    async close() {
      await Promise.all([ingest.close(), analytics.close()]);
    },
  };
}

/** Account page changes per user per hour. */
export const ACCOUNT_CHANGES_PER_HOUR = 20;

/** The three invitation limits of team rule 2, consumed before each invite or resend. */
function invitationLimits(pool: Pool, config: Config): InvitationLimits {
  const refusal = 'Too many invitations.';
  const hour = 60 * 60;
  return {
    perInviter: new RateLimit(pool, {
      name: 'invite_inviter',
      points: config.invitationLimits.perInviterPerHour,
      windowSeconds: hour,
      refusal,
    }),
    perWorkspace: new RateLimit(pool, {
      name: 'invite_workspace',
      points: config.invitationLimits.perWorkspacePerHour,
      windowSeconds: hour,
      refusal,
    }),
    // Per team and invited email (issue 16): one team cannot use up another's invitations to an address.
    perEmail: new RateLimit(pool, {
      name: 'invite_team_email',
      points: config.invitationLimits.perEmailPerDay,
      windowSeconds: 24 * hour,
      refusal: 'Too many invitations to this email address from this team.',
    }),
  };
}

/** Password reset requests, consumed before the work: per address and per email, an hour. */
function passwordResetLimits(pool: Pool, config: Config): PasswordResetLimits {
  const refusal = 'Too many password reset requests.';
  return {
    perAddress: new RateLimit(pool, {
      name: 'reset_address',
      points: config.passwordResetLimits.perAddressPerHour,
      windowSeconds: 60 * 60,
      refusal,
    }),
    perEmail: new RateLimit(pool, {
      name: 'reset_email',
      points: config.passwordResetLimits.perEmailPerHour,
      windowSeconds: 60 * 60,
      refusal,
    }),
  };
}
