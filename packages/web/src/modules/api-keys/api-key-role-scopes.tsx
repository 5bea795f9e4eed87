import { Code, Stack, Table, Text } from '@mantine/core';
import { API_KEY_ROLE_SCOPES, type ApiKeyRole } from '@tally/shared';
import { API_KEY_ROLE_DESCRIPTION, API_KEY_ROLE_LABEL, SCOPE_DESCRIPTION } from './api-key-format';

/** The scopes the chosen role grants, straight from the shared table. */
export function RoleScopes({ role }: { role: ApiKeyRole }) {
  const scopes = API_KEY_ROLE_SCOPES[role];
  return (
    <Stack
      gap={6}
      p="sm"
      bg="var(--mantine-color-gray-0)"
      bd="1px solid var(--mantine-color-gray-2)"
      style={{ borderRadius: 'var(--mantine-radius-md)' }}
      aria-live="polite"
    >
      <Text size="sm">
        <Text span fw={600}>
          {API_KEY_ROLE_LABEL[role]}:
        </Text>{' '}
        {API_KEY_ROLE_DESCRIPTION[role]} It grants {scopes.length === 1 ? 'this scope' : 'these scopes'}:
      </Text>
      <Table withRowBorders={false} verticalSpacing={2} horizontalSpacing={0} fz="sm">
        <Table.Tbody>
          {scopes.map((scope) => (
            <Table.Tr key={scope}>
              <Table.Td w={170}>
                <Code fz="xs">{scope}</Code>
              </Table.Td>
              <Table.Td c="dimmed">{SCOPE_DESCRIPTION[scope]}</Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Stack>
  );
}
