import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { codes, gql } from './client.js';
import { DashboardDocument, GenerateSnapshotDocument, InvalidateAnalyticsCacheDocument, RealTimeMetricsDocument, TeamAccountsAnalyticsDocument } from './generated/graphql.js';
import { seedTwoTeams, type TwoTeams } from './seed.js';

const NOW = new Date();
let gw: TestGateway;
let data: TwoTeams;
let token: string;

beforeAll(async () => {
  gw = await startTestGateway({ now: () => NOW });
  data = await seedTwoTeams(gw.database, gw.app.snapshots, NOW);
  token = await gw.tokenFor(data.a.team.id, 'admin');
}, 120_000);
afterAll(() => gw?.close());

describe('Cache-Control from cache hints (spec §8, issue 4 item 6)', () => {
  it('realTimeMetrics: private, max-age=30; dashboard: private, max-age=300; both: the shorter', async () => {
    const realtime = await gql(gw.graphqlUrl, RealTimeMetricsDocument, {}, { token });
    expect(realtime.headers.get('cache-control')).toBe('max-age=30, private');
    const dashboard = await gql(gw.graphqlUrl, DashboardDocument, { days: 7 }, { token });
    expect(dashboard.headers.get('cache-control')).toBe('max-age=300, private');
    const both = await gql(gw.graphqlUrl, '{ dashboard(days: 7) { days } realTimeMetrics { generatedAt } }', undefined, { token });
    expect(both.headers.get('cache-control')).toBe('max-age=30, private');
    const nested = await gql(gw.graphqlUrl, TeamAccountsAnalyticsDocument, { type: 'Daily', from: data.dailyDates[0]!, to: data.dailyDates.at(-1)! }, { token });
    expect(nested.headers.get('cache-control')).toBe('max-age=30, private');
  });

  it('errors and mutations: no-store', async () => {
    const error = await gql(gw.graphqlUrl, DashboardDocument, { days: 0 }, { token });
    expect(codes(error)).toEqual(['BAD_USER_INPUT']);
    expect(error.headers.get('cache-control')).toBe('no-store');
    const unauthenticated = await gql(gw.graphqlUrl, RealTimeMetricsDocument, {}, {});
    expect(unauthenticated.headers.get('cache-control')).toBe('no-store');
    const mutation = await gql(gw.graphqlUrl, InvalidateAnalyticsCacheDocument, {}, { token });
    expect(mutation.headers.get('cache-control')).toBe('no-store');
  });
});

describe('GET polling with ETag / If-None-Match', () => {
  it('a GET with a bearer token works (the Authorization header satisfies CSRF prevention)', async () => {
    const r = await gql(gw.graphqlUrl, RealTimeMetricsDocument, {}, { token, method: 'GET' });
    expect(r.status).toBe(200);
    expect(r.errors).toBeUndefined();
    expect(r.headers.get('etag')).toMatch(/^W\/".+"$/);
    // Without any preflight-forcing header (no token, no apollo-require-preflight) a GET is refused as a possible CSRF.
    const bare = await fetch(`${gw.graphqlUrl}?query=${encodeURIComponent('{ __typename }')}`);
    expect(bare.status).toBe(400);
    const preflight = await fetch(`${gw.graphqlUrl}?query=${encodeURIComponent('{ __typename }')}`, { headers: { 'apollo-require-preflight': 'true' } });
    expect(preflight.status).toBe(200);
  });

  it('an unchanged poll gets 304 and no body; a change gets a new ETag', async () => {
    const query = encodeURIComponent('query Poll { dashboard(days: 3) { current { messages { total } } } }');
    const url = `${gw.graphqlUrl}?query=${query}`;
    const headers = { authorization: `Bearer ${token}` };
    const first = await fetch(url, { headers });
    const etag = first.headers.get('etag')!;
    const firstBody = await first.text();
    expect(first.status).toBe(200);
    expect(first.headers.get('cache-control')).toBe('max-age=300, private');

    const again = await fetch(url, { headers: { ...headers, 'if-none-match': etag } });
    expect(again.status).toBe(304);
    expect(await again.text()).toBe('');
    expect(again.headers.get('etag')).toBe(etag);
    expect(again.headers.get('cache-control')).toBe('max-age=300, private');

    // New data on a day the dashboard covers, and that day's Daily snapshot regenerated (which rewrites
    // its stored activity and clears the team's cache): the same poll now answers 200 with a new ETag.
    const day = data.dailyDates.at(-1)!;
    const chat = await data.fixtures.chat(data.a.accounts[0]!);
    await data.fixtures.inbound(chat, new Date(Date.parse(day) + 12 * 3600_000));
    const regenerated = await gql(gw.graphqlUrl, GenerateSnapshotDocument, { date: day, type: 'Daily' }, { token });
    expect(regenerated.errors).toBeUndefined();
    const changed = await fetch(url, { headers: { ...headers, 'if-none-match': etag } });
    expect(changed.status).toBe(200);
    expect(changed.headers.get('etag')).not.toBe(etag);
    expect(await changed.text()).not.toBe(firstBody);
  });

  it('persisted queries over GET: a hash alone once the query is known (Apollo APQ)', async () => {
    const query = '{ realTimeMetrics { messages { total } } }';
    const sha256Hash = createHash('sha256').update(query).digest('hex');
    const extensions = JSON.stringify({ persistedQuery: { version: 1, sha256Hash } });
    const byHash = `${gw.graphqlUrl}?extensions=${encodeURIComponent(extensions)}`;
    const headers = { authorization: `Bearer ${token}` };
    const unknown = (await (await fetch(byHash, { headers })).json()) as { errors: Array<{ extensions: { code: string } }> };
    expect(unknown.errors[0]!.extensions.code).toBe('PERSISTED_QUERY_NOT_FOUND');
    const register = await fetch(`${byHash}&query=${encodeURIComponent(query)}`, { headers });
    expect(register.status).toBe(200);
    const poll = await fetch(byHash, { headers });
    expect(poll.status).toBe(200);
    expect(((await poll.json()) as { data: { realTimeMetrics: { messages: { total: number } } } }).data.realTimeMetrics.messages.total).toBeGreaterThan(0);
    expect(poll.headers.get('cache-control')).toBe('max-age=30, private');
  });

  it('POST answers carry no ETag; errors get none either', async () => {
    const post = await gql(gw.graphqlUrl, RealTimeMetricsDocument, {}, { token });
    expect(post.headers.get('etag')).toBeNull();
    const error = await gql(gw.graphqlUrl, DashboardDocument, { days: 0 }, { token, method: 'GET' });
    expect(error.headers.get('etag')).toBeNull();
  });
});
