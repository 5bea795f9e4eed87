import type { InvitationStatus } from '@tally/shared';
import type { ErrorMessages } from '../../app/graphql-errors';
import { INVALID_EMAIL, looksLikeEmail } from '../accounts/credentials';

export const INVITATION_STATUS_LABEL: Readonly<Record<InvitationStatus, string>> = {
  PENDING: 'Pending',
  ACCEPTED: 'Accepted',
  EXPIRED: 'Expired',
  REVOKED: 'Revoked',
};

export const INVITATION_STATUS_COLOR: Readonly<Record<InvitationStatus, string>> = {
  PENDING: 'blue',
  ACCEPTED: 'green',
  EXPIRED: 'gray',
  REVOKED: 'red',
};

/** Statuses an invitation can still be resent (or revoked) in: the list of open invitations. */
export const OPEN_INVITATION_STATUSES: readonly InvitationStatus[] = ['PENDING', 'EXPIRED'];

/** Shown while an invitation's email could not be handed to the mail server (the server retries it). */
export const SEND_PROBLEM = 'Email not delivered yet — retrying';

export function inviteEmailProblem(email: string): string | null {
  if (email.trim() === '') return 'Enter the email address of the person you want to invite.';
  if (!looksLikeEmail(email)) return INVALID_EMAIL;
  return null;
}

/** Words for the codes of inviteMember, resendInvitation and revokeInvitation. */
export const INVITATION_ERROR_MESSAGES: ErrorMessages = {
  RATE_LIMITED: 'Too many invitations were sent in a short time. Please wait a few minutes and try again.',
  FORBIDDEN: "Your role in this team doesn't allow this invitation.",
  NOT_FOUND: 'This invitation no longer exists in this team.',
};
