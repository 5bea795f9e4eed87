import { Badge, Group, NativeSelect, Stack, Text } from '@mantine/core';
import { IconSelector } from '@tabler/icons-react';
import { WorkspaceKind } from '@tally/shared';
import {
  MEMBER_ROLE_LABEL,
  WORKSPACE_KIND_LABEL,
  type WorkspaceSummary,
} from '../../modules/workspaces/workspace-list';

interface WorkspaceSelectorProps {
  /** Sorted: personal workspace first. */
  workspaces: readonly WorkspaceSummary[];
  current: WorkspaceSummary | undefined;
  onSelect: (workspaceId: string) => void;
}

/**
 * A native <select> labelled "Workspace": keyboard and screen-reader friendly everywhere, and
 * browser tests can pick a workspace by its name. Options are grouped by kind.
 */
export function WorkspaceSelector({ workspaces, current, onSelect }: WorkspaceSelectorProps) {
  const personal = workspaces.filter((w) => w.kind === WorkspaceKind.PERSONAL);
  const teams = workspaces.filter((w) => w.kind === WorkspaceKind.TEAM);
  const toItem = (w: WorkspaceSummary) => ({ value: w.id, label: w.name });
  const data = [
    ...(personal.length > 0 ? [{ group: 'Personal', items: personal.map(toItem) }] : []),
    ...(teams.length > 0 ? [{ group: 'Teams', items: teams.map(toItem) }] : []),
  ];

  return (
    <Stack gap={6}>
      <NativeSelect
        label="Workspace"
        data={data}
        value={current?.id ?? ''}
        onChange={(event) => {
          onSelect(event.currentTarget.value);
        }}
        rightSection={<IconSelector size={16} aria-hidden />}
        styles={{
          label: {
            fontSize: 'var(--mantine-font-size-xs)',
            color: 'var(--mantine-color-dimmed)',
            textTransform: 'uppercase',
            letterSpacing: '0.04em',
            fontWeight: 600,
          },
        }}
      />
      {current ? (
        <Group gap={6}>
          <Badge size="sm" variant="light" color={current.kind === WorkspaceKind.PERSONAL ? 'gray' : 'indigo'}>
            {WORKSPACE_KIND_LABEL[current.kind]}
          </Badge>
          {current.viewerRole ? (
            <Text size="xs" c="dimmed">
              You are {MEMBER_ROLE_LABEL[current.viewerRole]}
            </Text>
          ) : null}
        </Group>
      ) : null}
    </Stack>
  );
}
