import {
  Badge,
  Box,
  Button,
  Code,
  Group,
  Paper,
  Popover,
  SimpleGrid,
  Stack,
  Table,
  Text,
  ThemeIcon,
  Title,
  VisuallyHidden,
} from '@mantine/core';
import { IconChevronDown, IconKey } from '@tabler/icons-react';
import { ApiKeyStatus, isScope } from '@tally/shared';
import type { ReactNode } from 'react';
import { Breakable } from '../../app/ui/breakable';
import { useContainerWidth } from '../../app/ui/use-container-width';
import { useNow } from '../../app/ui/use-now';
import type { ApiKeyFieldsFragment } from '../../graphql/generated';
import {
  API_KEY_ROLE_LABEL,
  API_KEY_STATUS_COLOR,
  API_KEY_STATUS_LABEL,
  SCOPE_DESCRIPTION,
  formatDate,
  formatDateTime,
  formatRelative,
} from './api-key-format';
import { type ApiKeyRowActionHandlers, ApiKeyRowActions } from './api-key-row-actions';
import { ApiKeyRowNotes } from './api-key-row-notes';
import { UnusedKeyHint } from './unused-key-hint';

/** Below this width (of the list itself, not of the window) keys are shown as cards. */
const TABLE_MIN_WIDTH = 760;

interface ApiKeysTableProps {
  apiKeys: readonly ApiKeyFieldsFragment[];
  /** Whether the caller holds keys.manage here: only then do active keys have actions. */
  canManage: boolean;
  actions: ApiKeyRowActionHandlers;
  /** Opens the key's usage (api-key-usage-drawer.tsx): every reader of keys may see it. */
  onUsage: (apiKey: ApiKeyFieldsFragment) => void;
}

function Never() {
  return (
    <Text span size="sm" c="dimmed">
      Never
    </Text>
  );
}

/** A date in the dashboard's one format, with the exact moment on hover. */
function Moment({ iso, children }: { iso: string; children: string }) {
  return (
    <time dateTime={iso} title={formatDateTime(iso)}>
      {children}
    </time>
  );
}

function EmptyKeys({ canManage }: { canManage: boolean }) {
  return (
    <Paper withBorder radius="md" p="xl">
      <Stack align="center" gap="xs" py="md" ta="center">
        <ThemeIcon size={44} radius="xl" variant="light" aria-hidden>
          <IconKey size={24} stroke={1.6} />
        </ThemeIcon>
        <Title order={2} size="h5">
          No API keys yet
        </Title>
        <Text size="sm" c="dimmed" maw={440}>
          {canManage
            ? 'Create a key to send events from an SDK or to query analytics from a reporting tool.'
            : 'Owners and admins of this workspace can create keys; they will be listed here.'}
        </Text>
      </Stack>
    </Paper>
  );
}

/** The key's role, and its scopes one click away (a popover instead of a row of chips). */
function RoleAndScopes({ apiKey }: { apiKey: ApiKeyFieldsFragment }) {
  const count = apiKey.scopes.length;
  const scopesLabel = `${count} ${count === 1 ? 'scope' : 'scopes'}`;
  return (
    <Group gap={6}>
      <Text size="sm" fw={500}>
        {API_KEY_ROLE_LABEL[apiKey.role]}
      </Text>
      <Popover position="bottom-start" withArrow shadow="md" trapFocus returnFocus>
        <Popover.Target>
          <Button
            variant="subtle"
            color="gray"
            size="compact-xs"
            rightSection={<IconChevronDown size={12} aria-hidden />}
            aria-label={`${scopesLabel} of ${apiKey.name}`}
          >
            {scopesLabel}
          </Button>
        </Popover.Target>
        <Popover.Dropdown aria-label={`Scopes of ${apiKey.name}`} maw={360}>
          <Text size="xs" fw={600} mb={6}>
            {API_KEY_ROLE_LABEL[apiKey.role]} keys may:
          </Text>
          <Stack component="ul" gap={6} m={0} p={0} style={{ listStyle: 'none' }}>
            {apiKey.scopes.map((scope) => (
              <li key={scope}>
                <Code fz="xs">{scope}</Code>
                <Text size="xs" c="dimmed">
                  {isScope(scope) ? SCOPE_DESCRIPTION[scope] : null}
                </Text>
              </li>
            ))}
          </Stack>
        </Popover.Dropdown>
      </Popover>
    </Group>
  );
}

