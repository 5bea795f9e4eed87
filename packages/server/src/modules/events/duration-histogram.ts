/**
 * The fixed log-scale duration histogram of the hourly rollups (the ingest stores each event's
 * bucket, `bucketOf`, with it; SQL only counts buckets): bucket 0 holds
 * [0, 1) ms, bucket k ≥ 1 holds [2^((k-1)/4), 2^(k/4)) ms, and the last one everything above.
 * Quarter powers of two keep a percentile read from it within 19 % of the true value.
 */
export const HISTOGRAM_BUCKETS = 96;

/** The bucket of a duration in milliseconds. */
export function bucketOf(durationMs: number): number {
  if (!(durationMs >= 1)) return 0;
  return Math.min(HISTOGRAM_BUCKETS - 1, 1 + Math.floor(4 * Math.log2(durationMs)));
}

/** The lower and upper bound of a bucket, in milliseconds. */
export function bucketBounds(bucket: number): [number, number] {
  if (bucket <= 0) return [0, 1];
  return [2 ** ((bucket - 1) / 4), 2 ** (bucket / 4)];
}

/**
 * The `q` quantile (0 < q ≤ 1) of the durations a histogram counts, interpolated within the
 * bucket where it falls; null for an empty histogram.
 */
export function quantileFromHistogram(counts: readonly number[], q: number): number | null {
  const total = counts.reduce((sum, n) => sum + n, 0);
  if (total === 0) return null;
  const rank = Math.max(1, Math.ceil(q * total));
  let below = 0;
  for (let bucket = 0; bucket < counts.length; bucket += 1) {
    const n = counts[bucket] ?? 0;
    if (n > 0 && below + n >= rank) {
      const [low, high] = bucketBounds(bucket);
      return low + ((high - low) * (rank - below)) / n;
    }
    below += n;
  }
  return null;
}
