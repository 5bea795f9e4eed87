import { useMutation } from '@apollo/client/react';
import { Alert, Anchor, Button, Stack, Text, TextInput } from '@mantine/core';
import { useForm } from '@mantine/form';
import { IconMailCheck } from '@tabler/icons-react';
import { LIMITS } from '@tally/shared';
import { useEffect, useRef, useState } from 'react';
import { Link } from 'react-router';
import { LOGIN_PATH } from '../../app/paths';
import { ErrorAlert } from '../../app/ui/error-state';
import { useFormFeedback } from '../../app/ui/form-feedback';
import { RequestPasswordResetDocument } from '../../graphql/generated';
import { AuthLayout } from './auth-layout';
import { emailProblem } from './credentials';

const BACK_TO_LOG_IN = (
  <>
    Remembered it?{' '}
    <Anchor component={Link} to={LOGIN_PATH}>
      Log in
    </Anchor>
  </>
);

/**
 * /forgot-password: asks for a reset link by email. The answer is the same whether or not the
 * address has an account (the server's too), so the page cannot be used to find out.
 */
export function ForgotPasswordPage() {
  const [requestReset, { loading, error }] = useMutation(RequestPasswordResetDocument);
  const [sentTo, setSentTo] = useState<string | null>(null);
  const { announcer, bindForm, focusField, showProblems } = useFormFeedback();
  const form = useForm({ initialValues: { email: '' }, validate: { email: emailProblem } });

  async function handleSubmit({ email }: typeof form.values) {
    try {
      const { data } = await requestReset({ variables: { email: email.trim() } });
      if (data?.requestPasswordReset) setSentTo(email.trim());
    } catch {
      // Shown (and announced) below from `error`.
      focusField('email');
    }
  }

  if (sentTo !== null) {
    return (
      <CheckYourEmail
        email={sentTo}
        onAgain={() => {
          setSentTo(null);
        }}
      />
    );
  }

  return (
    <AuthLayout
      title="Reset your password"
      documentTitle="Forgot password"
      subtitle="Enter the email address of your account. We'll send you a link to set a new password."
      footer={BACK_TO_LOG_IN}
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
          {error ? (
            <ErrorAlert
              title="Couldn't send the link"
              error={error}
              messages={{
                RATE_LIMITED: 'Too many reset links were asked for. Please wait a few minutes and try again.',
              }}
            />
          ) : null}
          <TextInput
            label="Email"
            type="email"
            name="email"
            autoComplete="email"
            required
            withAsterisk={false}
            maxLength={LIMITS.emailMaxLength}
            {...form.getInputProps('email')}
            autoFocus
          />
          <Button type="submit" fullWidth loading={loading} mt="xs">
            Send reset link
          </Button>
        </Stack>
      </form>
    </AuthLayout>
  );
}

function CheckYourEmail({ email, onAgain }: { email: string; onAgain: () => void }) {
  const heading = useRef<HTMLDivElement>(null);
  // The form is gone: focus goes to the confirmation, which is read from its start.
  useEffect(() => {
    heading.current?.focus();
  }, []);
  return (
    <AuthLayout title="Check your email" documentTitle="Check your email" footer={BACK_TO_LOG_IN}>
      <Stack gap="md">
        <Alert
          ref={heading}
          tabIndex={-1}
          color="green"
          variant="light"
          icon={<IconMailCheck size={18} aria-hidden />}
          role="status"
          style={{ outline: 'none' }}
        >
          If an account exists for <strong>{email}</strong>, we&apos;ve sent it a link to set a new password. The link
          works for 1 hour and only once.
        </Alert>
        <Text size="sm" c="dimmed">
          No email after a few minutes? Check your spam folder, or make sure you typed the address of your account.
        </Text>
        <Button variant="default" fullWidth onClick={onAgain}>
          Send another link
        </Button>
      </Stack>
    </AuthLayout>
  );
}
