import { ConfigError, loadConfig } from '../config';
import { MAX_OPERATION_NAMES, Metrics } from './metrics';
import { carriesToken } from './metrics.route';

describe('GraphQL operation labels', () => {
  it('keeps the known names whatever came first, and the first MAX_OPERATION_NAMES others', () => {
    const metrics = new Metrics({ knownOperations: ['Overview', 'PartnerSync'] });
    for (let i = 0; i < 2 * MAX_OPERATION_NAMES; i += 1) metrics.operationLabel(`Junk${i}`);
    expect(metrics.operationLabel('Overview')).toBe('Overview');
    expect(metrics.operationLabel('PartnerSync')).toBe('PartnerSync');
    expect(metrics.operationLabel('Junk0')).toBe('Junk0');
    expect(metrics.operationLabel(`Junk${MAX_OPERATION_NAMES}`)).toBe('__other');
    expect(metrics.operationLabel('LateComer')).toBe('__other');
  });

  it('keeps the first MAX_OPERATION_NAMES names; later new ones, and long ones, are __other', () => {
    const metrics = new Metrics();
    for (let i = 0; i < MAX_OPERATION_NAMES; i += 1) expect(metrics.operationLabel(`Op${i}`)).toBe(`Op${i}`);
    expect(metrics.operationLabel('OneTooMany')).toBe('__other');
    // Names already kept stay kept.
    expect(metrics.operationLabel('Op0')).toBe('Op0');
    expect(new Metrics().operationLabel('x'.repeat(65))).toBe('__other');
    expect(metrics.operationLabel(null)).toBe('__anonymous');
    expect(metrics.operationLabel(undefined)).toBe('__invalid');
  });

  it('counts outcomes by known codes only, whatever code an error makes up', async () => {
    const metrics = new Metrics();
    metrics.graphqlRequest('Me', null, 3);
    metrics.graphqlRequest('Me', 'FORBIDDEN', 3);
    metrics.graphqlRequest('Me', 'MADE_UP_BY_A_RESOLVER', 3);
    metrics.graphqlRefused('UNAUTHENTICATED');
    const text = (await metrics.scrape()).body;
    expect(text).toContain('tally_graphql_requests_total{operation="Me",outcome="ok"} 1');
    expect(text).toContain('tally_graphql_requests_total{operation="Me",outcome="FORBIDDEN"} 1');
    expect(text).toContain('tally_graphql_requests_total{operation="Me",outcome="OTHER"} 1');
    expect(text).toContain('tally_graphql_requests_total{operation="__none",outcome="UNAUTHENTICATED"} 1');
    expect(text).toContain('tally_graphql_request_duration_seconds_count{operation="Me"} 3');
    expect(text).not.toContain('MADE_UP');
  });
});

describe('METRICS_OPERATION_NAMES', () => {
  it('is a comma-separated list of GraphQL names; anything else stops the start with the setting named', () => {
    expect(loadConfig({}).metricsOperationNames).toEqual([]);
    expect(loadConfig({ METRICS_OPERATION_NAMES: ' PartnerSync, NightlyReport ,' }).metricsOperationNames).toEqual([
      'PartnerSync',
      'NightlyReport',
    ]);
    for (const bad of ['Partner-Sync', 'x'.repeat(65), '1st', 'a b']) {
      let error: unknown;
      try {
        loadConfig({ METRICS_OPERATION_NAMES: bad });
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(ConfigError);
      expect(error instanceof ConfigError ? error.problems.join('\n') : '').toContain('METRICS_OPERATION_NAMES');
    }
  });
});

describe('the metrics token', () => {
  const token = 'metrics-token-0123456789';
  it.each([
    [`Bearer ${token}`, true],
    [`bearer ${token}`, true],
    [`Bearer ${token}x`, false],
    [`Bearer ${token.slice(1)}`, false],
    [token, false],
    ['Bearer', false],
    [undefined, false],
  ])('%s → %s', (header, expected) => {
    expect(carriesToken(header, token)).toBe(expected);
  });
});
