import { useQuery } from '@apollo/client/react';
import { Badge, Box, Paper, SimpleGrid, Stack, Text, Title } from '@mantine/core';
import { Scope, WorkspaceKind, can } from '@tally/shared';
import type { ReactNode } from 'react';
import { Navigate } from 'react-router';
import { teamPath } from '../../app/paths';
import { useCurrentWorkspace } from '../../app/layout/workspace-context';
import { formatDate } from '../../app/ui/dates';
import { NotFound } from '../../app/ui/not-found-page';
import { PageHeader } from '../../app/ui/page-header';
import { QueryContent } from '../../app/ui/query-content';
import { WorkspaceDocument, type WorkspaceQuery } from '../../graphql/generated';
import { ApiKeyPolicySection } from '../api-keys/api-key-policy-section';
import { DangerZone } from './danger-zone';
import { RenameWorkspaceForm } from './rename-workspace-form';
import { MEMBER_ROLE_LABEL, WORKSPACE_KIND_LABEL, type WorkspaceSummary } from './workspace-list';

function Detail({ term, children }: { term: string; children: ReactNode }) {
  return (
    <Box>
      <Text component="dt" size="xs" c="dimmed" fw={600} tt="uppercase" lts="0.04em">
        {term}
      </Text>
      <Text component="dd" m={0} mt={4} size="sm">
        {children}
      </Text>
    </Box>
  );
}

/**
 * The sidebar's Settings. A team's settings live in its view's Settings tab, beside its members
 * and keys: one place, so this page sends a team there; a personal workspace has no team view.
 */
export function SettingsPage() {
  const current = useCurrentWorkspace();
  if (current.kind === WorkspaceKind.TEAM) return <Navigate to={teamPath(current.id, 'settings')} replace />;
  return <WorkspaceSettings key={current.id} current={current} />;
}

type WorkspaceDetails = NonNullable<WorkspaceQuery['workspace']>;

interface WorkspaceSettingsProps {
  current: WorkspaceSummary;
  /** 2 inside a team's view (its Settings tab), under the team's own heading. */
  headingOrder?: 1 | 2;
}

/** The workspace's details, the rename form and, for a team's owners, the Danger Zone. */
export function WorkspaceSettings({ current, headingOrder = 1 }: WorkspaceSettingsProps) {
  const { data, error, refetch } = useQuery(WorkspaceDocument, {
    variables: { id: current.id },
    fetchPolicy: 'cache-and-network',
  });

  const header = (
    <PageHeader
      title="Settings"
      order={headingOrder}
      documentTitle={`Settings · ${current.name}`}
      description="This workspace's name and your access to it."
    />
  );

  if (data && !data.workspace) {
    return (
      <NotFound
        title="Workspace not found"
        message="This workspace doesn't exist or you are no longer a member of it."
      />
    );
  }

  return (
    <>
      {header}
      <QueryContent data={data?.workspace} error={error} refetch={refetch} errorTitle="Settings couldn't be loaded">
        {(workspace) => <SettingsSections workspace={workspace} headingOrder={headingOrder} />}
      </QueryContent>
    </>
  );
}

function SettingsSections({ workspace, headingOrder }: { workspace: WorkspaceDetails; headingOrder: 1 | 2 }) {
  // Sections sit one level below the page's (or the tab's) heading.
  const sectionOrder = headingOrder === 1 ? 2 : 3;
  // Visibility follows the scopes the server reports for the caller, never a role name.
  const canRename = can(workspace.viewerScopes, Scope.WORKSPACE_MANAGE);
  const canDelete = workspace.kind === WorkspaceKind.TEAM && can(workspace.viewerScopes, Scope.WORKSPACE_DELETE);

  return (
    <Stack gap="lg" maw={720}>
      <Paper withBorder radius="md" p="lg">
        <Title order={sectionOrder} size="h4" mb="md">
          Workspace details
        </Title>
        <SimpleGrid component="dl" cols={{ base: 1, xs: 2 }} spacing="lg" verticalSpacing="md" m={0}>
          <Detail term="Name">{workspace.name}</Detail>
          <Detail term="Kind">
            <Badge size="sm" variant="light" color={workspace.kind === WorkspaceKind.PERSONAL ? 'gray' : 'indigo'}>
              {WORKSPACE_KIND_LABEL[workspace.kind]}
            </Badge>
          </Detail>
          <Detail term="Created">{formatDate(workspace.createdAt)}</Detail>
          <Detail term="Your role">{workspace.viewerRole ? MEMBER_ROLE_LABEL[workspace.viewerRole] : '—'}</Detail>
        </SimpleGrid>
        {workspace.kind === WorkspaceKind.PERSONAL ? (
          <Text size="sm" c="dimmed" mt="lg">
            Your personal workspace is private: only you can see it, and it can&apos;t be left or deleted.
          </Text>
        ) : null}
      </Paper>

      {canRename ? (
        <RenameWorkspaceForm key={workspace.id} workspace={workspace} headingOrder={sectionOrder} />
      ) : (
        <Text size="sm" c="dimmed">
          You can view this workspace&apos;s settings, but your role here doesn&apos;t allow changing them.
        </Text>
      )}

      {can(workspace.viewerScopes, Scope.KEYS_READ) ? (
        <ApiKeyPolicySection workspaceId={workspace.id} canManage={canRename} headingOrder={sectionOrder} />
      ) : null}

      {canDelete ? <DangerZone team={workspace} headingOrder={sectionOrder} /> : null}
    </Stack>
  );
}
