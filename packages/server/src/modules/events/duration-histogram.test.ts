import { HISTOGRAM_BUCKETS, bucketBounds, bucketOf, quantileFromHistogram } from './duration-histogram';

describe('the duration histogram', () => {
  it('has contiguous buckets from 0 up', () => {
    for (let b = 1; b < HISTOGRAM_BUCKETS; b += 1) expect(bucketBounds(b)[0]).toBeCloseTo(bucketBounds(b - 1)[1]);
    expect(bucketBounds(0)).toEqual([0, 1]);
  });

  it('puts every duration in the bucket whose bounds hold it', () => {
    for (const d of [0, 0.5, 1, 1.5, 2, 3, 8, 100, 1000, 1024, 65_536, 1e7, 6e8]) {
      const [low, high] = bucketBounds(bucketOf(d));
      expect({ d, ok: d >= low && (d < high || bucketOf(d) === HISTOGRAM_BUCKETS - 1) }).toEqual({ d, ok: true });
    }
    expect(bucketOf(8)).toBe(13);
    expect(bucketOf(7.999)).toBe(12);
  });

  it('reads a percentile within its bucket', () => {
    const counts = new Array<number>(HISTOGRAM_BUCKETS).fill(0);
    counts[5] = 95; // [2, 2.38) ms
    counts[41] = 5; // [1024, 1217.7) ms
    const p95 = quantileFromHistogram(counts, 0.95);
    expect(p95).toBeGreaterThanOrEqual(2);
    expect(p95).toBeLessThanOrEqual(2 ** (5 / 4));
    const p99 = quantileFromHistogram(counts, 0.99);
    expect(p99).toBeGreaterThanOrEqual(1024);
    expect(p99).toBeLessThanOrEqual(2 ** (41 / 4));
  });

  it('is null for no durations', () => {
    expect(quantileFromHistogram(new Array<number>(HISTOGRAM_BUCKETS).fill(0), 0.95)).toBeNull();
  });
});
