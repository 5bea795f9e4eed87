import { type ApiKeyRole, keyRoleWithin } from '@tally/shared';
import { badInput } from '../../platform/errors';
import { type ApiKeyPolicy, ApiKeyPolicyViolation } from './api-key-policy.entity';

const DAY_MS = 24 * 60 * 60 * 1000;

/** A workspace without a policy row: nothing is required. */
export function noPolicy(workspaceId: string): ApiKeyPolicy {
  return { workspaceId, maxLifetimeDays: null, maxRole: null, requireAllowlist: false };
}

/** What a key (as it is, or as it is about to be made) breaks of `policy`, in a fixed order. */
export function policyViolations(
  policy: ApiKeyPolicy,
  key: { role: ApiKeyRole; createdAt: Date; expiresAt: Date | null; allowedIps: readonly string[] | null },
): ApiKeyPolicyViolation[] {
  const violations: ApiKeyPolicyViolation[] = [];
  if (
    policy.maxLifetimeDays !== null &&
    (key.expiresAt === null || key.expiresAt.getTime() - key.createdAt.getTime() > policy.maxLifetimeDays * DAY_MS)
  ) {
    violations.push(ApiKeyPolicyViolation.LIFETIME);
  }
  if (policy.maxRole !== null && !keyRoleWithin(key.role, policy.maxRole)) violations.push(ApiKeyPolicyViolation.ROLE);
  if (policy.requireAllowlist && !key.allowedIps?.length) violations.push(ApiKeyPolicyViolation.NO_ALLOWLIST);
  return violations;
}

/**
 * Refuses a key about to be created (or rolled into) outside `policy`: BAD_USER_INPUT naming the
 * field to change and the policy's bound, first violation first.
 */
export function assertWithinPolicy(
  policy: ApiKeyPolicy,
  key: { role: ApiKeyRole; createdAt: Date; expiresAt: Date | null; allowedIps: readonly string[] | null },
): void {
  const [first] = policyViolations(policy, key);
  if (first === ApiKeyPolicyViolation.LIFETIME) {
    throw badInput(`This workspace's keys must expire within ${policy.maxLifetimeDays} days.`, {
      field: 'expiresAt',
      policy: 'maxLifetimeDays',
      maxLifetimeDays: policy.maxLifetimeDays,
    });
  }
  if (first === ApiKeyPolicyViolation.ROLE) {
    throw badInput(`This workspace's keys may have at most the ${policy.maxRole} role.`, {
      field: 'role',
      policy: 'maxRole',
      maxRole: policy.maxRole,
    });
  }
  if (first === ApiKeyPolicyViolation.NO_ALLOWLIST) {
    throw badInput("This workspace's keys need an IP allowlist.", {
      field: 'allowedIps',
      policy: 'requireAllowlist',
    });
  }
}
