import { API_KEY_ROLES, type ApiKeyRole, keyRoleWithin } from '@tally/shared';
import type { ApiKeyPolicyViolation } from '../../graphql/generated';
import { API_KEY_ROLE_LABEL, formatDate, toDateInputValue } from './api-key-format';

/** A workspace's key policy as the API reports it. */
export interface KeyPolicy {
  maxLifetimeDays: number | null;
  maxRole: ApiKeyRole | null;
  requireAllowlist: boolean;
}

const DAY_MS = 24 * 60 * 60 * 1000;

/** Whether the policy asks anything at all. */
export function hasPolicyRules(policy: KeyPolicy): boolean {
  return policy.maxLifetimeDays !== null || policy.maxRole !== null || policy.requireAllowlist;
}

function days(count: number): string {
  return `${count} ${count === 1 ? 'day' : 'days'}`;
}

/** Each rule of the policy in words, e.g. ["keys expire within 90 days", "at most Editor"]. */
export function policyRules(policy: KeyPolicy): string[] {
  const rules: string[] = [];
  if (policy.maxLifetimeDays !== null) rules.push(`keys expire within ${days(policy.maxLifetimeDays)}`);
  if (policy.maxRole !== null) rules.push(`at most ${API_KEY_ROLE_LABEL[policy.maxRole]}`);
  if (policy.requireAllowlist) rules.push('an IP allowlist is required');
  return rules;
}

/** "This workspace's policy: keys expire within 90 days, at most Editor, an IP allowlist is required." */
export function policySummary(policy: KeyPolicy): string | null {
  const rules = policyRules(policy);
  return rules.length === 0 ? null : `This workspace's policy: ${rules.join(', ')}.`;
}

/** Whether `role` is one the policy allows new keys to have. */
export function roleAllowed(policy: KeyPolicy, role: ApiKeyRole): boolean {
  return policy.maxRole === null || keyRoleWithin(role, policy.maxRole);
}

/** The role a new key starts with: `wanted` when allowed, else the highest the policy allows. */
export function allowedRole(policy: KeyPolicy, wanted: ApiKeyRole): ApiKeyRole {
  if (roleAllowed(policy, wanted)) return wanted;
  return policy.maxRole ?? wanted;
}

/** Every key role, the ones above the policy's highest marked disabled. */
export function roleOptions(policy: KeyPolicy, label: (role: ApiKeyRole) => string) {
  return API_KEY_ROLES.map((role) => ({
    value: role,
    label: roleAllowed(policy, role) ? label(role) : `${label(role)} (above the policy)`,
    disabled: !roleAllowed(policy, role),
  }));
}

/**
 * The last day (`YYYY-MM-DD`, local time) a new key may be set to expire on: a key expires at the
 * end of its chosen day, and that must lie within `maxLifetimeDays` of now. Null without a limit.
 */
export function latestExpiryDate(policy: KeyPolicy, now: number): string | null {
  if (policy.maxLifetimeDays === null) return null;
  return toDateInputValue(now + (policy.maxLifetimeDays - 1) * DAY_MS);
}

/** A chosen `YYYY-MM-DD` expiry's problem under the policy (null: fine). */
export function expiryPolicyProblem(policy: KeyPolicy, expires: string, now: number): string | null {
  const latest = latestExpiryDate(policy, now);
  if (latest === null) return null;
  if (expires === '') {
    return `This workspace's keys must expire within ${days(policy.maxLifetimeDays ?? 0)}: choose a date.`;
  }
  if (expires > latest) {
    return `This workspace's keys must expire within ${days(policy.maxLifetimeDays ?? 0)}: choose ${formatDate(latest)} or earlier.`;
  }
  return null;
}

/** Why a key is out of policy, in words, for its badge. */
export const POLICY_VIOLATION_LABEL: Readonly<Record<ApiKeyPolicyViolation, string>> = {
  LIFETIME: 'expires later than the policy allows, or never',
  ROLE: 'its role is above the policy’s highest',
  NO_ALLOWLIST: 'it has no IP allowlist, which the policy requires',
};

/** A server message with its role names in the dashboard's words ("at most the EDITOR role" → "Editor"). */
export function withRoleLabels(message: string): string {
  return message.replace(/\b(ADMIN|EDITOR|VIEWER)\b/g, (role) =>
    role === 'ADMIN' || role === 'EDITOR' || role === 'VIEWER' ? API_KEY_ROLE_LABEL[role] : role,
  );
}
