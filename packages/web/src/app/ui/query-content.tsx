import type { ReactNode } from 'react';
import type { ErrorMessages } from '../graphql-errors';
import { ErrorState } from './error-state';
import { PageLoader } from './page-loader';

interface QueryContentProps<T> {
  /**
   * What the page shows, or null/undefined while there is nothing yet. Pass what the query has
   * (not only what it just answered), so that data stays on screen while a refetch runs and an
   * error then does not replace it.
   */
  data: T | null | undefined;
  /** The query's error: shown only while there is no data. */
  error?: unknown;
  /** How to try again (usually the query's `refetch`); without it the error has no retry button. */
  refetch?: () => unknown;
  errorTitle: string;
  errorMessages?: ErrorMessages;
  loadingLabel?: string;
  /** Before the app shell exists: the loader fills the window. */
  fullPage?: boolean;
  /** Puts the error state in the page's own frame (the sign-in layout, the centre of the window). */
  errorFrame?: (errorState: ReactNode) => ReactNode;
  /** Whether the data holds nothing to show; then `empty` is shown instead of the children. */
  isEmpty?: (data: T) => boolean;
  empty?: ReactNode;
  /** What to show with the data: a function of it, or content built from it beforehand. */
  children: ReactNode | ((data: T) => ReactNode);
}

/**
 * The loading, error and empty branches every page and section with a query has: a loader
 * (announced, role="status") until the first answer, the error with "Try again" if that fails,
 * then the children with the data.
 */
export function QueryContent<T>({
  data,
  error,
  refetch,
  errorTitle,
  errorMessages,
  loadingLabel,
  fullPage = false,
  errorFrame,
  isEmpty,
  empty,
  children,
}: QueryContentProps<T>) {
  if (data === null || data === undefined) {
    if (!error) return <PageLoader label={loadingLabel} fullPage={fullPage} />;
    const state = (
      <ErrorState
        title={errorTitle}
        error={error}
        messages={errorMessages}
        onRetry={refetch ? () => void refetch() : undefined}
      />
    );
    return errorFrame ? errorFrame(state) : state;
  }
  if (isEmpty?.(data)) return empty;
  return typeof children === 'function' ? children(data) : children;
}
