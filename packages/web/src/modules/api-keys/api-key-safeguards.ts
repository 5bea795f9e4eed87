import { useFragment, useQuery } from '@apollo/client/react';
import {
  ApiKeySafeguardFieldsFragmentDoc,
  type ApiKeySafeguardFieldsFragment,
  ApiKeySafeguardsDocument,
} from '../../graphql/generated';

/**
 * Loads what the key list shows of rolls, allowlists and the key policy, for every key of the
 * workspace. A query of its own beside ApiKeys: each lists up to 200 keys, and both together
 * would cost more than the server's limit. The rows read it from the cache (useApiKeySafeguards).
 */
export function useApiKeySafeguardsList(workspaceId: string, skip: boolean) {
  return useQuery(ApiKeySafeguardsDocument, {
    variables: { workspaceId },
    fetchPolicy: 'cache-and-network',
    skip,
  });
}

/** One key's rolls, allowlist and policy flags, from the cache; null until they are loaded. */
export function useApiKeySafeguards(apiKeyId: string): ApiKeySafeguardFieldsFragment | null {
  const { data, complete } = useFragment({
    fragment: ApiKeySafeguardFieldsFragmentDoc,
    from: { __typename: 'ApiKey', id: apiKeyId },
  });
  return complete ? data : null;
}
