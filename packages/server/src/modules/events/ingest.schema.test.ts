import fc from 'fast-check';
import { MAX_JSON_BYTES, MAX_JSON_DEPTH, inspectJson } from './ingest.schema';

describe('inspectJson: the one walk over properties and attributes', () => {
  it('counts the bytes JSON.stringify writes, for any JSON without control characters', () => {
    const text = fc.oneof(fc.string(), fc.string({ unit: 'grapheme' }), fc.constantFrom('"', '\\', '\t\n\r', 'é€💥'));
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 6, stringUnit: fc.oneof(text, fc.constant('\\')) }), (value) => {
        const found = inspectJson(value);
        const bytes = Buffer.byteLength(JSON.stringify(value));
        if (bytes <= MAX_JSON_BYTES) expect({ value, found }).toEqual({ value, found: { bytes } });
        else expect({ value, found }).toEqual({ value, found: { problem: 'size' } });
      }),
      { seed: 16_5, numRuns: 2000 },
    );
  });

  it('stops at the first level past MAX_JSON_DEPTH, whatever the depth sent (no stack overflow)', () => {
    const nested = (levels: number, wrap: (inner: unknown) => unknown): unknown => {
      let value: unknown = 1;
      for (let i = 0; i < levels; i += 1) value = wrap(value);
      return value;
    };
    for (const wrap of [(v: unknown) => [v], (v: unknown) => ({ k: v })]) {
      expect(inspectJson(nested(MAX_JSON_DEPTH, wrap))).toEqual({ bytes: expect.any(Number) });
      expect(inspectJson(nested(MAX_JSON_DEPTH + 1, wrap))).toEqual({ problem: 'depth' });
      expect(inspectJson(nested(200_000, wrap))).toEqual({ problem: 'depth' });
    }
  });

  it('finds control characters in keys and strings, and stops early on size', () => {
    expect(inspectJson({ ['a\u0001']: 1 })).toEqual({ problem: 'control' });
    expect(inspectJson({ a: ['x', 'bell\u0007'] })).toEqual({ problem: 'control' });
    expect(inspectJson({ a: '\ud800' })).toEqual({ problem: 'control' });
    expect(inspectJson({ a: 'tab\tand\nline' })).toEqual({
      bytes: Buffer.byteLength(JSON.stringify({ a: 'tab\tand\nline' })),
    });
    expect(inspectJson({ big: 'x'.repeat(MAX_JSON_BYTES) })).toEqual({ problem: 'size' });
  });
});
