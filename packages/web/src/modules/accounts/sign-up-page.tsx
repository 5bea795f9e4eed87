import { useMutation } from '@apollo/client/react';
import { Anchor, Button, PasswordInput, Stack, TextInput } from '@mantine/core';
import { LIMITS } from '@tally/shared';
import { useState, type SubmitEvent } from 'react';
import { Link, useLocation } from 'react-router';
import { LOGIN_PATH } from '../../app/paths';
import { useSessionActions } from '../../app/session/session-context';
import { ErrorAlert } from '../../app/ui/error-state';
import { SignUpDocument } from '../../graphql/generated';
import { AuthLayout } from './auth-layout';
import { PASSWORD_HINT, emailProblem, nameProblem, newPasswordProblem } from './credentials';

interface Problems {
  name?: string;
  email?: string;
  password?: string;
}

export function SignUpPage() {
  const location = useLocation();
  // Carries "where to go after logging in" across the log-in and sign-up pages.
  const returnState: unknown = location.state;
  const { startSession } = useSessionActions();
  const [signUp, { loading, error }] = useMutation(SignUpDocument);
  const [name, setName] = useState('');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [problems, setProblems] = useState<Problems>({});

  async function handleSubmit(event: SubmitEvent<HTMLFormElement>) {
    event.preventDefault();
    const next: Problems = {
      name: nameProblem(name) ?? undefined,
      email: emailProblem(email) ?? undefined,
      password: newPasswordProblem(password) ?? undefined,
    };
    setProblems(next);
    if (next.name !== undefined || next.email !== undefined || next.password !== undefined) return;
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
        onSubmit={(event) => {
          void handleSubmit(event);
        }}
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
            value={name}
            onChange={(event) => {
              setName(event.currentTarget.value);
            }}
            error={problems.name}
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
            value={email}
            onChange={(event) => {
              setEmail(event.currentTarget.value);
            }}
            error={problems.email}
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
            value={password}
            onChange={(event) => {
              setPassword(event.currentTarget.value);
            }}
            error={problems.password}
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
