import { isMemberRole } from '@tally/shared';
import type { AuditEntryFieldsFragment } from '../../graphql/generated';
import { MEMBER_ROLE_LABEL } from '../workspaces/workspace-list';

/** An audit entry in plain words: what happened, and its particulars (e.g. "Viewer → Editor"). */
export interface AuditDescription {
  what: string;
  details: string | null;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function text(details: Record<string, unknown>, key: string): string | null {
  const value = details[key];
  return typeof value === 'string' && value !== '' ? value : null;
}

/** A member role's label, or an API key role's (same words), else the raw value. */
function role(details: Record<string, unknown>, key: string): string | null {
  const value = text(details, key);
  if (value === null) return null;
  return isMemberRole(value) ? MEMBER_ROLE_LABEL[value] : value.charAt(0) + value.slice(1).toLowerCase();
}

/** "Grace Hopper (grace@example.com)", or whichever of the two is known. */
function person(details: Record<string, unknown>): string | null {
  const name = text(details, 'name');
  const email = text(details, 'email');
  if (name && email) return `${name} (${email})`;
  return name ?? email;
}

function joined(...parts: Array<string | null>): string | null {
  const present = parts.filter((p): p is string => p !== null);
  return present.length > 0 ? present.join(' · ') : null;
}

/**
 * The actions of DESIGN.md's team rule 9, in words. An action this version does not know is
 * shown as it is, so a newer server's entries still appear.
 */
export function describeAuditEntry(entry: Pick<AuditEntryFieldsFragment, 'action' | 'details'>): AuditDescription {
  const d = isRecord(entry.details) ? entry.details : {};
  switch (entry.action) {
    case 'team.created':
      return { what: 'Created the team', details: text(d, 'name') };
    case 'team.renamed': {
      const from = text(d, 'from');
      const to = text(d, 'to');
      return { what: 'Renamed the team', details: from && to ? `${from} → ${to}` : to };
    }
    case 'team.deleted':
      return { what: 'Deleted the team', details: text(d, 'name') };
    case 'member.invited':
      return { what: 'Invited a member', details: joined(text(d, 'email'), role(d, 'role')) };
    case 'invitation.resent':
      return { what: 'Resent an invitation', details: joined(text(d, 'email'), role(d, 'role')) };
    case 'invitation.revoked':
      return { what: 'Revoked an invitation', details: joined(text(d, 'email'), text(d, 'reason')) };
    case 'invitation.accepted':
      return { what: 'Accepted an invitation', details: joined(text(d, 'email'), role(d, 'role')) };
    case 'member.role_changed': {
      const from = role(d, 'from');
      const to = role(d, 'to');
      return { what: "Changed a member's role", details: joined(person(d), from && to ? `${from} → ${to}` : to) };
    }
    case 'member.removed':
      return { what: 'Removed a member', details: joined(person(d), role(d, 'role')) };
    case 'member.left':
      return { what: 'Left the team', details: joined(person(d), role(d, 'role')) };
    case 'api_key.created':
      return { what: 'Created an API key', details: joined(text(d, 'name'), role(d, 'role')) };
    case 'api_key.revoked':
      return { what: 'Revoked an API key', details: text(d, 'name') };
    default:
      return { what: entry.action, details: null };
  }
}

/** Who acted, as they were called then; an API key is marked as one. */
export function describeActor(entry: Pick<AuditEntryFieldsFragment, 'actorName' | 'actor' | 'actorApiKey'>): string {
  const name = entry.actorName ?? entry.actor?.name ?? entry.actorApiKey?.name ?? null;
  if (name === null) return 'Unknown';
  return entry.actorApiKey && !entry.actor ? `${name} (API key)` : name;
}
