import { Group, Text } from '@mantine/core';
import { IconAlertTriangle } from '@tabler/icons-react';
import { ApiKeyStatus, apiKeyUnused } from '@tally/shared';
import type { ApiKeyFieldsFragment } from '../../graphql/generated';

/**
 * "Consider revoking" beside an active key's last use when it has not been used (or, never used,
 * was created) 30 days ago or more: the user guide's "Monitor usage" advice. A reader who may not
 * revoke (`canRevoke` false) is told the fact only: "Unused for 30 days".
 */
export function UnusedKeyHint({
  apiKey,
  now,
  canRevoke,
}: {
  apiKey: ApiKeyFieldsFragment;
  now: number;
  canRevoke: boolean;
}) {
  if (apiKey.status !== ApiKeyStatus.ACTIVE || !apiKeyUnused(apiKey, now)) return null;
  return (
    <Group
      gap={4}
      wrap="nowrap"
      title={
        canRevoke
          ? 'Not used in the last 30 days: revoke it if nothing needs it any more.'
          : 'Not used in the last 30 days.'
      }
    >
      <IconAlertTriangle size={12} aria-hidden color="var(--mantine-color-orange-6)" />
      <Text span size="xs" c="dimmed">
        {canRevoke ? 'Consider revoking' : 'Unused for 30 days'}
      </Text>
    </Group>
  );
}
