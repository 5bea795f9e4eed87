import { useQuery } from '@apollo/client/react';
import { Alert, Button, Paper, Stack, Text, ThemeIcon, Title } from '@mantine/core';
import { IconEye, IconLock, IconPlus } from '@tabler/icons-react';
import { ErrorCode, Scope, can } from '@tally/shared';
import { useState } from 'react';
import { hasErrorCode } from '../../app/graphql-errors';
import { useCurrentWorkspace } from '../../app/layout/workspace-context';
import { NotFound } from '../../app/ui/not-found-page';
import { PageHeader } from '../../app/ui/page-header';
import { QueryContent } from '../../app/ui/query-content';
import { ApiKeysDocument, type ApiKeyFieldsFragment } from '../../graphql/generated';
import type { WorkspaceSummary } from '../workspaces/workspace-list';
import { ApiKeyAllowlistModal } from './api-key-allowlist-modal';
import { useApiKeySafeguardsList } from './api-key-safeguards';
import { ApiKeyUsage } from './api-key-usage';
import { ApiKeysTable } from './api-keys-table';
import { ApiKeyUsageDrawer } from './api-key-usage-drawer';
import { CreateApiKeyModal } from './create-api-key-modal';
import { ApiKeyExpiryBanner } from './expiry-banner';
import { RevokeApiKeyModal } from './revoke-api-key-modal';
import { RollApiKeyModal } from './roll-api-key-modal';

function NoAccess({ workspaceName }: { workspaceName: string }) {
  return (
    <Paper withBorder radius="md" p="xl" maw={640}>
      <Stack align="center" gap="sm" py="lg" ta="center">
        <ThemeIcon size={48} radius="xl" variant="light" color="gray" aria-hidden>
          <IconLock size={26} stroke={1.6} />
        </ThemeIcon>
        <Title order={2} size="h4">
          You don&apos;t have access to API keys here
        </Title>
        <Text c="dimmed" size="sm" maw={460}>
          Your role in {workspaceName} doesn&apos;t include seeing its API keys. Ask an owner or admin of this workspace
          if you need access.
        </Text>
      </Stack>
    </Paper>
  );
}

export function ApiKeysPage() {
  const current = useCurrentWorkspace();
  // A fresh page per workspace: no dialog or key chosen in one stays open in the next.
  return <WorkspaceApiKeys key={current.id} current={current} />;
}

interface WorkspaceApiKeysProps {
  current: WorkspaceSummary;
  /** 2 inside a team's view (its API Keys tab), under the team's own heading. */
  headingOrder?: 1 | 2;
}

