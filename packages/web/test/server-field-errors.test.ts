import { CombinedGraphQLErrors } from '@apollo/client/errors';
import { serverFieldProblems } from '../src/app/use-server-field-errors';

function badInput(message: string, field?: string) {
  return { message, extensions: { code: 'BAD_USER_INPUT', ...(field ? { field } : {}) } };
}

describe('serverFieldProblems (useServerFieldErrors: the server’s problems beside their fields)', () => {
  it('keeps the problems about this form’s fields, by the form’s own names', () => {
    const error = new CombinedGraphQLErrors({
      errors: [badInput('Too long.', 'name'), badInput('Must lie in the future.', 'expiresAt')],
    });
    expect(serverFieldProblems(error, ['name', 'expires'], { expiresAt: 'expires' })).toEqual({
      name: 'Too long.',
      expires: 'Must lie in the future.',
    });
  });

  it('leaves out problems about no field, or a field the form does not have (they go in the alert)', () => {
    const error = new CombinedGraphQLErrors({
      errors: [badInput('Bad.', 'token'), badInput('No field.'), { message: 'Nope', extensions: { code: 'CONFLICT' } }],
    });
    expect(serverFieldProblems(error, ['currentPassword'])).toEqual({});
    expect(serverFieldProblems(new Error('network'), ['name'])).toEqual({});
  });
});
