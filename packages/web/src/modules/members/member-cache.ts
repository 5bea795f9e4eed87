import type { ApolloCache } from '@apollo/client';
import { type MemberFieldsFragment, TeamMembersDocument } from '../../graphql/generated';

/** Puts a member's new role into the cached member list (members have no id of their own). */
export function updateMemberInList(cache: ApolloCache, workspaceId: string, member: MemberFieldsFragment): void {
  cache.updateQuery({ query: TeamMembersDocument, variables: { workspaceId } }, (previous) =>
    previous?.workspace
      ? {
          ...previous,
          workspace: {
            ...previous.workspace,
            members: previous.workspace.members.map((m) => (m.user.id === member.user.id ? member : m)),
          },
        }
      : previous,
  );
}

/** Takes a removed member out of the cached member list. */
export function removeMemberFromList(cache: ApolloCache, workspaceId: string, userId: string): void {
  cache.updateQuery({ query: TeamMembersDocument, variables: { workspaceId } }, (previous) =>
    previous?.workspace
      ? {
          ...previous,
          workspace: { ...previous.workspace, members: previous.workspace.members.filter((m) => m.user.id !== userId) },
        }
      : previous,
  );
}
