import { useQuery } from '@apollo/client/react';
import { Badge, Button, Code, Group, Paper, Stack, Text, ThemeIcon, Title } from '@mantine/core';
import { IconCircleCheck, IconKey, IconSend, IconUsersPlus } from '@tabler/icons-react';
import { ApiKeyRole, ApiKeyStatus, Scope, WorkspaceKind, can } from '@tally/shared';
import { type ReactNode, useState } from 'react';
import { Link } from 'react-router';
import { useCurrentWorkspace } from '../../app/layout/workspace-context';
import { teamPath, workspacePath } from '../../app/paths';
import { CopyableCode } from '../../app/ui/copyable-code';
import { PageHeader } from '../../app/ui/page-header';
import { GettingStartedDocument } from '../../graphql/generated';
import { API_KEY_ROLE_LABEL } from '../api-keys/api-key-format';
import { EVENTS_ENDPOINT, KEY_PLACEHOLDER, apiKeyRolesWith, ingestCurl } from '../api-keys/api-key-example';
import { ClaudeCodeSetup } from '../api-keys/claude-code-setup';
import { CreateApiKeyModal } from '../api-keys/create-api-key-modal';
import type { WorkspaceSummary } from '../workspaces/workspace-list';

interface StepProps {
  number: number;
  title: string;
  icon: ReactNode;
  status?: ReactNode;
  children: ReactNode;
}

function Step({ number, title, icon, status, children }: StepProps) {
  const id = `getting-started-step-${number}`;
  return (
    <Paper component="li" withBorder radius="md" p="lg" aria-labelledby={id}>
      <Group align="flex-start" gap="md" wrap="nowrap">
        <ThemeIcon size={40} radius="xl" variant="light" aria-hidden>
          {icon}
        </ThemeIcon>
        <Stack gap="sm" style={{ flex: 1, minWidth: 0 }}>
          <Group justify="space-between" gap="xs">
            <Title order={2} size="h4" id={id}>
              {number}. {title}
            </Title>
            {status}
          </Group>
          {children}
        </Stack>
      </Group>
    </Paper>
  );
}

/**
 * Where a workspace opens until Analytics lands: create a key, send a first event, invite the
 * team. It stays in the sidebar afterwards. Sending events arrives with Analytics, and the
 * panel says so rather than pretending.
 */
export function GettingStartedPage() {
  const workspace = useCurrentWorkspace();
  return <GettingStarted key={workspace.id} workspace={workspace} />;
}

function DoneBadge({ children }: { children: ReactNode }) {
  return (
    <Badge color="green" variant="light" leftSection={<IconCircleCheck size={14} aria-hidden />}>
      {children}
    </Badge>
  );
}

