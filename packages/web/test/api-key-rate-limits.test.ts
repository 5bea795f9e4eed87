import { limitProblem, limitValue } from '../src/modules/api-keys/api-key-rate-limits';

describe("a key's rate-limit form", () => {
  it('sends empty as null (the default) and numbers as they are', () => {
    expect(limitValue('')).toBeNull();
    expect(limitValue('  ')).toBeNull();
    expect(limitValue(1200)).toBe(1200);
    expect(limitValue('35')).toBe(35);
  });

  it.each([
    [0, true],
    [-1, true],
    [1.5, true],
    [1, false],
    [6000, false],
    [6001, true],
    ['', false],
  ])('%j within 1 to 6,000: problem %s', (input, problem) => {
    const said = limitProblem(input, 6000);
    if (problem) expect(said).toBe('Enter a whole number from 1 to 6,000, or leave it empty for the default.');
    else expect(said).toBeNull();
  });
});
