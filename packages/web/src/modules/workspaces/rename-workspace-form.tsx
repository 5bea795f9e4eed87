import { useMutation } from '@apollo/client/react';
import { Button, Group, Paper, Stack, Text, TextInput, Title } from '@mantine/core';
import { useForm } from '@mantine/form';
import { notifications } from '@mantine/notifications';
import { LIMITS } from '@tally/shared';
import { ErrorAlert } from '../../app/ui/error-state';
import { useFormFeedback } from '../../app/ui/form-feedback';
import { RenameWorkspaceDocument } from '../../graphql/generated';
import { workspaceNameProblem } from './workspace-name';

interface RenameWorkspaceFormProps {
  workspace: { id: string; name: string };
  headingOrder?: 2 | 3;
}

/** Shown only to callers who hold workspace.manage here (the page decides). */
export function RenameWorkspaceForm({ workspace, headingOrder = 2 }: RenameWorkspaceFormProps) {
  const [renameWorkspace, { loading, error, reset }] = useMutation(RenameWorkspaceDocument);
  const { announcer, bindForm, focusField, showProblems } = useFormFeedback();
  const form = useForm({
    initialValues: { name: workspace.name },
    validate: { name: (value) => workspaceNameProblem(value) },
  });
  const trimmed = form.values.name.trim();

  async function handleSubmit(values: typeof form.values) {
    try {
      // The result ({ id name }) updates this workspace everywhere it is cached, selector included.
      const { data } = await renameWorkspace({ variables: { workspaceId: workspace.id, name: values.name.trim() } });
      if (data) {
        form.setFieldValue('name', data.renameWorkspace.name);
        notifications.show({
          color: 'green',
          title: 'Workspace renamed',
          message: `This workspace is now called “${data.renameWorkspace.name}”.`,
        });
      }
    } catch {
      // Shown below from `error`; the name is the field to fix.
      focusField('name');
    }
  }

  return (
    <Paper withBorder radius="md" p="lg">
      <Stack gap="md">
        <Stack gap={4}>
          <Title order={headingOrder} size="h4">
            Rename workspace
          </Title>
          <Text size="sm" c="dimmed">
            Everyone with access to this workspace sees the new name.
          </Text>
        </Stack>
        {error ? <ErrorAlert title="Couldn't rename the workspace" error={error} /> : null}
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
            <TextInput
              label="Name"
              name="name"
              required
              withAsterisk={false}
              maxLength={LIMITS.workspaceNameMaxLength}
              {...form.getInputProps('name')}
              onChange={(event) => {
                form.setFieldValue('name', event.currentTarget.value);
                reset();
              }}
            />
            <Group justify="flex-end">
              <Button type="submit" loading={loading} disabled={trimmed === workspace.name}>
                Rename
              </Button>
            </Group>
          </Stack>
        </form>
      </Stack>
    </Paper>
  );
}
