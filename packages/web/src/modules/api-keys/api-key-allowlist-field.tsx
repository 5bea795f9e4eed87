import { LIMITS } from '@tally/shared';

export const ALLOWLIST_FIELD_LABEL = 'IP allowlist';

/** What the allowlist field takes, and what an empty one means under the workspace's policy. */
export function AllowlistDescription({ required }: { required: boolean }) {
  return (
    <>
      One IPv4 or IPv6 address or CIDR range per line, at most {LIMITS.apiKeyAllowlistMaxEntries}.{' '}
      {required ? "This workspace's policy requires one." : 'Leave empty to accept the key from any address.'} With a
      list, the key is refused from every other address.
    </>
  );
}
