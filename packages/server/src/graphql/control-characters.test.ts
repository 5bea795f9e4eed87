import { GraphQLError, parse } from 'graphql';
import { hasControlCharacter, isSingleLineName, singleLineName } from '../platform/text';
import { MAX_VARIABLE_DEPTH, createControlCharacterCheck } from './control-characters';

function refusal(query: string, variables?: Record<string, unknown>): unknown {
  try {
    createControlCharacterCheck()({ query, variables }, parse(query));
    return undefined;
  } catch (error) {
    return error;
  }
}

describe('control characters in string input', () => {
  it('tells NUL and other C0 controls from tab, line feed and carriage return', () => {
    expect(hasControlCharacter('a\u0000b')).toBe(true);
    expect(hasControlCharacter('\u0001')).toBe(true);
    expect(hasControlCharacter('\u001f')).toBe(true);
    expect(hasControlCharacter('\u000b\u000c')).toBe(true);
    expect(hasControlCharacter('line\none\ttab\r\n')).toBe(false);
    expect(hasControlCharacter('plain, ünïcode ✓')).toBe(false);
  });

  it('tells unpaired surrogates (which validators throw on) from pairs', () => {
    expect(hasControlCharacter('\ud800')).toBe(true);
    expect(hasControlCharacter('a\udc00b')).toBe(true);
    expect(hasControlCharacter('\udc00\ud800')).toBe(true);
    expect(hasControlCharacter('emoji 💥 and 𝖁')).toBe(false);
  });

  it('refuses a NUL in a variable, however deeply nested, naming the variable and not its value', () => {
    const error = refusal('mutation ($input: X) { f(input: $input) }', {
      input: { name: 'ok', tags: ['fine', 'bad\u0000'] },
    });
    expect(error).toBeInstanceOf(GraphQLError);
    expect(error).toMatchObject({
      message: expect.stringMatching(/^Variable \$input contains a control character/),
      extensions: { code: 'BAD_USER_INPUT' },
    });
  });

  it('refuses a control character in an input object key', () => {
    expect(refusal('query ($j: JSON) { f(j: $j) }', { j: { 'k\u0007': 1 } })).toMatchObject({
      extensions: { code: 'BAD_USER_INPUT' },
    });
  });

  it('refuses an escaped NUL in a literal argument or a default value', () => {
    expect(refusal('{ f(s: "a\\u0000b") }')).toMatchObject({ extensions: { code: 'BAD_USER_INPUT' } });
    expect(refusal('query ($s: String = "\\u0002") { f(s: $s) }')).toMatchObject({
      extensions: { code: 'BAD_USER_INPUT' },
    });
  });

  it('refuses a variable nested past MAX_VARIABLE_DEPTH, however deep (5,000 levels overflowed the stack)', () => {
    const nested = (levels: number, wrap: (inner: unknown) => unknown): unknown => {
      let value: unknown = 'leaf';
      for (let i = 0; i < levels; i += 1) value = wrap(value);
      return value;
    };
    const query = 'query ($f: X) { f(f: $f) }';
    for (const wrap of [(v: unknown) => [v], (v: unknown) => ({ k: v })]) {
      expect(refusal(query, { f: nested(MAX_VARIABLE_DEPTH, wrap) })).toBeUndefined();
      for (const levels of [MAX_VARIABLE_DEPTH + 1, 5000, 200_000]) {
        expect(refusal(query, { f: nested(levels, wrap) })).toMatchObject({
          message: `Variable $f nests deeper than ${MAX_VARIABLE_DEPTH} levels.`,
          extensions: { code: 'BAD_USER_INPUT' },
        });
      }
    }
  });

  it('lets tabs and line breaks through, in variables and in literals', () => {
    expect(refusal('{ f(s: "two\\nlines\\tand a tab\\r\\n") }')).toBeUndefined();
    expect(refusal('query ($s: String) { f(s: $s) }', { s: 'two\nlines\tand a tab', n: 3, b: null })).toBeUndefined();
  });
});

describe('single-line names', () => {
  it.each([
    ['a line feed', 'Acme\nTeam'],
    ['a carriage return', 'Acme\rTeam'],
    ['a tab', 'Acme\tTeam'],
    ['DEL', 'Acme\u007fTeam'],
    ['a C1 next line', 'Acme\u0085Team'],
    ['a line separator', 'Acme\u2028Team'],
    ['a paragraph separator', 'Acme\u2029Team'],
    ['a right-to-left override', 'Acme \u202emaeT'],
    ['a first-strong isolate', 'Acme \u2068Team\u2069'],
    ['a lone surrogate', 'Acme \ud800'],
  ])('refuses %s', (_label, name) => {
    expect(isSingleLineName(name)).toBe(false);
  });

  it('keeps names in any script, with accents, punctuation and inner spaces', () => {
    for (const name of [
      'Ada Lovelace',
      'Zoë Ångström-李',
      'فريق التحليل',
      'Équipe · 分析 (beta) 🚀',
      "O'Brien & Co.",
    ]) {
      expect(isSingleLineName(name)).toBe(true);
      expect(singleLineName(name)).toBe(name);
    }
  });

  it('renders a stored name with breaks on one line, its runs of space as one', () => {
    expect(singleLineName('Acme\n\nAccept the invitation: https://evil.example/\r\n')).toBe(
      'Acme Accept the invitation: https://evil.example/',
    );
    expect(singleLineName('Mallory\u2028\t x\u202e\ud800')).toBe('Mallory x \uFFFD');
  });
});
