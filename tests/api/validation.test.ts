import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Fixtures, type Team } from '../support/fixtures.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { codes, gql } from './client.js';
import { AnalyticsHealthDocument, DashboardDocument, GenerateSnapshotDocument, SnapshotsDocument, TeamAccountsAnalyticsDocument, TriggerJobDocument } from './generated/graphql.js';

let gw: TestGateway;
let team: Team;
let token: string;

beforeAll(async () => {
  gw = await startTestGateway();
  team = await new Fixtures(gw.database).team();
  token = await gw.tokenFor(team.id, 'admin');
});
afterAll(() => gw?.close());

/** One BAD_USER_INPUT whose message matches `allowed` (it says what is allowed), and no data. */
function expectBadInput(r: Awaited<ReturnType<typeof gql>>, allowed: RegExp) {
  expect(codes(r)).toEqual(['BAD_USER_INPUT']);
  expect(r.errors![0]!.message).toMatch(allowed);
  expect(r.data ?? null).toBeNull();
  expect(r.status).toBeLessThan(500);
}

describe('bad arguments: BAD_USER_INPUT saying what is allowed (spec §7)', () => {
  it('dashboard days outside 1..365', async () => {
    for (const days of [0, -1, 366, 10_000]) {
      expectBadInput(await gql(gw.graphqlUrl, DashboardDocument, { days }, { token }), /days must be an integer from 1 to 365/);
    }
  });

  it('snapshots: from after to, more than 366 Daily snapshots, bad first, bad cursor', async () => {
    const q = (v: Partial<{ from: string; to: string; first: number; after: string }>) =>
      gql(gw.graphqlUrl, SnapshotsDocument, { type: 'Daily', from: '2026-03-10', to: '2026-03-20', ...v }, { token });
    expectBadInput(await q({ from: '2026-03-21' }), /from \(2026-03-21\) must not be after to \(2026-03-20\)/);
    expectBadInput(await q({ from: '2025-01-01', to: '2026-01-02' }), /at most 366 snapshots/);
    expect(codes(await q({ from: '2025-01-01', to: '2026-01-01' }))).toEqual([]); // 366 days: allowed
    expectBadInput(await q({ first: 0 }), /first must be an integer from 1 to 500/);
    expectBadInput(await q({ first: 501 }), /first must be an integer from 1 to 500/);
    expectBadInput(await q({ after: 'bm90IGEgY3Vyc29y' }), /after must be a cursor returned in pageInfo.endCursor/);
    const nested = await gql(gw.graphqlUrl, TeamAccountsAnalyticsDocument, { type: 'Daily', from: '2026-03-21', to: '2026-03-20' }, { token });
    expect(codes(nested)).toEqual([]); // no accounts: nothing to resolve
  });

  it('malformed and impossible dates, as variables and as literals, name the format', async () => {
    for (const date of ['2026-3-1', '01/03/2026', '2026-02-30', '2026-13-01', '']) {
      const r = await gql(gw.graphqlUrl, SnapshotsDocument, { type: 'Daily', from: date, to: '2026-03-20' }, { token });
      expectBadInput(r, /YYYY-MM-DD/);
      expect(r.status).toBe(400);
    }
    const literal = await gql(gw.graphqlUrl, '{ snapshots(type: Daily, from: "2026-02-30", to: "2026-03-01") { totalCount } }', undefined, { token });
    expect(codes(literal)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
    expect(literal.errors![0]!.message).toMatch(/YYYY-MM-DD/);
    expectBadInput(await gql(gw.graphqlUrl, GenerateSnapshotDocument, { date: '2026-02-29', type: 'Daily' }, { token }), /YYYY-MM-DD/);
  });

  it('unknown job name lists the allowed names', async () => {
    expectBadInput(
      await gql(gw.graphqlUrl, TriggerJobDocument, { name: 'hourly-analytics-snapshot' }, { token }),
      /daily-analytics-snapshot, weekly-analytics-snapshot, monthly-analytics-snapshot/,
    );
  });

  it('recentJobRuns limit outside 1..100', async () => {
    const r = await gql(gw.graphqlUrl, AnalyticsHealthDocument, { limit: 0 }, { token });
    expect(codes(r)).toEqual(['BAD_USER_INPUT']);
    expect(r.errors![0]!.message).toMatch(/limit must be an integer from 1 to 100/);
  });

  it('a wrong variable type is a 400 BAD_USER_INPUT, never a 5xx', async () => {
    const r = await gql(gw.graphqlUrl, DashboardDocument, { days: 'thirty' as unknown as number }, { token });
    expect(r.status).toBe(400);
    expect(codes(r)).toEqual(['BAD_USER_INPUT']);
  });
});
