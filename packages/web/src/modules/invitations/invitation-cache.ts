import type { ApolloCache } from '@apollo/client';
import { type InvitationFieldsFragment, TeamInvitationsDocument } from '../../graphql/generated';

/** Puts a new invitation at the top of the cached list (newest first, like the server's order). */
export function addToInvitationList(cache: ApolloCache, workspaceId: string, invitation: InvitationFieldsFragment) {
  cache.updateQuery({ query: TeamInvitationsDocument, variables: { workspaceId } }, (previous) =>
    previous?.workspace
      ? {
          ...previous,
          workspace: {
            ...previous.workspace,
            invitations: [invitation, ...previous.workspace.invitations.filter((i) => i.id !== invitation.id)],
          },
        }
      : previous,
  );
}
