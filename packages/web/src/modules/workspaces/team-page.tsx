import { Badge, Group, Tabs, Text } from '@mantine/core';
import { IconHistory, IconKey, IconSettings, IconUsers } from '@tabler/icons-react';
import { Scope, WorkspaceKind, can } from '@tally/shared';
import { Navigate, useNavigate, useParams } from 'react-router';
import { useCurrentWorkspace } from '../../app/layout/workspace-context';
import { TEAM_TABS, type TeamTab, isTeamTab, teamPath, workspacePath } from '../../app/paths';
import { PageHeader } from '../../app/ui/page-header';
import { WorkspaceApiKeys } from '../api-keys/api-keys-page';
import { AuditLog } from '../audit/audit-log';
import { MembersTab } from '../members/members-tab';
import { WorkspaceSettings } from './settings-page';
import { MEMBER_ROLE_LABEL } from './workspace-list';

const TAB_LABEL: Readonly<Record<TeamTab, string>> = {
  members: 'Members',
  'api-keys': 'API Keys',
  settings: 'Settings',
  audit: 'Audit',
};

/**
 * A team's view, /w/:teamId/teams/:tab: the team is the workspace in the address, so the
 * selector and the sidebar are the team's too. Tabs follow the address (links can be shared,
 * Back works); Audit is there only for callers who hold audit.read.
 */
export function TeamPage() {
  const team = useCurrentWorkspace();
  const { tab } = useParams();
  const navigate = useNavigate();

  // A personal workspace is not a team: its Teams page lists the teams instead.
  if (team.kind !== WorkspaceKind.TEAM) return <Navigate to={workspacePath(team.id, 'teams')} replace />;

  const tabs = TEAM_TABS.filter((t) => t !== 'audit' || can(team.viewerScopes, Scope.AUDIT_READ));
  if (!isTeamTab(tab) || !tabs.includes(tab)) return <Navigate to={teamPath(team.id, 'members')} replace />;

  return (
    <>
      <PageHeader
        title={team.name}
        documentTitle={`${TAB_LABEL[tab]} · ${team.name}`}
        description={
          <Group gap={6} component="span">
            <Badge size="sm" variant="light" component="span">
              Team
            </Badge>
            {team.viewerRole ? (
              <Text span size="sm" c="dimmed">
                You are {MEMBER_ROLE_LABEL[team.viewerRole]}
              </Text>
            ) : null}
          </Group>
        }
      />
      <Tabs
        value={tab}
        onChange={(next) => {
          if (isTeamTab(next)) void navigate(teamPath(team.id, next));
        }}
        keepMounted={false}
        // A fresh tab per team: nothing typed or opened in one team stays in the next.
        key={team.id}
      >
        <Tabs.List mb="xl">
          <Tabs.Tab value="members" leftSection={<IconUsers size={16} aria-hidden />}>
            Members
          </Tabs.Tab>
          <Tabs.Tab value="api-keys" leftSection={<IconKey size={16} aria-hidden />}>
            API Keys
          </Tabs.Tab>
          <Tabs.Tab value="settings" leftSection={<IconSettings size={16} aria-hidden />}>
            Settings
          </Tabs.Tab>
          {tabs.includes('audit') ? (
            <Tabs.Tab value="audit" leftSection={<IconHistory size={16} aria-hidden />}>
              Audit
            </Tabs.Tab>
          ) : null}
        </Tabs.List>
        <Tabs.Panel value="members">
          <MembersTab team={team} />
        </Tabs.Panel>
        <Tabs.Panel value="api-keys">
          <WorkspaceApiKeys current={team} headingOrder={2} />
        </Tabs.Panel>
        <Tabs.Panel value="settings">
          <WorkspaceSettings current={team} headingOrder={2} />
        </Tabs.Panel>
        {tabs.includes('audit') ? (
          <Tabs.Panel value="audit">
            <AuditLog team={team} />
          </Tabs.Panel>
        ) : null}
      </Tabs>
    </>
  );
}
