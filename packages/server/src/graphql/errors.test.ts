import { ErrorCode } from '@tally/shared';
import { GraphQLError, type GraphQLFormattedError, locatedError } from 'graphql';
import { AppError, notFound } from '../platform/errors';
import { rateLimited } from '../platform/rate-limits/rate-limit';
import { appErrorOf, createFormatError, isExpectedError, toGraphQLError } from './errors';

/** What Apollo hands formatError: the error as graphql-js or Apollo reported it, formatted. */
function format(error: GraphQLError, production = true): GraphQLFormattedError {
  return createFormatError(production)(error.toJSON(), error);
}

describe('the domain error and its GraphQL edge', () => {
  it('is a plain Error with a code: it knows no transport', () => {
    const error = notFound('Workspace');
    expect(error).toBeInstanceOf(Error);
    expect(error).not.toBeInstanceOf(GraphQLError);
    expect(error).not.toHaveProperty('extensions');
    expect(error).toMatchObject({ code: ErrorCode.NOT_FOUND, message: 'Workspace not found.' });
  });

  it('leaves a resolver with its code and details in extensions', () => {
    // graphql-js wraps what a resolver throws; formatError finds the AppError behind it.
    const thrown = rateLimited('Too many.', 3_000);
    const reported = locatedError(thrown, undefined, ['workspace', 'analytics']);
    expect(appErrorOf(reported)).toBe(thrown);
    expect(isExpectedError(reported)).toBe(true);
    expect(format(reported)).toEqual({
      message: 'Too many. Try again in 3 seconds.',
      path: ['workspace', 'analytics'],
      locations: undefined,
      extensions: { code: ErrorCode.RATE_LIMITED, retryAfterSeconds: 3 },
    });
  });

  it('keeps its message and code when Apollo wraps it (a hook or the context threw it)', () => {
    const thrown = new AppError(ErrorCode.FORBIDDEN, 'No.', { requiredScopes: ['keys.manage'] });
    const reported = new GraphQLError(`Context creation failed: ${thrown.message}`, { originalError: thrown });
    expect(format(reported)).toMatchObject({
      message: 'No.',
      extensions: { code: ErrorCode.FORBIDDEN, requiredScopes: ['keys.manage'] },
    });
  });

  it('becomes a GraphQL error whose `http` sets the status, and never reaches the client', () => {
    const thrown = new AppError(ErrorCode.UNAUTHENTICATED, 'Your session has ended.');
    const reported = toGraphQLError(thrown, { status: 401, headers: new Map() });
    expect(reported.extensions).toEqual({ code: ErrorCode.UNAUTHENTICATED, http: { status: 401, headers: new Map() } });
    expect(format(reported)).toEqual({
      message: 'Your session has ended.',
      locations: undefined,
      path: undefined,
      extensions: { code: ErrorCode.UNAUTHENTICATED },
    });
  });

  it('masks anything else as INTERNAL_SERVER_ERROR in production', () => {
    const reported = locatedError(new Error('relation "x" does not exist'), undefined, ['me']);
    expect(appErrorOf(reported)).toBeUndefined();
    expect(isExpectedError(reported)).toBe(false);
    expect(format(reported)).toMatchObject({
      message: 'Internal server error.',
      extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR },
    });
  });
});
