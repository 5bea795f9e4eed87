import { Button, Code, Group, Popover, Stack, Text } from '@mantine/core';
import { IconChevronDown, IconShieldExclamation, IconWorldWww } from '@tabler/icons-react';
import { ApiKeyStatus } from '@tally/shared';
import type { ApiKeyFieldsFragment, ApiKeySafeguardFieldsFragment } from '../../graphql/generated';
import { allowlistCountLabel } from './api-key-allowlist';
import { formatDate, formatDateTime } from './api-key-format';
import { POLICY_VIOLATION_LABEL } from './api-key-policy-format';
import { useApiKeySafeguards } from './api-key-safeguards';

interface NoteProps {
  apiKey: ApiKeyFieldsFragment;
  safeguards: ApiKeySafeguardFieldsFragment;
}

function keyLabel(key: { name: string; prefix: string }): string {
  return `${key.name} (${key.prefix}…)`;
}

/** "Replaced by …, works until …" on a rolled key; "Rolled from …" on the key that replaced it. */
function Relations({ apiKey, safeguards }: NoteProps) {
  const { replacedBy, rolledFrom } = safeguards;
  if (!replacedBy && !rolledFrom) return null;
  let until = '';
  if (replacedBy && apiKey.expiresAt) {
    until =
      apiKey.status === ApiKeyStatus.ACTIVE
        ? `, works until ${formatDateTime(apiKey.expiresAt)}`
        : `, stopped ${formatDate(apiKey.expiresAt)}`;
  }
  return (
    <>
      {replacedBy ? (
        <Text size="xs" c="dimmed">
          Replaced by {keyLabel(replacedBy)}
          {until}
        </Text>
      ) : null}
      {rolledFrom ? (
        <Text size="xs" c="dimmed">
          Rolled from {keyLabel(rolledFrom)}
        </Text>
      ) : null}
    </>
  );
}

/** A restricted key's badge: how many addresses, the list one click away. */
function Allowlist({ apiKey, safeguards }: NoteProps) {
  const entries = safeguards.allowedIps ?? [];
  if (entries.length === 0) return null;
  const label = allowlistCountLabel(entries.length);
  return (
    <Popover position="bottom-start" withArrow shadow="md" trapFocus returnFocus>
      <Popover.Target>
        <Button
          variant="light"
          color="gray"
          size="compact-xs"
          leftSection={<IconWorldWww size={12} aria-hidden />}
          rightSection={<IconChevronDown size={12} aria-hidden />}
          aria-label={`IP allowlist of ${apiKey.name}: ${label}`}
        >
          {label}
        </Button>
      </Popover.Target>
      <Popover.Dropdown aria-label={`IP allowlist of ${apiKey.name}`} maw={320}>
        <Text size="xs" fw={600} mb={6}>
          Accepted only from:
        </Text>
        <Stack component="ul" gap={4} m={0} p={0} style={{ listStyle: 'none' }}>
          {entries.map((entry) => (
            <li key={entry}>
              <Code fz="xs">{entry}</Code>
            </li>
          ))}
        </Stack>
      </Popover.Dropdown>
    </Popover>
  );
}

/** "Out of policy", with the reasons one click away; the key keeps working until rolled or revoked. */
function OutOfPolicy({ apiKey, safeguards }: NoteProps) {
  // Revoked and expired keys no longer matter to the policy.
  if (safeguards.policyViolations.length === 0 || apiKey.status !== ApiKeyStatus.ACTIVE) return null;
  return (
    <Popover position="bottom-start" withArrow shadow="md" trapFocus returnFocus>
      <Popover.Target>
        <Button
          variant="light"
          color="orange"
          size="compact-xs"
          leftSection={<IconShieldExclamation size={12} aria-hidden />}
          aria-label={`Out of policy: why ${apiKey.name} is outside this workspace's key policy`}
        >
          Out of policy
        </Button>
      </Popover.Target>
      <Popover.Dropdown aria-label={`Why ${apiKey.name} is out of policy`} maw={320}>
        <Text size="xs" fw={600} mb={6}>
          Outside this workspace&apos;s key policy:
        </Text>
        <Stack component="ul" gap={4} m={0} pl="md">
          {safeguards.policyViolations.map((violation) => (
            <Text component="li" key={violation} size="xs">
              {POLICY_VIOLATION_LABEL[violation]}
            </Text>
          ))}
        </Stack>
        <Text size="xs" c="dimmed" mt={6}>
          It keeps working; roll it or replace it with a key within the policy.
        </Text>
      </Popover.Dropdown>
    </Popover>
  );
}

/** What a key's row says of rolls, its allowlist and the workspace's key policy. */
export function ApiKeyRowNotes({ apiKey }: { apiKey: ApiKeyFieldsFragment }) {
  const safeguards = useApiKeySafeguards(apiKey.id);
  if (!safeguards) return null;
  const hasBadges = (safeguards.allowedIps?.length ?? 0) > 0 || safeguards.policyViolations.length > 0;
  return (
    <>
      <Relations apiKey={apiKey} safeguards={safeguards} />
      {hasBadges ? (
        <Group gap={6} mt={4}>
          <Allowlist apiKey={apiKey} safeguards={safeguards} />
          <OutOfPolicy apiKey={apiKey} safeguards={safeguards} />
        </Group>
      ) : null}
    </>
  );
}
