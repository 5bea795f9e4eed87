import type { GraphQLFormattedError } from 'graphql';
import { GraphQLError } from 'graphql';
import { unwrapResolverError } from '@apollo/server/errors';
import { ErrorCode, isErrorCode } from '@tally/shared';
import type { ValidationError } from 'class-validator';
import { ArgumentValidationError } from 'type-graphql';
import { databaseUnavailable, isDatabaseUnavailable } from '../platform/db/unavailable';
import { AppError } from '../platform/errors';

/** Apollo's own request-level codes: all of them are the caller's malformed request. */
const REQUEST_ERROR_CODES = new Set([
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_USER_INPUT',
  'BAD_REQUEST',
  'OPERATION_RESOLUTION_FAILURE',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
]);

/**
 * The AppError behind an error GraphQL reports: graphql-js wraps what a resolver throws, Apollo
 * what a hook or the context throws, each keeping it as `originalError`.
 */
export function appErrorOf(error: unknown): AppError | undefined {
  let current = error;
  for (let depth = 0; depth < 4; depth += 1) {
    if (current instanceof AppError) return current;
    if (!(current instanceof GraphQLError)) return undefined;
    current = current.originalError;
  }
  return undefined;
}

/** An AppError as GraphQL carries it: its code and details in `extensions`; `http` sets the response's status. */
export function toGraphQLError(error: AppError, http?: { status: number; headers: Map<string, string> }): GraphQLError {
  return new GraphQLError(error.message, {
    originalError: error,
    extensions: { code: error.code, ...error.details, ...(http ? { http } : {}) },
  });
}

/** Whether an error is an expected one (a known code) rather than a fault to log. */
export function isExpectedError(error: unknown): boolean {
  if (appErrorOf(error)) return true;
  const original = unwrapResolverError(error);
  if (original instanceof ArgumentValidationError) return true;
  if (original instanceof GraphQLError) {
    const code = original.extensions['code'];
    return typeof code === 'string' && (isErrorCode(code) || REQUEST_ERROR_CODES.has(code));
  }
  return false;
}

/** A failed input check as clients see it: which field and which rules, never the values sent. */
export interface FieldValidationError {
  property: string;
  constraints: Record<string, string>;
  children?: FieldValidationError[];
}

export function toFieldValidationError(error: ValidationError): FieldValidationError {
  const children = (error.children ?? []).map(toFieldValidationError);
  return {
    property: error.property,
    constraints: { ...error.constraints },
    ...(children.length > 0 ? { children } : {}),
  };
}

/** graphql-js appends schema names it guessed ("Did you mean …?") to some messages. */
const SUGGESTION = / ?Did you mean(.+?)\?$/;

/**
 * Every error leaves with a code from the shared list. Unknown errors become
 * INTERNAL_SERVER_ERROR; in production their message is replaced, and no stack or SQL leaves.
 */
export function createFormatError(production: boolean) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    // A database that cannot be reached is UNAVAILABLE with retryAfterSeconds, as on REST (the
    // request policy plugin sets 503 and Retry-After), never INTERNAL_SERVER_ERROR.
    const appError = appErrorOf(error);
    const original = appError ?? (isDatabaseUnavailable(error) ? databaseUnavailable() : unwrapResolverError(error));
    // Validation and variable coercion errors suggest field, enum and input names; in production
    // they keep the schema to themselves (Apollo's hideSchemaDetailsFromClientErrors covers
    // validation only, not variables).
    const message = production ? formatted.message.replace(SUGGESTION, '') : formatted.message;
    const base = { message, locations: formatted.locations, path: formatted.path };

    if (original instanceof AppError) {
      return { ...base, message: original.message, extensions: { code: original.code, ...original.details } };
    }
    if (original instanceof ArgumentValidationError) {
      // class-validator's errors carry the whole argument object (`target`) and the `value`
      // sent: a password among them. Only the field and the failed rules leave.
      const fields = original.extensions.validationErrors.map(toFieldValidationError);
      return {
        ...base,
        message: 'Some input is not valid.',
        extensions: { code: ErrorCode.BAD_USER_INPUT, validationErrors: fields },
      };
    }
    const code = formatted.extensions?.['code'];
    if (typeof code === 'string' && isErrorCode(code) && code !== ErrorCode.INTERNAL_SERVER_ERROR) {
      const { stacktrace: _stacktrace, http: _http, ...extensions } = formatted.extensions ?? {};
      return { ...base, extensions: { ...extensions, code } };
    }
    if (typeof code === 'string' && REQUEST_ERROR_CODES.has(code)) {
      return { ...base, extensions: { code: ErrorCode.BAD_USER_INPUT, reason: code } };
    }
    return {
      ...base,
      message: production ? 'Internal server error.' : formatted.message,
      extensions: production
        ? { code: ErrorCode.INTERNAL_SERVER_ERROR }
        : { code: ErrorCode.INTERNAL_SERVER_ERROR, stacktrace: formatted.extensions?.['stacktrace'] },
    };
  };
}
