import { CombinedGraphQLErrors, ServerError, ServerParseError } from '@apollo/client/errors';
import { ErrorCode, isErrorCode } from '@tally/shared';

export interface ApiError {
  code: ErrorCode | null;
  message: string;
  /** The input field a BAD_USER_INPUT is about (`extensions.field`), when the server names one. */
  field: string | null;
}

export type ErrorMessages = Partial<Record<ErrorCode, string>>;

/** Words for codes whose server message is not meant for people, whatever the operation. */
const FRIENDLY: ErrorMessages = {
  RATE_LIMITED: 'Too many attempts. Please wait a few minutes and try again.',
  INTERNAL_SERVER_ERROR: 'Something went wrong on the server. Please try again.',
  UNAVAILABLE: 'Tally cannot reach its database right now. Please try again in a moment.',
};

const UNREACHABLE = "Can't reach the Tally server. Check your connection and try again.";

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object';
}

function toApiError(value: unknown): ApiError[] {
  if (!isRecord(value) || typeof value.message !== 'string') return [];
  const extensions = isRecord(value.extensions) ? value.extensions : {};
  const { code, field } = extensions;
  return [
    { code: isErrorCode(code) ? code : null, message: value.message, field: typeof field === 'string' ? field : null },
  ];
}

/** A non-2xx response may still carry a GraphQL error body (429, 400 …). */
function errorsFromBody(bodyText: string): ApiError[] {
  let body: unknown;
  try {
    body = JSON.parse(bodyText);
  } catch {
    return [];
  }
  if (!isRecord(body) || !Array.isArray(body.errors)) return [];
  const errors: unknown[] = body.errors;
  return errors.flatMap(toApiError);
}

/** The GraphQL errors inside whatever Apollo Client reported, with their codes. */
export function apiErrors(error: unknown): ApiError[] {
  if (CombinedGraphQLErrors.is(error)) return error.errors.flatMap(toApiError);
  if (ServerError.is(error)) return errorsFromBody(error.bodyText);
  return [];
}

export function hasErrorCode(error: unknown, code: ErrorCode): boolean {
  return apiErrors(error).some((e) => e.code === code);
}

/** Messages of BAD_USER_INPUT errors that name an input field, by field; the rest stay for an alert. */
export function fieldErrors(error: unknown): Partial<Record<string, string>> {
  const result: Partial<Record<string, string>> = {};
  for (const e of apiErrors(error)) {
    if (e.code === ErrorCode.BAD_USER_INPUT && e.field !== null && result[e.field] === undefined) {
      result[e.field] = e.message;
    }
  }
  return result;
}

export function isUnauthenticated(error: unknown): boolean {
  return hasErrorCode(error, ErrorCode.UNAUTHENTICATED) || (ServerError.is(error) && error.statusCode === 401);
}

/**
 * A sentence to show for an error: the operation's own words for a code (`messages`), then the
 * shared friendly words, then the server's message; network failures get a plain explanation.
 */
export function describeError(error: unknown, messages: ErrorMessages = {}): string {
  const [first] = apiErrors(error);
  if (first) {
    if (first.code !== null) {
      const own = messages[first.code] ?? FRIENDLY[first.code];
      if (own !== undefined) return own;
    }
    return first.message;
  }
  if (ServerError.is(error)) {
    return error.statusCode >= 502 && error.statusCode <= 504
      ? UNREACHABLE
      : `The server answered with an unexpected error (HTTP ${error.statusCode}). Please try again.`;
  }
  if (ServerParseError.is(error)) return 'The server sent a response the dashboard could not read. Please try again.';
  if (error instanceof TypeError) return UNREACHABLE;
  if (error instanceof Error && error.message) return error.message;
  return 'Something went wrong. Please try again.';
}
