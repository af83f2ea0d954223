import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DashboardDocument, DefaultDashboardDocument, RealTimeMetricsDocument, SnapshotDocument, SnapshotsDocument, TeamDocument, AnalyticsHealthDocument } from './generated/graphql.js';
import { codes, gql } from './client.js';
import { seedTwoTeams, type TwoTeams } from './seed.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';

const NOW = new Date();
let gw: TestGateway;
let data: TwoTeams;
let member: string;

beforeAll(async () => {
  gw = await startTestGateway({ now: () => NOW });
  data = await seedTwoTeams(gw.database, gw.app.snapshots, NOW);
  member = await gw.tokenFor(data.a.team.id, 'member');
}, 120_000);
afterAll(() => gw?.close());

describe('queries over HTTP', () => {
  it('team: the caller’s team and its accounts', async () => {
    const r = await gql(gw.graphqlUrl, TeamDocument, {}, { token: member });
    expect(r.errors).toBeUndefined();
    expect(r.data!.team).toMatchObject({ id: data.a.team.id, name: 'Team A', timezone: 'Europe/Berlin' });
    expect(r.data!.team.whatsappAccounts.map((a) => a.id).sort()).toEqual(data.a.accounts.map((a) => a.id).sort());
  });

  it('snapshots: team-wide rows only without an account, pages with a cursor', async () => {
    const [from, to] = [data.dailyDates[0]!, data.dailyDates.at(-1)!];
    const all = await gql(gw.graphqlUrl, SnapshotsDocument, { type: 'Daily', from, to }, { token: member });
    expect(all.errors).toBeUndefined();
    expect(all.data!.snapshots.totalCount).toBe(data.dailyDates.length);
    expect(all.data!.snapshots.nodes.every((n) => n.whatsappAccountId === null && n.teamId === data.a.team.id)).toBe(true);
    expect(all.data!.snapshots.nodes.map((n) => n.date)).toEqual(data.dailyDates);

    const first = await gql(gw.graphqlUrl, SnapshotsDocument, { type: 'Daily', from, to, first: 4 }, { token: member });
    expect(first.data!.snapshots.pageInfo.hasNextPage).toBe(true);
    const rest = await gql(gw.graphqlUrl, SnapshotsDocument, { type: 'Daily', from, to, first: 4, after: first.data!.snapshots.pageInfo.endCursor }, { token: member });
    expect([...first.data!.snapshots.nodes, ...rest.data!.snapshots.nodes].map((n) => n.date)).toEqual(data.dailyDates);
    expect(rest.data!.snapshots.pageInfo).toEqual({ hasNextPage: false, endCursor: expect.any(String) });

    const account = data.a.accounts[0]!.id;
    const mine = await gql(gw.graphqlUrl, SnapshotsDocument, { type: 'Daily', from, to, whatsappAccountId: account }, { token: member });
    expect(mine.data!.snapshots.nodes.every((n) => n.whatsappAccountId === account)).toBe(true);
    expect(mine.data!.snapshots.totalCount).toBe(data.dailyDates.length);
  });

  it('snapshot(id): the row, with its metrics', async () => {
    const list = await gql(gw.graphqlUrl, SnapshotsDocument, { type: 'Daily', from: data.dailyDates[0]!, to: data.dailyDates[0]! }, { token: member });
    const node = list.data!.snapshots.nodes[0]!;
    const r = await gql(gw.graphqlUrl, SnapshotDocument, { id: node.id }, { token: member });
    expect(r.data!.snapshot).toEqual(node);
    expect(r.data!.snapshot!.metrics.messages.total).toBeGreaterThan(0);
  });

  it('realTimeMetrics: team-wide and per account, today so far', async () => {
    const team = await gql(gw.graphqlUrl, RealTimeMetricsDocument, {}, { token: member });
    expect(team.errors).toBeUndefined();
    expect(team.data!.realTimeMetrics.messages.total).toBe(6); // 3 chats × (1 inbound + 1 outbound) today
    expect(team.data!.realTimeMetrics.period.end).toBe(NOW.toISOString());
    const one = await gql(gw.graphqlUrl, RealTimeMetricsDocument, { whatsappAccountId: data.a.accounts[1]!.id }, { token: member });
    expect(one.data!.realTimeMetrics.messages).toMatchObject({ total: 2, inbound: 1, outbound: 1, sent: 1 });
  });

  it('dashboard: current, previous, growth (null from a zero baseline) and the daily series', async () => {
    const r = await gql(gw.graphqlUrl, DashboardDocument, { days: 3 }, { token: member });
    expect(r.errors).toBeUndefined();
    const d = r.data!.dashboard;
    expect(d.days).toBe(3);
    expect(d.current.messages.total).toBe(3 * 3 * 2);
    expect(d.previous.messages.total).toBe(3 * 3 * 2);
    expect(d.growth.messages.total).toBe(0);
    expect(d.series.map((s) => s.date)).toEqual(data.dailyDates.slice(-3));

    const longer = await gql(gw.graphqlUrl, DashboardDocument, { days: 6 }, { token: member });
    expect(longer.data!.dashboard.previous.messages.total).toBe(0);
    expect(longer.data!.dashboard.growth.messages.total).toBeNull(); // growth from nothing
    expect(longer.data!.dashboard.growth.campaigns.total).toBe(0); // 0 → 0

    const byDefault = await gql(gw.graphqlUrl, DefaultDashboardDocument, {}, { token: member });
    expect(byDefault.data!.dashboard.days).toBe(30);
  });

  it('analyticsHealth: healthy after a snapshot write, with recent job runs', async () => {
    const r = await gql(gw.graphqlUrl, AnalyticsHealthDocument, { limit: 5 }, { token: member });
    expect(r.errors).toBeUndefined();
    expect(r.data!.analyticsHealth.healthy).toBe(true);
    expect(Date.parse(r.data!.analyticsHealth.latestSnapshotAt!)).toBeGreaterThan(Date.now() - 60_000);
    expect(Array.isArray(r.data!.analyticsHealth.recentJobRuns)).toBe(true);
    const other = await gql(gw.graphqlUrl, AnalyticsHealthDocument, {}, { token: await gw.tokenFor('00000000-0000-4000-8000-000000000000', 'member') });
    // A token for a team that does not exist is no identity at all (spec §7).
    expect(codes(other)).toEqual(['UNAUTHENTICATED']);
    expect(other.data?.analyticsHealth).toBeUndefined();
  });
});
