import { ActionIcon, Button, Group, Menu } from '@mantine/core';
import { IconDots, IconRefresh, IconWorldWww } from '@tabler/icons-react';
import { ApiKeyStatus } from '@tally/shared';
import type { ApiKeyFieldsFragment } from '../../graphql/generated';
import { useApiKeySafeguards } from './api-key-safeguards';

/** What a key's row can start; the page opens the matching dialog. */
export interface ApiKeyRowActionHandlers {
  onRevoke: (apiKey: ApiKeyFieldsFragment) => void;
  onRoll: (apiKey: ApiKeyFieldsFragment) => void;
  onEditAllowlist: (apiKey: ApiKeyFieldsFragment) => void;
}

/**
 * The actions on an active key's row, for keys.manage holders (the table decides): Revoke in
 * sight, the rest in a menu named for the key ("More actions for Production SDK"), so the row
 * stays narrow at any width. New row actions go in this menu.
 */
export function ApiKeyRowActions({
  apiKey,
  actions,
}: {
  apiKey: ApiKeyFieldsFragment;
  actions: ApiKeyRowActionHandlers;
}) {
  const safeguards = useApiKeySafeguards(apiKey.id);
  if (apiKey.status !== ApiKeyStatus.ACTIVE) return null;
  // A key is rolled once: the one that replaced it is the one to roll next.
  const rollable = !safeguards?.replacedBy;
  return (
    <Group gap={4} justify="flex-end" wrap="nowrap">
      <Button
        size="xs"
        variant="subtle"
        color="red"
        aria-label={`Revoke ${apiKey.name}`}
        onClick={() => {
          actions.onRevoke(apiKey);
        }}
      >
        Revoke
      </Button>
      {/* No focus placeholder: a non-item child in role="menu" fails axe's aria-required-children. */}
      <Menu position="bottom-end" withinPortal shadow="md" withInitialFocusPlaceholder={false}>
        <Menu.Target>
          <ActionIcon variant="subtle" color="gray" aria-label={`More actions for ${apiKey.name}`}>
            <IconDots size={16} aria-hidden />
          </ActionIcon>
        </Menu.Target>
        <Menu.Dropdown>
          {rollable ? (
            <Menu.Item
              leftSection={<IconRefresh size={14} aria-hidden />}
              onClick={() => {
                actions.onRoll(apiKey);
              }}
            >
              Roll key
            </Menu.Item>
          ) : null}
          <Menu.Item
            leftSection={<IconWorldWww size={14} aria-hidden />}
            onClick={() => {
              actions.onEditAllowlist(apiKey);
            }}
          >
            IP allowlist
          </Menu.Item>
        </Menu.Dropdown>
      </Menu>
    </Group>
  );
}
