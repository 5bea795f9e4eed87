import { request } from 'node:http';
import { type TestServer, startTestServer } from './harness';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

/** A raw GET (no decompression): status, headers and the byte count as sent. */
function get(url: string, acceptEncoding?: string) {
  return new Promise<{
    status: number;
    headers: Record<string, string | string[] | undefined>;
    bytes: number;
    body: string;
  }>((resolve, reject) => {
    const req = request(url, { headers: acceptEncoding ? { 'accept-encoding': acceptEncoding } : {} }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const all = Buffer.concat(chunks);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, bytes: all.length, body: all.toString('latin1') });
      });
    });
    req.on('error', reject);
    req.end();
  });
}

describe('the dashboard files', () => {
  it('go out pre-compressed (brotli, else gzip) to browsers that accept it, and cached for good', async () => {
    const page = await get(`${server.url}/`);
    expect(page.status).toBe(200);
    const script = /src="(\/assets\/[^"]+\.js)"/.exec(page.body)?.[1];
    if (!script) throw new Error('the built dashboard has no script (run `pnpm build`)');
    const plain = await get(`${server.url}${script}`);
    const br = await get(`${server.url}${script}`, 'gzip, deflate, br');
    const gzip = await get(`${server.url}${script}`, 'gzip');
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(br.headers['content-encoding']).toBe('br');
    expect(gzip.headers['content-encoding']).toBe('gzip');
    expect(br.bytes).toBeLessThan(plain.bytes / 2);
    expect(gzip.bytes).toBeLessThan(plain.bytes / 2);
    expect(br.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(br.headers['vary']).toMatch(/accept-encoding/i);
  });
});
