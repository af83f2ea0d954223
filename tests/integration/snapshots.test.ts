import { sql } from 'drizzle-orm';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logging/logger.js';
import { NotFoundError } from '../../src/snapshots/errors.js';
import { SnapshotService } from '../../src/snapshots/snapshot.service.js';
import { SnapshotStore } from '../../src/snapshots/snapshot.store.js';
import { availableBackends, createTestDatabase, type TestDatabase } from '../support/db.js';

const T1 = '10000000-0000-4000-8000-000000000001';
const T2 = '10000000-0000-4000-8000-000000000002';
const BAD = '10000000-0000-4000-8000-000000000003';
const A1 = '20000000-0000-4000-8000-000000000001';
const A2 = '20000000-0000-4000-8000-000000000002';
const A3 = '20000000-0000-4000-8000-000000000003';

async function seed(t: TestDatabase) {
  await t.database.rows(sql`INSERT INTO teams (id, name, timezone) VALUES
    (${T1}, 'One', 'America/New_York'), (${T2}, 'Two', 'UTC'), (${BAD}, 'Broken', 'Not/AZone')`);
  await t.database.rows(sql`INSERT INTO whatsapp_accounts (id, team_id, phone_number) VALUES
    (${A1}, ${T1}, '+1'), (${A2}, ${T1}, '+2'), (${A3}, ${T2}, '+3')`);
  await t.database.rows(sql`INSERT INTO contacts (id, team_id, whatsapp_account_id, phone_number, created_at) VALUES
    ('30000000-0000-4000-8000-000000000001', ${T1}, ${A1}, '+9', '2026-03-01T00:00:00Z')`);
  await t.database.rows(sql`INSERT INTO conversations (id, team_id, whatsapp_account_id, contact_id, status, opened_at) VALUES
    ('40000000-0000-4000-8000-000000000001', ${T1}, ${A1}, '30000000-0000-4000-8000-000000000001', 'open', '2026-03-01T00:00:00Z')`);
  // 2026-03-10 in New York is [04:00Z, 04:00Z next day): two messages in it, one just before it.
  await t.database.rows(sql`INSERT INTO messages (team_id, whatsapp_account_id, conversation_id, contact_id, direction, status, created_at) VALUES
    (${T1}, ${A1}, '40000000-0000-4000-8000-000000000001', '30000000-0000-4000-8000-000000000001', 'inbound', 'received', '2026-03-10T03:59:59.999Z'),
    (${T1}, ${A1}, '40000000-0000-4000-8000-000000000001', '30000000-0000-4000-8000-000000000001', 'outbound', 'read', '2026-03-10T04:00:00Z'),
    (${T1}, ${A1}, '40000000-0000-4000-8000-000000000001', '30000000-0000-4000-8000-000000000001', 'inbound', 'received', '2026-03-10T05:00:00Z')`);
}

describe.each(availableBackends())('snapshots on %s', (backend) => {
  let t: TestDatabase;
  afterEach(async () => t?.drop());

  const service = (onTeamWritten?: (id: string) => Promise<void>) =>
    new SnapshotService({ database: t.database, logger: createLogger('silent'), concurrency: 2, onTeamWritten });

  it('upserting a team-wide snapshot twice leaves one row, updated', async () => {
    t = await createTestDatabase({ backend });
    await seed(t);
    const first = await service().generateSnapshot(T1, null, '2026-03-10', 'Daily');
    const second = await service().generateSnapshot(T1, null, '2026-03-10', 'Daily');
    expect(second.id).toBe(first.id);
    expect(second.updatedAt.getTime()).toBeGreaterThanOrEqual(first.updatedAt.getTime());
    const rows = await t.database.rows<{ n: number }>(sql`SELECT count(*)::int AS n FROM analytics_snapshots`);
    expect(rows[0]!.n).toBe(1);
    expect(second.whatsappAccountId).toBeNull();
    expect(second.metrics.messages.total).toBe(2);
    expect(second.metrics.period).toEqual({ start: '2026-03-10T04:00:00.000Z', end: '2026-03-11T03:59:59.999Z' });
  });

  it('a date inside a week writes that ISO week, dated its Monday', async () => {
    t = await createTestDatabase({ backend });
    await seed(t);
    const row = await service().generateSnapshot(T1, A1, '2026-03-11', 'Weekly');
    expect(row.date).toBe('2026-03-09');
    expect(row.whatsappAccountId).toBe(A1);
    expect(row.metrics.messages.total).toBe(3);
  });

  it('an account of another team is not found', async () => {
    t = await createTestDatabase({ backend });
    await seed(t);
    await expect(service().generateSnapshot(T1, A3, '2026-03-10', 'Daily')).rejects.toBeInstanceOf(NotFoundError);
    await expect(service().generateSnapshot('not-a-uuid', null, '2026-03-10', 'Daily')).rejects.toBeInstanceOf(NotFoundError);
  });

  it('writes team-wide and per-account rows for every team; a broken team fails alone', async () => {
    t = await createTestDatabase({ backend });
    await seed(t);
    const written: string[] = [];
    const progress: number[] = [];
    const result = await service(async (id) => void written.push(id)).generate({
      dates: ['2026-03-09', '2026-03-10'],
      type: 'Daily',
      onProgress: (done) => progress.push(done),
    });
    // T1: team + 2 accounts, T2: team + 1 account → 5 rows per date, 2 dates.
    expect(result.written).toBe(10);
    expect(result.teams).toBe(3);
    expect(result.failed).toEqual([{ teamId: BAD, error: 'unknown time zone "Not/AZone"' }]);
    expect(written.sort()).toEqual([T1, T2]);
    expect(progress.at(-1)).toBe(4);
    const page = await new SnapshotStore(t.database).list(T1, {
      type: 'Daily', from: '2026-03-01', to: '2026-03-31', whatsappAccountId: null, first: 1,
    });
    expect(page.totalCount).toBe(2);
    expect(page.nodes.map((n) => n.date)).toEqual(['2026-03-09']);
    expect(page.hasNextPage).toBe(true);
    const next = await new SnapshotStore(t.database).list(T1, {
      type: 'Daily', from: '2026-03-01', to: '2026-03-31', whatsappAccountId: null, first: 5, after: page.endCursor,
    });
    expect(next.nodes.map((n) => n.date)).toEqual(['2026-03-10']);
    expect(next.hasNextPage).toBe(false);
    expect(next.nodes[0]!.metrics.messages.total).toBe(2);
    // Running again rewrites the same rows.
    await service().generate({ dates: ['2026-03-09', '2026-03-10'], type: 'Daily' });
    const count = await t.database.rows<{ n: number }>(sql`SELECT count(*)::int AS n FROM analytics_snapshots`);
    expect(count[0]!.n).toBe(10);
  });

  it('per-team dates follow each team’s own calendar', async () => {
    t = await createTestDatabase({ backend });
    await seed(t);
    const result = await service().generate({ teamIds: [T1, T2], dates: (tz) => [tz === 'UTC' ? '2026-03-01' : '2026-03-10'], type: 'Daily' });
    expect(result.failed).toEqual([]);
    const rows = await t.database.rows<{ team_id: string; date: string }>(
      sql`SELECT DISTINCT team_id, date::text AS date FROM analytics_snapshots ORDER BY 1`,
    );
    expect(rows).toEqual([{ team_id: T1, date: '2026-03-10' }, { team_id: T2, date: '2026-03-01' }]);
  });
});
