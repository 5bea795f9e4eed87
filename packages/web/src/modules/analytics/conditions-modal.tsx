import { Button, Group, Modal, Stack, Text } from '@mantine/core';
import { useForm } from '@mantine/form';
import type { PropertyCondition } from './analytics-params';
import {
  PropertyConditionsEditor,
  conditionsProblem,
  fromDrafts,
  toDrafts,
  type ConditionDraft,
} from './property-conditions-editor';

export interface ConditionsModalProps {
  opened: boolean;
  conditions: readonly PropertyCondition[];
  /** The conditions to apply; null: cancelled. */
  onClose: (conditions: PropertyCondition[] | null) => void;
}

/** Edits the filter bar's property conditions; applied together when the dialog is done. */
export function ConditionsModal({ opened, conditions, onClose }: ConditionsModalProps) {
  const form = useForm<{ drafts: ConditionDraft[] }>({
    initialValues: { drafts: conditions.length ? toDrafts(conditions) : [{ key: '', op: 'EQ', value: '' }] },
    validate: { drafts: conditionsProblem },
  });
  const problem = form.errors.drafts;
  return (
    <Modal
      opened={opened}
      onClose={() => {
        onClose(null);
      }}
      title="Property conditions"
      size="lg"
    >
      <form
        onSubmit={form.onSubmit(({ drafts }) => {
          const checked = fromDrafts(drafts);
          if (!('problem' in checked)) onClose(checked.conditions);
        })}
        noValidate
      >
        <Stack>
          <Text size="sm" c="dimmed">
            Events match when every condition holds on a top-level key of their properties.
          </Text>
          <PropertyConditionsEditor
            drafts={form.values.drafts}
            problem={typeof problem === 'string' ? problem : null}
            onChange={(next) => {
              form.setFieldValue('drafts', next);
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
