import {
  allowlistCountLabel,
  allowlistProblem,
  isAllowlistEntry,
  parseAllowlist,
} from '../src/modules/api-keys/api-key-allowlist';

describe('parseAllowlist', () => {
  it('takes one entry per line (commas and spaces separate too) and drops blanks', () => {
    expect(parseAllowlist(' 203.0.113.7\n\n10.0.0.0/8, 2001:db8::/32  \n')).toEqual([
      '203.0.113.7',
      '10.0.0.0/8',
      '2001:db8::/32',
    ]);
  });
});

describe('isAllowlistEntry', () => {
  it.each([
    '203.0.113.7',
    '10.0.0.0/8',
    '0.0.0.0/0',
    '127.0.0.1/32',
    '2001:db8::/32',
    '::1',
    '::',
    'fe80::1/64',
    '2001:0db8:0000:0000:0000:0000:0000:0001',
    '::ffff:10.0.0.1',
    '::ffff:10.0.0.0/104',
  ])('accepts %p', (entry) => {
    expect(isAllowlistEntry(entry)).toBe(true);
  });

  it.each([
    'localhost',
    '10.0.0',
    '256.1.1.1',
    '10.0.0.0/33',
    '10.0.0.0/8/8',
    '10.0.0.0/',
    '2001:db8::/129',
    '2001:db8:::1',
    '1::2::3',
    '1:2:3:4:5:6:7',
    '12345::',
    '0x7f.0.0.1',
    'https://example.com',
  ])('refuses %p', (entry) => {
    expect(isAllowlistEntry(entry)).toBe(false);
  });
});

describe('allowlistProblem', () => {
  it('is null for an empty list unless one is required', () => {
    expect(allowlistProblem('  \n')).toBeNull();
    expect(allowlistProblem('', { required: true })).toMatch(/need an IP allowlist/);
  });

  it('names the first bad entry', () => {
    expect(allowlistProblem('10.0.0.1\nlocalhost\nnope')).toBe(
      '“localhost” is not an IP address or a CIDR range (e.g. 203.0.113.7, 10.0.0.0/8, 2001:db8::/32).',
    );
  });

  it('refuses more than 50 entries', () => {
    const many = Array.from({ length: 51 }, (_, i) => `10.0.0.${i}`).join('\n');
    expect(allowlistProblem(many)).toMatch(/at most 50/);
    expect(allowlistProblem(many.split('\n').slice(0, 50).join('\n'))).toBeNull();
  });
});

it('counts addresses in words', () => {
  expect(allowlistCountLabel(1)).toBe('1 address');
  expect(allowlistCountLabel(2)).toBe('2 addresses');
});
