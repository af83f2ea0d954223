import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { codes, gql, type GraphQLResponse } from './client.js';
import { DashboardDocument, GenerateSnapshotDocument, RealTimeMetricsDocument, SnapshotDocument, SnapshotsDocument, TeamAccountsAnalyticsDocument, TeamDocument } from './generated/graphql.js';
import { seedTwoTeams, type TwoTeams } from './seed.js';

const NOW = new Date();
let gw: TestGateway;
let data: TwoTeams;
let tokenA: string;
let foreignAccount: string;
let foreignSnapshot: string;

/** Same answer for another team's id and an id that does not exist: same codes, same message modulo the id, no data. */
function expectSameAnswer<T>(foreign: GraphQLResponse<T>, missing: GraphQLResponse<T>, foreignId: string, missingId: string) {
  expect(foreign.status).toBe(missing.status);
  expect(codes(foreign)).toEqual(codes(missing));
  expect(JSON.stringify(foreign.data ?? null)).toBe(JSON.stringify(missing.data ?? null));
  const scrub = (r: GraphQLResponse<T>, id: string) => (r.errors ?? []).map((e) => e.message.replaceAll(id, '<id>'));
  expect(scrub(foreign, foreignId)).toEqual(scrub(missing, missingId));
  expect(foreign.text).not.toContain(data.b.team.id);
}

beforeAll(async () => {
  gw = await startTestGateway({ now: () => NOW });
  data = await seedTwoTeams(gw.database, gw.app.snapshots, NOW);
  tokenA = await gw.tokenFor(data.a.team.id, 'admin');
  foreignAccount = data.b.accounts[0]!.id;
  const tokenB = await gw.tokenFor(data.b.team.id, 'member');
  const bSnapshots = await gql(gw.graphqlUrl, SnapshotsDocument, { type: 'Daily', from: '2000-01-01', to: '2000-12-31' }, { token: tokenB });
  expect(bSnapshots.errors).toBeUndefined();
  const [from, to] = [data.dailyDates[1]!, data.dailyDates.at(-1)!];
  const b = await gql(gw.graphqlUrl, SnapshotsDocument, { type: 'Daily', from, to }, { token: tokenB });
  foreignSnapshot = b.data!.snapshots.nodes[0]!.id;
}, 120_000);
afterAll(() => gw?.close());

describe('tenancy: a token of team A with ids of team B (spec §7)', () => {
  it('team: always the token’s team, never another', async () => {
    const r = await gql(gw.graphqlUrl, TeamDocument, {}, { token: tokenA });
    expect(r.data!.team.id).toBe(data.a.team.id);
    expect(r.text).not.toContain(foreignAccount);
  });

  it('snapshot(id): null, as for an id that does not exist', async () => {
    const foreign = await gql(gw.graphqlUrl, SnapshotDocument, { id: foreignSnapshot }, { token: tokenA });
    expect(foreign.errors).toBeUndefined();
    expect(foreign.data).toEqual({ snapshot: null });
    const missing = randomUUID();
    expectSameAnswer(foreign, await gql(gw.graphqlUrl, SnapshotDocument, { id: missing }, { token: tokenA }), foreignSnapshot, missing);
    expect((await gql(gw.graphqlUrl, SnapshotDocument, { id: 'not-a-uuid' }, { token: tokenA })).data).toEqual({ snapshot: null });
  });

  it('every argument that takes an account id: NOT_FOUND, exactly like a non-existent id', async () => {
    const missing = randomUUID();
    const calls: Array<(id: string) => Promise<GraphQLResponse<unknown>>> = [
      (id: string) => gql(gw.graphqlUrl, SnapshotsDocument, { type: 'Daily', from: data.dailyDates[0]!, to: data.dailyDates.at(-1)!, whatsappAccountId: id }, { token: tokenA }),
      (id: string) => gql(gw.graphqlUrl, RealTimeMetricsDocument, { whatsappAccountId: id }, { token: tokenA }),
      (id: string) => gql(gw.graphqlUrl, DashboardDocument, { days: 7, whatsappAccountId: id }, { token: tokenA }),
      (id: string) => gql(gw.graphqlUrl, GenerateSnapshotDocument, { date: data.dailyDates[0]!, type: 'Daily', whatsappAccountId: id }, { token: tokenA }),
    ];
    for (const call of calls) {
      const foreign = await call(foreignAccount);
      expect(codes(foreign)).toEqual(['NOT_FOUND']);
      expect(foreign.data ?? null).toBeNull();
      expectSameAnswer(foreign, await call(missing), foreignAccount, missing);
      expectSameAnswer(foreign, await call('garbage-id'), foreignAccount, 'garbage-id');
    }
  });

  it('generateSnapshot with another team’s account writes nothing', async () => {
    const rows = await gw.database.rows<{ n: number }>((await import('drizzle-orm')).sql`select count(*)::int as n from analytics_snapshots where team_id = ${data.a.team.id} and whatsapp_account_id = ${foreignAccount}`);
    expect(rows[0]!.n).toBe(0);
  });

  it('nested fields only ever see the caller’s accounts', async () => {
    const r = await gql(gw.graphqlUrl, TeamAccountsAnalyticsDocument, { type: 'Daily', from: data.dailyDates[0]!, to: data.dailyDates.at(-1)! }, { token: tokenA });
    expect(r.errors).toBeUndefined();
    const accounts = r.data!.team.whatsappAccounts;
    expect(accounts.map((a) => a.id).sort()).toEqual(data.a.accounts.map((a) => a.id).sort());
    for (const a of accounts) expect(a.snapshots.every((s) => s.whatsappAccountId === a.id)).toBe(true);
    expect(r.text).not.toContain(foreignAccount);
  });
});
