import { useMutation } from '@apollo/client/react';
import { Anchor, Button, Stack, TextInput } from '@mantine/core';
import { LIMITS } from '@tally/shared';
import { useForm } from '@mantine/form';
import { Link, useLocation } from 'react-router';
import { LOGIN_PATH } from '../../app/paths';
import { useSessionActions } from '../../app/session/session-context';
import { ErrorAlert } from '../../app/ui/error-state';
import { useFormFeedback } from '../../app/ui/form-feedback';
import { useServerFieldErrors } from '../../app/use-server-field-errors';
import { SignUpDocument } from '../../graphql/generated';
import { AuthLayout } from './auth-layout';
import { NameField, NewPasswordField } from './credential-fields';
import { emailProblem, nameProblem, newPasswordProblem } from './credentials';

export function SignUpPage() {
  const location = useLocation();
  // Carries "where to go after logging in" across the log-in and sign-up pages.
  const returnState: unknown = location.state;
  const { startSession } = useSessionActions();
  const [signUp, { loading, error }] = useMutation(SignUpDocument);
  const { announcer, bindForm, focusField, showProblems } = useFormFeedback();
  const form = useForm({
    initialValues: { name: '', email: '', password: '' },
    validate: { name: nameProblem, email: emailProblem, password: newPasswordProblem },
  });
  // The server's problems with a field are shown beside that field; the rest in the alert.
  const serverErrors = useServerFieldErrors(form, { onProblems: showProblems });
  const alertError = serverErrors.alertError(error);

  async function handleSubmit({ name, email, password }: typeof form.values) {
    try {
      const { data } = await signUp({ variables: { name: name.trim(), email: email.trim(), password } });
      if (data) startSession(data.signUp);
    } catch (caught) {
      if (!serverErrors.apply(caught)) focusField('email');
    }
  }

  return (
    <AuthLayout
      title="Create your Tally account"
      documentTitle="Sign up"
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
          {alertError ? (
            <ErrorAlert
              title="Couldn't sign up"
              error={alertError}
              messages={{ CONFLICT: 'An account with this email already exists. Log in instead.' }}
            />
          ) : null}
          <NameField {...form.getInputProps('name')} autoFocus />
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
          <NewPasswordField {...form.getInputProps('password')} />
          <Button type="submit" fullWidth loading={loading} mt="xs">
            Sign up
          </Button>
        </Stack>
      </form>
    </AuthLayout>
  );
}
