import { type ApiKeyRole, type ApiKeyStatus, LIMITS, type Scope } from '@tally/shared';
import dayjs from 'dayjs';

// The dashboard's date formats live in app/ui/dates.ts; re-exported for the key pages.
export { formatDate, formatDateTime, formatRelative } from '../../app/ui/dates';

/** The user guide's words for a key's role ("API Key Roles"). */
export const API_KEY_ROLE_LABEL: Readonly<Record<ApiKeyRole, string>> = {
  ADMIN: 'Admin',
  EDITOR: 'Editor',
  VIEWER: 'Viewer',
};

export const API_KEY_ROLE_DESCRIPTION: Readonly<Record<ApiKeyRole, string>> = {
  ADMIN: 'Full API access, for backend integrations and automation.',
  EDITOR: 'Tracks events and manages analytics, for SDK integrations and data pipelines.',
  VIEWER: 'Read-only analytics access, for dashboards and reporting tools.',
};

export const API_KEY_STATUS_LABEL: Readonly<Record<ApiKeyStatus, string>> = {
  ACTIVE: 'Active',
  EXPIRED: 'Expired',
  REVOKED: 'Revoked',
};

export const API_KEY_STATUS_COLOR: Readonly<Record<ApiKeyStatus, string>> = {
  ACTIVE: 'green',
  EXPIRED: 'gray',
  REVOKED: 'red',
};

/**
 * What each scope lets its holder do, in the user guide's words ("Scopes"). Which scopes a role
 * grants is never written here: that comes from API_KEY_ROLE_SCOPES in @tally/shared.
 */
export const SCOPE_DESCRIPTION: Readonly<Record<Scope, string>> = {
  'events.track': 'Send session and event data via SDK',
  'analytics.view': 'Query analytics data',
  'analytics.export': 'Export analytics data',
  'workspace.read': 'Read workspace configuration',
  'filters.manage': 'Create and manage filters',
  'annotations.manage': 'Create and manage annotations',
  'members.read': 'See the members of the workspace',
  'members.manage': 'Invite, change and remove members',
  'keys.read': 'See the API keys of the workspace',
  'keys.manage': 'Create and revoke API keys',
  'workspace.manage': 'Change the workspace settings',
  'workspace.delete': 'Delete the workspace',
  'audit.read': 'Read the audit log',
};

/** `YYYY-MM-DD` of a moment in local time, the value format of `<input type="date">`. */
export function toDateInputValue(moment: number): string {
  return dayjs(moment).format('YYYY-MM-DD');
}

/**
 * The expiry moment for a date picked in `<input type="date">`: the end of that day in local
 * time, as an ISO date-time. Null for an empty or malformed value.
 */
export function expiryFromDateInput(value: string): string | null {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (!match) return null;
  const [, year, month, day] = match.map(Number);
  if (year === undefined || month === undefined || day === undefined) return null;
  const end = new Date(year, month - 1, day, 23, 59, 59, 999);
  // new Date() rolls 2025-02-31 over into March: refuse dates that don't exist.
  if (end.getFullYear() !== year || end.getMonth() !== month - 1 || end.getDate() !== day) return null;
  return end.toISOString();
}

export interface CreateApiKeyValues {
  name: string;
  description: string;
  /** As typed in `<input type="date">`; empty for a key that never expires. */
  expires: string;
}

export type CreateApiKeyProblems = Partial<Record<'name' | 'description' | 'expiresAt', string>>;

/** Client-side checks that save a round trip; the server validates the same rules. */
export function createApiKeyProblems(values: CreateApiKeyValues, now: number): CreateApiKeyProblems {
  const problems: CreateApiKeyProblems = {};
  const name = values.name.trim();
  if (name === '') problems.name = 'Enter a name for the key.';
  else if (name.length > LIMITS.apiKeyNameMaxLength) {
    problems.name = `Use at most ${LIMITS.apiKeyNameMaxLength} characters.`;
  }
  if (values.description.trim().length > LIMITS.apiKeyDescriptionMaxLength) {
    problems.description = `Use at most ${LIMITS.apiKeyDescriptionMaxLength} characters.`;
  }
  if (values.expires !== '') {
    const expiresAt = expiryFromDateInput(values.expires);
    if (expiresAt === null) problems.expiresAt = 'Enter a valid date.';
    else if (Date.parse(expiresAt) <= now) problems.expiresAt = 'Choose a date in the future.';
  }
  return problems;
}
