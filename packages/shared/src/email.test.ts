import { isEmailAddress } from './email';

describe('isEmailAddress (what the server takes)', () => {
  it.each([
    'grace@example.com',
    'Grace.Hopper+tally@mail.example.co.uk',
    "o'brien@example.ie",
    'josé@exämple.de',
    '"grace hopper"@example.com',
    'x@xn--bcher-kva.example',
    `${'a'.repeat(64)}@example.com`,
  ])('takes %p', (address) => {
    expect(isEmailAddress(address)).toBe(true);
  });

  it.each([
    ['no top-level domain', 'grace@localhost'],
    ['an IP address', 'grace@127.0.0.1'],
    ['a numeric top-level domain', 'grace@example.123'],
    ['a one-letter top-level domain', 'grace@example.c'],
    ['no @', 'grace.example.com'],
    ['an empty local part', '@example.com'],
    ['a double dot', 'grace..hopper@example.com'],
    ['a leading dot', '.grace@example.com'],
    ['a space', 'grace hopper@example.com'],
    ['an underscore in the domain', 'grace@ex_ample.com'],
    ['a hyphen at a label edge', 'grace@-example.com'],
    ['a display name', 'Grace <grace@example.com>'],
    ['a local part over 64 bytes', `${'a'.repeat(65)}@example.com`],
    ['over 254 characters', `grace@${'a'.repeat(62)}.${'b'.repeat(62)}.${'c'.repeat(62)}.${'d'.repeat(62)}.com`],
  ])('refuses %s', (_label, address) => {
    expect(isEmailAddress(address)).toBe(false);
  });
});
