import { CombinedGraphQLErrors, ServerError } from '@apollo/client/errors';
import { ErrorCode } from '@tally/shared';
import { apiErrors, describeError } from '../src/app/graphql-errors';

/** What the server answers while its database cannot be reached (503, Retry-After). */
const UNAVAILABLE_ERROR = {
  message: 'The database cannot be reached; try again shortly.',
  extensions: { code: 'UNAVAILABLE', retryAfterSeconds: 2 },
};
const FRIENDLY = 'Tally cannot reach its database right now. Please try again in a moment.';

describe('describeError: UNAVAILABLE (the database cannot be reached)', () => {
  it('gets friendly words, whether Apollo Client parsed the 503 body or not', () => {
    const parsed = new CombinedGraphQLErrors({ errors: [UNAVAILABLE_ERROR] });
    expect(apiErrors(parsed).map((e) => e.code)).toEqual([ErrorCode.UNAVAILABLE]);
    expect(describeError(parsed)).toBe(FRIENDLY);
    const raw = new ServerError('Response not successful: Received status code 503', {
      response: new Response(null, { status: 503 }),
      bodyText: JSON.stringify({ errors: [UNAVAILABLE_ERROR] }),
    });
    expect(describeError(raw)).toBe(FRIENDLY);
  });

  it("an operation's own words for the code still come first", () => {
    const parsed = new CombinedGraphQLErrors({ errors: [UNAVAILABLE_ERROR] });
    expect(describeError(parsed, { UNAVAILABLE: 'Saved nothing yet: try again shortly.' })).toBe(
      'Saved nothing yet: try again shortly.',
    );
  });
});
