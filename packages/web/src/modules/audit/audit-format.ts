import { isMemberRole } from '@tally/shared';
import type { AuditEntryFieldsFragment } from '../../graphql/generated';
import { formatDate } from '../../app/ui/dates';
import { MEMBER_ROLE_LABEL } from '../workspaces/workspace-list';

/**
 * An audit entry in plain words: what happened as a verb phrase ("created the annotation
 * “v2.4 released”"), the same capitalised for a column ("Created the annotation …"), and its
 * particulars (e.g. "Viewer → Editor").
 */
export interface AuditDescription {
  what: string;
  details: string | null;
  /** Lower-case, to follow the actor's name: "Alice created the annotation “v2.4 released”". */
  phrase: string;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function text(details: Record<string, unknown>, key: string): string | null {
  const value = details[key];
  return typeof value === 'string' && value !== '' ? value : null;
}

function nested(details: Record<string, unknown>, key: string): Record<string, unknown> {
  const value = details[key];
  return isRecord(value) ? value : {};
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

/** “name” after a noun, when the name is known: the annotation “v2.4 released”. */
function named(noun: string, name: string | null): string {
  return name ? `${noun} “${name}”` : noun;
}

/** An annotation's day as the dashboard writes dates, from its ISO time. */
function day(value: string | null): string | null {
  if (value === null || Number.isNaN(Date.parse(value))) return null;
  return formatDate(value);
}

/** An allowlist as stored (a list of addresses or ranges), or null for none. */
function addresses(value: unknown): string | null {
  if (!Array.isArray(value)) return null;
  const list = value.filter((v): v is string => typeof v === 'string' && v !== '');
  return list.length > 0 ? list.join(', ') : null;
}

/** A workspace's API key policy in words: "at most 90 days · at most Editor · allowlist required". */
function keyPolicy(policy: Record<string, unknown>): string {
  const days = policy['maxLifetimeDays'];
  const parts = [
    typeof days === 'number' ? `keys live at most ${days} days` : null,
    role(policy, 'maxRole') ? `roles up to ${role(policy, 'maxRole') ?? ''}` : null,
    policy['requireAllowlist'] === true ? 'an IP allowlist required' : null,
  ];
  return joined(...parts) ?? 'no limits';
}

/** A key's own rate limits in words; null stands for the server's default. */
function rateLimits(limits: Record<string, unknown>): string {
  const said = (value: unknown, what: string) =>
    typeof value === 'number' ? `${value.toLocaleString('en-US')} ${what} a minute` : `the default ${what} a minute`;
  return `${said(limits['eventsPerMinute'], 'events')} · ${said(limits['queriesPerMinute'], 'GraphQL queries')}`;
}

function changed(from: string | null, to: string | null): string | null {
  if (from && to && from !== to) return `${from} → ${to}`;
  return null;
}

/** An action this version does not know, in words: "saved_view.shared" → "saved view shared". */
function unknownAction(action: string): string {
  const words = action.replace(/[._]+/g, ' ').trim();
  return words === '' ? 'made a change' : `recorded “${words}”`;
}

function describe(phrase: string, details: string | null): AuditDescription {
  return { what: phrase.charAt(0).toUpperCase() + phrase.slice(1), details, phrase };
}

/**
 * Every action the server writes (AUDIT_ACTIONS in @tally/shared, DESIGN.md's team rule 9 with
 * the filter and annotation changes), in words; a test walks the list. An action a newer server
 * writes is still said in words, never shown as a code.
 */
export function describeAuditEntry(entry: Pick<AuditEntryFieldsFragment, 'action' | 'details'>): AuditDescription {
  const d = isRecord(entry.details) ? entry.details : {};
  switch (entry.action) {
    case 'team.created':
      return describe(`created the team${text(d, 'name') ? ` “${text(d, 'name') ?? ''}”` : ''}`, text(d, 'name'));
    case 'team.renamed': {
      const from = text(d, 'from');
      const to = text(d, 'to');
      return describe(to ? `renamed the team to “${to}”` : 'renamed the team', from && to ? `${from} → ${to}` : to);
    }
    case 'team.deleted':
      return describe(named('deleted the team', text(d, 'name')), text(d, 'name'));
    case 'member.invited':
      return describe(
        text(d, 'email') ? `invited ${text(d, 'email') ?? ''}` : 'invited a member',
        joined(text(d, 'email'), role(d, 'role')),
      );
    case 'invitation.resent':
      return describe(
        text(d, 'email') ? `resent the invitation to ${text(d, 'email') ?? ''}` : 'resent an invitation',
        joined(text(d, 'email'), role(d, 'role')),
      );
    case 'invitation.revoked':
      return describe(
        text(d, 'email') ? `revoked the invitation to ${text(d, 'email') ?? ''}` : 'revoked an invitation',
        joined(text(d, 'email'), text(d, 'reason')),
      );
    case 'invitation.accepted':
      return describe(
        role(d, 'role') ? `joined the team as ${role(d, 'role') ?? ''}` : 'accepted an invitation',
        joined(text(d, 'email'), role(d, 'role')),
      );
    case 'member.role_changed': {
      const from = role(d, 'from');
      const to = role(d, 'to');
      const who = text(d, 'name') ?? text(d, 'email');
      const phrase = who ? `changed the role of ${who}${to ? ` to ${to}` : ''}` : "changed a member's role";
      return describe(phrase, joined(person(d), from && to ? `${from} → ${to}` : to));
    }
    case 'member.removed': {
      const who = text(d, 'name') ?? text(d, 'email');
      return describe(who ? `removed ${who} from the team` : 'removed a member', joined(person(d), role(d, 'role')));
    }
    case 'member.left':
      return describe(
        text(d, 'reason') === 'account deleted' ? 'left the team (account deleted)' : 'left the team',
        joined(person(d), role(d, 'role')),
      );
    case 'api_key.created':
      return describe(named('created the API key', text(d, 'name')), joined(text(d, 'name'), role(d, 'role')));
    case 'api_key.revoked':
      return describe(named('revoked the API key', text(d, 'name')), text(d, 'name'));
    case 'api_key.rolled': {
      const from = text(d, 'prefix');
      const to = text(d, 'newPrefix');
      const until = day(text(d, 'graceUntil'));
      return describe(
        named('rolled the API key', text(d, 'name')),
        joined(from && to ? `${from}… → ${to}…` : null, until ? `the old key works until ${until}` : null),
      );
    }
    case 'api_key.allowlist_changed':
      return describe(
        `changed the IP allowlist of ${named('the API key', text(d, 'name'))}`,
        addresses(d['after']) ?? 'any address',
      );
    case 'api_key.policy_changed':
      return describe('changed the API key policy', keyPolicy(nested(d, 'after')));
    case 'api_key.rate_limits_changed':
      return describe(
        `changed the rate limits of ${named('the API key', text(d, 'name'))}`,
        rateLimits(nested(d, 'after')),
      );
    case 'api_key.expiry_warned': {
      const threshold = text(d, 'threshold');
      const when =
        threshold === 'EXPIRED'
          ? 'has expired'
          : threshold === 'ONE_DAY'
            ? 'expires within a day'
            : 'expires within 7 days';
      const recipients = typeof d?.['recipients'] === 'number' ? d['recipients'] : null;
      return describe(
        `emailed owners and admins that ${named('the API key', text(d, 'name'))} ${when}`,
        joined(
          day(text(d, 'expiresAt')),
          recipients === null ? null : `${String(recipients)} ${recipients === 1 ? 'email' : 'emails'}`,
        ),
      );
    }
    case 'saved_filter.created':
      return describe(named('saved the filter', text(d, 'name')), text(d, 'name'));
    case 'saved_filter.updated': {
      const from = text(nested(d, 'from'), 'name');
      const to = text(nested(d, 'to'), 'name');
      return describe(named('changed the saved filter', to ?? from), changed(from, to));
    }
    case 'saved_filter.deleted':
      return describe(named('deleted the saved filter', text(d, 'name')), text(d, 'name'));
    case 'annotation.created':
      return describe(named('created the annotation', text(d, 'text')), day(text(d, 'at')));
    case 'annotation.updated': {
      const from = nested(d, 'from');
      const to = nested(d, 'to');
      return describe(
        named('changed the annotation', text(to, 'text') ?? text(from, 'text')),
        joined(changed(text(from, 'text'), text(to, 'text')), changed(day(text(from, 'at')), day(text(to, 'at')))),
      );
    }
    case 'annotation.deleted':
      return describe(named('deleted the annotation', text(d, 'text')), day(text(d, 'at')));
    default:
      return describe(unknownAction(entry.action), null);
  }
}

/** The whole entry as one sentence: "Alice created the annotation “v2.4 released”". */
export function describeAuditSentence(
  entry: Pick<AuditEntryFieldsFragment, 'action' | 'details' | 'actorName' | 'actor' | 'actorApiKey'>,
): string {
  return `${describeActor(entry)} ${describeAuditEntry(entry).phrase}`;
}

/** Who acted, as they were called then; an API key is marked as one. */
export function describeActor(entry: Pick<AuditEntryFieldsFragment, 'actorName' | 'actor' | 'actorApiKey'>): string {
  const name = entry.actorName ?? entry.actor?.name ?? entry.actorApiKey?.name ?? null;
  if (name === null) return 'Unknown';
  return entry.actorApiKey && !entry.actor ? `${name} (API key)` : name;
}
