import {
  DISPLAY_PREFIX_LENGTH,
  SECRET_LENGTH,
  displayPrefix,
  generateSecret,
  isWellFormedSecret,
} from './api-key-secret';

describe('API key secrets', () => {
  it('look like tly_ + 49 base62 characters and pass their own checksum', () => {
    const secret = generateSecret();
    expect(secret).toMatch(/^tly_[0-9A-Za-z]{49}$/);
    expect(secret).toHaveLength(SECRET_LENGTH);
    expect(isWellFormedSecret(secret)).toBe(true);
  });

  it('are different every time', () => {
    const secrets = new Set(Array.from({ length: 200 }, generateSecret));
    expect(secrets.size).toBe(200);
  });

  it('refuse a single changed character (a typo) through the checksum', () => {
    const secret = generateSecret();
    for (const index of [4, 20, SECRET_LENGTH - 1]) {
      const original = secret[index] ?? '';
      const replacement = original === 'a' ? 'b' : 'a';
      const typo = secret.slice(0, index) + replacement + secret.slice(index + 1);
      expect(isWellFormedSecret(typo)).toBe(false);
    }
  });

  it('refuse wrong shapes', () => {
    const secret = generateSecret();
    expect(isWellFormedSecret(secret.slice(0, -1))).toBe(false);
    expect(isWellFormedSecret(`${secret}x`)).toBe(false);
    expect(isWellFormedSecret(secret.replace('tly_', 'tlx_'))).toBe(false);
    expect(isWellFormedSecret(`${secret.slice(0, -2)}-_`)).toBe(false);
    expect(isWellFormedSecret('')).toBe(false);
  });

  it('show a 12-character display prefix', () => {
    const secret = generateSecret();
    expect(displayPrefix(secret)).toBe(secret.slice(0, DISPLAY_PREFIX_LENGTH));
    expect(displayPrefix(secret)).toHaveLength(12);
  });
});
