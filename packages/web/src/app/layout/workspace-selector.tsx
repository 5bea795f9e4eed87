import { Badge, Group, Stack, Text } from '@mantine/core';
import { IconSelector } from '@tabler/icons-react';
import { WorkspaceKind } from '@tally/shared';
import { useId } from 'react';
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
 * browser tests can pick a workspace by its name. Options are grouped by kind. The select lies
 * transparently over a box showing the chosen workspace's whole name (theme.css), so a long team
 * name wraps instead of being cut.
 */
export function WorkspaceSelector({ workspaces, current, onSelect }: WorkspaceSelectorProps) {
  const id = useId();
  const personal = workspaces.filter((w) => w.kind === WorkspaceKind.PERSONAL);
  const teams = workspaces.filter((w) => w.kind === WorkspaceKind.TEAM);
  const option = (w: WorkspaceSummary) => (
    <option key={w.id} value={w.id}>
      {w.name}
    </option>
  );

  return (
    <Stack gap={6}>
      <Text component="label" htmlFor={id} size="xs" c="dimmed" tt="uppercase" lts="0.04em" fw={600}>
        Workspace
      </Text>
      <div className="tally-workspace-select">
        <Text size="sm" fw={500} aria-hidden style={{ overflowWrap: 'anywhere' }}>
          {current?.name ?? 'Choose a workspace'}
        </Text>
        <IconSelector
          size={16}
          aria-hidden
          style={{ position: 'absolute', right: 10, top: '50%', transform: 'translateY(-50%)', pointerEvents: 'none' }}
        />
        <select
          id={id}
          value={current?.id ?? ''}
          onChange={(event) => {
            onSelect(event.currentTarget.value);
          }}
        >
          {current ? null : <option value="">Choose a workspace</option>}
          {personal.length > 0 ? <optgroup label="Personal">{personal.map(option)}</optgroup> : null}
          {teams.length > 0 ? <optgroup label="Teams">{teams.map(option)}</optgroup> : null}
        </select>
      </div>
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
