import { useMutation, useQuery } from '@apollo/client/react';
import { Alert, Box, Button, Group, Paper, SimpleGrid, Stack, Text, TextInput, Title } from '@mantine/core';
import { useForm } from '@mantine/form';
import { notifications } from '@mantine/notifications';
import { IconMailForward, IconTrash } from '@tabler/icons-react';
import { LIMITS } from '@tally/shared';
import { type ReactNode, useId, useState } from 'react';
import { useNavigate } from 'react-router';
import { LOGIN_PATH } from '../../app/paths';
import { useCurrentUser, useSessionActions } from '../../app/session/session-context';
import { useServerFieldErrors } from '../../app/use-server-field-errors';
import { ErrorAlert } from '../../app/ui/error-state';
import { useFormFeedback } from '../../app/ui/form-feedback';
import { PageHeader } from '../../app/ui/page-header';
import { PasswordField } from '../../app/ui/password-field';
import {
  ChangePasswordDocument,
  MeDocument,
  RequestEmailChangeDocument,
  UpdateProfileDocument,
} from '../../graphql/generated';
import { NameField, NewPasswordField } from './credential-fields';
import { emailProblem, nameProblem, newPasswordProblem } from './credentials';
import { DeleteAccountModal } from './delete-account-modal';

function currentPasswordProblem(value: string): string | null {
  return value === '' ? 'Enter your current password.' : null;
}

/** A titled section holding one form, named by its title (browser tests find it so). */
function Section({ title, description, children }: { title: string; description: ReactNode; children: ReactNode }) {
  const id = useId();
  return (
    <Paper withBorder radius="md" p="lg" component="section" aria-labelledby={id}>
      <Stack gap="md">
        <Stack gap={4}>
          <Title order={2} size="h4" id={id}>
            {title}
          </Title>
          <Text size="sm" c="dimmed">
            {description}
          </Text>
        </Stack>
        {children}
      </Stack>
    </Paper>
  );
}

/**
 * The account page, from the user menu: name, email (confirmed by a link to the new address),
 * password (the current one required; every other session ends) and deleting the account.
 */
export function AccountPage() {
  const sessionUser = useCurrentUser();
  const { data } = useQuery(MeDocument);
  const user = data?.me ?? sessionUser;
  return (
    <>
      <PageHeader title="Account" description="Your name, email address and password on Tally." />
      <Stack gap="lg" maw={720}>
        <NameSection key={user.id} name={user.name} />
        <EmailSection email={user.email} />
        <PasswordSection />
        <DeleteSection />
      </Stack>
    </>
  );
}

function NameSection({ name }: { name: string }) {
  const [updateProfile, { loading, error, reset }] = useMutation(UpdateProfileDocument);
  const { announcer, bindForm, showProblems } = useFormFeedback();
  const form = useForm({ initialValues: { name }, validate: { name: nameProblem } });
  const serverErrors = useServerFieldErrors(form, { onProblems: showProblems });
  const alertError = serverErrors.alertError(error);

  async function handleSubmit(values: typeof form.values) {
    try {
      // The answer updates the user everywhere it is cached (the user menu too).
      const { data } = await updateProfile({ variables: { name: values.name.trim() } });
      if (!data) return;
      form.setValues({ name: data.updateProfile.name });
      notifications.show({
        color: 'green',
        title: 'Name changed',
        message: `You are now “${data.updateProfile.name}”.`,
      });
    } catch (caught) {
      serverErrors.apply(caught);
    }
  }

  return (
    <Section title="Name" description="Shown to the members of your teams and in their audit logs.">
      <form
        ref={bindForm}
        aria-label="Change name"
        onSubmit={form.onSubmit((values) => void handleSubmit(values), showProblems)}
        noValidate
      >
        {announcer}
        <Stack gap="md">
          {alertError ? <ErrorAlert title="Your name was not changed" error={alertError} /> : null}
          <NameField
            {...form.getInputProps('name')}
            onChange={(event) => {
              form.setFieldValue('name', event.currentTarget.value);
              reset();
            }}
          />
          <Group justify="flex-end">
            <Button type="submit" loading={loading} disabled={form.values.name.trim() === name}>
              Save name
            </Button>
          </Group>
        </Stack>
      </form>
    </Section>
  );
}

