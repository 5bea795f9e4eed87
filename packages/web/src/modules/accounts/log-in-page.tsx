import { useMutation } from '@apollo/client/react';
import { Alert, Anchor, Button, PasswordInput, Stack, TextInput } from '@mantine/core';
import { useForm } from '@mantine/form';
import { Link, useLocation } from 'react-router';
import { SIGNUP_PATH } from '../../app/paths';
import { sessionExpired } from '../../app/session/route-guards';
import { useSessionActions } from '../../app/session/session-context';
import { ErrorAlert } from '../../app/ui/error-state';
import { LogInDocument } from '../../graphql/generated';
import { AuthLayout } from './auth-layout';
import { emailProblem } from './credentials';

export function LogInPage() {
  const location = useLocation();
  // Carries "where to go after logging in" across the log-in and sign-up pages.
  const returnState: unknown = location.state;
  const { startSession } = useSessionActions();
  const [logIn, { loading, error }] = useMutation(LogInDocument);
  const form = useForm({
    initialValues: { email: '', password: '' },
    validate: {
      email: emailProblem,
      password: (value) => (value === '' ? 'Enter your password.' : null),
    },
    // Problems stay until the next attempt.
    clearInputErrorOnChange: false,
  });

  async function handleSubmit({ email, password }: typeof form.values) {
    try {
      const { data } = await logIn({ variables: { email: email.trim(), password } });
      // PublicOnly sends the new session on to the page that asked for it.
      if (data) startSession(data.logIn);
    } catch {
      // Shown below from `error`.
    }
  }

  return (
    <AuthLayout
      title="Log in to Tally"
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
        onSubmit={form.onSubmit((values) => {
          void handleSubmit(values);
        })}
        noValidate
      >
        <Stack gap="md">
          {sessionExpired(location) && !error ? (
            <Alert color="blue" variant="light">
              Your session has expired. Please log in again.
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
          <PasswordInput
            label="Password"
            name="password"
            autoComplete="current-password"
            required
            withAsterisk={false}
            {...form.getInputProps('password')}
            visibilityToggleButtonProps={{ 'aria-label': 'Show or hide the characters' }}
          />
          <Button type="submit" fullWidth loading={loading} mt="xs">
            Log in
          </Button>
        </Stack>
      </form>
    </AuthLayout>
  );
}
