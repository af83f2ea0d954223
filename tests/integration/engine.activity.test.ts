/**
 * Stored day-level activity (written with Daily snapshots) merges into exactly the metrics the engine
 * computes from the messages, for windows of whole local days: distinct contacts and conversations,
 * replies and answered turns that cross midnight, campaigns, account scopes, a DST change.
 */
import { readFileSync } from 'node:fs';
import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { createCache } from '../../src/cache/analytics-cache.js';
import { DashboardService } from '../../src/dashboard/dashboard.service.js';
import { createLogger } from '../../src/logging/logger.js';
import { computeMetrics, type MetricsRequest, type ScopedMetrics } from '../../src/metrics/metrics.engine.js';
import { periodContaining } from '../../src/metrics/periods.js';
import { ActivityStore } from '../../src/snapshots/activity.store.js';
import { SnapshotService } from '../../src/snapshots/snapshot.service.js';
import { SnapshotStore } from '../../src/snapshots/snapshot.store.js';
import { TeamStore } from '../../src/teams/team.store.js';
import { availableBackends } from '../support/db.js';
import { engineDatabase, type Fixtures } from '../support/fixtures.js';

const ZONE = 'America/New_York'; // 2026-03-08 has 23 hours here
const DAYS = ['2026-03-07', '2026-03-08', '2026-03-09', '2026-03-10'];

/** Team T (New York, accounts A1, A2) with activity on four days; team U active on the same days. */
async function scenario(f: Fixtures) {
  const t = await f.team({ timezone: ZONE });
  const [a1, a2] = [await f.account(t), await f.account(t)];
  const k1 = await f.campaign(a1, { status: 'running', startedAt: '2026-03-07T12:00:00Z', totalRecipients: 5 });
  const p1 = await f.contact(a1);
  const c1 = await f.conversation(p1);
  await f.outbound(c1, 'read', '2026-03-07T15:00:00Z', { campaign: k1 }); //  03-07 10:00 local
  await f.inbound(c1, '2026-03-08T04:50:00Z'); // 03-07 23:50 local: turn, answered the next local day
  await f.outbound(c1, 'delivered', '2026-03-08T05:10:00Z'); // 03-08 00:10: answer (1,200 s); replied by ↓
  await f.inbound(c1, '2026-03-08T06:00:00Z');
  await f.outbound(c1, 'read', '2026-03-09T14:00:00Z', { campaign: k1 });
  await f.outbound(c1, 'failed', '2026-03-10T14:00:00Z');
  const c2 = await f.chat(a2, { contact: { createdAt: '2026-03-08T12:00:00Z', blockedAt: '2026-03-09T12:00:00Z' } });
  await f.inbound(c2, '2026-03-08T13:00:00Z');
  await f.outbound(c2, 'sent', '2026-03-08T13:05:00Z');
  await f.inbound(c2, '2026-03-10T13:00:00Z'); // replies to the 'sent' two days later: not within 24 h
  // The same contact in a second conversation of A1, active on a day it is active in c1 too.
  const c3 = await f.conversation(p1, { closedAt: '2026-03-09T20:00:00Z' });
  await f.inbound(c3, '2026-03-09T15:00:00Z');
  await f.outbound(c3, 'read', '2026-03-09T15:30:00Z');
  const u = await f.team({ timezone: ZONE });
  const cu = await f.chat(await f.account(u));
  await f.inbound(cu, '2026-03-08T13:00:00Z');
  await f.outbound(cu, 'read', '2026-03-09T13:00:00Z');
  return { t, a1, a2, u, c1, c3 };
}

/** The window of local days first..last; `source` decides how it is computed. */
function request(teamId: string, first: string, last: string, scope: Pick<MetricsRequest, 'teamWide' | 'accounts'>): MetricsRequest {
  const start = periodContaining(first, 'Daily', ZONE).start;
  const end = periodContaining(last, 'Daily', ZONE).end;
  return { windows: [{ teamId, start, end, days: { first, last } }], ...scope };
}

/** The window read from marked stored days, `staleDays` of them checked before its end. */
const marked = (req: MetricsRequest, staleDays: string[]): MetricsRequest => ({
  ...req,
  windows: req.windows.map((w) => ({ ...w, marked: { staleDays } })),
});

const withoutGeneratedAt = (rows: ScopedMetrics[]) => rows.map((r) => ({ ...r, metrics: { ...r.metrics, generatedAt: '' } }));

