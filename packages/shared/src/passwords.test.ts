import { LIMITS } from './limits';
import { passwordShapeProblem } from './passwords';

describe('passwordShapeProblem', () => {
  it.each([
    ['too short', 'short', /at least 10/],
    ['too long', `${'abcd'.repeat(LIMITS.passwordMaxLength / 4)}e`, /at most 256/],
    ['ten spaces', ' '.repeat(10), /only spaces/],
    ['tabs and newlines', '\t\n  \t\n  \t\n', /only spaces/],
    ['one letter repeated', 'a'.repeat(10), /repeated/],
    ['one emoji repeated', '🔑'.repeat(10), /repeated/],
    ['two characters repeated', 'ab'.repeat(6), /repeated/],
    ['three characters repeated', '12!'.repeat(4), /repeated/],
  ])('refuses a password that is %s', (_label, password, message) => {
    expect(passwordShapeProblem(password)).toMatch(message);
  });

  it.each([
    'correct horse battery',
    'aaaaaaaaab',
    'abcdabcdabcd',
    '  spaced out  ',
    'abcd'.repeat(LIMITS.passwordMaxLength / 4),
  ])('accepts %j', (password) => {
    expect(passwordShapeProblem(password)).toBeNull();
  });
});