function StatusBadge({ status }: { status: ApiKeyFieldsFragment['status'] }) {
  return (
    <Badge
      variant="light"
      color={API_KEY_STATUS_COLOR[status]}
      // A badge shrinks with its column and cuts its word; a status must stay whole.
      styles={{ label: { overflow: 'visible' } }}
    >
      {API_KEY_STATUS_LABEL[status]}
    </Badge>
  );
}

function Created({ apiKey }: { apiKey: ApiKeyFieldsFragment }) {
  return (
    <>
      <Text size="sm">
        <Moment iso={apiKey.createdAt}>{formatDate(apiKey.createdAt)}</Moment>
      </Text>
      {apiKey.createdBy ? (
        <Text size="xs" c="dimmed">
          by {apiKey.createdBy.name}
        </Text>
      ) : null}
    </>
  );
}

function LastUsed({ apiKey, now, canManage }: { apiKey: ApiKeyFieldsFragment; now: number; canManage: boolean }) {
  return (
    <>
      {apiKey.lastUsedAt ? (
        <Text size="sm">
          <Moment iso={apiKey.lastUsedAt}>{formatRelative(apiKey.lastUsedAt, now)}</Moment>
        </Text>
      ) : (
        <Never />
      )}
      <UnusedKeyHint apiKey={apiKey} now={now} canRevoke={canManage} />
    </>
  );
}

function Expires({ apiKey }: { apiKey: ApiKeyFieldsFragment }) {
  return apiKey.expiresAt ? (
    <Text size="sm">
      <Moment iso={apiKey.expiresAt}>{formatDate(apiKey.expiresAt)}</Moment>
    </Text>
  ) : (
    <Never />
  );
}

/** Events the key sent that were accepted in the last 7 days. */
function EventsLast7Days({ apiKey }: { apiKey: ApiKeyFieldsFragment }) {
  return <Text size="sm">{apiKey.eventsLast7Days.toLocaleString('en-US')}</Text>;
}

/** Usage, named for its key ("Usage of Production SDK"): opens its drawer. */
function UsageButton({ apiKey, onUsage }: { apiKey: ApiKeyFieldsFragment; onUsage: () => void }) {
  return (
    <Button size="xs" variant="subtle" aria-label={`Usage of ${apiKey.name}`} onClick={onUsage}>
      Usage
    </Button>
  );
}

/**
 * The workspace's keys: what each may do, whether it still works, and when it was last used.
 * A table where there is room for every column (Revoke always in sight), cards where there is
 * not (phones, narrow windows).
 */
