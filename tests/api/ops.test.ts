import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGateway, type Gateway, type GatewayDeps } from '../../src/http/server.js';
import { Fixtures } from '../support/fixtures.js';
import { startTestGateway, TEST_JWT_SECRET, type TestGateway } from '../support/gateway.js';
import { gql } from './client.js';
import { TeamDocument } from './generated/graphql.js';

let gw: TestGateway;
const extra: Gateway[] = [];

/** A second gateway over the same app, with some deps replaced. */
async function variant(overrides: Partial<GatewayDeps>): Promise<string> {
  const g = await createGateway({
    config: { production: false, env: 'development', jwtSecret: TEST_JWT_SECRET, maxBodyBytes: 102_400, host: '127.0.0.1', port: 0 },
    logger: pino({ level: 'silent' }),
    database: gw.database,
    cache: gw.app.cache,
    metrics: gw.app.metrics,
    jobs: gw.app.runner,
    snapshotWriter: gw.app.snapshots,
    services: gw.app.services,
    ...overrides,
  });
  extra.push(g);
  return g.listen(0, '127.0.0.1');
}

beforeAll(async () => {
  gw = await startTestGateway();
});
afterAll(async () => {
  for (const g of extra) await g.close();
  await gw?.close();
});

describe('operations endpoints (spec §10)', () => {
  it('GET /health: the process is up', async () => {
    const r = await fetch(`${gw.url}/health`);
    expect(r.status).toBe(200);
    expect(await r.json()).toEqual({ status: 'ok' });
  });

  it('GET /ready: 200 when Postgres answers, 503 when it does not', async () => {
    const ok = await fetch(`${gw.url}/ready`);
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ status: 'ready', checks: { postgres: 'ok', redis: 'not configured' } });
    const downUrl = await variant({ database: { ...gw.database, ping: () => Promise.reject(new Error('connection refused')) } });
    const down = await fetch(`${downUrl}/ready`);
    expect(down.status).toBe(503);
    expect(await down.json()).toEqual({ status: 'unavailable', checks: { postgres: 'unreachable', redis: 'not configured' } });
  });

  it('GET /metrics: Prometheus text with request durations by operation, and cache counters', async () => {
    const team = await new Fixtures(gw.database).team();
    await gql(gw.graphqlUrl, TeamDocument, {}, { token: await gw.tokenFor(team.id) });
    const r = await fetch(`${gw.url}/metrics`);
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/text\/plain/);
    const text = await r.text();
    expect(text).toMatch(/analytics_graphql_request_duration_seconds_count\{operation="query:team",outcome="ok"\} 1/);
    expect(text).toContain('analytics_cache_hits_total');
  });

  it('GET /metrics after a job run and polls: job, snapshot and cache series with sensible values', async () => {
    const f = new Fixtures(gw.database);
    const { team } = await f.teamWithAccount();
    const token = await gw.tokenFor(team.id, 'admin');
    const run = await gw.app.runner.trigger('daily-analytics-snapshot');
    expect(run.status).toBe('succeeded');
    for (let i = 0; i < 3; i++) await gql(gw.graphqlUrl, TeamDocument, {}, { token });
    const text = await (await fetch(`${gw.url}/metrics`)).text();
    const value = (re: RegExp) => Number(re.exec(text)?.[1] ?? Number.NaN);
    expect(value(/analytics_job_runs_total\{job="daily-analytics-snapshot",status="succeeded"\} (\d+)/)).toBeGreaterThanOrEqual(1);
    expect(value(/analytics_job_duration_seconds_count\{job="daily-analytics-snapshot",status="succeeded"\} (\d+)/)).toBeGreaterThanOrEqual(1);
    // 3 days × (team-wide + 1 account) for this team, at least.
    expect(value(/analytics_snapshots_written_total\{type="Daily"\} (\d+)/)).toBeGreaterThanOrEqual(6);
    expect(value(/analytics_snapshot_generation_seconds_count\{type="Daily",outcome="success"\} (\d+)/)).toBeGreaterThanOrEqual(1);
    // The two repeated polls were answered from the response cache.
    expect(value(/analytics_cache_hits_total\{kind="response"\} (\d+)/)).toBeGreaterThanOrEqual(2);
  });
});

describe('the explorer (GET /graphql from a browser)', () => {
  it('serves a self-contained GraphiQL page: nothing loaded from another origin', async () => {
    const r = await fetch(gw.graphqlUrl, { headers: { accept: 'text/html' } });
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/text\/html/);
    expect(r.headers.get('content-security-policy')).toMatch(/default-src 'self'/);
    expect(r.headers.get('content-security-policy')).toMatch(/connect-src 'self'/);
    const html = await r.text();
    expect(html).toContain('YogaGraphiQL.renderYogaGraphiQL');
    // No <script src>, <link href> or CSS url() pointing at another origin.
    expect(html).not.toMatch(/<script[^>]+src=["']?(https?:)?\/\//i);
    expect(html).not.toMatch(/<link[^>]+href=["']?(https?:)?\/\//i);
    expect(html).not.toMatch(/@import\s+url\(["']?https?:/i);
    const again = await fetch(gw.graphqlUrl, { headers: { accept: 'text/html', 'if-none-match': r.headers.get('etag')! } });
    expect(again.status).toBe(304);
    const root = await fetch(gw.url, { redirect: 'manual' });
    expect(root.status).toBe(302);
    expect(root.headers.get('location')).toBe('/graphql');
  });

  it('pre-fills the demo token in development only', async () => {
    const devUrl = await variant({ demoToken: 'demo-token-abc123' });
    const dev = await (await fetch(`${devUrl}/graphql`, { headers: { accept: 'text/html' } })).text();
    expect(dev).toContain('Bearer demo-token-abc123');
    const prodUrl = await variant({ demoToken: 'demo-token-abc123', config: { production: true, env: 'production', jwtSecret: TEST_JWT_SECRET, maxBodyBytes: 102_400, host: '127.0.0.1', port: 0 } });
    const prod = await (await fetch(`${prodUrl}/graphql`, { headers: { accept: 'text/html' } })).text();
    expect(prod).not.toContain('demo-token-abc123');
    expect(prod).toContain('Bearer <your JWT>');
  });
});
