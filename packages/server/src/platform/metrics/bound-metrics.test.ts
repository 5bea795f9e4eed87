import { Counter, Histogram, Registry } from 'prom-client';
import { BoundCounter, BoundHistogram } from './bound-metrics';

/** The same observations through prom-client's own metric and a bound one: the same exposition. */
describe('bound metrics', () => {
  it('render a histogram exactly as prom-client does', async () => {
    const mine = new Registry();
    const theirs = new Registry();
    const config = {
      name: 'x_duration_seconds',
      help: 'Durations.',
      labelNames: ['route', 'status'] as const,
      buckets: [0.01, 0.1, 1],
    };
    const bound = new BoundHistogram({ ...config, labelNames: [...config.labelNames], registers: [mine] });
    const plain = new Histogram({ ...config, labelNames: [...config.labelNames], registers: [theirs] });
    const observations: Array<[string, string, number]> = [
      ['/a', '200', 0.005],
      ['/a', '200', 0.01],
      ['/a', '200', 0.5],
      ['/a', '500', 3],
      ['/b', '200', 0.1],
    ];
    for (const [route, status, value] of observations) {
      bound.bind({ route, status }).observe(value);
      plain.observe({ route, status }, value);
    }
    expect(await mine.metrics()).toBe(await theirs.metrics());
    expect(await mine.getMetricsAsJSON()).toEqual(await theirs.getMetricsAsJSON());
    expect(await mine.metrics()).toContain('x_duration_seconds_bucket{le="0.01",route="/a",status="200"} 2');

    // A reset zeroes the bound series, which stay usable.
    const series = bound.bind({ route: '/a', status: '200' });
    mine.resetMetrics();
    expect(await mine.metrics()).not.toContain('route="/a"');
    series.observe(0.02);
    expect(await mine.metrics()).toContain('x_duration_seconds_count{route="/a",status="200"} 1');
  });

  it('count as prom-client counts, handed over when scraped', async () => {
    const mine = new Registry();
    const theirs = new Registry();
    const config = { name: 'x_total', help: 'Things.', labelNames: ['result'] };
    const bound = new BoundCounter({ ...config, registers: [mine] });
    const plain = new Counter({ ...config, registers: [theirs] });
    const hit = bound.bind({ result: 'hit' });
    bound.bind({ result: 'never' });
    for (let i = 0; i < 3; i += 1) hit.inc();
    bound.bind({ result: 'miss' }).inc(2);
    plain.inc({ result: 'hit' }, 3);
    plain.inc({ result: 'miss' }, 2);
    expect(await mine.metrics()).toBe(await theirs.metrics());
    hit.inc();
    plain.inc({ result: 'hit' });
    expect(await mine.metrics()).toBe(await theirs.metrics());
    expect(await mine.metrics()).toContain('x_total{result="hit"} 4');
  });
});
