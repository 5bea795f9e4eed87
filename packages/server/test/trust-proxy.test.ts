import { ConfigError, loadConfig } from '../src/platform/config';
import { uniqueEmail } from './factories';
import { type TestServer, codeOf, startTestServer } from './harness';

const LOG_IN = `mutation($email: String!) { logIn(email: $email, password: "not the password") { accessToken } }`;

describe('TRUST_PROXY', () => {
  it('takes false, a hop count or a list of proxy addresses, and refuses true with what to write', () => {
    expect(loadConfig({}).trustProxy).toBe(false);
    expect(loadConfig({ TRUST_PROXY: '0' }).trustProxy).toBe(false);
    expect(loadConfig({ TRUST_PROXY: '2' }).trustProxy).toBe(2);
    expect(loadConfig({ TRUST_PROXY: '10.0.0.5, 10.1.0.0/16,::1,loopback' }).trustProxy).toEqual([
      '10.0.0.5',
      '10.1.0.0/16',
      '::1',
      'loopback',
    ]);
    for (const bad of ['true', 'yes', '10.0.0.0/33', 'proxy.example.com']) {
      let error: unknown;
      try {
        loadConfig({ TRUST_PROXY: bad });
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).problems.join('\n')).toMatch(/^TRUST_PROXY: .*TRUST_PROXY=1/);
    }
  });

  it('refuses a range that trusts every address (a /0), naming it: Fastify threw on it at start, with a stack', () => {
    for (const everyone of ['0.0.0.0/0', '::/0', '10.0.0.5, 0.0.0.0/0', '::/00']) {
      let error: unknown;
      try {
        loadConfig({ TRUST_PROXY: everyone });
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(ConfigError);
      const range = everyone.split(',').at(-1)?.trim() ?? '';
      expect((error as ConfigError).problems).toEqual([
        `TRUST_PROXY: ${range} would trust every address, so any client could write its own: set the number of proxies in front of Tally (e.g. TRUST_PROXY=1) or their addresses (e.g. TRUST_PROXY=10.0.0.5,10.1.0.0/16)`,
      ]);
    }
    // Narrower ranges stay as they are.
    expect(loadConfig({ TRUST_PROXY: '0.0.0.0/1,::/1' }).trustProxy).toEqual(['0.0.0.0/1', '::/1']);
  });

  describe('with one trusted hop', () => {
    let server: TestServer;
    beforeAll(async () => {
      server = await startTestServer({ TRUST_PROXY: '1', LOGIN_MAX_FAILURES_PER_ADDRESS: '3' });
    });
    afterAll(() => server.close());

    it('a client-written left-most X-Forwarded-For does not change the rate-limit key', async () => {
      const codes: unknown[] = [];
      for (let i = 0; i < 5; i += 1) {
        // What a client behind the one proxy sends: its own spoofed entry, then the proxy's
        // entry for the real client address.
        const res = await server.gql(
          LOG_IN,
          { email: uniqueEmail('spoof') },
          { headers: { 'x-forwarded-for': `198.51.100.${i + 1}, 203.0.113.7` } },
        );
        codes.push(codeOf(res));
      }
      expect(codes).toEqual(['UNAUTHENTICATED', 'UNAUTHENTICATED', 'UNAUTHENTICATED', 'RATE_LIMITED', 'RATE_LIMITED']);
      // Another real client (the proxy's entry differs) has its own counter.
      const other = await server.gql(
        LOG_IN,
        { email: uniqueEmail('other') },
        { headers: { 'x-forwarded-for': '203.0.113.8' } },
      );
      expect(codeOf(other)).toBe('UNAUTHENTICATED');
    });
  });
});
