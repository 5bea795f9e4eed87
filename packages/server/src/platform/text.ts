/**
 * What text input may hold: no control characters but tab and line breaks, no broken UTF-16,
 * and for names one line only. The GraphQL layer applies the first rule to every request
 * (graphql/control-characters.ts); services apply the name rule.
 */

/** C0 control characters except tab, line feed and carriage return (NUL among them). */
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F]/;

/**
 * A UTF-16 surrogate without its other half: not a character at all. JSON may carry one
 * ("\ud800"); it cannot be written as UTF-8, and validators that encode their input throw on it
 * (validator's isEmail: "URI malformed", which was a 500).
 */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Whether a string holds a control character no text field needs, or a broken character. */
export function hasControlCharacter(text: string): boolean {
  return CONTROL.test(text) || LONE_SURROGATE.test(text);
}

/** Whether a string, or any key or string nested in a JSON value, holds a control character. */
export function holdsControlCharacter(value: unknown): boolean {
  if (typeof value === 'string') return hasControlCharacter(value);
  if (Array.isArray(value)) return value.some(holdsControlCharacter);
  if (typeof value === 'object' && value !== null) {
    return Object.entries(value).some(([key, nested]) => hasControlCharacter(key) || holdsControlCharacter(nested));
  }
  return false;
}

/**
 * What follows the name of the input refused for a control character, in GraphQL ("Variable
 * $filter …") and on the REST endpoints ("The filter …") alike.
 */
export const CONTROL_CHARACTER_REFUSAL =
  'contains a control character or an unpaired surrogate. Text may hold tabs and line breaks, but no other control characters.';

/**
 * What a name (a team's, a person's) may not hold beyond the rule above: names are printed on one
 * line of an email, so every control character (tab, line feed and carriage return too; DEL; the
 * C1 controls, NEL among them), the Unicode line and paragraph separators, and the bidirectional
 * embeddings, overrides and isolates that reorder how the text around them displays.
 */
const NOT_IN_A_NAME = /[\p{Cc}\u2028\u2029\u202A-\u202E\u2066-\u2069]/u;
const NOT_IN_A_NAME_ALL = new RegExp(NOT_IN_A_NAME.source, 'gu');

/** The BAD_USER_INPUT message for a name that is not fit (field `name`). */
export const SINGLE_LINE_NAME = 'A name must be one line of text: no tabs, line breaks or other control characters.';

/** Whether `name` is fit to be a name: one line, no control or direction-changing characters. */
export function isSingleLineName(name: string): boolean {
  return !NOT_IN_A_NAME.test(name) && !LONE_SURROGATE.test(name);
}

/**
 * A stored name as it may go onto one line of an email: whatever a name may not hold (rows from
 * before the rule) becomes a space, runs of spaces become one, and a lone surrogate becomes U+FFFD.
 */
export function singleLineName(name: string): string {
  return name
    .replace(NOT_IN_A_NAME_ALL, ' ')
    .replace(new RegExp(LONE_SURROGATE.source, 'g'), '\uFFFD')
    .replace(/\s+/g, ' ')
    .trim();
}
