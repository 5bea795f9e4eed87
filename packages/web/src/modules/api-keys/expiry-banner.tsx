import { useQuery } from '@apollo/client/react';
import { Alert, List, Text } from '@mantine/core';
import { IconClockExclamation } from '@tabler/icons-react';
import { ApiKeyStatus } from '@tally/shared';
import { useEffect, useRef } from 'react';
import { useNow } from '../../app/ui/use-now';
import { ApiKeysExpiringSoonDocument } from '../../graphql/generated';
import { formatDateTime, formatRelative } from './api-key-format';

interface ApiKeyExpiryBannerProps {
  workspaceId: string;
  /**
   * Changes whenever the page's list of keys does (a key created, revoked or rolled): the banner
   * then asks again, so it never lists a key the page no longer shows as active.
   */
  listVersion: string;
  /** Whether the reader may roll or create keys here (keys.manage): the advice is theirs to follow. */
  canManage: boolean;
}

/**
 * The API Keys page's banner (issue 22, "Expiry warnings"): active keys that expire within seven
 * days, soonest first, as the server decides (rolled keys, whose end was chosen, are left out).
 * Owners and admins are also emailed seven days and one day before, and at expiry.
 */
export function ApiKeyExpiryBanner({ workspaceId, listVersion, canManage }: ApiKeyExpiryBannerProps) {
  const now = useNow();
  const { data, refetch } = useQuery(ApiKeysExpiringSoonDocument, {
    variables: { workspaceId },
    fetchPolicy: 'cache-and-network',
  });
  const seen = useRef(listVersion);
  useEffect(() => {
    if (seen.current === listVersion) return;
    seen.current = listVersion;
    void refetch();
  }, [listVersion, refetch]);

  const keys = (data?.workspace?.apiKeysExpiringSoon ?? []).filter(
    (key) =>
      key.status === ApiKeyStatus.ACTIVE &&
      key.revokedAt == null &&
      key.expiresAt != null &&
      Date.parse(key.expiresAt) > now,
  );
  if (keys.length === 0) return null;
  const title = keys.length === 1 ? '1 API key expires soon' : `${keys.length} API keys expire soon`;
  return (
    <Alert
      variant="light"
      color="orange"
      title={title}
      icon={<IconClockExclamation size={18} aria-hidden />}
      role="region"
      aria-label={title}
    >
      <List size="sm" spacing={4} mb="xs">
        {keys.map((key) => (
          <List.Item key={key.id}>
            <Text span size="sm" fw={600}>
              {key.name}
            </Text>{' '}
            <Text span size="sm">
              ({key.prefix}…) expires{' '}
              <time dateTime={key.expiresAt ?? ''} title={formatDateTime(key.expiresAt ?? '')}>
                {formatRelative(key.expiresAt ?? '', now)}
              </time>
              , on {formatDateTime(key.expiresAt ?? '')}.
            </Text>
          </List.Item>
        ))}
      </List>
      <Text size="sm">
        {canManage
          ? 'Requests with an expired key are refused. Roll the key or create a new one, and update whatever uses it.'
          : 'Requests with an expired key are refused. An owner or admin of this workspace can roll it or create a new one.'}{' '}
        Owners and admins are emailed 7 days and 1 day before a key expires, and when it has.
      </Text>
    </Alert>
  );
}
