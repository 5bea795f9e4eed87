import { useMutation } from '@apollo/client/react';
import { Alert, Anchor, Button, Stack, Text } from '@mantine/core';
import { IconCircleCheck, IconLinkOff } from '@tabler/icons-react';
import { Link, useParams } from 'react-router';
import { fieldErrors } from '../../app/graphql-errors';
import { useSession } from '../../app/session/session-context';
import { ErrorAlert } from '../../app/ui/error-state';
import { ConfirmEmailChangeDocument, MeDocument } from '../../graphql/generated';
import { AuthLayout } from './auth-layout';

/**
 * /confirm-email/:token, the link sent to a new address from the account page. A click
 * confirms it (a mail scanner that opens links clicks nothing), signed in or not.
 */
export function ConfirmEmailPage() {
  const { token = '' } = useParams();
  const session = useSession();
  const signedIn = session.status === 'authenticated';
  const [confirm, { data, loading, error }] = useMutation(ConfirmEmailChangeDocument, {
    refetchQueries: signedIn ? [MeDocument] : [],
  });
  const linkProblem = fieldErrors(error).token;
  const next = signedIn ? '/' : '/login';

  return (
    <AuthLayout title="Confirm your new email" documentTitle="Confirm email">
      <Stack gap="md">
        {data?.confirmEmailChange ? (
          <Alert color="green" variant="light" icon={<IconCircleCheck size={18} aria-hidden />} role="status">
            Your email address is changed. Log in with the new one from now on.{' '}
            <Anchor component={Link} to={next} size="sm" c="inherit" fw={600}>
              {signedIn ? 'Go to Tally' : 'Log in'}
            </Anchor>
          </Alert>
        ) : (
          <>
            {linkProblem !== undefined ? (
              <Alert
                color="red"
                variant="light"
                title="This link doesn't work"
                icon={<IconLinkOff size={18} aria-hidden />}
              >
                {linkProblem}
              </Alert>
            ) : error ? (
              <ErrorAlert
                title="Your email was not changed"
                error={error}
                messages={{ CONFLICT: 'Another account already uses this email address.' }}
              />
            ) : null}
            <Text size="sm">Use this address for your Tally account from now on?</Text>
            <Button loading={loading} onClick={() => void confirm({ variables: { token } }).catch(() => undefined)}>
              Confirm new email
            </Button>
          </>
        )}
      </Stack>
    </AuthLayout>
  );
}
