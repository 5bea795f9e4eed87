import { Button, Group, Modal, Stack, Text } from '@mantine/core';
import { useState, type FormEvent } from 'react';
import type { PropertyCondition } from './analytics-params';
import { PropertyConditionsEditor, fromDrafts, toDrafts, type ConditionDraft } from './property-conditions-editor';

export interface ConditionsModalProps {
  opened: boolean;
  conditions: readonly PropertyCondition[];
  /** The conditions to apply; null: cancelled. */
  onClose: (conditions: PropertyCondition[] | null) => void;
}

/** Edits the filter bar's property conditions; applied together when the dialog is done. */
export function ConditionsModal({ opened, conditions, onClose }: ConditionsModalProps) {
  const [drafts, setDrafts] = useState<ConditionDraft[]>(() =>
    conditions.length ? toDrafts(conditions) : [{ key: '', op: 'EQ', value: '' }],
  );
  const [problem, setProblem] = useState<string | null>(null);
  function submit(event: FormEvent) {
    event.preventDefault();
    const checked = fromDrafts(drafts);
    if ('problem' in checked) setProblem(checked.problem);
    else onClose(checked.conditions);
  }
  return (
    <Modal
      opened={opened}
      onClose={() => {
        onClose(null);
      }}
      title="Property conditions"
      size="lg"
    >
      <form onSubmit={submit} noValidate>
        <Stack>
          <Text size="sm" c="dimmed">
            Events match when every condition holds on a top-level key of their properties.
          </Text>
          <PropertyConditionsEditor
            drafts={drafts}
            problem={problem}
            onChange={(next) => {
              setDrafts(next);
              setProblem(null);
            }}
          />
          <Group justify="flex-end">
            <Button
              variant="default"
              onClick={() => {
                onClose(null);
              }}
            >
              Cancel
            </Button>
            <Button type="submit">Apply</Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}
