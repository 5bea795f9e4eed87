import { Button, Stack, Text } from '@mantine/core';
import { IconLogout } from '@tabler/icons-react';
import { MemberRole } from '@tally/shared';
import { useId } from 'react';

/** Whether `userId` is the team's only OWNER (who cannot leave: team rule 6). */
export function isLastOwner(
  members: ReadonlyArray<{ role: MemberRole; user: { id: string } }>,
  userId: string,
): boolean {
  const owners = members.filter((m) => m.role === MemberRole.OWNER);
  return owners.length === 1 && owners[0]?.user.id === userId;
}

export const LAST_OWNER_REASON = 'You are the last owner: make another member an owner before you leave.';

/**
 * Leave Team on the viewer's own row. For the last OWNER it is disabled, with the reason beside
 * it (and tied to it by aria-describedby), instead of a refusal after confirming.
 */
export function LeaveTeamButton({ lastOwner, onLeave }: { lastOwner: boolean; onLeave: () => void }) {
  const reasonId = useId();
  const button = (
    <Button
      size="xs"
      variant="subtle"
      color="red"
      leftSection={<IconLogout size={14} aria-hidden />}
      onClick={onLeave}
      disabled={lastOwner}
      aria-describedby={lastOwner ? reasonId : undefined}
    >
      Leave Team
    </Button>
  );
  if (!lastOwner) return button;
  return (
    <Stack gap={2} align="flex-end">
      {button}
      <Text id={reasonId} component="div" size="xs" c="dimmed" maw={240} ta="right" style={{ whiteSpace: 'normal' }}>
        {LAST_OWNER_REASON}
      </Text>
    </Stack>
  );
}
