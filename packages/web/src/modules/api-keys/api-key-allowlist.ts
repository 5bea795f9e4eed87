import { LIMITS } from '@tally/shared';

/**
 * An IP allowlist as typed: one address or CIDR range per line (commas and spaces separate too),
 * blanks dropped. The server normalizes and checks the entries again; this only catches the
 * obvious mistakes before a round trip.
 */
export function parseAllowlist(text: string): string[] {
  return text
    .split(/[\s,]+/)
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
}

/** An allowlist as the textarea shows it: one entry per line. */
export function allowlistText(entries: readonly string[] | null | undefined): string {
  return (entries ?? []).join('\n');
}

function isIpv4(text: string): boolean {
  const parts = text.split('.');
  return parts.length === 4 && parts.every((part) => /^\d{1,3}$/.test(part) && Number(part) <= 255);
}

function isIpv6(text: string): boolean {
  if (!/^[0-9A-Fa-f:.]+$/.test(text) || !text.includes(':')) return false;
  let groups = text;
  let extra = 0;
  // An IPv4 tail (::ffff:10.0.0.1) stands for two groups.
  const lastColon = text.lastIndexOf(':');
  const tail = text.slice(lastColon + 1);
  if (tail.includes('.')) {
    if (!isIpv4(tail)) return false;
    groups = `${text.slice(0, lastColon + 1)}0`;
    extra = 1;
  }
  const halves = groups.split('::');
  if (halves.length > 2) return false;
  const count = (half: string | undefined) => (half ? half.split(':') : []);
  const [head, rest] = [count(halves[0]), count(halves[1])];
  if (![...head, ...rest].every((group) => /^[0-9A-Fa-f]{1,4}$/.test(group))) return false;
  const total = head.length + rest.length + extra;
  return halves.length === 2 ? total <= 7 : total === 8;
}

/** Whether one entry looks like an IPv4 or IPv6 address, or such an address with a /prefix. */
export function isAllowlistEntry(entry: string): boolean {
  const [address = '', bits, more] = entry.split('/');
  if (more !== undefined) return false;
  const v4 = isIpv4(address);
  if (!v4 && !isIpv6(address)) return false;
  if (bits === undefined) return true;
  return /^\d{1,3}$/.test(bits) && Number(bits) <= (v4 ? 32 : 128);
}

/** The first obvious problem of a typed allowlist, in words; null when it looks right. */
export function allowlistProblem(text: string, options: { required?: boolean } = {}): string | null {
  const entries = parseAllowlist(text);
  if (entries.length === 0) {
    return options.required ? "This workspace's keys need an IP allowlist: add at least one address or range." : null;
  }
  if (entries.length > LIMITS.apiKeyAllowlistMaxEntries) {
    return `An allowlist holds at most ${LIMITS.apiKeyAllowlistMaxEntries} addresses or ranges (this one has ${entries.length}).`;
  }
  const bad = entries.find((entry) => !isAllowlistEntry(entry));
  if (bad !== undefined) {
    return `“${bad.slice(0, 60)}” is not an IP address or a CIDR range (e.g. 203.0.113.7, 10.0.0.0/8, 2001:db8::/32).`;
  }
  return null;
}

/** "1 address", "3 addresses": what a restricted key's badge says. */
export function allowlistCountLabel(count: number): string {
  return `${count} ${count === 1 ? 'address' : 'addresses'}`;
}