function GettingStarted({ workspace }: { workspace: WorkspaceSummary }) {
  const mayReadKeys = can(workspace.viewerScopes, Scope.KEYS_READ);
  const mayManageKeys = can(workspace.viewerScopes, Scope.KEYS_MANAGE);
  const isTeam = workspace.kind === WorkspaceKind.TEAM;
  // Each step asks only what the caller may read; a step it cannot see is never marked done.
  const { data, refetch } = useQuery(GettingStartedDocument, {
    variables: {
      workspaceId: workspace.id,
      withKeys: mayReadKeys,
      withEvents: can(workspace.viewerScopes, Scope.ANALYTICS_VIEW),
      withMembers: isTeam && can(workspace.viewerScopes, Scope.MEMBERS_READ),
      withInvitations: isTeam && can(workspace.viewerScopes, Scope.MEMBERS_MANAGE),
    },
    fetchPolicy: 'cache-and-network',
  });
  const [createOpened, setCreateOpened] = useState(false);
  const progress = data?.workspace;
  const activeKeys = (progress?.apiKeys ?? []).filter((k) => k.status === ApiKeyStatus.ACTIVE).length;
  const lastEventAt = progress?.lastEventAt ?? null;
  const invited = (progress?.members?.length ?? 0) > 1 || (progress?.invitations?.length ?? 0) > 0;
  const origin = window.location.origin;
  const ingestRoles = apiKeyRolesWith(Scope.EVENTS_TRACK).map((role) => API_KEY_ROLE_LABEL[role]);

  return (
    <>
      <PageHeader
        title="Getting started"
        documentTitle={`Getting started · ${workspace.name}`}
        description={`Three steps from an empty workspace to your first analytics in ${workspace.name}. This page stays in the sidebar.`}
      />
      <Stack component="ol" gap="md" m={0} p={0} maw={820} style={{ listStyle: 'none' }}>
        <Step
          number={1}
          title="Create an API key"
          icon={<IconKey size={22} stroke={1.6} />}
          status={
            activeKeys > 0 ? (
              <DoneBadge>
                Done: {activeKeys} active {activeKeys === 1 ? 'key' : 'keys'}
              </DoneBadge>
            ) : null
          }
        >
          <Text size="sm">
            SDKs send events with a key, and reporting tools query with one. For an SDK, choose the{' '}
            {ingestRoles.join(' or ')} role: they may send events. The secret is shown once, so copy it when it appears.
          </Text>
          <Group gap="sm">
            {mayManageKeys ? (
              <Button
                onClick={() => {
                  setCreateOpened(true);
                }}
              >
                Create API Key
              </Button>
            ) : (
              <Text size="sm" c="dimmed">
                Your role here doesn&apos;t allow creating keys: ask an owner or admin of this workspace for one.
              </Text>
            )}
            <Button component={Link} to={workspacePath(workspace.id, 'api-keys')} variant="default">
              Open API Keys
            </Button>
          </Group>
        </Step>

        <Step
          number={2}
          title="Send a first event"
          icon={<IconSend size={22} stroke={1.6} />}
          status={lastEventAt ? <DoneBadge>Done: events arrived</DoneBadge> : null}
        >
          <Text size="sm">
            SDKs send sessions and events to <Code>POST {EVENTS_ENDPOINT}</Code> with an {ingestRoles.join(' or ')} key.
            Try it with this request, your key in place of <Code>{KEY_PLACEHOLDER}</Code>; Tally answers{' '}
            <Code>202</Code> with the number of events it accepted.
          </Text>
          <CopyableCode code={ingestCurl(origin)} label="Copy the curl command" />
          <ClaudeCodeSetup origin={origin} />
          <Group>
            <Button
              component={Link}
              to={workspacePath(workspace.id, 'overview')}
              variant={lastEventAt ? 'filled' : 'default'}
            >
              Open Overview
            </Button>
          </Group>
        </Step>

        <Step
          number={3}
          title="Invite your team"
          icon={<IconUsersPlus size={22} stroke={1.6} />}
          status={invited ? <DoneBadge>Done: the team is invited</DoneBadge> : null}
        >
          <InviteStep workspace={workspace} />
        </Step>
      </Stack>
      {mayManageKeys ? (
        <CreateApiKeyModal
          workspaceId={workspace.id}
          // SDKs need a key that may send events: Editor, the least such role.
          initialRole={ApiKeyRole.EDITOR}
          opened={createOpened}
          onClose={() => {
            setCreateOpened(false);
            void refetch();
          }}
        />
      ) : null}
    </>
  );
}

function InviteStep({ workspace }: { workspace: WorkspaceSummary }) {
  if (workspace.kind === WorkspaceKind.PERSONAL) {
    return (
      <>
        <Text size="sm">
          This personal workspace is private to you. To work with others, create a team: its members see the same
          analytics and API keys, and you invite them by email.
        </Text>
        <Group>
          <Button component={Link} to={workspacePath(workspace.id, 'teams')} variant="default">
            Go to Teams
          </Button>
        </Group>
      </>
    );
  }
  if (can(workspace.viewerScopes, Scope.MEMBERS_MANAGE)) {
    return (
      <>
        <Text size="sm">Invite people by email from the team&apos;s Members tab, each with the role they need.</Text>
        <Group>
          <Button component={Link} to={teamPath(workspace.id, 'members')} variant="default">
            Invite members
          </Button>
        </Group>
      </>
    );
  }
  return (
    <Text size="sm" c="dimmed">
      Your role in {workspace.name} doesn&apos;t allow inviting people: an owner or admin of the team can.
    </Text>
  );
}
