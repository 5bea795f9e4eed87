import { createRequire } from 'node:module';
import { join } from 'node:path';
import { isEmailAddress } from '@tally/shared';
import { emailProblem } from '../src/modules/accounts/credentials';

// The server checks addresses with class-validator's isEmail; the forms with the shared rule.
// They must agree, or a form would let through what the server then refuses (or the reverse).
const serverRequire = createRequire(join(__dirname, '..', '..', 'server', 'package.json'));
const { isEmail } = serverRequire('class-validator') as { isEmail: (value: string) => boolean };

const ADDRESSES = [
  'grace@example.com',
  'grace@localhost',
  'grace@example',
  'grace@127.0.0.1',
  'grace@[127.0.0.1]',
  'grace@example.123',
  'grace@example.c',
  'grace@exämple.de',
  'josé@example.com',
  'grace.hopper+tally@mail.example.co.uk',
  "o'brien@example.ie",
  '"grace hopper"@example.com',
  '"grace"hopper"@example.com',
  'grace..hopper@example.com',
  '.grace@example.com',
  'grace.@example.com',
  'grace@.example.com',
  'grace@example..com',
  'grace@-example.com',
  'grace@example-.com',
  'grace@ex_ample.com',
  'grace@xn--bcher-kva.example',
  'grace@example.xn--p1ai',
  'grace@@example.com',
  'a@b@example.com',
  '@example.com',
  'grace@',
  'grace',
  'grace hopper@example.com',
  'Grace <grace@example.com>',
  'grace@exam ple.com',
  'grace@ｅxample.com',
  `${'a'.repeat(64)}@example.com`,
  `${'a'.repeat(65)}@example.com`,
  `grace@${'a'.repeat(63)}.com`,
  `grace@${'a'.repeat(64)}.com`,
  `grace@${'a'.repeat(62)}.${'b'.repeat(62)}.${'c'.repeat(62)}.${'d'.repeat(62)}.com`,
  'grace@example.com.',
  'grace\u0000@example.com',
  'грейс@пример.рф',
];

describe('email addresses: the forms refuse what the server refuses', () => {
  it.each(ADDRESSES)('%p', (address) => {
    const server = isEmail(address) && address.length <= 254;
    expect(isEmailAddress(address)).toBe(server);
  });

  it('shows the problem beside the field, in words', () => {
    expect(emailProblem('grace@localhost')).toBe('Enter a valid email address, like name@example.com.');
    expect(emailProblem('  Grace@Example.com ')).toBeNull();
    expect(emailProblem('')).toBe('Enter your email address.');
  });
});