function EmailSection({ email }: { email: string }) {
  const [requestEmailChange, { loading, error, reset }] = useMutation(RequestEmailChangeDocument);
  const { announcer, bindForm, showProblems } = useFormFeedback();
  const form = useForm({
    initialValues: { newEmail: '', currentPassword: '' },
    validate: { newEmail: emailProblem, currentPassword: currentPasswordProblem },
    onValuesChange: () => {
      reset();
    },
  });
  const serverErrors = useServerFieldErrors(form, { onProblems: showProblems });
  const alertError = serverErrors.alertError(error);
  const [sentTo, setSentTo] = useState<string | null>(null);

  async function handleSubmit(values: typeof form.values) {
    const newEmail = values.newEmail.trim().toLowerCase();
    try {
      const { data } = await requestEmailChange({
        variables: { newEmail, currentPassword: values.currentPassword },
      });
      if (!data?.requestEmailChange) return;
      form.reset();
      setSentTo(newEmail);
    } catch (caught) {
      serverErrors.apply(caught);
    }
  }

  return (
    <Section
      title="Email"
      description={
        <>
          You log in with <b>{email}</b>. A new address is used once you open the link we send to it.
        </>
      }
    >
      {sentTo ? (
        <Alert color="blue" variant="light" icon={<IconMailForward size={18} aria-hidden />} role="status">
          We sent a link to <b>{sentTo}</b>. Your email changes to it when you open the link (within 24 hours); until
          then you keep logging in with {email}.
        </Alert>
      ) : null}
      <form
        ref={bindForm}
        aria-label="Change email"
        onSubmit={form.onSubmit((values) => void handleSubmit(values), showProblems)}
        noValidate
      >
        {announcer}
        <Stack gap="md">
          {alertError ? (
            <ErrorAlert
              title="Couldn't change your email"
              error={alertError}
              messages={{ CONFLICT: 'Another account already uses this email address.' }}
            />
          ) : null}
          <SimpleGrid cols={{ base: 1, sm: 2 }} spacing="md">
            <TextInput
              label="New email"
              type="email"
              autoComplete="email"
              required
              withAsterisk={false}
              maxLength={LIMITS.emailMaxLength}
              {...form.getInputProps('newEmail')}
            />
            <PasswordField
              label="Current password"
              autoComplete="current-password"
              required
              withAsterisk={false}
              {...form.getInputProps('currentPassword')}
            />
          </SimpleGrid>
          <Group justify="flex-end">
            <Button type="submit" loading={loading}>
              Send confirmation link
            </Button>
          </Group>
        </Stack>
      </form>
    </Section>
  );
}

function PasswordSection() {
  const [changePassword, { loading, error, reset }] = useMutation(ChangePasswordDocument);
  const { announcer, bindForm, showProblems } = useFormFeedback();
  const form = useForm({
    initialValues: { currentPassword: '', newPassword: '' },
    validate: { currentPassword: currentPasswordProblem, newPassword: newPasswordProblem },
    onValuesChange: () => {
      reset();
    },
  });
  const serverErrors = useServerFieldErrors(form, { onProblems: showProblems });
  const alertError = serverErrors.alertError(error);

  async function handleSubmit(values: typeof form.values) {
    try {
      const { data } = await changePassword({ variables: values });
      if (!data?.changePassword) return;
      form.reset();
      notifications.show({
        color: 'green',
        title: 'Password changed',
        message: 'Every other device logged in to your account was logged out. This one stays logged in.',
      });
    } catch (caught) {
      serverErrors.apply(caught);
    }
  }

  return (
    <Section title="Password" description="Changing it logs you out on every other device.">
      <form
        ref={bindForm}
        aria-label="Change password"
        onSubmit={form.onSubmit((values) => void handleSubmit(values), showProblems)}
        noValidate
      >
        {announcer}
        <Stack gap="md">
          {alertError ? <ErrorAlert title="Your password was not changed" error={alertError} /> : null}
          <SimpleGrid cols={{ base: 1, sm: 2 }} spacing="md">
            <PasswordField
              label="Current password"
              autoComplete="current-password"
              required
              withAsterisk={false}
              {...form.getInputProps('currentPassword')}
            />
            <NewPasswordField label="New password" name="newPassword" {...form.getInputProps('newPassword')} />
          </SimpleGrid>
          <Group justify="flex-end">
            <Button type="submit" loading={loading}>
              Change password
            </Button>
          </Group>
        </Stack>
      </form>
    </Section>
  );
}

function DeleteSection() {
  const [opened, setOpened] = useState(false);
  const navigate = useNavigate();
  const { forgetSession } = useSessionActions();
  return (
    <Paper
      withBorder
      radius="md"
      p="lg"
      component="section"
      aria-labelledby="account-danger-zone"
      style={{ borderColor: 'var(--mantine-color-red-4)' }}
    >
      <Stack gap="md">
        <Title order={2} size="h4" id="account-danger-zone" c="red">
          Danger Zone
        </Title>
        <Group justify="space-between" align="center" gap="md">
          <Box maw={480}>
            <Text size="sm" fw={600}>
              Delete your account
            </Text>
            <Text size="sm" c="dimmed">
              You leave every team, your personal workspace and its analytics are deleted, and you are logged out
              everywhere. The last owner of a team must hand it over or delete it first.
            </Text>
          </Box>
          <Button
            color="red"
            variant="outline"
            leftSection={<IconTrash size={16} aria-hidden />}
            onClick={() => {
              setOpened(true);
            }}
          >
            Delete account
          </Button>
        </Group>
      </Stack>
      <DeleteAccountModal
        opened={opened}
        onClose={() => {
          setOpened(false);
        }}
        onDeleted={() => {
          forgetSession();
          notifications.show({ color: 'green', title: 'Account deleted', message: 'Your Tally account is gone.' });
          void navigate(LOGIN_PATH, { replace: true });
        }}
      />
    </Paper>
  );
}
