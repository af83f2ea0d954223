import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Fixtures, type Team } from '../support/fixtures.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { gql } from './client.js';
import { GenerateSnapshotDocument, RealTimeMetricsDocument } from './generated/graphql.js';

/**
 * The whole-answer cache in front of Apollo (src/http/graphql-handler.ts): a poll is answered before
 * parsing, but never across teams, never for an error, and never after its team's snapshots changed.
 */
const NOW = new Date();
let gw: TestGateway;
let a: Team;
let b: Team;

beforeAll(async () => {
  gw = await startTestGateway({ now: () => NOW });
  const f = new Fixtures(gw.database);
  for (const [i, n] of [[0, 1], [1, 3]] as const) {
    const team = await f.team({ name: `T${i}` });
    const chat = await f.chat(await f.account(team));
    await f.messages(chat, Array.from({ length: n }, (_, k) => ({ direction: 'inbound' as const, at: new Date(NOW.getTime() - 1000 - k) })));
    if (i === 0) a = team;
    else b = team;
  }
}, 120_000);
afterAll(() => gw?.close());

async function poll(team: Team, role: 'member' | 'admin' = 'member') {
  const token = await gw.tokenFor(team.id, role);
  const before = gw.database.statements.count;
  const r = await gql(gw.graphqlUrl, RealTimeMetricsDocument, {}, { token });
  return { total: r.data?.realTimeMetrics.messages.total, statements: gw.database.statements.count - before, r };
}

describe('response cache', () => {
  it('serves a repeated poll without SQL, and each team only its own answer', async () => {
    const first = await poll(a);
    expect(first.total).toBe(1);
    expect(first.statements).toBeGreaterThan(0);
    const again = await poll(a);
    expect(again.total).toBe(1);
    expect(again.statements).toBe(0);
    expect(again.r.headers.get('cache-control')).toMatch(/private, max-age=(30|29|28)|max-age=(30|29|28), private/);
    // The same request text with team B's token is B's answer, not A's cached one.
    expect((await poll(b)).total).toBe(3);
  });

  it('a snapshot write for the team clears its cached answers', async () => {
    expect((await poll(a)).total).toBe(1); // cached
    const f = new Fixtures(gw.database);
    await f.messages(await f.chat(await f.account(a)), [{ direction: 'inbound', at: new Date(NOW.getTime() - 500) }]);
    expect((await poll(a)).total).toBe(1); // still the cached answer: nothing told the gateway
    const token = await gw.tokenFor(a.id, 'admin');
    const written = await gql(gw.graphqlUrl, GenerateSnapshotDocument, { date: NOW.toISOString().slice(0, 10), type: 'Daily' }, { token });
    expect(written.errors).toBeUndefined();
    const after = await poll(a);
    expect(after.statements).toBeGreaterThan(0);
    expect(after.total).toBe(2);
  });

  it('does not cache errors: a bad token is never answered from a good token’s entry', async () => {
    await poll(a);
    const r = await gql(gw.graphqlUrl, RealTimeMetricsDocument, {}, { token: 'not-a-jwt' });
    expect(r.data?.realTimeMetrics).toBeUndefined();
    expect(r.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });
});
