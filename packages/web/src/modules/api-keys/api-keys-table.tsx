import {
  Badge,
  Box,
  Button,
  Code,
  Group,
  Paper,
  Stack,
  Table,
  Text,
  ThemeIcon,
  Title,
  VisuallyHidden,
} from '@mantine/core';
import { IconKey } from '@tabler/icons-react';
import { ApiKeyStatus } from '@tally/shared';
import type { ApiKeyFieldsFragment } from '../../graphql/generated';
import {
  API_KEY_ROLE_LABEL,
  API_KEY_STATUS_COLOR,
  API_KEY_STATUS_LABEL,
  formatDate,
  formatDateTime,
  formatRelative,
} from './api-key-format';
import { useNow } from '../../app/ui/use-now';

interface ApiKeysTableProps {
  apiKeys: readonly ApiKeyFieldsFragment[];
  /** Whether the caller holds keys.manage here: only then is each active key revocable. */
  canManage: boolean;
  onRevoke: (apiKey: ApiKeyFieldsFragment) => void;
}

function Never() {
  return (
    <Text span size="sm" c="dimmed">
      Never
    </Text>
  );
}

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

/** The workspace's keys: what each may do, whether it still works, and when it was last used. */
export function ApiKeysTable({ apiKeys, canManage, onRevoke }: ApiKeysTableProps) {
  const now = useNow();
  if (apiKeys.length === 0) return <EmptyKeys canManage={canManage} />;

  return (
    <Paper withBorder radius="md">
      <Table.ScrollContainer minWidth={canManage ? 980 : 900}>
        <Table
          verticalSpacing="sm"
          horizontalSpacing="sm"
          highlightOnHover
          styles={{ th: { whiteSpace: 'nowrap' }, td: { verticalAlign: 'top' } }}
        >
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Name</Table.Th>
              <Table.Th>Key</Table.Th>
              <Table.Th>Role and scopes</Table.Th>
              <Table.Th>Status</Table.Th>
              <Table.Th>Created</Table.Th>
              <Table.Th>Last used</Table.Th>
              <Table.Th>Expires</Table.Th>
              {canManage ? (
                <Table.Th>
                  <VisuallyHidden>Actions</VisuallyHidden>
                </Table.Th>
              ) : null}
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {apiKeys.map((apiKey) => (
              <Table.Tr key={apiKey.id}>
                <Table.Td>
                  <Box miw={150} maw={280}>
                    <Text size="sm" fw={600}>
                      {apiKey.name}
                    </Text>
                    {apiKey.description ? (
                      <Text size="xs" c="dimmed" lineClamp={2} title={apiKey.description}>
                        {apiKey.description}
                      </Text>
                    ) : null}
                  </Box>
                </Table.Td>
                <Table.Td>
                  <Code fz="xs" style={{ whiteSpace: 'nowrap' }}>
                    {apiKey.prefix}…
                  </Code>
                </Table.Td>
                <Table.Td>
                  <Text size="sm" fw={500} mb={4}>
                    {API_KEY_ROLE_LABEL[apiKey.role]}
                  </Text>
                  <Group gap={4} miw={160} maw={280}>
                    {apiKey.scopes.map((scope) => (
                      <Badge key={scope} size="sm" radius="sm" variant="light" color="gray" tt="none" ff="monospace">
                        {scope}
                      </Badge>
                    ))}
                  </Group>
                </Table.Td>
                <Table.Td>
                  <Badge
                    variant="light"
                    color={API_KEY_STATUS_COLOR[apiKey.status]}
                    // A badge shrinks with its column and cuts its word; a status must stay whole.
                    styles={{ label: { overflow: 'visible' } }}
                  >
                    {API_KEY_STATUS_LABEL[apiKey.status]}
                  </Badge>
                </Table.Td>
                <Table.Td style={{ whiteSpace: 'nowrap' }}>
                  <Text size="sm">
                    <Moment iso={apiKey.createdAt}>{formatDate(apiKey.createdAt)}</Moment>
                  </Text>
                  {apiKey.createdBy ? (
                    <Text size="xs" c="dimmed">
                      by {apiKey.createdBy.name}
                    </Text>
                  ) : null}
                </Table.Td>
                <Table.Td style={{ whiteSpace: 'nowrap' }}>
                  {apiKey.lastUsedAt ? (
                    <Text size="sm">
                      <Moment iso={apiKey.lastUsedAt}>{formatRelative(apiKey.lastUsedAt, now)}</Moment>
                    </Text>
                  ) : (
                    <Never />
                  )}
                </Table.Td>
                <Table.Td style={{ whiteSpace: 'nowrap' }}>
                  {apiKey.expiresAt ? (
                    <Text size="sm">
                      <Moment iso={apiKey.expiresAt}>{formatDate(apiKey.expiresAt)}</Moment>
                    </Text>
                  ) : (
                    <Never />
                  )}
                </Table.Td>
                {canManage ? (
                  <Table.Td ta="right">
                    {apiKey.status === ApiKeyStatus.ACTIVE ? (
                      <Button
                        size="xs"
                        variant="subtle"
                        color="red"
                        // Lines the label up with the first line of text of the other cells.
                        mt={-4}
                        onClick={() => {
                          onRevoke(apiKey);
                        }}
                      >
                        Revoke
                      </Button>
                    ) : null}
                  </Table.Td>
                ) : null}
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
    </Paper>
  );
}
