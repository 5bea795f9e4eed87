import { LIMITS } from '@tally/shared';
import ipaddr from 'ipaddr.js';
import { badInput } from '../../platform/errors';

type Range = [ipaddr.IPv4 | ipaddr.IPv6, number];

/**
 * A key's IP allowlist as given (addresses and CIDR ranges, IPv4 and IPv6), checked and written
 * one way: `10.1.2.3/32` for an address, the range's own first address for a CIDR
 * (`10.1.2.0/24` for `10.1.2.3/24`), IPv4-mapped IPv6 as IPv4. An empty list means no allowlist
 * (any address). A bad entry is BAD_USER_INPUT naming it; duplicates are dropped.
 */
export function normalizeAllowlist(entries: readonly string[] | null | undefined): string[] | null {
  if (!entries || entries.length === 0) return null;
  if (entries.length > LIMITS.apiKeyAllowlistMaxEntries) {
    throw badInput(`An allowlist holds at most ${LIMITS.apiKeyAllowlistMaxEntries} addresses or ranges.`, {
      field: 'allowedIps',
      limit: LIMITS.apiKeyAllowlistMaxEntries,
    });
  }
  const normalized = new Set<string>();
  for (const raw of entries) {
    const entry = raw.trim();
    const range = parseEntry(entry);
    if (!range) {
      throw badInput(
        `"${entry.slice(0, 60)}" is not an IP address or a CIDR range (e.g. 203.0.113.7, 10.0.0.0/8, 2001:db8::/32).`,
        {
          field: 'allowedIps',
          entry: entry.slice(0, 60),
        },
      );
    }
    normalized.add(`${networkOf(range).toString()}/${range[1]}`);
  }
  return [...normalized];
}

function parseEntry(entry: string): Range | null {
  const [text, bitsText, extra] = entry.split('/');
  // Dotted quads only: ipaddr.js would also read "1.2.3" or "0x7f.1" the way inet_aton does.
  if (extra !== undefined || !text || !(ipaddr.IPv4.isValidFourPartDecimal(text) || ipaddr.IPv6.isValid(text))) {
    return null;
  }
  const address = ipaddr.parse(text);
  const max = address.kind() === 'ipv4' ? 32 : 128;
  if (bitsText === undefined) return unmapped([address, max]);
  if (!/^\d{1,3}$/.test(bitsText) || Number(bitsText) > max) return null;
  return unmapped([address, Number(bitsText)]);
}

/** `::ffff:10.0.0.0/104` is `10.0.0.0/8`: the form a request from an IPv4 client is compared in. */
function unmapped([address, bits]: Range): Range {
  if (address.kind() === 'ipv6' && (address as ipaddr.IPv6).isIPv4MappedAddress() && bits >= 96) {
    return [(address as ipaddr.IPv6).toIPv4Address(), bits - 96];
  }
  return [address, bits];
}

function networkOf([address, bits]: Range): ipaddr.IPv4 | ipaddr.IPv6 {
  const bytes = address.toByteArray();
  for (let i = 0; i < bytes.length; i += 1) {
    const keep = Math.max(0, Math.min(8, bits - i * 8));
    bytes[i] = (bytes[i] ?? 0) & ((0xff << (8 - keep)) & 0xff);
  }
  return ipaddr.fromByteArray(bytes);
}

/**
 * Whether an address (as TRUST_PROXY resolved it) is in a normalized allowlist; made once per
 * cached key, so a request pays one parse of its address and a few comparisons.
 */
export function allowlistMatcher(normalized: readonly string[]): (ip: string) => boolean {
  const ranges = normalized.map((cidr) => ipaddr.parseCIDR(cidr));
  return (ip: string) => {
    let address: ipaddr.IPv4 | ipaddr.IPv6;
    try {
      address = ipaddr.process(ip);
    } catch {
      return false;
    }
    return ranges.some((range) => address.kind() === range[0].kind() && address.match(range));
  };
}
