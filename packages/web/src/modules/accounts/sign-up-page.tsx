import { useMutation } from '@apollo/client/react';
import { Anchor, Button, PasswordInput, Stack, TextInput } from '@mantine/core';
import { LIMITS } from '@tally/shared';
import { useForm } from '@mantine/form';
import { Link, useLocation } from 'react-router';
import { LOGIN_PATH } from '../../app/paths';
import { useSessionActions } from '../../app/session/session-context';
import { ErrorAlert } from '../../app/ui/error-state';
import { SignUpDocument } from '../../graphql/generated';
import { AuthLayout } from './auth-layout';
import { PASSWORD_HINT, emailProblem, nameProblem, newPasswordProblem } from './credentials';

export function SignUpPage() {
  const location = useLocation();
  // Carries "where to go after logging in" across the log-in and sign-up pages.
  const returnState: unknown = location.state;
  const { startSession } = useSessionActions();
  const [signUp, { loading, error }] = useMutation(SignUpDocument);
  const form = useForm({
    initialValues: { name: '', email: '', password: '' },
    validate: { name: nameProblem, email: emailProblem, password: newPasswordProblem },
    // Problems stay until the next attempt.
    clearInputErrorOnChange: false,
  });

  async function handleSubmit({ name, email, password }: typeof form.values) {
    try {
      const { data } = await signUp({ variables: { name: name.trim(), email: email.trim(), password } });
      if (data) startSession(data.signUp);
    } catch {
      // Shown below from `error`.
    }
  }

  return (
    <AuthLayout
      title="Create your Tally account"
      subtitle="You get a personal workspace right away; create or join teams later."
      footer={
        <>
          Already have an account?{' '}
          <Anchor component={Link} to={LOGIN_PATH} state={returnState}>
            Log in
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
          {error ? (
            <ErrorAlert
              title="Couldn't sign up"
              error={error}
              messages={{ CONFLICT: 'An account with this email already exists. Log in instead.' }}
            />
          ) : null}
          <TextInput
            label="Name"
            name="name"
            autoComplete="name"
            required
            withAsterisk={false}
            maxLength={LIMITS.userNameMaxLength}
            {...form.getInputProps('name')}
            autoFocus
          />
          <TextInput
            label="Email"
            type="email"
            name="email"
            autoComplete="email"
            required
            withAsterisk={false}
            maxLength={LIMITS.emailMaxLength}
            {...form.getInputProps('email')}
          />
          <PasswordInput
            label="Password"
            name="password"
            description={PASSWORD_HINT}
            autoComplete="new-password"
            required
            withAsterisk={false}
            minLength={LIMITS.passwordMinLength}
            maxLength={LIMITS.passwordMaxLength}
            {...form.getInputProps('password')}
            visibilityToggleButtonProps={{ 'aria-label': 'Show or hide the characters' }}
          />
          <Button type="submit" fullWidth loading={loading} mt="xs">
            Sign up
          </Button>
        </Stack>
      </form>
    </AuthLayout>
  );
}