export function ApiKeysTable({ apiKeys, canManage, actions, onUsage }: ApiKeysTableProps) {
  const now = useNow();
  const [containerRef, width] = useContainerWidth<HTMLDivElement>();
  let content: ReactNode = null;
  if (apiKeys.length === 0) {
    content = <EmptyKeys canManage={canManage} />;
  } else if (width !== null && width < TABLE_MIN_WIDTH) {
    content = <ApiKeyCards apiKeys={apiKeys} canManage={canManage} actions={actions} onUsage={onUsage} now={now} />;
  } else if (width !== null) {
    content = (
      <Paper withBorder radius="md">
        <Table verticalSpacing="sm" horizontalSpacing="sm" highlightOnHover aria-label="API keys">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Name</Table.Th>
              <Table.Th>Key</Table.Th>
              <Table.Th>Role</Table.Th>
              <Table.Th>Status</Table.Th>
              <Table.Th>Created</Table.Th>
              <Table.Th style={{ whiteSpace: 'nowrap' }}>Last used</Table.Th>
              <Table.Th>Events, 7 days</Table.Th>
              <Table.Th>Expires</Table.Th>
              <Table.Th>
                <VisuallyHidden>Actions</VisuallyHidden>
              </Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {apiKeys.map((apiKey) => (
              <Table.Tr key={apiKey.id}>
                <Table.Td>
                  <Box maw={260}>
                    {/* Breaks between words only ("Sampl|e SDK" when the row's columns squeezed it). */}
                    <Text size="sm" fw={600} style={{ overflowWrap: 'break-word' }}>
                      <Breakable text={apiKey.name} />
                    </Text>
                    {apiKey.description ? (
                      <Text size="xs" c="dimmed" lineClamp={1} title={apiKey.description}>
                        {apiKey.description}
                      </Text>
                    ) : null}
                    <ApiKeyRowNotes apiKey={apiKey} />
                  </Box>
                </Table.Td>
                <Table.Td>
                  <Code fz="xs" style={{ whiteSpace: 'nowrap' }}>
                    {apiKey.prefix}…
                  </Code>
                </Table.Td>
                <Table.Td>
                  <RoleAndScopes apiKey={apiKey} />
                </Table.Td>
                <Table.Td>
                  <StatusBadge status={apiKey.status} />
                </Table.Td>
                <Table.Td style={{ whiteSpace: 'nowrap' }}>
                  <Created apiKey={apiKey} />
                </Table.Td>
                <Table.Td style={{ whiteSpace: 'nowrap' }}>
                  <LastUsed apiKey={apiKey} now={now} canManage={canManage} />
                </Table.Td>
                <Table.Td>
                  <EventsLast7Days apiKey={apiKey} />
                </Table.Td>
                <Table.Td style={{ whiteSpace: 'nowrap' }}>
                  <Expires apiKey={apiKey} />
                </Table.Td>
                <Table.Td ta="right">
                  <Group gap={4} justify="flex-end" wrap="nowrap">
                    <UsageButton
                      apiKey={apiKey}
                      onUsage={() => {
                        onUsage(apiKey);
                      }}
                    />
                    {canManage ? <ApiKeyRowActions apiKey={apiKey} actions={actions} /> : null}
                  </Group>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Paper>
    );
  }

  // The wrapper is always there, so its width is known before the first key arrives.
  return <div ref={containerRef}>{content}</div>;
}

function Fact({ term, children }: { term: string; children: ReactNode }) {
  return (
    <div>
      <Text component="dt" size="xs" c="dimmed" fw={600}>
        {term}
      </Text>
      <Box component="dd" m={0} mt={2}>
        {children}
      </Box>
    </div>
  );
}

interface ApiKeyCardsProps extends ApiKeysTableProps {
  now: number;
}

/** One card per key, every fact of the table's row included. */
function ApiKeyCards({ apiKeys, canManage, actions, onUsage, now }: ApiKeyCardsProps) {
  return (
    <Stack component="ul" gap="sm" m={0} p={0} style={{ listStyle: 'none' }} aria-label="API keys">
      {apiKeys.map((apiKey) => (
        <Paper component="li" key={apiKey.id} withBorder radius="md" p="md" aria-label={apiKey.name}>
          <Stack gap="sm">
            <Group justify="space-between" align="flex-start" wrap="nowrap" gap="sm">
              <Box miw={0}>
                <Text size="sm" fw={600} style={{ overflowWrap: 'break-word' }}>
                  <Breakable text={apiKey.name} />
                </Text>
                {apiKey.description ? (
                  <Text size="xs" c="dimmed" lineClamp={2}>
                    {apiKey.description}
                  </Text>
                ) : null}
                <ApiKeyRowNotes apiKey={apiKey} />
              </Box>
              <StatusBadge status={apiKey.status} />
            </Group>
            <SimpleGrid component="dl" cols={2} spacing="sm" verticalSpacing="xs" m={0}>
              <Fact term="Key">
                <Code fz="xs">{apiKey.prefix}…</Code>
              </Fact>
              <Fact term="Role">
                <RoleAndScopes apiKey={apiKey} />
              </Fact>
              <Fact term="Created">
                <Created apiKey={apiKey} />
              </Fact>
              <Fact term="Last used">
                <LastUsed apiKey={apiKey} now={now} canManage={canManage} />
              </Fact>
              <Fact term="Events, 7 days">
                <EventsLast7Days apiKey={apiKey} />
              </Fact>
              <Fact term="Expires">
                <Expires apiKey={apiKey} />
              </Fact>
            </SimpleGrid>
            <Group justify="flex-end" gap="xs">
              <UsageButton
                apiKey={apiKey}
                onUsage={() => {
                  onUsage(apiKey);
                }}
              />
              {canManage && apiKey.status === ApiKeyStatus.ACTIVE ? (
                <ApiKeyRowActions apiKey={apiKey} actions={actions} />
              ) : null}
            </Group>
          </Stack>
        </Paper>
      ))}
    </Stack>
  );
}
