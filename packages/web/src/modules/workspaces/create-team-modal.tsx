import { useMutation } from '@apollo/client/react';
import { Button, Group, Modal, Stack, Text, TextInput } from '@mantine/core';
import { useForm } from '@mantine/form';
import { notifications } from '@mantine/notifications';
import { LIMITS } from '@tally/shared';
import { useNavigate } from 'react-router';
import { fieldErrors } from '../../app/graphql-errors';
import { teamPath } from '../../app/paths';
import { ErrorAlert } from '../../app/ui/error-state';
import { useFormFeedback } from '../../app/ui/form-feedback';
import { CreateTeamDocument } from '../../graphql/generated';
import { addToWorkspaceList } from './workspace-list';
import { workspaceNameProblem } from './workspace-name';

interface CreateTeamModalProps {
  opened: boolean;
  onClose: () => void;
}

export function CreateTeamModal({ opened, onClose }: CreateTeamModalProps) {
  return (
    <Modal
      opened={opened}
      onClose={onClose}
      title="New Team"
      size="md"
      closeButtonProps={{ 'aria-label': 'Close' }}
      styles={{ title: { fontWeight: 650, fontSize: 'var(--mantine-font-size-lg)' } }}
    >
      {/* Inside the dialog's content: every opening starts with an empty form. */}
      <CreateTeamForm onCancel={onClose} />
    </Modal>
  );
}

function CreateTeamForm({ onCancel }: { onCancel: () => void }) {
  const navigate = useNavigate();
  const [createTeam, { loading, error, reset }] = useMutation(CreateTeamDocument, {
    // The selector lists the team at once, and the team's pages find it when they open.
    update(cache, { data }) {
      if (data) addToWorkspaceList(cache, data.createTeam);
    },
  });
  const { announcer, bindForm, focusField, showProblems } = useFormFeedback();
  const form = useForm({
    initialValues: { name: '' },
    validate: { name: (value) => workspaceNameProblem(value, 'team') },
    onValuesChange: () => {
      reset();
    },
  });
  const nameError = fieldErrors(error).name;

  async function handleSubmit({ name }: typeof form.values) {
    try {
      const { data } = await createTeam({ variables: { name: name.trim() } });
      if (!data) return;
      notifications.show({
        color: 'green',
        title: 'Team created',
        message: `You are the Owner of “${data.createTeam.name}”. Invite members from the Members tab.`,
      });
      // The dashboard switches to the new team: the selector shows it, the pages are its pages.
      await navigate(teamPath(data.createTeam.id, 'members'));
    } catch {
      // Shown below from `error` (beside the field when it is about it), and the field gets focus.
      focusField('name');
    }
  }

  return (
    <form
      ref={bindForm}
      onSubmit={form.onSubmit(
        (values) => {
          void handleSubmit(values);
        },
        (errors) => {
          showProblems(errors);
        },
      )}
      noValidate
    >
      {announcer}
      <Stack gap="md">
        <Text size="sm" c="dimmed">
          A team is a shared workspace: its members see the same analytics and API keys. You will be its Owner.
        </Text>
        {error && nameError === undefined ? <ErrorAlert title="Couldn't create the team" error={error} /> : null}
        <TextInput
          label="Team name"
          name="name"
          description="For example your company, project or department."
          required
          withAsterisk={false}
          maxLength={LIMITS.workspaceNameMaxLength}
          {...form.getInputProps('name')}
          error={form.errors.name ?? nameError}
          data-autofocus
        />
        <Group justify="flex-end" gap="sm" mt="xs">
          <Button variant="default" onClick={onCancel}>
            Cancel
          </Button>
          <Button type="submit" loading={loading}>
            Create
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
