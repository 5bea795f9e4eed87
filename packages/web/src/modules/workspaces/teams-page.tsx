import { useQuery } from '@apollo/client/react';
import { Anchor, Badge, Button, Paper, Stack, Table, Text, ThemeIcon, Title } from '@mantine/core';
import { IconPlus, IconUsersGroup } from '@tabler/icons-react';
import { WorkspaceKind } from '@tally/shared';
import { useMemo, useState } from 'react';
import { Link } from 'react-router';
import { useCurrentWorkspace } from '../../app/layout/workspace-context';
import { teamPath } from '../../app/paths';
import { PageHeader } from '../../app/ui/page-header';
import { QueryContent } from '../../app/ui/query-content';
import { WorkspacesDocument } from '../../graphql/generated';
import { CreateTeamModal } from './create-team-modal';
import { MEMBER_ROLE_LABEL, sortWorkspaces, type WorkspaceSummary } from './workspace-list';

/** The teams I belong to, with my role in each, and New Team (user guide, "Viewing your teams"). */
export function TeamsPage() {
  const current = useCurrentWorkspace();
  const [createOpened, setCreateOpened] = useState(false);
  // The layout has loaded the list already; this also brings in teams joined meanwhile.
  const { data, error, refetch } = useQuery(WorkspacesDocument, { fetchPolicy: 'cache-and-network' });
  const teams = useMemo(
    () => sortWorkspaces(data?.workspaces ?? []).filter((w) => w.kind === WorkspaceKind.TEAM),
    [data],
  );

  return (
    <>
      <PageHeader
        title="Teams"
        documentTitle={`Teams · ${current.name}`}
        description="Shared workspaces where members see the same analytics and API keys."
        actions={
          <Button
            leftSection={<IconPlus size={16} aria-hidden />}
            onClick={() => {
              setCreateOpened(true);
            }}
          >
            New Team
          </Button>
        }
      />
      <Stack gap="lg" maw={860}>
        <QueryContent
          data={data ? teams : undefined}
          error={error}
          refetch={refetch}
          errorTitle="Your teams couldn't be loaded"
          loadingLabel="Loading your teams…"
          isEmpty={(shown) => shown.length === 0}
          empty={<NoTeams />}
        >
          {(shown) => <TeamsTable teams={shown} currentId={current.id} />}
        </QueryContent>
        <Text size="sm" c="dimmed">
          Your personal workspace stays private to you. Events sent with a team&apos;s API keys appear in that
          team&apos;s analytics, not in your personal workspace. Switch between workspaces with the selector at the top
          of the sidebar.
        </Text>
      </Stack>
      <CreateTeamModal
        opened={createOpened}
        onClose={() => {
          setCreateOpened(false);
        }}
      />
    </>
  );
}

function NoTeams() {
  return (
    <Paper withBorder radius="md" p="xl">
      <Stack align="center" gap="xs" py="md" ta="center">
        <ThemeIcon size={44} radius="xl" variant="light" aria-hidden>
          <IconUsersGroup size={24} stroke={1.6} />
        </ThemeIcon>
        <Title order={2} size="h5">
          You are not in any team yet
        </Title>
        <Text size="sm" c="dimmed" maw={460}>
          Create a team to share analytics and API keys with others, or ask a team&apos;s owner or admin to invite you.
        </Text>
      </Stack>
    </Paper>
  );
}

function TeamsTable({ teams, currentId }: { teams: readonly WorkspaceSummary[]; currentId: string }) {
  return (
    <Paper withBorder radius="md">
      <Table verticalSpacing="sm" horizontalSpacing="md" highlightOnHover aria-label="Your teams">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Team</Table.Th>
            <Table.Th>Your role</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {teams.map((team) => (
            <Table.Tr key={team.id}>
              <Table.Td>
                <Anchor component={Link} to={teamPath(team.id)} fw={600} size="sm">
                  {team.name}
                </Anchor>
                {team.id === currentId ? (
                  <Badge size="xs" variant="light" ml="xs">
                    Current
                  </Badge>
                ) : null}
              </Table.Td>
              <Table.Td>
                <Text size="sm">{team.viewerRole ? MEMBER_ROLE_LABEL[team.viewerRole] : '—'}</Text>
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Paper>
  );
}
