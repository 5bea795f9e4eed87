import { useMutation } from '@apollo/client/react';
import { Button, Group, Modal, Stack, Text, TextInput } from '@mantine/core';
import { useForm } from '@mantine/form';
import { ANALYTICS_LIMITS, type EventFilter } from '@tally/shared';
import { ErrorAlert } from '../../app/ui/error-state';
import { useFormFeedback } from '../../app/ui/form-feedback';
import { useServerFieldErrors } from '../../app/use-server-field-errors';
import {
  CreateSavedFilterDocument,
  UpdateSavedFilterDocument,
  type SavedFilterFieldsFragment,
} from '../../graphql/generated';
import {
  PropertyConditionsEditor,
  conditionsProblem,
  fromDrafts,
  toDrafts,
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
export function SaveFilterModal({ mode, onClose, ...props }: SaveFilterModalProps) {
  return (
    <Modal
      opened={mode !== null}
      onClose={() => {
        onClose(null);
      }}
      title={mode === 'update' ? 'Edit filter' : 'Save filter'}
    >
      {/* Inside the dialog's content: every opening starts from the filter bar. */}
      <SaveFilterForm mode={mode} onClose={onClose} {...props} />
    </Modal>
  );
}

function SaveFilterForm({ workspaceId, mode, existing, filter, onClose }: SaveFilterModalProps) {
  const [create, created] = useMutation(CreateSavedFilterDocument);
  const [update, updated] = useMutation(UpdateSavedFilterDocument);
  const { announcer, bindForm, showProblems } = useFormFeedback();
  const form = useForm({
    initialValues: { name: existing?.name ?? '', conditions: toDrafts(filter?.properties) },
    validate: {
      name: (value) => (value.trim() ? null : 'Enter a name.'),
      conditions: conditionsProblem,
    },
    onValuesChange: () => {
      created.reset();
      updated.reset();
    },
  });
  const serverErrors = useServerFieldErrors(form, { onProblems: showProblems });
  const alertError = serverErrors.alertError(created.error ?? updated.error);

  async function handleSubmit({ name, conditions }: typeof form.values) {
    const checked = fromDrafts(conditions);
    if ('problem' in checked) return; // Not reached: the form's check said so first.
    const saving: EventFilter = { ...(filter ?? {}), properties: checked.conditions };
    const input = { name: name.trim(), filter: toInput(saving) };
    try {
      const result =
        mode === 'update' && existing
          ? // The page's queries keep their variables (the same saved filter id): asked again.
            (await update({ variables: { workspaceId, savedFilterId: existing.id, input }, refetchQueries: 'active' }))
              .data?.updateSavedFilter
          : (await create({ variables: { workspaceId, input } })).data?.createSavedFilter;
      onClose(result ? { id: result.id, filter: asFilter(result.filter) } : null);
    } catch (caught) {
      serverErrors.apply(caught);
    }
  }

  const problem = form.errors.conditions;
  return (
    <form ref={bindForm} onSubmit={form.onSubmit((values) => void handleSubmit(values), showProblems)} noValidate>
      {announcer}
      <Stack>
        {alertError ? <ErrorAlert error={alertError} title="The filter couldn't be saved" /> : null}
        <Text size="sm" c="dimmed">
          {mode === 'update'
            ? 'Saves the names, types and user IDs now in the filter bar and these property conditions under this name.'
            : 'Saves the names, types and user IDs now in the filter bar and these property conditions, for everyone in this workspace.'}
        </Text>
        <TextInput
          label="Filter name"
          required
          data-autofocus
          maxLength={ANALYTICS_LIMITS.savedFilterNameMaxLength}
          {...form.getInputProps('name')}
        />
        <PropertyConditionsEditor
          drafts={form.values.conditions}
          problem={typeof problem === 'string' ? problem : null}
          onChange={(next) => {
            form.setFieldValue('conditions', next);
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
  );
}
