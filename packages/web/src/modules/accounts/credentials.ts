import { LIMITS, isEmailAddress, passwordShapeProblem } from '@tally/shared';

/**
 * Whether the server will take this address: the server's own rule from @tally/shared, on the
 * address as the server sees it (trimmed, lower-cased). `grace@localhost` is refused here too.
 */
export function looksLikeEmail(email: string): boolean {
  return isEmailAddress(email.trim().toLowerCase());
}

export const INVALID_EMAIL = 'Enter a valid email address, like name@example.com.';

/** Client-side checks that save a round trip; the server validates the same rules. */
export function emailProblem(email: string): string | null {
  if (email.trim() === '') return 'Enter your email address.';
  if (!looksLikeEmail(email)) return INVALID_EMAIL;
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

/** What the reset-password page leaves in the log-in page's history entry. */
export interface PasswordResetNotice {
  passwordReset: true;
}

export const PASSWORD_RESET_NOTICE: PasswordResetNotice = { passwordReset: true };

/** Whether the log-in page was reached right after a password reset (it then says so). */
export function passwordWasReset(location: { state: unknown }): boolean {
  const state = location.state;
  return state !== null && typeof state === 'object' && 'passwordReset' in state && state.passwordReset === true;
}
