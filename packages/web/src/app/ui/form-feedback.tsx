import { VisuallyHidden } from '@mantine/core';
import { type ReactNode, useCallback, useEffect, useRef, useState } from 'react';

/** The errors @mantine/form hands to a failed submit, by field path. */
type FieldErrors = Record<string, ReactNode>;

export interface FormFeedback {
  /** Put on the <form> (a callback ref): fields are found in it, in the order the page shows them. */
  bindForm: (form: HTMLFormElement | null) => void;
  /**
   * After a failed submit (the form's own checks, or the server's field errors): focus the first
   * field with a problem and announce every problem, in the order the fields appear.
   */
  showProblems: (errors: FieldErrors) => void;
  /** Focuses a field by its form path (`email`), e.g. after an error the server gave for the form. */
  focusField: (path: string) => void;
  /** Says `text` through the live region. */
  announce: (text: string) => void;
  /** The live region; render it once inside the form. */
  announcer: ReactNode;
}

function fieldsOf(form: HTMLFormElement | null): HTMLElement[] {
  return form ? [...form.querySelectorAll<HTMLElement>('[data-path]')] : [];
}

function text(node: ReactNode): string {
  return typeof node === 'string' || typeof node === 'number' ? String(node) : '';
}

/**
 * Focus and announcements for a form (issue 9, item 14). Mantine marks a field with a problem
 * `aria-invalid` and ties its message to it (`aria-describedby`), but focus stays on the button
 * (or falls to the page when the button turns into a spinner) and nothing is said. This finds
 * the fields by the `data-path` that `form.getInputProps` puts on each input.
 */
export function useFormFeedback(): FormFeedback {
  const formElement = useRef<HTMLFormElement | null>(null);
  const bindForm = useCallback((form: HTMLFormElement | null) => {
    formElement.current = form;
  }, []);
  const [message, setMessage] = useState('');
  const timer = useRef<number | undefined>(undefined);

  useEffect(
    () => () => {
      window.clearTimeout(timer.current);
    },
    [],
  );

  const announce = useCallback((next: string) => {
    // Emptied first, so that the same words said twice (a second failed submit) are said again.
    setMessage('');
    window.clearTimeout(timer.current);
    timer.current = window.setTimeout(() => {
      setMessage(next);
    }, 60);
  }, []);

  const focusField = useCallback((path: string) => {
    // After the next paint: the field's message (from the server's answer) is then tied to it,
    // and is read with it when it gets focus.
    window.requestAnimationFrame(() => {
      const field = fieldsOf(formElement.current).find((f) => f.dataset.path === path);
      field?.focus();
    });
  }, []);

  const showProblems = useCallback(
    (errors: FieldErrors) => {
      const withProblem = fieldsOf(formElement.current).filter((f) => {
        const path = f.dataset.path;
        return path !== undefined && Boolean(errors[path]);
      });
      withProblem[0]?.focus();
      const messages = withProblem.map((f) => text(errors[f.dataset.path ?? ''])).filter((m) => m !== '');
      if (messages.length === 0) return;
      announce(`${messages.length} ${messages.length === 1 ? 'problem' : 'problems'}. ${messages.join(' ')}`);
    },
    [announce],
  );

  const announcer = (
    <VisuallyHidden role="alert" aria-atomic="true">
      {message}
    </VisuallyHidden>
  );

  return { bindForm, showProblems, focusField, announce, announcer };
}
