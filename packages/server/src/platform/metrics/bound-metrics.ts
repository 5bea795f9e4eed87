import {
  Counter,
  type CounterConfiguration,
  Histogram,
  type HistogramConfiguration,
  type LabelValues,
} from 'prom-client';

/**
 * Series bound once, for the paths every request takes. prom-client's own `observe(labels, v)`
 * and `inc(labels)` build a label object's hash string and a closure on every call (its bound
 * children too); a bound series here is found once and then costs a few additions. prom-client
 * still registers, names, documents and renders the metrics.
 */

/** One counter series: `inc()` adds to a number; the counter takes it when scraped. */
export interface CounterSeries {
  inc(value?: number): void;
}

class PendingCount implements CounterSeries {
  pending = 0;
  constructor(readonly labels: LabelValues<string>) {}
  inc(value = 1): void {
    this.pending += value;
  }
}

/**
 * A prom-client Counter whose bound series count in plain numbers, handed to the counter
 * (`inc(labels, n)`, its public API) in its `collect`, which runs on every scrape and read.
 */
export class BoundCounter<T extends string> {
  readonly counter: Counter<T>;
  private readonly series = new Map<string, PendingCount>();

  constructor(config: Omit<CounterConfiguration<T>, 'collect'>) {
    const series = this.series;
    this.counter = new Counter<T>({
      ...config,
      collect() {
        for (const one of series.values()) {
          if (one.pending === 0) continue;
          this.inc(one.labels, one.pending);
          one.pending = 0;
        }
      },
    });
  }

  /** The series of these labels, made on first use: keep it, or look it up by its values. */
  bind(labels: Record<T, string>): CounterSeries {
    const key = Object.values(labels).join('\u0000');
    let one = this.series.get(key);
    if (!one) {
      one = new PendingCount({ ...labels });
      this.series.set(key, one);
    }
    return one;
  }
}

/** One histogram series: `observe(v)` is a bucket search and three additions. */
export class HistogramSeries {
  /** Observations per bucket (not cumulative); the last counts those above every bound. */
  readonly counts: Float64Array;
  sum = 0;
  count = 0;

  constructor(
    readonly labels: Readonly<Record<string, string>>,
    private readonly bounds: readonly number[],
  ) {
    this.counts = new Float64Array(bounds.length + 1);
  }

  observe(value: number): void {
    const bounds = this.bounds;
    let bucket = 0;
    while (bucket < bounds.length && value > (bounds[bucket] ?? Infinity)) bucket += 1;
    this.counts[bucket] = (this.counts[bucket] ?? 0) + 1;
    this.sum += value;
    this.count += 1;
  }

  reset(): void {
    this.counts.fill(0);
    this.sum = 0;
    this.count = 0;
  }
}

/** A value as prom-client's Histogram hands it to the registry: its own labels, and the series'. */
interface ExportedValue {
  labels: Record<string, string | number>;
  sharedLabels: Readonly<Record<string, string>>;
  value: number;
  metricName: string;
  /** Exemplars are off: null on buckets, as prom-client says it. */
  exemplar?: null;
}

/**
 * A prom-client Histogram observed only through series bound with `bind` (never its own
 * `observe`, whose values it would not report). It hands the registry its values the way
 * prom-client's Histogram does (`getForPromString`, which the registry reads, and from which
 * `get()` is made): `_bucket` by `le`, cumulative, up to `+Inf`; `_sum`; `_count`.
 */
export class BoundHistogram<T extends string> extends Histogram<T> {
  private readonly bound = new Map<string, HistogramSeries>();
  private readonly bounds: readonly number[];
  private readonly exported: { name: string; help: string; aggregator: string };

  constructor(config: HistogramConfiguration<T> & { buckets: readonly number[] }) {
    super({ ...config, buckets: [...config.buckets] });
    this.bounds = [...config.buckets].sort((a, b) => a - b);
    this.exported = { name: config.name, help: config.help, aggregator: config.aggregator ?? 'sum' };
  }

  /** The series of these labels, made on first use: keep it, or look it up by its values. */
  bind(labels: Record<T, string>): HistogramSeries {
    const key = Object.values(labels).join('\u0000');
    let series = this.bound.get(key);
    if (!series) {
      series = new HistogramSeries({ ...labels }, this.bounds);
      this.bound.set(key, series);
    }
    return series;
  }

  override reset(): void {
    super.reset();
    // Bound series stay bound (their holders keep them): zeroed, not dropped. (prom-client's
    // constructor calls reset() too, before this class's fields exist.)
    const bound: Map<string, HistogramSeries> | undefined = this.bound;
    if (bound) for (const series of bound.values()) series.reset();
  }

  async getForPromString(): Promise<{
    name: string;
    help: string;
    type: 'histogram';
    values: ExportedValue[];
    aggregator: string;
  }> {
    const { name, help, aggregator } = this.exported;
    const values: ExportedValue[] = [];
    for (const series of this.bound.values()) {
      if (series.count === 0) continue;
      const sharedLabels = series.labels;
      let cumulative = 0;
      this.bounds.forEach((bound, i) => {
        cumulative += series.counts[i] ?? 0;
        values.push({
          labels: { le: bound },
          sharedLabels,
          value: cumulative,
          metricName: `${name}_bucket`,
          exemplar: null,
        });
      });
      values.push(
        { labels: { le: '+Inf' }, sharedLabels, value: series.count, metricName: `${name}_bucket`, exemplar: null },
        { labels: {}, sharedLabels, value: series.sum, metricName: `${name}_sum` },
        { labels: {}, sharedLabels, value: series.count, metricName: `${name}_count` },
      );
    }
    return { name, help, type: 'histogram', values, aggregator };
  }
}
