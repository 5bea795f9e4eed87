import { useQuery } from '@apollo/client/react';
import { Alert } from '@mantine/core';
import { IconShieldCheck } from '@tabler/icons-react';
import { ApiKeyPolicyDocument } from '../../graphql/generated';
import { type KeyPolicy, policySummary } from './api-key-policy-format';

export const NO_POLICY: KeyPolicy = { maxLifetimeDays: null, maxRole: null, requireAllowlist: false };

/**
 * The workspace's key policy, for the dialogs that make keys. `policy` stays null until it is
 * known (callers wait, so no choice is offered that the policy forbids); a failed load falls back
 * to no policy (the server still enforces it).
 */
export function useApiKeyPolicy(workspaceId: string): { policy: KeyPolicy | null } {
  const { data, error } = useQuery(ApiKeyPolicyDocument, {
    variables: { workspaceId },
    fetchPolicy: 'cache-and-network',
  });
  const policy = data?.workspace?.apiKeyPolicy;
  if (policy) return { policy };
  return { policy: error || (data && !data.workspace) ? NO_POLICY : null };
}

/** The policy up front, before the user fills anything in; nothing when it asks nothing. */
export function ApiKeyPolicyNote({ policy }: { policy: KeyPolicy }) {
  const summary = policySummary(policy);
  if (summary === null) return null;
  return (
    <Alert variant="light" color="blue" icon={<IconShieldCheck size={18} aria-hidden />} py="xs">
      {summary}
    </Alert>
  );
}
