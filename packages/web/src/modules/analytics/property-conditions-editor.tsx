import { ActionIcon, Button, Group, Select, Stack, Text, TextInput } from '@mantine/core';
import { IconPlus, IconX } from '@tabler/icons-react';
import { ANALYTICS_LIMITS, PropertyOp } from '@tally/shared';
import type { PropertyCondition } from './analytics-params';

/** A condition being edited: the value is text even for EXISTS (then unused). */
export interface ConditionDraft {
  key: string;
  op: PropertyOp;
  value: string;
}

export const OP_LABELS: Record<PropertyOp, string> = {
  [PropertyOp.EQ]: 'is',
  [PropertyOp.NEQ]: 'is not',
  [PropertyOp.CONTAINS]: 'contains',
  [PropertyOp.EXISTS]: 'exists',
};

/** "plan is pro", "beta exists": a condition as the filter bar lists it. */
export function describeCondition(condition: PropertyCondition): string {
  const op = OP_LABELS[condition.op];
  return condition.op === PropertyOp.EXISTS
    ? `${condition.key} ${op}`
    : `${condition.key} ${op} "${condition.value ?? ''}"`;
}

export function toDrafts(conditions: readonly PropertyCondition[] | null | undefined): ConditionDraft[] {
  return (conditions ?? []).map((c) => ({ key: c.key, op: c.op, value: c.value ?? '' }));
}

/** Property conditions from drafts, or the first problem (rows counted from 1). */
export function fromDrafts(
  drafts: readonly ConditionDraft[],
): { conditions: PropertyCondition[] } | { problem: string } {
  const conditions: PropertyCondition[] = [];
  for (const [index, draft] of drafts.entries()) {
    const key = draft.key.trim();
    if (!key) return { problem: `Condition ${String(index + 1)}: enter the property's name.` };
    if (draft.op === PropertyOp.EXISTS) conditions.push({ key, op: draft.op });
    else if (!draft.value) return { problem: `Condition ${String(index + 1)}: enter the value to compare with.` };
    else conditions.push({ key, op: draft.op, value: draft.value });
  }
  return { conditions };
}

/** The drafts' first problem, or null: the check of a form holding them (@mantine/form). */
export function conditionsProblem(drafts: readonly ConditionDraft[]): string | null {
  const checked = fromDrafts(drafts);
  return 'problem' in checked ? checked.problem : null;
}

interface PropertyConditionsEditorProps {
  drafts: ConditionDraft[];
  onChange: (drafts: ConditionDraft[]) => void;
  problem?: string | null;
}

/** Rows of property conditions (top-level keys of an event's properties): add, change, remove. */
export function PropertyConditionsEditor({ drafts, onChange, problem = null }: PropertyConditionsEditorProps) {
  const change = (index: number, patch: Partial<ConditionDraft>) => {
    onChange(drafts.map((d, i) => (i === index ? { ...d, ...patch } : d)));
  };
  return (
    <Stack gap="xs" role="group" aria-label="Property conditions">
      {drafts.length === 0 ? (
        <Text size="sm" c="dimmed">
          No property conditions: events match whatever their properties.
        </Text>
      ) : null}
      {drafts.map((draft, index) => {
        const n = String(index + 1);
        return (
          <Group key={index} gap="xs" align="flex-end" wrap="nowrap">
            <TextInput
              label={`Property ${n}`}
              placeholder="plan"
              value={draft.key}
              maxLength={200}
              onChange={(e) => {
                change(index, { key: e.currentTarget.value });
              }}
              w={150}
            />
            <Select
              label={`Condition ${n}`}
              data={Object.values(PropertyOp).map((op) => ({ value: op, label: OP_LABELS[op] }))}
              value={draft.op}
              allowDeselect={false}
              onChange={(op) => {
                const chosen = Object.values(PropertyOp).find((o) => o === op);
                if (chosen) change(index, { op: chosen });
              }}
              w={120}
            />
            <TextInput
              label={`Value ${n}`}
              placeholder={draft.op === PropertyOp.EXISTS ? 'Not needed' : 'pro'}
              value={draft.op === PropertyOp.EXISTS ? '' : draft.value}
              disabled={draft.op === PropertyOp.EXISTS}
              maxLength={1000}
              onChange={(e) => {
                change(index, { value: e.currentTarget.value });
              }}
              w={150}
            />
            <ActionIcon
              variant="subtle"
              color="gray"
              size="lg"
              aria-label={`Remove condition ${n}`}
              onClick={() => {
                onChange(drafts.filter((_, i) => i !== index));
              }}
            >
              <IconX size={16} aria-hidden />
            </ActionIcon>
          </Group>
        );
      })}
      {problem ? (
        <Text size="sm" c="red" role="alert">
          {problem}
        </Text>
      ) : null}
      <Group>
        <Button
          variant="default"
          size="xs"
          leftSection={<IconPlus size={14} aria-hidden />}
          disabled={drafts.length >= ANALYTICS_LIMITS.filterProperties}
          onClick={() => {
            onChange([...drafts, { key: '', op: PropertyOp.EQ, value: '' }]);
          }}
        >
          Add condition
        </Button>
      </Group>
    </Stack>
  );
}
