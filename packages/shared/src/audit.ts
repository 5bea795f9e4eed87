/**
 * Every action the server writes to a workspace's audit log (DESIGN.md, team rule 9). The server
 * records only these; the web app says each one in words (audit-format.ts), and a test walks
 * this list so that no action reaches the Audit tab as a raw code.
 */
export const AuditAction = {
  TEAM_CREATED: 'team.created',
  TEAM_RENAMED: 'team.renamed',
  TEAM_DELETED: 'team.deleted',
  MEMBER_INVITED: 'member.invited',
  INVITATION_RESENT: 'invitation.resent',
  INVITATION_REVOKED: 'invitation.revoked',
  INVITATION_ACCEPTED: 'invitation.accepted',
  MEMBER_ROLE_CHANGED: 'member.role_changed',
  MEMBER_REMOVED: 'member.removed',
  MEMBER_LEFT: 'member.left',
  API_KEY_CREATED: 'api_key.created',
  API_KEY_REVOKED: 'api_key.revoked',
  API_KEY_ROLLED: 'api_key.rolled',
  API_KEY_ALLOWLIST_CHANGED: 'api_key.allowlist_changed',
  API_KEY_POLICY_CHANGED: 'api_key.policy_changed',
  API_KEY_RATE_LIMITS_CHANGED: 'api_key.rate_limits_changed',
  /** Tally itself (no actor): owners and admins were emailed that a key expires or has expired. */
  API_KEY_EXPIRY_WARNED: 'api_key.expiry_warned',
  SAVED_FILTER_CREATED: 'saved_filter.created',
  SAVED_FILTER_UPDATED: 'saved_filter.updated',
  SAVED_FILTER_DELETED: 'saved_filter.deleted',
  ANNOTATION_CREATED: 'annotation.created',
  ANNOTATION_UPDATED: 'annotation.updated',
  ANNOTATION_DELETED: 'annotation.deleted',
} as const;
export type AuditAction = (typeof AuditAction)[keyof typeof AuditAction];
export const AUDIT_ACTIONS: readonly AuditAction[] = Object.values(AuditAction);
