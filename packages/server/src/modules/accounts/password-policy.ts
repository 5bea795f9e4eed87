import { passwordShapeProblem } from '@tally/shared';
import { dictionary } from '@zxcvbn-ts/language-common';

let common: ReadonlySet<string> | undefined;

/**
 * About 49,000 of the most used passwords (zxcvbn-ts's common list, lower case), built on the
 * first sign-up. Only some 1,500 of them are long enough to pass the length rule at all.
 */
function commonPasswords(): ReadonlySet<string> {
  common ??= new Set(dictionary['passwords-common']);
  return common;
}

/**
 * Why a new password is refused, or null: the shared shape rules (length, only blanks, one
 * short run repeated), then the common-password list, compared without case or outer blanks.
 */
export function newPasswordProblem(password: string): string | null {
  const shape = passwordShapeProblem(password);
  if (shape) return shape;
  if (commonPasswords().has(password.trim().toLowerCase())) {
    return 'This password is one of the most common ones, which are guessed first. Choose another.';
  }
  return null;
}