describe.each(availableBackends())('stored day-level activity (%s)', (backend) => {
  const ctx = engineDatabase(backend);
  const service = () => new SnapshotService({ database: ctx.database, logger: createLogger('silent'), concurrency: 2 });
  const compare = async (req: MetricsRequest) => {
    const direct = await computeMetrics(ctx.database, req);
    const merged = await computeMetrics(ctx.database, { ...req, source: 'activity' });
    expect(withoutGeneratedAt(merged)).toEqual(withoutGeneratedAt(direct));
    return direct;
  };

  it('merges whole days into the metrics computed from the messages, for every scope', async () => {
    const { t, a1, a2, u } = await scenario(ctx.fixtures());
    const result = await service().generate({ dates: DAYS, type: 'Daily' });
    expect(result.failed).toEqual([]);
    const coverage = await new ActivityStore(ctx.database).coverage(t.id, DAYS[0]!, DAYS[3]!);
    expect([...coverage.keys()].sort()).toEqual(DAYS);
    expect([...coverage.values()].every((checked) => checked instanceof Date)).toBe(true);

    const all = await compare(request(t.id, DAYS[0]!, DAYS[3]!, { teamWide: true, accounts: 'all' }));
    const team = all.find((s) => s.whatsappAccountId === null)!.metrics;
    // Not a comparison of zeros: distinct contacts over days, a reply and a turn across local midnight.
    expect(team.contacts.active).toBe(2);
    expect(team.conversations.total).toBe(3);
    expect(team.messages).toMatchObject({ total: 11, replied: 2, failed: 1 });
    expect(team.conversations.answeredTurns).toBe(4);
    expect(team.campaigns).toMatchObject({ total: 1, messagesSent: 2 });

    await compare(request(t.id, DAYS[1]!, DAYS[2]!, { teamWide: true, accounts: 'none' }));
    await compare(marked(request(t.id, DAYS[0]!, DAYS[3]!, { teamWide: true, accounts: 'none' }), []));
    await compare(marked(request(t.id, DAYS[1]!, DAYS[3]!, { teamWide: true, accounts: 'none' }), DAYS.slice(1)));
    await compare(request(t.id, DAYS[0]!, DAYS[2]!, { teamWide: false, accounts: [a1.id] }));
    await compare(request(t.id, DAYS[2]!, DAYS[3]!, { teamWide: false, accounts: [a2.id] }));
    await compare(request(u.id, DAYS[0]!, DAYS[3]!, { teamWide: true, accounts: 'all' }));
  });

  it('rewriting a day replaces its rows instead of adding to them', async () => {
    const { t } = await scenario(ctx.fixtures());
    const count = async () =>
      (await ctx.database.rows<{ n: number }>(sql`SELECT count(*)::int AS n FROM analytics_daily_activity WHERE team_id = ${t.id}`))[0]!.n;
    await service().generate({ teamIds: [t.id], dates: DAYS, type: 'Daily' });
    const rows = await count();
    expect(rows).toBeGreaterThan(0);
    await service().generate({ teamIds: [t.id], dates: [DAYS[1]!], type: 'Daily' });
    await service().generateSnapshot(t.id, null, DAYS[2]!, 'Daily');
    expect(await count()).toBe(rows);
    await compare(request(t.id, DAYS[0]!, DAYS[3]!, { teamWide: true, accounts: 'all' }));
  });

  it('pruning deletes only the given teams\' days before the date, rows and record (their snapshots stay)', async () => {
    const { t, u } = await scenario(ctx.fixtures());
    await service().generate({ dates: DAYS, type: 'Daily' });
    const store = new ActivityStore(ctx.database);
    const rowsOf = async (teamId: string) =>
      (await ctx.database.rows<{ n: number }>(sql`SELECT count(*)::int AS n FROM analytics_daily_activity WHERE team_id = ${teamId} AND date < ${DAYS[2]!}::date`))[0]!.n;
    const old = await rowsOf(t.id);
    expect(old).toBeGreaterThan(0);
    const otherTeam = await rowsOf(u.id);

    expect(await store.prune([t.id], DAYS[2]!)).toBe(old);
    expect([...(await store.coverage(t.id, DAYS[0]!, DAYS[3]!)).keys()].sort()).toEqual(DAYS.slice(2));
    expect(await rowsOf(t.id)).toBe(0);
    expect(await rowsOf(u.id)).toBe(otherTeam);
    expect((await store.coverage(u.id, DAYS[0]!, DAYS[3]!)).size).toBe(4);
    expect(await ctx.database.rows(sql`SELECT 1 FROM analytics_snapshots WHERE team_id = ${t.id} AND date = ${DAYS[0]!}::date`)).not.toHaveLength(0);
    expect(await store.prune([t.id], DAYS[2]!)).toBe(0);
    // The kept days still merge exactly.
    await compare(request(t.id, DAYS[2]!, DAYS[3]!, { teamWide: true, accounts: 'all' }));
  });

  it('dashboards merge stored activity when every day of a window is covered, and read messages otherwise', async () => {
    const { t } = await scenario(ctx.fixtures());
    // "Today" is 2026-03-11 in New York: current = 03-09..03-10, previous = 03-07..03-08.
    const now = () => new Date('2026-03-11T15:00:00Z');
    const sources: Array<string | undefined> = [];
    const dashboard = new DashboardService({
      database: ctx.database,
      teams: new TeamStore(ctx.database),
      snapshots: new SnapshotStore(ctx.database),
      cache: createCache({ logger: createLogger('silent') }),
      compute: (database, req) => (sources.push(req.source), computeMetrics(database, req)),
      now,
    });
    const before = await dashboard.get(t.id, 2, null);
    expect(sources).toEqual(['messages', 'messages']);
    await service().generate({ teamIds: [t.id], dates: DAYS.slice(2), type: 'Daily' }); // current window only
    sources.length = 0;
    const half = await new DashboardService({ ...dashboardDeps(), now, compute: (d, r) => (sources.push(r.source), computeMetrics(d, r)) }).get(t.id, 2, null);
    expect(sources.sort()).toEqual(['activity', 'messages']);
    expect({ ...half.current, generatedAt: '' }).toEqual({ ...before.current, generatedAt: '' });
    expect({ ...half.previous, generatedAt: '' }).toEqual({ ...before.previous, generatedAt: '' });
    expect(half.current.messages.total).toBeGreaterThan(0);
    expect(half.previous.messages.total).toBeGreaterThan(0);

    function dashboardDeps() {
      return {
        database: ctx.database,
        teams: new TeamStore(ctx.database),
        snapshots: new SnapshotStore(ctx.database),
        cache: createCache({ logger: createLogger('silent') }),
      };
    }
  });

  it("a team-wide window takes a closed conversation's state from its rows and looks up the ones open when written", async () => {
    const { t, c1, c3 } = await scenario(ctx.fixtures());
    await service().generate({ teamIds: [t.id], dates: DAYS, type: 'Daily' });
    const window = request(t.id, DAYS[0]!, DAYS[3]!, { teamWide: true, accounts: 'none' });
    const merged = async () => (await computeMetrics(ctx.database, { ...window, source: 'activity' }))[0]!.metrics.conversations;
    const direct = async () => (await computeMetrics(ctx.database, window))[0]!.metrics.conversations;
    const setClosedAt = (id: string, at: string | null) => ctx.database.rows(sql`UPDATE conversations SET closed_at = ${at}::timestamptz WHERE id = ${id}`);
    expect(await merged()).toEqual(await direct());
    expect(await merged()).toMatchObject({ total: 3, closed: 1 });

    // c1 was open when its days were written; it closes afterwards, inside the window: looked up live.
    await setClosedAt(c1.id, '2026-03-10T16:00:00Z');
    expect(await merged()).toMatchObject({ total: 3, closed: 2 });
    expect(await merged()).toEqual(await direct());

    // c3 was closed when its day was written; reopened since, it stays closed in the merge until its day
    // is regenerated (as fresh as the stored activity, like late receipts).
    await setClosedAt(c3.id, null);
    expect(await merged()).toMatchObject({ closed: 2 });
    expect(await direct()).toMatchObject({ closed: 1 });
    await service().generate({ teamIds: [t.id], dates: [DAYS[2]!], type: 'Daily' });
    expect(await merged()).toEqual(await direct());
  });

  it('marks each conversation\'s first row of a day with its previous message, and stores the day\'s message totals', async () => {
    const { t, c1 } = await scenario(ctx.fixtures());
    await service().generate({ teamIds: [t.id], dates: DAYS, type: 'Daily' });
    const totals = await ctx.database.rows<{ date: string; totals: Record<string, number> }>(sql`
      SELECT date::text AS date, message_totals AS totals FROM analytics_activity_days WHERE team_id = ${t.id} ORDER BY date`);
    expect(totals.map((d) => [d.date, d.totals['total'], d.totals['replied'], d.totals['answered_turns']])).toEqual([
      ['2026-03-07', 2, 1, 1], // the campaign message is replied to at 23:50; that turn is answered after midnight
      ['2026-03-08', 4, 1, 2],
      ['2026-03-09', 3, 0, 1],
      ['2026-03-10', 2, 0, 0],
    ]);
    const rows = await ctx.database.rows<{ date: string; previous: string | null; campaign: boolean }>(sql`
      SELECT date::text AS date, campaign_id IS NOT NULL AS campaign,
             CASE WHEN previous_message_at = '-infinity' THEN '-infinity'
                  ELSE to_char(previous_message_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') END AS previous
      FROM analytics_daily_activity WHERE conversation_id = ${c1.id} ORDER BY date, campaign_id NULLS FIRST`);
    expect(rows).toEqual([
      { date: '2026-03-07', previous: null, campaign: false }, // the 23:50 inbound: not the day's first message
      { date: '2026-03-07', previous: '-infinity', campaign: true }, // the campaign's first message: nothing before it
      { date: '2026-03-08', previous: '2026-03-08T04:50:00Z', campaign: false },
      { date: '2026-03-09', previous: '2026-03-08T06:00:00Z', campaign: true },
      { date: '2026-03-10', previous: '2026-03-09T14:00:00Z', campaign: false },
    ]);
  });

  it('counts each day\'s conversations at their marked rows, as migration 0006 counts days stored before it', async () => {
    const { t } = await scenario(ctx.fixtures());
    await service().generate({ teamIds: [t.id], dates: DAYS, type: 'Daily' });
    type Count = { p: string; c: string | null; n: number };
    const counts = async () =>
      (
        await ctx.database.rows<{ date: string; counts: Count[] }>(sql`
          SELECT date::text AS date, conversation_counts AS counts FROM analytics_activity_days WHERE team_id = ${t.id} ORDER BY date`)
      ).map((d) => [d.date, [...d.counts].sort((a, b) => (a.p + a.c < b.p + b.c ? -1 : 1))]);
    const written = await counts();
    // By the local (New York) dates of the previous message and of the stored closed_at.
    expect(written).toEqual([
      ['2026-03-07', [{ p: '-infinity', c: null, n: 1 }]], // c1
      ['2026-03-08', [{ p: '-infinity', c: null, n: 1 }, { p: '2026-03-07', c: null, n: 1 }]], // c2; c1 (23:50 the day before)
      ['2026-03-09', [{ p: '-infinity', c: '2026-03-09', n: 1 }, { p: '2026-03-08', c: null, n: 1 }]], // c3, closed that day; c1
      ['2026-03-10', [{ p: '2026-03-08', c: null, n: 1 }, { p: '2026-03-09', c: null, n: 1 }]], // c2; c1
    ]);
    await ctx.database.rows(sql`UPDATE analytics_activity_days SET conversation_counts = NULL WHERE team_id = ${t.id}`);
    const [, backfill] = readFileSync('drizzle/0006_conversation_counts.sql', 'utf8').split('--> statement-breakpoint');
    await ctx.database.rows(sql.raw(backfill!));
    expect(await counts()).toEqual(written);
  });

  it('a marked window trusts stored closures checked after its end, looks up the stale ones, and a refresh updates them', async () => {
    const { t, c1 } = await scenario(ctx.fixtures());
    await service().generate({ teamIds: [t.id], dates: DAYS, type: 'Daily' });
    const window = request(t.id, DAYS[0]!, DAYS[3]!, { teamWide: true, accounts: 'none' });
    const merged = async (stale: string[]) =>
      (await computeMetrics(ctx.database, marked({ ...window, source: 'activity' }, stale)))[0]!.metrics.conversations;
    const direct = async () => (await computeMetrics(ctx.database, window))[0]!.metrics.conversations;
    expect(await merged([])).toEqual(await direct());
    expect(await merged([])).toMatchObject({ total: 3, closed: 1 });

    // c1 was open when its days were written, and is closed now with a closed_at inside the window. A
    // day checked after the window's end keeps the stored state (closed_at is set when a conversation
    // closes, so it cannot fall before a check that saw it open); a stale day is looked up live.
    await ctx.database.rows(sql`UPDATE conversations SET closed_at = '2026-03-10T16:00:00Z' WHERE id = ${c1.id}`);
    expect(await merged([])).toMatchObject({ total: 3, closed: 1 });
    expect(await merged([DAYS[0]!])).toEqual(await direct());
    expect(await direct()).toMatchObject({ total: 3, closed: 2 });

    // The nightly refresh writes the closure into the stored rows and stamps the days checked.
    const store = new ActivityStore(ctx.database);
    const before = await store.coverage(t.id, DAYS[0]!, DAYS[3]!);
    expect(await store.refreshClosures([t.id])).toBeGreaterThan(0);
    expect(await merged([])).toEqual(await direct());
    const after = await store.coverage(t.id, DAYS[0]!, DAYS[3]!);
    for (const d of DAYS) expect(after.get(d)!.getTime()).toBeGreaterThanOrEqual(before.get(d)!.getTime());
    expect(await store.refreshClosures([t.id])).toBe(0);
  });

  it('dashboards read marked days with their stale days, and days written before marks without them', async () => {
    const { t } = await scenario(ctx.fixtures());
    await service().generate({ teamIds: [t.id], dates: DAYS, type: 'Daily' });
    const windows: MetricsRequest['windows'] = [];
    const dashboard = (now: string) =>
      new DashboardService({
        database: ctx.database,
        teams: new TeamStore(ctx.database),
        snapshots: new SnapshotStore(ctx.database),
        cache: createCache({ logger: createLogger('silent') }),
        compute: (database, req) => (windows.push(...req.windows), computeMetrics(database, req)),
        now: () => new Date(now),
      });
    const setChecked = (date: string, at: string | null) =>
      ctx.database.rows(sql`UPDATE analytics_activity_days SET closures_checked_at = ${at}::timestamptz WHERE team_id = ${t.id} AND date = ${date}::date`);
    // "Today" is 2026-03-11 in New York: current = 03-09..03-10 (ends 03-11 04:00 UTC), previous = 03-07..03-08.
    await setChecked(DAYS[2]!, '2026-03-10T12:00:00Z'); // checked before the current window's end
    const fresh = await dashboard('2026-03-11T15:00:00Z').get(t.id, 2, null);
    expect(windows.map((w) => w.marked)).toEqual([{ staleDays: [DAYS[2]] }, { staleDays: [] }]);
    windows.length = 0;
    // A day written before migration 0004: no closures check, no message totals.
    await setChecked(DAYS[0]!, null);
    await ctx.database.rows(sql`UPDATE analytics_activity_days SET message_totals = NULL WHERE team_id = ${t.id} AND date = ${DAYS[0]!}::date`);
    const legacy = await dashboard('2026-03-11T15:00:00Z').get(t.id, 2, null);
    expect(windows.map((w) => w.marked)).toEqual([{ staleDays: [DAYS[2]] }, undefined]);
    expect({ ...legacy.previous, generatedAt: '' }).toEqual({ ...fresh.previous, generatedAt: '' });
    windows.length = 0;
    // A day rewritten by a version before migration 0006 (a rolling upgrade): new generated_at, counts of
    // the rows before. The window groups its rows instead of trusting those counts.
    await ctx.database.rows(sql`UPDATE analytics_activity_days SET generated_at = now() + interval '1 second' WHERE team_id = ${t.id} AND date = ${DAYS[3]!}::date`);
    const upgrading = await dashboard('2026-03-11T15:00:00Z').get(t.id, 2, null);
    expect(windows.map((w) => w.marked)).toEqual([undefined, undefined]);
    expect({ ...upgrading.current, generatedAt: '' }).toEqual({ ...fresh.current, generatedAt: '' });
  });

  it('refuses to record activity from part of a team or for more than one day', async () => {
    const { t, a1 } = await scenario(ctx.fixtures());
    const oneDay = request(t.id, DAYS[0]!, DAYS[0]!, { teamWide: false, accounts: [a1.id] });
    await expect(computeMetrics(ctx.database, { ...oneDay, recordActivity: true })).rejects.toThrow(/every account/);
    const twoDays = request(t.id, DAYS[0]!, DAYS[1]!, { teamWide: true, accounts: 'all' });
    await expect(computeMetrics(ctx.database, { ...twoDays, recordActivity: true })).rejects.toThrow(/one-day/);
  });
});
