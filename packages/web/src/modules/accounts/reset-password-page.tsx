import { useMutation } from '@apollo/client/react';
import { Alert, Anchor, Button, Stack } from '@mantine/core';
import { useForm } from '@mantine/form';
import { IconLinkOff } from '@tabler/icons-react';
import { Link, useNavigate, useParams } from 'react-router';
import { fieldErrors } from '../../app/graphql-errors';
import { FORGOT_PASSWORD_PATH, LOGIN_PATH } from '../../app/paths';
import { useSessionActions } from '../../app/session/session-context';
import { ErrorAlert } from '../../app/ui/error-state';
import { useFormFeedback } from '../../app/ui/form-feedback';
import { ResetPasswordDocument } from '../../graphql/generated';
import { AuthLayout } from './auth-layout';
import { NewPasswordField } from './credential-fields';
import { PASSWORD_RESET_NOTICE, newPasswordProblem } from './credentials';

/**
 * /reset-password/:token, the link in a reset email. Sets a new password; the server then ends
 * every session of the account, so this browser's (if any) ends too, in every tab, and the
 * log-in page says what happened.
 */
export function ResetPasswordPage() {
  const { token = '' } = useParams();
  const navigate = useNavigate();
  const { forgetSession } = useSessionActions();
  const [resetPassword, { loading, error }] = useMutation(ResetPasswordDocument);
  const { announcer, bindForm, focusField, showProblems } = useFormFeedback();
  const form = useForm({ initialValues: { password: '' }, validate: { password: newPasswordProblem } });

  const serverFields = fieldErrors(error);
  const linkProblem = serverFields.token;
  const alertError = error && linkProblem === undefined && serverFields.password === undefined ? error : null;

  async function handleSubmit({ password }: typeof form.values) {
    try {
      const { data } = await resetPassword({ variables: { token, password } });
      if (!data?.resetPassword) return;
      forgetSession();
      await navigate(LOGIN_PATH, { replace: true, state: PASSWORD_RESET_NOTICE });
    } catch (caught) {
      const problem = fieldErrors(caught).password;
      if (problem !== undefined) {
        form.setFieldError('password', problem);
        showProblems({ password: problem });
      } else {
        focusField('password');
      }
    }
  }

  return (
    <AuthLayout
      title="Set a new password"
      documentTitle="Reset password"
      subtitle="Choose a new password for your Tally account. Every device logged in to it will be logged out."
      footer={
        <>
          Remembered it?{' '}
          <Anchor component={Link} to={LOGIN_PATH}>
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
          {linkProblem !== undefined ? (
            <Alert
              color="red"
              variant="light"
              title="This link doesn't work"
              icon={<IconLinkOff size={18} aria-hidden />}
            >
              {linkProblem}{' '}
              <Anchor component={Link} to={FORGOT_PASSWORD_PATH} size="sm" c="inherit" fw={600}>
                Ask for a new link
              </Anchor>
            </Alert>
          ) : null}
          {alertError ? <ErrorAlert title="Couldn't set the new password" error={alertError} /> : null}
          <NewPasswordField label="New password" {...form.getInputProps('password')} autoFocus />
          <Button type="submit" fullWidth loading={loading} mt="xs">
            Set new password
          </Button>
        </Stack>
      </form>
    </AuthLayout>
  );
}
