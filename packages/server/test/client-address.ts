import { request } from 'node:http';
import type { GqlOptions, GqlResponse } from './harness';

/**
 * Client addresses for tests of per-address limits, without trusting X-Forwarded-For: requests
 * leave from another loopback address (all of 127.0.0.0/8 reaches the server on 127.0.0.1),
 * so the server sees a real, distinct peer address whatever TRUST_PROXY says.
 */
let next = 0;
export function newClientAddress(): string {
  next += 1;
  // 127.0.0.1 is the default client; tests use 127.1.x.y upwards.
  return `127.${1 + Math.floor(next / 65_536)}.${Math.floor(next / 256) % 256}.${next % 256}`;
}

/** POSTs a GraphQL operation to `url` from `address` (one connection per request). */
export function gqlFrom<T = Record<string, unknown>>(
  url: string,
  address: string,
  query: string,
  variables: Record<string, unknown> = {},
  options: GqlOptions = {},
): Promise<GqlResponse<T>> {
  const target = new URL('/graphql', url);
  const body = JSON.stringify({ query, variables });
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'content-length': String(Buffer.byteLength(body)),
    ...options.headers,
  };
  if (options.token) headers['authorization'] = `Bearer ${options.token}`;
  if (options.cookie) headers['cookie'] = options.cookie;
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: target.hostname,
        port: target.port,
        path: target.pathname,
        method: 'POST',
        headers,
        localAddress: address,
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          try {
            const parsed = JSON.parse(text) as { data?: T | null; errors?: GqlResponse<T>['errors'] };
            const setCookie = res.headers['set-cookie'] ?? [];
            const responseHeaders = new Headers();
            for (const [name, value] of Object.entries(res.headers)) {
              if (typeof value === 'string') responseHeaders.set(name, value);
            }
            resolve({
              status: res.statusCode ?? 0,
              data: parsed.data,
              errors: parsed.errors,
              setCookies: setCookie,
              headers: responseHeaders,
            });
          } catch {
            reject(new Error(`non-JSON response ${String(res.statusCode)}: ${text.slice(0, 200)}`));
          }
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}
