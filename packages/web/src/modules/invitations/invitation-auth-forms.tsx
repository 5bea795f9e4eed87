import { useMutation } from '@apollo/client/react';
import { PasswordField } from '../../app/ui/password-field';
import { Anchor, Button, Stack, Text, TextInput } from '@mantine/core';
import { useForm } from '@mantine/form';
import { useSessionActions } from '../../app/session/session-context';
import { ErrorAlert } from '../../app/ui/error-state';
import { useFormFeedback } from '../../app/ui/form-feedback';
import { FORGOT_PASSWORD_PATH } from '../../app/paths';
import { Link } from 'react-router';
import { LogInDocument, SignUpDocument } from '../../graphql/generated';
import { NameField, NewPasswordField } from '../accounts/credential-fields';
import { nameProblem, newPasswordProblem } from '../accounts/credentials';

interface InvitationAuthProps {
  /** The invited address: prefilled and fixed, since only it can accept. */
  email: string;
  /** Called once the session has started; accepts the invitation. */
  onSignedIn: () => Promise<void>;
  /** Switches to the other form (log in ↔ sign up). */
  onSwitch: () => void;
}

function InvitedEmail({ email }: { email: string }) {
  return (
    <TextInput
      label="Email"
      type="email"
      name="email"
      autoComplete="username"
      value={email}
      readOnly
      description="The invitation is for this address."
      styles={{ input: { backgroundColor: 'var(--mantine-color-gray-0)' } }}
    />
  );
}

/** Log in as the invited address, then accept. */
export function InvitationLogInForm({ email, onSignedIn, onSwitch }: InvitationAuthProps) {
  const { startSession } = useSessionActions();
  const [logIn, { loading, error }] = useMutation(LogInDocument);
  const { announcer, bindForm, focusField, showProblems } = useFormFeedback();
  const form = useForm({
    initialValues: { password: '' },
    validate: { password: (value) => (value === '' ? 'Enter your password.' : null) },
  });

  async function handleSubmit({ password }: typeof form.values) {
    try {
      const { data } = await logIn({ variables: { email, password } });
      if (!data) return;
      startSession(data.logIn);
      await onSignedIn();
    } catch {
      // Shown (and announced) below from `error`.
      focusField('password');
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
        <Text size="sm">Log in to accept the invitation.</Text>
        {error ? (
          <ErrorAlert
            title="Couldn't log in"
            error={error}
            messages={{ UNAUTHENTICATED: 'Invalid email or password.' }}
          />
        ) : null}
        <InvitedEmail email={email} />
        <PasswordField
          label="Password"
          name="password"
          autoComplete="current-password"
          required
          withAsterisk={false}
          {...form.getInputProps('password')}
          autoFocus
        />
        <Anchor component={Link} to={FORGOT_PASSWORD_PATH} size="sm" ta="right">
          Forgot password?
        </Anchor>
        <Button type="submit" fullWidth loading={loading}>
          Log in
        </Button>
        <Text size="sm" c="dimmed" ta="center">
          No account for this address yet?{' '}
          <Anchor component="button" type="button" size="sm" onClick={onSwitch}>
            Sign up instead
          </Anchor>
        </Text>
      </Stack>
    </form>
  );
}

/** Create an account for the invited address, then accept. */
export function InvitationSignUpForm({ email, onSignedIn, onSwitch }: InvitationAuthProps) {
  const { startSession } = useSessionActions();
  const [signUp, { loading, error }] = useMutation(SignUpDocument);
  const { announcer, bindForm, focusField, showProblems } = useFormFeedback();
  const form = useForm({
    initialValues: { name: '', password: '' },
    validate: { name: nameProblem, password: newPasswordProblem },
  });

  async function handleSubmit({ name, password }: typeof form.values) {
    try {
      const { data } = await signUp({ variables: { name: name.trim(), email, password } });
      if (!data) return;
      startSession(data.signUp);
      await onSignedIn();
    } catch {
      // Shown (and announced) below from `error`.
      focusField('password');
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
        <Text size="sm">
          Create your Tally account to accept the invitation. You also get a private personal workspace.
        </Text>
        {error ? (
          <ErrorAlert
            title="Couldn't sign up"
            error={error}
            messages={{ CONFLICT: 'An account with this email already exists. Log in instead.' }}
          />
        ) : null}
        <NameField {...form.getInputProps('name')} autoFocus />
        <InvitedEmail email={email} />
        <NewPasswordField {...form.getInputProps('password')} />
        <Button type="submit" fullWidth loading={loading}>
          Sign up
        </Button>
        <Text size="sm" c="dimmed" ta="center">
          Already have an account?{' '}
          <Anchor component="button" type="button" size="sm" onClick={onSwitch}>
            Log in instead
          </Anchor>
        </Text>
      </Stack>
    </form>
  );
}
