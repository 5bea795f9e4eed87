import { useMutation } from '@apollo/client/react';
import { PasswordField } from '../../app/ui/password-field';
import { Alert, Anchor, Button, Group, Stack, TextInput } from '@mantine/core';
import { useForm } from '@mantine/form';
import { IconCircleCheck } from '@tabler/icons-react';
import { Link, useLocation } from 'react-router';
import { FORGOT_PASSWORD_PATH, SIGNUP_PATH } from '../../app/paths';
import { sessionExpired } from '../../app/session/route-guards';
import { useSessionActions } from '../../app/session/session-context';
import { ErrorAlert } from '../../app/ui/error-state';
import { useFormFeedback } from '../../app/ui/form-feedback';
import { LogInDocument } from '../../graphql/generated';
import { AuthLayout } from './auth-layout';
import { emailProblem, passwordWasReset } from './credentials';

export function LogInPage() {
  const location = useLocation();
  // Carries "where to go after logging in" across the log-in and sign-up pages.
  const returnState: unknown = location.state;
  const { startSession } = useSessionActions();
  const [logIn, { loading, error }] = useMutation(LogInDocument);
  const { announcer, bindForm, focusField, showProblems } = useFormFeedback();
  const form = useForm({
    initialValues: { email: '', password: '' },
    validate: {
      email: emailProblem,
      password: (value) => (value === '' ? 'Enter your password.' : null),
    },
  });

  async function handleSubmit({ email, password }: typeof form.values) {
    try {
      const { data } = await logIn({ variables: { email: email.trim(), password } });
      // PublicOnly sends the new session on to the page that asked for it.
      if (data) startSession(data.logIn);
    } catch {
      // Shown (and announced) below from `error`; the password is the field to fix.
      focusField('password');
    }
  }

  const notice = passwordWasReset(location)
    ? 'Your password has been changed and every session of your account has ended. Log in with your new password.'
    : sessionExpired(location)
      ? 'Your session has expired. Please log in again.'
      : null;

  return (
    <AuthLayout
      title="Log in to Tally"
      documentTitle="Log in"
      subtitle="Welcome back. Enter your email and password."
      footer={
        <>
          Don&apos;t have an account?{' '}
          <Anchor component={Link} to={SIGNUP_PATH} state={returnState}>
            Sign up
          </Anchor>
        </>
      }
    >
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
          {notice && !error ? (
            <Alert
              color={passwordWasReset(location) ? 'green' : 'blue'}
              variant="light"
              role="status"
              icon={passwordWasReset(location) ? <IconCircleCheck size={18} aria-hidden /> : undefined}
            >
              {notice}
            </Alert>
          ) : null}
          {error ? (
            <ErrorAlert
              title="Couldn't log in"
              error={error}
              messages={{ UNAUTHENTICATED: 'Invalid email or password.' }}
            />
          ) : null}
          <TextInput
            label="Email"
            type="email"
            name="email"
            autoComplete="email"
            required
            withAsterisk={false}
            {...form.getInputProps('email')}
            autoFocus
          />
          <Stack gap={6}>
            <PasswordField
              label="Password"
              name="password"
              autoComplete="current-password"
              required
              withAsterisk={false}
              {...form.getInputProps('password')}
            />
            <Group justify="flex-end">
              <Anchor component={Link} to={FORGOT_PASSWORD_PATH} size="sm">
                Forgot password?
              </Anchor>
            </Group>
          </Stack>
          <Button type="submit" fullWidth loading={loading} mt="xs">
            Log in
          </Button>
        </Stack>
      </form>
    </AuthLayout>
  );
}