export function WorkspaceApiKeys({ current, headingOrder = 1 }: WorkspaceApiKeysProps) {
  // Visibility follows the scopes the server reports for the caller, never a role name.
  const mayRead = can(current.viewerScopes, Scope.KEYS_READ);
  const { data, error, refetch } = useQuery(ApiKeysDocument, {
    variables: { workspaceId: current.id },
    fetchPolicy: 'cache-and-network',
    skip: !mayRead,
  });
  // Rolls, allowlists and policy flags of the same keys, which the rows read from the cache.
  useApiKeySafeguardsList(current.id, !mayRead);
  const [createOpened, setCreateOpened] = useState(false);
  const [revokeTarget, setRevokeTarget] = useState<ApiKeyFieldsFragment | null>(null);
  const [revokeOpened, setRevokeOpened] = useState(false);
  const [usageTarget, setUsageTarget] = useState<ApiKeyFieldsFragment | null>(null);
  const [usageOpened, setUsageOpened] = useState(false);
  // The row action in progress (roll, allowlist); the key stays while its dialog closes.
  const [rowAction, setRowAction] = useState<{ kind: 'roll' | 'allowlist'; apiKey: ApiKeyFieldsFragment } | null>(null);
  const [rowActionOpened, setRowActionOpened] = useState(false);
  const openRowAction = (kind: 'roll' | 'allowlist') => (apiKey: ApiKeyFieldsFragment) => {
    setRowAction({ kind, apiKey });
    setRowActionOpened(true);
  };

  // The query's scopes are the freshest; the workspace list's are there before it answers.
  const workspace = data?.workspace;
  const canManage = can(workspace?.viewerScopes ?? current.viewerScopes, Scope.KEYS_MANAGE);
  const forbidden = !mayRead || (!workspace && hasErrorCode(error, ErrorCode.FORBIDDEN));

  const header = (
    <PageHeader
      title="API Keys"
      order={headingOrder}
      documentTitle={`API Keys · ${current.name}`}
      description="Keys let SDKs send events and reporting tools query analytics for this workspace."
      actions={
        canManage && !forbidden ? (
          <Button
            leftSection={<IconPlus size={16} aria-hidden />}
            onClick={() => {
              setCreateOpened(true);
            }}
          >
            Create API Key
          </Button>
        ) : null
      }
    />
  );

  // What shows once the keys have loaded.
  let content;
  if (!workspace) {
    content = (
      <NotFound
        title="Workspace not found"
        message="This workspace doesn't exist or you are no longer a member of it."
      />
    );
  } else {
    content = (
      <Stack gap="lg">
        {!canManage ? (
          <Alert variant="light" color="gray" icon={<IconEye size={18} aria-hidden />} py="xs">
            You can see this workspace&apos;s keys, but your role here doesn&apos;t allow creating or revoking them.
          </Alert>
        ) : null}
        <ApiKeyExpiryBanner
          workspaceId={current.id}
          canManage={canManage}
          listVersion={workspace.apiKeys.map((key) => `${key.id}:${key.status}`).join()}
        />
        <ApiKeysTable
          apiKeys={workspace.apiKeys}
          canManage={canManage}
          actions={{
            onRevoke: (apiKey) => {
              setRevokeTarget(apiKey);
              setRevokeOpened(true);
            },
            onRoll: openRowAction('roll'),
            onEditAllowlist: openRowAction('allowlist'),
          }}
          onUsage={(apiKey) => {
            setUsageTarget(apiKey);
            setUsageOpened(true);
          }}
        />
        <ApiKeyUsage />
      </Stack>
    );
  }

  return (
    <>
      {header}
      {forbidden ? (
        <NoAccess workspaceName={current.name} />
      ) : (
        <QueryContent
          data={data}
          error={error}
          refetch={refetch}
          errorTitle="API keys couldn't be loaded"
          loadingLabel="Loading API keys…"
        >
          {content}
        </QueryContent>
      )}
      <ApiKeyUsageDrawer
        workspaceId={current.id}
        apiKey={usageTarget}
        opened={usageOpened}
        onClose={() => {
          setUsageOpened(false);
        }}
        canManage={canManage}
      />
      {canManage ? (
        <>
          <CreateApiKeyModal
            workspaceId={current.id}
            opened={createOpened}
            onClose={() => {
              setCreateOpened(false);
              // The new key is already in the list; this also brings in changes made meanwhile.
              void refetch();
            }}
          />
          <RevokeApiKeyModal
            workspaceId={current.id}
            apiKey={revokeTarget}
            opened={revokeOpened}
            onClose={() => {
              setRevokeOpened(false);
            }}
          />
          <RollApiKeyModal
            workspaceId={current.id}
            apiKey={rowAction?.kind === 'roll' ? rowAction.apiKey : null}
            opened={rowActionOpened && rowAction?.kind === 'roll'}
            onClose={() => {
              setRowActionOpened(false);
            }}
          />
          <ApiKeyAllowlistModal
            workspaceId={current.id}
            apiKey={rowAction?.kind === 'allowlist' ? rowAction.apiKey : null}
            opened={rowActionOpened && rowAction?.kind === 'allowlist'}
            onClose={() => {
              setRowActionOpened(false);
            }}
          />
        </>
      ) : null}
    </>
  );
}
