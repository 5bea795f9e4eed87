import { useMutation } from '@apollo/client/react';
import { Button, Group, Modal, Stack, Text, TextInput } from '@mantine/core';
import { ANALYTICS_LIMITS, type EventFilter } from '@tally/shared';
import { useState, type FormEvent } from 'react';
import { ErrorAlert } from '../../app/ui/error-state';
import {
  CreateSavedFilterDocument,
  UpdateSavedFilterDocument,
  type SavedFilterFieldsFragment,
} from '../../graphql/generated';
import {
  PropertyConditionsEditor,
  fromDrafts,
  toDrafts,
  type ConditionDraft,
} from '../analytics/property-conditions-editor';
import { asFilter, toInput } from './saved-filter-values';

export interface SaveFilterModalProps {
  workspaceId: string;
  mode: 'create' | 'update' | null;
  existing: SavedFilterFieldsFragment | null;
  filter: EventFilter | null;
  onClose: (saved: { id: string; filter: EventFilter } | null) => void;
}

/** Names a filter and edits its property conditions; the lists come from the filter bar. */
export function SaveFilterModal({ workspaceId, mode, existing, filter, onClose }: SaveFilterModalProps) {
  const [name, setName] = useState(existing?.name ?? '');
  const [nameError, setNameError] = useState<string | null>(null);
  const [drafts, setDrafts] = useState<ConditionDraft[]>(() => toDrafts(filter?.properties));
  const [problem, setProblem] = useState<string | null>(null);
  const [create, created] = useMutation(CreateSavedFilterDocument);
  const [update, updated] = useMutation(UpdateSavedFilterDocument);
  const error = created.error ?? updated.error;

  async function submit(event: FormEvent) {
    event.preventDefault();
    const trimmed = name.trim();
    if (!trimmed) {
      setNameError('Enter a name.');
      return;
    }
    const checked = fromDrafts(drafts);
    if ('problem' in checked) {
      setProblem(checked.problem);
      return;
    }
    const saving: EventFilter = { ...(filter ?? {}), properties: checked.conditions };
    const input = { name: trimmed, filter: toInput(saving) };
    try {
      const result =
        mode === 'update' && existing
          ? // The page's queries keep their variables (the same saved filter id): asked again.
            (await update({ variables: { workspaceId, savedFilterId: existing.id, input }, refetchQueries: 'active' }))
              .data?.updateSavedFilter
          : (await create({ variables: { workspaceId, input } })).data?.createSavedFilter;
      onClose(result ? { id: result.id, filter: asFilter(result.filter) } : null);
    } catch {
      // Shown by <ErrorAlert>.
    }
  }

  return (
    <Modal
      opened={mode !== null}
      onClose={() => {
        onClose(null);
      }}
      title={mode === 'update' ? 'Edit filter' : 'Save filter'}
    >
      <form onSubmit={(e) => void submit(e)} noValidate>
        <Stack>
          {error ? <ErrorAlert error={error} title="The filter couldn't be saved" /> : null}
          <Text size="sm" c="dimmed">
            {mode === 'update'
              ? 'Saves the names, types and user IDs now in the filter bar and these property conditions under this name.'
              : 'Saves the names, types and user IDs now in the filter bar and these property conditions, for everyone in this workspace.'}
          </Text>
          <TextInput
            label="Filter name"
            required
            data-autofocus
            value={name}
            maxLength={ANALYTICS_LIMITS.savedFilterNameMaxLength}
            error={nameError}
            onChange={(e) => {
              setName(e.currentTarget.value);
              setNameError(null);
            }}
          />
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
            <Button type="submit" loading={created.loading || updated.loading}>
              {mode === 'update' ? 'Save changes' : 'Save'}
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}
