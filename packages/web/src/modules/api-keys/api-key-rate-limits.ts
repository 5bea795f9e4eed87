/** The rate-limit form's checks, kept beside the other key checks' words (api-key-format.ts). */

/** A limit as typed: a number, or empty for the server's default. */
export type LimitInput = number | string;

/** The limit to send: null (the server's default) when the field is empty. */
export function limitValue(input: LimitInput): number | null {
  if (typeof input === 'number') return input;
  const trimmed = input.trim();
  return trimmed === '' ? null : Number(trimmed);
}

/** Why a typed limit cannot be taken, or null: a whole number from 1 to the server's maximum. */
export function limitProblem(input: LimitInput, max: number): string | null {
  const value = limitValue(input);
  if (value === null) return null;
  if (!Number.isInteger(value) || value < 1 || value > max) {
    return `Enter a whole number from 1 to ${max.toLocaleString('en-US')}, or leave it empty for the default.`;
  }
  return null;
}
