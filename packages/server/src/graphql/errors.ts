import type { GraphQLFormattedError } from 'graphql';
import { GraphQLError } from 'graphql';
import { unwrapResolverError } from '@apollo/server/errors';
import { ErrorCode, isErrorCode } from '@tally/shared';
import { ArgumentValidationError } from 'type-graphql';
import { AppError } from '../errors';

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

/** Whether an error is an expected one (a known code) rather than a fault to log. */
export function isExpectedError(error: unknown): boolean {
  const original = unwrapResolverError(error);
  if (original instanceof AppError || original instanceof ArgumentValidationError) return true;
  if (original instanceof GraphQLError) {
    const code = original.extensions['code'];
    return typeof code === 'string' && (isErrorCode(code) || REQUEST_ERROR_CODES.has(code));
  }
  return false;
}

/**
 * Every error leaves with a code from the shared list. Unknown errors become
 * INTERNAL_SERVER_ERROR; in production their message is replaced, and no stack or SQL leaves.
 */
export function createFormatError(production: boolean) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const original = unwrapResolverError(error);
    const base = { message: formatted.message, locations: formatted.locations, path: formatted.path };

    if (original instanceof AppError) {
      return { ...base, message: original.message, extensions: { code: original.code, ...original.details } };
    }
    if (original instanceof ArgumentValidationError) {
      const fields = original.extensions['validationErrors'];
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
