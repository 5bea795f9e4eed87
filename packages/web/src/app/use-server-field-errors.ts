import type { ReactNode } from 'react';
import { useMemo } from 'react';
import { fieldErrors } from './graphql-errors';

/** What the hook needs of a @mantine/form form. */
interface FormLike {
  getValues(): object;
  setFieldError(path: string, error: ReactNode): void;
}

/**
 * The server's BAD_USER_INPUT problems that belong to one of a form's fields, by the form's path:
 * `extensions.field` names the input, mapped through `fields` where the form calls it otherwise
 * (`expiresAt` → `expires`). Problems about anything else are left out (they go in an alert).
 */
export function serverFieldProblems(
  error: unknown,
  formPaths: readonly string[],
  fields: Readonly<Record<string, string>> = {},
): Record<string, string> {
  const problems: Record<string, string> = {};
  for (const [field, message] of Object.entries(fieldErrors(error))) {
    const path = fields[field] ?? field;
    if (message !== undefined && formPaths.includes(path)) problems[path] = message;
  }
  return problems;
}

export interface ServerFieldErrors {
  /**
   * Puts every problem the server tied to one of this form's fields beside that field (and hands
   * them to `onProblems`, e.g. useFormFeedback's `showProblems`, to focus and announce). True
   * when at least one went beside a field.
   */
  apply(caught: unknown): boolean;
  /** The error for the form's alert: null when its problems sit beside the fields. */
  alertError<E>(error: E | null | undefined): E | null;
}

/** One way for every form to show the server's problems: beside the field, else in the alert. */
export function useServerFieldErrors(
  form: FormLike,
  options: {
    fields?: Readonly<Record<string, string>>;
    onProblems?: (problems: Record<string, ReactNode>) => void;
  } = {},
): ServerFieldErrors {
  const { fields, onProblems } = options;
  return useMemo(() => {
    const problemsOf = (error: unknown) => serverFieldProblems(error, Object.keys(form.getValues()), fields);
    return {
      apply(caught) {
        const problems = problemsOf(caught);
        for (const [path, message] of Object.entries(problems)) form.setFieldError(path, message);
        if (Object.keys(problems).length === 0) return false;
        onProblems?.(problems);
        return true;
      },
      alertError(error) {
        if (error === null || error === undefined) return null;
        return Object.keys(problemsOf(error)).length > 0 ? null : error;
      },
    };
  }, [form, fields, onProblems]);
}
