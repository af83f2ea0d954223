import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { completeDays } from '../../src/metrics/periods.js';
import { Fixtures, type Team } from '../support/fixtures.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { gql } from './client.js';
import { TeamAccountsAnalyticsDocument } from './generated/graphql.js';

const NOW = new Date();
let gw: TestGateway;
const teams: Record<'small' | 'large', Team> = {} as never;

/** A team with `n` accounts, each with a conversation yesterday and today, and Daily snapshots of the last 3 days. */
async function teamWithAccounts(f: Fixtures, n: number): Promise<Team> {
  const team = await f.team();
  const yesterday = completeDays(1, 'UTC', NOW).start;
  for (let i = 0; i < n; i++) {
    const chat = await f.chat(await f.account(team));
    await f.messages(chat, [
      { direction: 'inbound', at: new Date(yesterday.getTime() + 3600_000 + i) },
      { direction: 'outbound', status: 'read', at: new Date(yesterday.getTime() + 3660_000 + i) },
      { direction: 'inbound', at: new Date(NOW.getTime() - 1000) },
    ]);
  }
  await gw.app.snapshots.generate({ teamIds: [team.id], dates: completeDays(3, 'UTC', NOW).dates, type: 'Daily' });
  return team;
}

beforeAll(async () => {
  gw = await startTestGateway({ now: () => NOW });
  const f = new Fixtures(gw.database);
  teams.small = await teamWithAccounts(f, 2);
  teams.large = await teamWithAccounts(f, 20);
}, 120_000);
afterAll(() => gw?.close());

/** SQL statements one request costs on a cold cache. */
async function statementsFor(team: Team): Promise<{ count: number; accounts: number }> {
  const token = await gw.tokenFor(team.id, 'member');
  const dates = completeDays(3, 'UTC', NOW).dates;
  const before = gw.database.statements.count;
  const r = await gql(gw.graphqlUrl, TeamAccountsAnalyticsDocument, { type: 'Daily', from: dates[0]!, to: dates.at(-1)! }, { token });
  const count = gw.database.statements.count - before;
  expect(r.errors).toBeUndefined();
  for (const account of r.data!.team.whatsappAccounts) {
    expect(account.realTimeMetrics.messages.total).toBe(1);
    expect(account.snapshots).toHaveLength(3);
    expect(account.snapshots.map((s) => s.metrics.messages.total)).toEqual([0, 0, 2]);
  }
  return { count, accounts: r.data!.team.whatsappAccounts.length };
}

describe('DataLoader batching (spec §6)', () => {
  it('team → whatsappAccounts → realTimeMetrics + snapshots: the statement count does not grow with the accounts', async () => {
    const small = await statementsFor(teams.small);
    const large = await statementsFor(teams.large);
    expect(small.accounts).toBe(2);
    expect(large.accounts).toBe(20);
    expect(large.count).toBe(small.count);
    // team, accounts, one grouped metrics computation, one snapshot read.
    expect(large.count).toBeLessThanOrEqual(8);
  });

  it('a second identical request within the TTL is answered from the response cache: no SQL at all', async () => {
    const warm = await statementsFor(teams.large);
    expect(warm.count).toBe(0);
  });
});
