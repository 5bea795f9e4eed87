import { LIMITS } from './limits';

/**
 * The rules a new password must meet that need no list: its length, and that it is more than
 * blanks or one short run of characters repeated (`aaaaaaaaaa`, ten spaces, `ababababab`).
 * The server also refuses the most common passwords; the web app uses this to save a round trip.
 * Returns the message to show, or null when the password passes.
 */
export function passwordShapeProblem(password: string): string | null {
  if (password.length < LIMITS.passwordMinLength) {
    return `A password must be at least ${LIMITS.passwordMinLength} characters long.`;
  }
  if (password.length > LIMITS.passwordMaxLength) {
    return `A password must be at most ${LIMITS.passwordMaxLength} characters long.`;
  }
  if (password.trim() === '') return 'A password cannot be only spaces.';
  if (REPEATED_RUN.test(password)) return 'A password cannot be the same characters repeated.';
  return null;
}

/** One to three characters, repeated to fill the whole password (`u`: by code point; `s`: any character). */
const REPEATED_RUN = /^(.{1,3})\1+$/su;
