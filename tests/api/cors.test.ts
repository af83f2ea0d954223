/** Browser frontends on another origin (CORS_ORIGINS): preflight, answers and cached answers carry the headers. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { seedTwoTeams } from './seed.js';

const APP = 'https://app.example.com';
let gw: TestGateway;
let token: string;

beforeAll(async () => {
  gw = await startTestGateway({ env: { CORS_ORIGINS: `${APP},http://localhost:5173` } });
  const data = await seedTwoTeams(gw.database, gw.app.snapshots, new Date());
  token = await gw.tokenFor(data.a.team.id, 'member');
});
afterAll(async () => gw?.close());

describe('CORS for browser frontends', () => {
  it('answers the preflight of an allowed origin', async () => {
    const r = await fetch(gw.graphqlUrl, {
      method: 'OPTIONS',
      headers: { origin: APP, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type' },
    });
    expect(r.status).toBe(204);
    expect(r.headers.get('access-control-allow-origin')).toBe(APP);
    expect(r.headers.get('access-control-allow-headers')).toContain('authorization');
  });

  it('a poll from an allowed origin, computed and then cached, is readable with its ETag; another origin is not', async () => {
    // A GET poll (the form that gets an ETag for If-None-Match).
    const query = encodeURIComponent('{ realTimeMetrics { messages { total } } }');
    const poll = (origin: string) => fetch(`${gw.graphqlUrl}?query=${query}`, { headers: { origin, authorization: `Bearer ${token}` } });
    for (const r of [await poll(APP), await poll(APP)]) {
      expect(r.status).toBe(200);
      expect(r.headers.get('access-control-allow-origin')).toBe(APP);
      expect(r.headers.get('access-control-expose-headers')).toBe('ETag');
      expect(r.headers.get('etag')).toBeTruthy();
      expect((await r.json()).data.realTimeMetrics.messages.total).toBeGreaterThanOrEqual(0);
    }
    const other = await poll('https://evil.example.com');
    expect(other.status).toBe(200);
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  });
});
