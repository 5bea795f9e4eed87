import { useMutation } from '@apollo/client/react';
import { Alert, Button, Group, Modal, Stack, Text } from '@mantine/core';
import { useForm } from '@mantine/form';
import { IconAlertTriangle } from '@tabler/icons-react';
import { useServerFieldErrors } from '../../app/use-server-field-errors';
import { ErrorAlert } from '../../app/ui/error-state';
import { useFormFeedback } from '../../app/ui/form-feedback';
import { PasswordField } from '../../app/ui/password-field';
import { DeleteAccountDocument } from '../../graphql/generated';

interface DeleteAccountModalProps {
  opened: boolean;
  onClose: () => void;
  /** After the server deleted the account (its sessions are already over). */
  onDeleted: () => void;
}

export function DeleteAccountModal({ opened, onClose, onDeleted }: DeleteAccountModalProps) {
  return (
    <Modal
      opened={opened}
      onClose={onClose}
      title="Delete account"
      size="md"
      closeButtonProps={{ 'aria-label': 'Close' }}
      styles={{ title: { fontWeight: 650, fontSize: 'var(--mantine-font-size-lg)' } }}
    >
      {/* Inside the dialog's content: every opening starts with an empty password. */}
      <DeleteAccountForm onCancel={onClose} onDeleted={onDeleted} />
    </Modal>
  );
}

function DeleteAccountForm({ onCancel, onDeleted }: { onCancel: () => void; onDeleted: () => void }) {
  const [deleteAccount, { loading, error, reset }] = useMutation(DeleteAccountDocument);
  const { announcer, bindForm, showProblems } = useFormFeedback();
  const form = useForm({
    initialValues: { password: '' },
    validate: { password: (value) => (value === '' ? 'Enter your password to confirm.' : null) },
    onValuesChange: () => {
      reset();
    },
  });
  const serverErrors = useServerFieldErrors(form, { onProblems: showProblems });
  const alertError = serverErrors.alertError(error);

  async function handleSubmit({ password }: typeof form.values) {
    try {
      const { data } = await deleteAccount({ variables: { password } });
      if (data?.deleteAccount) onDeleted();
    } catch (caught) {
      serverErrors.apply(caught);
    }
  }

  return (
    <form ref={bindForm} onSubmit={form.onSubmit((values) => void handleSubmit(values), showProblems)} noValidate>
      {announcer}
      <Stack gap="md">
        {alertError ? (
          // LAST_OWNER: the server's words name the teams to hand over or delete first.
          <ErrorAlert title="Your account was not deleted" error={alertError} />
        ) : null}
        <Alert color="red" variant="light" icon={<IconAlertTriangle size={18} aria-hidden />}>
          Deleting your account is permanent: you leave every team, your personal workspace, its API keys and its
          analytics data are deleted, and every device is logged out.
        </Alert>
        <Text size="sm">Enter your password to confirm.</Text>
        <PasswordField
          label="Password"
          autoComplete="current-password"
          required
          withAsterisk={false}
          {...form.getInputProps('password')}
          data-autofocus
        />
        <Group justify="flex-end" gap="sm" mt="xs">
          <Button variant="default" onClick={onCancel}>
            Cancel
          </Button>
          <Button type="submit" color="red" loading={loading}>
            Delete account
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
