import { SignJWT } from 'jose';
import { getIntrospectionQuery } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { secretKey } from '../../src/auth/jwt.js';
import { Fixtures, type Team } from '../support/fixtures.js';
import { startTestGateway, TEST_JWT_SECRET, type TestGateway } from '../support/gateway.js';
import { codes, gql } from './client.js';
import { GenerateSnapshotDocument, InvalidateAnalyticsCacheDocument, TeamDocument, TriggerJobDocument } from './generated/graphql.js';

let gw: TestGateway;
let team: Team;

beforeAll(async () => {
  gw = await startTestGateway();
  team = await new Fixtures(gw.database).team();
});
afterAll(() => gw?.close());

describe('identity (spec §7)', () => {
  it('no token, a malformed header, a bad signature, an expired token, alg none: UNAUTHENTICATED and no data', async () => {
    const key = secretKey(TEST_JWT_SECRET);
    const wrongKey = secretKey('some-other-secret-that-is-32-chars-long!!');
    const sign = (k: Uint8Array, exp: number | string = '1h', alg = 'HS256') =>
      new SignJWT({ teamId: team.id, role: 'admin' }).setProtectedHeader({ alg }).setExpirationTime(exp).sign(k);
    const none = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(JSON.stringify({ teamId: team.id, role: 'admin', exp: 9e9 })).toString('base64url')}.`;
    const cases: Array<[string, Record<string, string>]> = [
      ['missing', {}],
      ['not bearer', { authorization: `Basic ${Buffer.from('a:b').toString('base64')}` }],
      ['garbage', { authorization: 'Bearer not-a-jwt' }],
      ['bad signature', { authorization: `Bearer ${await sign(wrongKey)}` }],
      ['expired', { authorization: `Bearer ${await sign(key, Math.floor(Date.now() / 1000) - 3600)}` }],
      ['HS512', { authorization: `Bearer ${await sign(secretKey(TEST_JWT_SECRET + TEST_JWT_SECRET), '1h', 'HS512')}` }],
      ['alg none', { authorization: `Bearer ${none}` }],
    ];
    for (const [name, headers] of cases) {
      const r = await gql(gw.graphqlUrl, TeamDocument, {}, { headers });
      expect(codes(r), name).toEqual(['UNAUTHENTICATED']);
      expect(r.data ?? null, name).toBeNull();
      expect(r.status, name).toBe(401);
    }
    const expired = await gql(gw.graphqlUrl, TeamDocument, {}, { headers: cases[4]![1] });
    expect(expired.errors![0]!.message).toMatch(/expired/);
  });

  it('claims are required: a token without teamId or with an unknown role is refused', async () => {
    const key = secretKey(TEST_JWT_SECRET);
    for (const claims of [{ role: 'admin' }, { teamId: team.id, role: 'owner' }, { teamId: 'not-a-uuid', role: 'admin' }]) {
      const token = await new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setExpirationTime('1h').sign(key);
      expect(codes(await gql(gw.graphqlUrl, TeamDocument, {}, { token }))).toEqual(['UNAUTHENTICATED']);
    }
  });

  it('a member calling any mutation: FORBIDDEN, nothing written', async () => {
    const token = await gw.tokenFor(team.id, 'member');
    const before = await gw.database.rows<{ n: number }>((await import('drizzle-orm')).sql`select count(*)::int as n from analytics_snapshots`);
    const results = [
      await gql(gw.graphqlUrl, GenerateSnapshotDocument, { date: '2026-03-01', type: 'Daily' }, { token }),
      await gql(gw.graphqlUrl, InvalidateAnalyticsCacheDocument, {}, { token }),
      await gql(gw.graphqlUrl, TriggerJobDocument, { name: 'daily-analytics-snapshot' }, { token }),
    ];
    for (const r of results) {
      expect(codes(r)).toEqual(['FORBIDDEN']);
      expect(r.data ?? null).toBeNull();
    }
    const after = await gw.database.rows<{ n: number }>((await import('drizzle-orm')).sql`select count(*)::int as n from analytics_snapshots`);
    expect(after).toEqual(before);
  });

  it('introspection needs no token (the explorer loads the schema before you paste one)', async () => {
    const r = await gql<{ __schema: { queryType: { name: string } } }, undefined>(gw.graphqlUrl, getIntrospectionQuery());
    expect(r.errors).toBeUndefined();
    expect(r.data!.__schema.queryType.name).toBe('Query');
  });
});
