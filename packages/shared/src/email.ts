import { LIMITS } from './limits';

/*
 * What the server accepts as an email address, written once for the server and the web app.
 * The server checks addresses with class-validator's isEmail (validator.js, default options);
 * these are its rules, so a form refuses exactly what the server would: a top-level domain is
 * required (`grace@localhost` is refused), no IP-address domains, no display names, local
 * parts of letters (any script), digits and !#$%&'*+-/=?^_`{|}~ between single dots, or quoted.
 * packages/web/test/email-address.test.ts compares the two on a list of addresses.
 */

const LOCAL_PART_ATOM = /^[a-z\d!#$%&'*+\-/=?^_`{|}~\u00A1-\uD7FF\uF900-\uFDCF\uFDF0-\uFFEF]+$/i;
const QUOTED_LOCAL_PART =
  // eslint-disable-next-line no-control-regex
  /^([\s\x01-\x08\x0b\x0c\x0e-\x1f\x7f\x21\x23-\x5b\x5d-\x7e\u00A0-\uD7FF\uF900-\uFDCF\uFDF0-\uFFEF]|(\\[\x01-\x09\x0b\x0c\x0d-\x7f\u00A0-\uD7FF\uF900-\uFDCF\uFDF0-\uFFEF]))*$/i;
const TOP_LEVEL_DOMAIN = /^([a-z\u00A1-\u00A8\u00AA-\uD7FF\uF900-\uFDCF\uFDF0-\uFFEF]{2,}|xn[a-z0-9-]{2,})$/i;
const DOMAIN_LABEL = /^[a-z\u00a1-\uffff0-9-]+$/i;
const FULL_WIDTH = /[\uff01-\uff5e]/;

/** UTF-8 length, as validator.js counts it; a lone surrogate (not encodable) counts as too long. */
function byteLength(value: string): number {
  try {
    return encodeURI(value).split(/%..|./).length - 1;
  } catch {
    return Number.POSITIVE_INFINITY;
  }
}

function isDomainName(domain: string): boolean {
  const labels = domain.split('.');
  const tld = labels[labels.length - 1] ?? '';
  if (labels.length < 2 || !TOP_LEVEL_DOMAIN.test(tld) || /\s/.test(tld) || /^\d+$/.test(tld)) return false;
  return labels.every(
    (label) =>
      label.length <= 63 &&
      DOMAIN_LABEL.test(label) &&
      !FULL_WIDTH.test(label) &&
      !/^-|-$/.test(label) &&
      !label.includes('_'),
  );
}

/** Whether the server takes `value` (already trimmed) as an email address. */
export function isEmailAddress(value: string): boolean {
  if (value.length > LIMITS.emailMaxLength) return false;
  const at = value.lastIndexOf('@');
  if (at < 0) return false;
  const local = value.slice(0, at);
  const domain = value.slice(at + 1);
  if (byteLength(local) > 64 || byteLength(domain) > 254) return false;
  if (!isDomainName(domain)) return false;
  if (local.length >= 2 && local.startsWith('"') && local.endsWith('"')) {
    return QUOTED_LOCAL_PART.test(local.slice(1, -1));
  }
  return local.split('.').every((atom) => LOCAL_PART_ATOM.test(atom));
}
