import { createApiKeyProblems, expiryFromDateInput } from '../src/modules/api-keys/api-key-format';

describe('expiryFromDateInput', () => {
  it('is the end of the chosen day in local time', () => {
    expect(expiryFromDateInput('2031-03-09')).toBe(new Date(2031, 2, 9, 23, 59, 59, 999).toISOString());
  });

  it.each(['', '2031-3-9', '09/03/2031', '2031-02-30', '2031-13-01', 'not a date'])('refuses %p', (value) => {
    expect(expiryFromDateInput(value)).toBeNull();
  });
});

describe('createApiKeyProblems', () => {
  const now = new Date(2031, 2, 9, 12, 0).getTime();
  const valid = { name: 'CI reporter', description: '', expires: '' };

  it('accepts a named key without expiry', () => {
    expect(createApiKeyProblems(valid, now)).toEqual({});
  });

  it('needs a name of at most 100 characters, blanks not counting', () => {
    expect(createApiKeyProblems({ ...valid, name: '   ' }, now)).toEqual({ name: 'Enter a name for the key.' });
    expect(createApiKeyProblems({ ...valid, name: 'x'.repeat(101) }, now).name).toMatch(/at most 100/);
    expect(createApiKeyProblems({ ...valid, name: ` ${'x'.repeat(100)} ` }, now)).toEqual({});
  });

  it('limits the description to 500 characters', () => {
    expect(createApiKeyProblems({ ...valid, description: 'x'.repeat(501) }, now).description).toMatch(/at most 500/);
  });

  it('takes today (its end is still ahead) but not yesterday', () => {
    expect(createApiKeyProblems({ ...valid, expires: '2031-03-09' }, now)).toEqual({});
    expect(createApiKeyProblems({ ...valid, expires: '2031-03-08' }, now)).toEqual({
      expiresAt: 'Choose a date in the future.',
    });
  });
});
