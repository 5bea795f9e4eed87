import { AppError } from '../../platform/errors';
import { allowlistMatcher, normalizeAllowlist } from './ip-allowlist';

describe('normalizeAllowlist', () => {
  it('writes addresses and ranges one way (IPv4, IPv6, IPv4-mapped), dropping duplicates', () => {
    expect(
      normalizeAllowlist([
        ' 203.0.113.7 ',
        '10.1.2.3/8',
        '2001:db8::1/32',
        '::ffff:192.0.2.0/120',
        '203.0.113.7/32',
        '::1',
      ]),
    ).toEqual(['203.0.113.7/32', '10.0.0.0/8', '2001:db8::/32', '192.0.2.0/24', '::1/128']);
  });

  it('an empty list (or none) is no allowlist', () => {
    expect(normalizeAllowlist([])).toBeNull();
    expect(normalizeAllowlist(null)).toBeNull();
  });

  it.each(['example.com', '10.0.0.0/33', '2001:db8::/129', '1.2.3', '', '10.0.0.0/-1', '300.1.1.1'])(
    'refuses %j with BAD_USER_INPUT naming the entry',
    (entry) => {
      let error: unknown;
      try {
        normalizeAllowlist(['10.0.0.1', entry]);
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(AppError);
      expect(error).toMatchObject({ code: 'BAD_USER_INPUT', details: { field: 'allowedIps', entry } });
    },
  );

  it('refuses more than 50 entries', () => {
    const many = Array.from({ length: 51 }, (_, i) => `10.0.0.${i}`);
    expect(() => normalizeAllowlist(many)).toThrow('at most 50');
    expect(normalizeAllowlist(many.slice(0, 50))).toHaveLength(50);
  });
});

describe('allowlistMatcher', () => {
  const allows = allowlistMatcher(['10.0.0.0/8', '203.0.113.7/32', '2001:db8::/32']);
  it.each([
    ['10.200.1.1', true],
    ['::ffff:10.0.0.5', true],
    ['203.0.113.7', true],
    ['203.0.113.8', false],
    ['11.0.0.1', false],
    ['2001:db8:1::5', true],
    ['2001:db9::1', false],
    ['::ffff:203.0.113.8', false],
    ['not an address', false],
  ])('%s → %s', (ip, expected) => {
    expect(allows(ip)).toBe(expected);
  });
});
