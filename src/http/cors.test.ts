import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createCors } from './cors.js';

let server: Server | undefined;
afterEach(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

/** A server that runs the CORS step, then answers 200 "ok" with an ETag (what /graphql would do). */
async function serve(origins: string[]): Promise<string> {
  const cors = createCors(origins);
  server = createServer((req, res) => {
    if (cors(req, res)) return;
    res.writeHead(200, ['etag', 'W/"1"', 'content-type', 'text/plain']);
    res.end('ok');
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server!.address() as AddressInfo).port}/graphql`;
}

describe('CORS', () => {
  it('an allowed origin may read the answer and its ETag; its preflight is answered', async () => {
    const url = await serve(['https://app.example.com']);
    const r = await fetch(url, { headers: { origin: 'https://app.example.com' } });
    expect(r.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
    expect(r.headers.get('access-control-expose-headers')).toBe('ETag');
    expect(r.headers.get('vary')).toBe('Origin');
    expect(r.headers.get('etag')).toBe('W/"1"');
    const pre = await fetch(url, {
      method: 'OPTIONS',
      headers: { origin: 'https://app.example.com', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type' },
    });
    expect(pre.status).toBe(204);
    expect(pre.headers.get('access-control-allow-methods')).toContain('POST');
    expect(pre.headers.get('access-control-allow-headers')).toContain('authorization');
    expect(pre.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
  });

  it('another origin, or none configured, gets no CORS headers', async () => {
    const url = await serve(['https://app.example.com']);
    const other = await fetch(url, { headers: { origin: 'https://evil.example.com' } });
    expect(other.status).toBe(200);
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
    await new Promise<void>((resolve) => server!.close(() => resolve()));
    const none = await serve([]);
    const r = await fetch(none, { headers: { origin: 'https://app.example.com' } });
    expect(r.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('"*" allows every origin without Vary', async () => {
    const url = await serve(['*']);
    const r = await fetch(url, { headers: { origin: 'https://any.example.org' } });
    expect(r.headers.get('access-control-allow-origin')).toBe('*');
    expect(r.headers.get('vary')).toBeNull();
  });
});
