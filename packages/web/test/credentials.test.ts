import { newPasswordProblem } from '../src/modules/accounts/credentials';

describe('newPasswordProblem (the sign-up form)', () => {
  it.each([
    ['short', /at least 10/],
    ['aaaaaaaaaa', /same characters repeated/],
    [' '.repeat(12), /only spaces/],
  ])('refuses %j before asking the server', (password, message) => {
    expect(newPasswordProblem(password)).toMatch(message);
  });

  it('leaves the common-password list to the server', () => {
    expect(newPasswordProblem('password123')).toBeNull();
    expect(newPasswordProblem('violet anchor meadow')).toBeNull();
  });
});
