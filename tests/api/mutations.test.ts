import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cacheKeys } from '../../src/cache/cache.keys.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { codes, gql } from './client.js';
import {
  AnalyticsHealthDocument,
  DashboardDocument,
  GenerateSnapshotDocument,
  InvalidateAnalyticsCacheDocument,
  SnapshotDocument,
  TriggerJobDocument,
} from './generated/graphql.js';
import { seedTwoTeams, type TwoTeams } from './seed.js';

const NOW = new Date();
let gw: TestGateway;
let data: TwoTeams;
let admin: string;

beforeAll(async () => {
  gw = await startTestGateway({ now: () => NOW });
  data = await seedTwoTeams(gw.database, gw.app.snapshots, NOW);
  admin = await gw.tokenFor(data.a.team.id, 'admin');
}, 120_000);
afterAll(() => gw?.close());

describe('mutations (admin)', () => {
  it('generateSnapshot: writes the period containing the date, upserts the same row again', async () => {
    const date = data.dailyDates[2]!;
    const first = await gql(gw.graphqlUrl, GenerateSnapshotDocument, { date, type: 'Daily' }, { token: admin });
    expect(first.errors).toBeUndefined();
    expect(first.data!.generateSnapshot).toMatchObject({ teamId: data.a.team.id, whatsappAccountId: null, date, snapshotType: 'Daily' });
    expect(first.data!.generateSnapshot.metrics.messages.total).toBe(6);
    const again = await gql(gw.graphqlUrl, GenerateSnapshotDocument, { date, type: 'Daily' }, { token: admin });
    expect(again.data!.generateSnapshot.id).toBe(first.data!.generateSnapshot.id);
    expect(Date.parse(again.data!.generateSnapshot.updatedAt)).toBeGreaterThanOrEqual(Date.parse(first.data!.generateSnapshot.updatedAt));

    const account = data.a.accounts[1]!.id;
    const weekly = await gql(gw.graphqlUrl, GenerateSnapshotDocument, { date: '2026-03-11', type: 'Weekly', whatsappAccountId: account }, { token: admin });
    expect(weekly.data!.generateSnapshot).toMatchObject({ date: '2026-03-09', snapshotType: 'Weekly', whatsappAccountId: account });
    const read = await gql(gw.graphqlUrl, SnapshotDocument, { id: weekly.data!.generateSnapshot.id }, { token: admin });
    expect(read.data!.snapshot!.id).toBe(weekly.data!.generateSnapshot.id);
  });

  it('invalidateAnalyticsCache: clears the team’s cached answers', async () => {
    await gql(gw.graphqlUrl, DashboardDocument, { days: 7 }, { token: admin });
    const key = cacheKeys.dashboard(data.a.team.id, 7, null);
    expect(await gw.app.cache.get(key)).toBeDefined();
    const r = await gql(gw.graphqlUrl, InvalidateAnalyticsCacheDocument, {}, { token: admin });
    expect(r.data).toEqual({ invalidateAnalyticsCache: true });
    expect(await gw.app.cache.get(key)).toBeUndefined();
  });

  it('triggerJob: runs the job, records it, and analyticsHealth lists the run', async () => {
    const r = await gql(gw.graphqlUrl, TriggerJobDocument, { name: 'daily-analytics-snapshot' }, { token: admin });
    expect(codes(r)).toEqual([]);
    const run = r.data!.triggerJob;
    expect(run).toMatchObject({ name: 'daily-analytics-snapshot', trigger: 'manual' });
    expect(['running', 'succeeded']).toContain(run.status);
    const health = await gql(gw.graphqlUrl, AnalyticsHealthDocument, { limit: 5 }, { token: admin });
    expect(health.data!.analyticsHealth.recentJobRuns.map((j) => j.id)).toContain(run.id);
    expect(health.data!.analyticsHealth.healthy).toBe(true);
  });
});
