import { LIMITS, passwordShapeProblem } from '@tally/shared';

/** A rough shape check (something@something, within the length limit); the server decides. */
export function looksLikeEmail(email: string): boolean {
  const value = email.trim();
  return value.length <= LIMITS.emailMaxLength && /^[^\s@]+@[^\s@]+$/.test(value);
}

/** Client-side checks that save a round trip; the server validates the same limits. */
export function emailProblem(email: string): string | null {
  if (email.trim() === '') return 'Enter your email address.';
  if (!looksLikeEmail(email)) return 'Enter a valid email address.';
  return null;
}

export function newPasswordProblem(password: string): string | null {
  if (password.length < LIMITS.passwordMinLength) {
    return `Use at least ${LIMITS.passwordMinLength} characters.`;
  }
  if (password.length > LIMITS.passwordMaxLength) {
    return `Use at most ${LIMITS.passwordMaxLength} characters.`;
  }
  // Only blanks or one short run repeated: the server's rule, from the shared package. The
  // list of common passwords stays on the server.
  return passwordShapeProblem(password);
}

export function nameProblem(name: string): string | null {
  const value = name.trim();
  if (value === '') return 'Enter your name.';
  if (value.length > LIMITS.userNameMaxLength) return `Use at most ${LIMITS.userNameMaxLength} characters.`;
  return null;
}

export const PASSWORD_HINT = `At least ${LIMITS.passwordMinLength} characters.`;
