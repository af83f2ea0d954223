/**
 * computeMetrics — scopes (team-wide vs per account, other teams), the reported period, the empty team
 * and a DST day (spec §3 and §4), hand-computed on crafted rows.
 */
import { describe, expect, it } from 'vitest';
import { computeMetrics } from '../../src/metrics/metrics.engine.js';
import { availableBackends } from '../support/db.js';
import { day, engineDatabase, scope, teamWideMetrics, ZERO_SECTIONS, type Fixtures } from '../support/fixtures.js';

const PERIOD = day('2026-03-10'); // UTC: [2026-03-10T00:00Z, 2026-03-11T00:00Z)

/**
 * Team T (UTC) with accounts A1, A2 (data) and A3 (none), and team U with account B1 whose data falls in
 * the same instants. Expected values are worked out next to each row.
 */
async function twoTeams(f: Fixtures) {
  const t = await f.team({ name: 'T' });
  const a1 = await f.account(t);
  const a2 = await f.account(t);
  const a3 = await f.account(t);

  // A1: contact created long ago; one open conversation; running campaign KA1 (10 recipients).
  const ka1 = await f.campaign(a1, { status: 'running', startedAt: '2026-03-01T00:00:00Z', totalRecipients: 10 });
  const c1 = await f.chat(a1);
  await f.outbound(c1, 'read', '2026-03-10T10:00:00Z', { campaign: ka1 }); // replied (inbound 10 min later)
  await f.inbound(c1, '2026-03-10T10:10:00Z'); //                             turn starts (previous is outbound)
  await f.outbound(c1, 'sent', '2026-03-10T10:12:00Z'); //                    answers the turn: 120 s; not replied

  // A2: contact created in the period and blocked in it; conversation closed in it; completed campaign KA2.
  await f.campaign(a2, {
    status: 'completed',
    startedAt: '2026-03-09T00:00:00Z',
    finishedAt: '2026-03-10T06:00:00Z',
    totalRecipients: 20,
  });
  const c2 = await f.chat(a2, {
    contact: { createdAt: '2026-03-10T08:00:00Z', blockedAt: '2026-03-10T20:00:00Z' },
    conversation: { openedAt: '2026-03-10T08:59:00Z', closedAt: '2026-03-10T12:00:00Z' },
  });
  await f.inbound(c2, '2026-03-10T09:00:00Z'); //                  turn (no previous message)
  await f.outbound(c2, 'failed', '2026-03-10T09:01:00Z'); //       answers it (any status): 60 s
  await f.outbound(c2, 'delivered', '2026-03-10T09:02:00Z'); //    no next message → not replied

  // U / B1: everything on 2026-03-10 too — must never show up in T's numbers.
  const u = await f.team({ name: 'U', timezone: 'America/New_York' });
  const b1 = await f.account(u);
  const ku = await f.campaign(b1, {
    status: 'failed',
    startedAt: '2026-03-10T04:30:00Z',
    finishedAt: '2026-03-10T04:45:00Z',
    totalRecipients: 999,
  });
  const cu = await f.chat(b1, {
    contact: { createdAt: '2026-03-10T01:00:00Z', blockedAt: '2026-03-10T02:00:00Z' },
    conversation: { closedAt: '2026-03-10T03:00:00Z' },
  });
  await f.outbound(cu, 'read', '2026-03-10T05:00:00Z', { campaign: ku });
  await f.inbound(cu, '2026-03-10T05:01:00Z');
  await f.outbound(cu, 'failed', '2026-03-10T05:02:00Z');

  return { t, a1, a2, a3, u, b1 };
}

// A1 — messages: 3 in, 1 inbound, 2 outbound, sent 2, delivered 1, read 1, replied 1
//   rates: delivery 1/2 = 50, read 1/1 = 100, reply 1/2 = 50, failure 0/3 = 0
//   campaigns: KA1 in (running) → total 1, active 1, recipients 10, messagesSent 1, avg delivery 1/1, read 1/1
//   contacts: total 1, new 0, active 1, blocked 0; score s2 d1 r1 replied1 in1 → 0.5·100 + 0.3·50 + 0.2·100 = 85
//   conversations: 1 open; one turn answered in 120 s
const A1 = {
  messages: { total: 3, inbound: 1, outbound: 2, sent: 2, delivered: 1, read: 1, failed: 0, replied: 1, deliveryRate: 50, readRate: 100, replyRate: 50, failureRate: 0 },
  campaigns: { total: 1, active: 1, completed: 0, failed: 0, totalRecipients: 10, messagesSent: 1, avgDeliveryRate: 100, avgReadRate: 100 },
  contacts: { total: 1, new: 0, active: 1, blocked: 0, avgEngagementScore: 85 },
  conversations: { total: 1, open: 1, closed: 0, avgResponseTime: 120, answeredTurns: 1 },
};
// A2 — messages: 3, inbound 1, outbound 2, sent 1 (delivered), delivered 1, read 0, failed 1, replied 0
//   rates: delivery 1/1 = 100, read 0/1 = 0, reply 0/1 = 0, failure 1/3 = 33.333… → 33.33
//   campaigns: KA2 finished in the period → total 1, completed 1, not active, recipients 20, no messages → avgs 0
//   contacts: total 1, new 1, active 1, blocked 1; score s1 d1 r0 replied0 in1 → 0 + 0 + 0.2·100 = 20
//   conversations: 1, closed (12:00 < end); one turn answered in 60 s
const A2 = {
  messages: { total: 3, inbound: 1, outbound: 2, sent: 1, delivered: 1, read: 0, failed: 1, replied: 0, deliveryRate: 100, readRate: 0, replyRate: 0, failureRate: 33.33 },
  campaigns: { total: 1, active: 0, completed: 1, failed: 0, totalRecipients: 20, messagesSent: 0, avgDeliveryRate: 0, avgReadRate: 0 },
  contacts: { total: 1, new: 1, active: 1, blocked: 1, avgEngagementScore: 20 },
  conversations: { total: 1, open: 0, closed: 1, avgResponseTime: 60, answeredTurns: 1 },
};
// T team-wide = A1 ∪ A2 (A3 has nothing):
//   messages 6, inbound 2, outbound 4, sent 3, delivered 2, read 1, failed 1, replied 1
//   rates: delivery 2/3 = 66.67, read 1/2 = 50, reply 1/3 = 33.33, failure 1/6 = 16.666… → 16.67
//   campaigns: total 2, active 1, completed 1, recipients 30, messagesSent 1; avgs over KA1 only → 100, 100
//   contacts: total 2, new 1, active 2, blocked 1, score (85 + 20)/2 = 52.5
//   conversations: 2, open 1, closed 1, (120 + 60)/2 = 90 s over 2 turns
const T = {
  messages: { total: 6, inbound: 2, outbound: 4, sent: 3, delivered: 2, read: 1, failed: 1, replied: 1, deliveryRate: 66.67, readRate: 50, replyRate: 33.33, failureRate: 16.67 },
  campaigns: { total: 2, active: 1, completed: 1, failed: 0, totalRecipients: 30, messagesSent: 1, avgDeliveryRate: 100, avgReadRate: 100 },
  contacts: { total: 2, new: 1, active: 2, blocked: 1, avgEngagementScore: 52.5 },
  conversations: { total: 2, open: 1, closed: 1, avgResponseTime: 90, answeredTurns: 2 },
};

const T_PERIOD = { start: '2026-03-10T00:00:00.000Z', end: '2026-03-10T23:59:59.999Z' };

describe.each(availableBackends())('computeMetrics: scopes and periods (%s)', (backend) => {
  const ctx = engineDatabase(backend);

  it("returns the team-wide scope and every account's scope with accounts: 'all'", async () => {
    const { t, a1, a2, a3 } = await twoTeams(ctx.fixtures());
    const results = await computeMetrics(ctx.database, {
      windows: [{ teamId: t.id, start: PERIOD.start, end: PERIOD.end }],
      teamWide: true,
      accounts: 'all',
    });
    expect(results.map((r) => r.whatsappAccountId).sort()).toEqual([a1.id, a2.id, a3.id, null].sort());
    expect(results.every((r) => r.teamId === t.id)).toBe(true);
    expect(scope(results, t.id, null)).toMatchObject({ ...T, period: T_PERIOD });
    expect(scope(results, t.id, a1.id)).toMatchObject({ ...A1, period: T_PERIOD });
    expect(scope(results, t.id, a2.id)).toMatchObject({ ...A2, period: T_PERIOD });
    // A3 has no data: zeros, same period
    expect(scope(results, t.id, a3.id)).toMatchObject({ ...ZERO_SECTIONS, period: T_PERIOD });
  });

  it("accounts: 'none' returns only the team-wide scope", async () => {
    const { t } = await twoTeams(ctx.fixtures());
    const results = await computeMetrics(ctx.database, {
      windows: [{ teamId: t.id, start: PERIOD.start, end: PERIOD.end }],
      teamWide: true,
      accounts: 'none',
    });
    expect(results).toHaveLength(1);
    expect(results[0]).toMatchObject({ teamId: t.id, whatsappAccountId: null, metrics: T });
  });

  it('accounts: [id] without teamWide returns only that account', async () => {
    const { t, a2 } = await twoTeams(ctx.fixtures());
    const results = await computeMetrics(ctx.database, {
      windows: [{ teamId: t.id, start: PERIOD.start, end: PERIOD.end }],
      teamWide: false,
      accounts: [a2.id],
    });
    expect(results).toHaveLength(1);
    expect(results[0]).toMatchObject({ teamId: t.id, whatsappAccountId: a2.id, metrics: A2 });
  });

  it('accounts: [id] with teamWide returns the team-wide scope and that account', async () => {
    const { t, a1, a3 } = await twoTeams(ctx.fixtures());
    const results = await computeMetrics(ctx.database, {
      windows: [{ teamId: t.id, start: PERIOD.start, end: PERIOD.end }],
      teamWide: true,
      accounts: [a1.id, a3.id],
    });
    expect(results.map((r) => r.whatsappAccountId).sort()).toEqual([a1.id, a3.id, null].sort());
    expect(scope(results, t.id, null)).toMatchObject(T);
    expect(scope(results, t.id, a1.id)).toMatchObject(A1);
    expect(scope(results, t.id, a3.id)).toMatchObject(ZERO_SECTIONS);
  });

  it("several teams' windows in one request: each team its own data over its own window", async () => {
    const { t, a1, a2, a3, u, b1 } = await twoTeams(ctx.fixtures());
    const uDay = day('2026-03-10', 'America/New_York'); // EDT (after 03-08): [03-10T04:00Z, 03-11T04:00Z)
    const results = await computeMetrics(ctx.database, {
      windows: [
        { teamId: t.id, start: PERIOD.start, end: PERIOD.end },
        { teamId: u.id, start: uDay.start, end: uDay.end },
      ],
      teamWide: true,
      accounts: 'all',
    });
    expect(results.map((r) => `${r.teamId}/${r.whatsappAccountId}`).sort()).toEqual(
      [`${t.id}/null`, `${t.id}/${a1.id}`, `${t.id}/${a2.id}`, `${t.id}/${a3.id}`, `${u.id}/null`, `${u.id}/${b1.id}`].sort(),
    );
    expect(scope(results, t.id, null)).toMatchObject({ ...T, period: T_PERIOD });
    // U over its own New York day [04:00Z, next 04:00Z):
    //   messages: read 05:00 (campaign KU), inbound 05:01, failed 05:02 → total 3, in 1, out 2, sent 1, delivered 1,
    //     read 1, failed 1, replied 1 (1 min) → delivery 100, read 100, reply 100, failure 1/3 = 33.33
    //   campaigns: KU started 04:30Z < end, finished 04:45Z >= start 04:00Z → in; failed (04:45Z < end);
    //     recipients 999; messagesSent 1; avgs 1/1 → 100, 100
    //   contacts: created 01:00Z, before U's start 04:00Z → total 1, new 0; active 1; blocked 02:00Z < end → 1;
    //     score s1 d1 r1 replied1 in1 → 100
    //   conversations: closed 03:00Z < end → closed; turn 05:01 answered 05:02 (failed counts) → 60 s
    const U = {
      period: { start: '2026-03-10T04:00:00.000Z', end: '2026-03-11T03:59:59.999Z' },
      messages: { total: 3, inbound: 1, outbound: 2, sent: 1, delivered: 1, read: 1, failed: 1, replied: 1, deliveryRate: 100, readRate: 100, replyRate: 100, failureRate: 33.33 },
      campaigns: { total: 1, active: 0, completed: 0, failed: 1, totalRecipients: 999, messagesSent: 1, avgDeliveryRate: 100, avgReadRate: 100 },
      contacts: { total: 1, new: 0, active: 1, blocked: 1, avgEngagementScore: 100 },
      conversations: { total: 1, open: 0, closed: 1, avgResponseTime: 60, answeredTurns: 1 },
    };
    expect(scope(results, u.id, null)).toMatchObject(U);
    expect(scope(results, u.id, b1.id)).toMatchObject(U);
  });

  it('an empty team reports all zeros (zero denominators give 0), for the team and for an idle account', async () => {
    const f = ctx.fixtures();
    const lonely = await f.team();
    const { team, account } = await f.teamWithAccount();
    const results = await computeMetrics(ctx.database, {
      windows: [
        { teamId: lonely.id, start: PERIOD.start, end: PERIOD.end },
        { teamId: team.id, start: PERIOD.start, end: PERIOD.end },
      ],
      teamWide: true,
      accounts: 'all',
    });
    // `lonely` has no accounts: only its team-wide scope.
    expect(results).toHaveLength(3);
    for (const m of [scope(results, lonely.id, null), scope(results, team.id, null), scope(results, team.id, account.id)]) {
      expect(m).toMatchObject({ ...ZERO_SECTIONS, period: T_PERIOD });
    }
  });

  it('reports period.start as an ISO UTC instant and period.end as end − 1 ms, or as-is with reportEndAsIs', async () => {
    const f = ctx.fixtures();
    const { team, account } = await f.teamWithAccount();
    const chat = await f.chat(account);
    await f.inbound(chat, '2026-03-10T13:45:12.344Z'); // 1 ms before the end → in
    await f.inbound(chat, '2026-03-10T13:45:12.345Z'); // at the end (exclusive even when reported as-is) → out
    const window = { teamId: team.id, start: new Date('2026-03-10T00:00:00Z'), end: new Date('2026-03-10T13:45:12.345Z') };
    const before = Date.now();
    const [closed] = await computeMetrics(ctx.database, { windows: [window], teamWide: true, accounts: 'none' });
    const [live] = await computeMetrics(ctx.database, { windows: [window], teamWide: true, accounts: 'none', reportEndAsIs: true });
    const after = Date.now();
    expect(closed!.metrics.period).toEqual({ start: '2026-03-10T00:00:00.000Z', end: '2026-03-10T13:45:12.344Z' });
    expect(live!.metrics.period).toEqual({ start: '2026-03-10T00:00:00.000Z', end: '2026-03-10T13:45:12.345Z' });
    expect(closed!.metrics.messages.total).toBe(1);
    expect(live!.metrics.messages.total).toBe(1);
    // generatedAt: an ISO instant of when the metrics were computed
    for (const r of [closed!, live!]) {
      expect(r.metrics.generatedAt).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/);
      const at = Date.parse(r.metrics.generatedAt);
      expect(at).toBeGreaterThanOrEqual(before - 1000);
      expect(at).toBeLessThanOrEqual(after + 1000);
    }
  });

  it('a New York day on the spring-forward date (2026-03-08, 23 h) holds exactly its local instants', async () => {
    const f = ctx.fixtures();
    const { team, account } = await f.teamWithAccount({ timezone: 'America/New_York' });
    const period = day('2026-03-08', 'America/New_York');
    // Local midnight 03-08 is EST (UTC−5) = 05:00Z; local midnight 03-09 is EDT (UTC−4) = 04:00Z on 03-09.
    expect(period.end.getTime() - period.start.getTime()).toBe(23 * 3600_000);
    const chat = await f.chat(account);
    await f.outbound(chat, 'failed', '2026-03-08T04:59:00Z'); // 03-07 23:59 EST → previous day, out
    await f.inbound(chat, '2026-03-08T05:00:00Z'); //            03-08 00:00 EST → in (start)
    await f.outbound(chat, 'sent', '2026-03-09T03:59:00Z'); //   03-08 23:59 EDT → in
    await f.outbound(chat, 'failed', '2026-03-09T04:00:00Z'); // 03-09 00:00 EDT → next day, out
    await f.contact(account, { createdAt: '2026-03-08T04:30:00Z' }); // 03-07 23:30 EST → not new
    await f.contact(account, { createdAt: '2026-03-09T03:30:00Z' }); // 03-08 23:30 EDT → new
    // messages: the inbound at 05:00Z and the sent outbound at 03:59Z → total 2, in 1, out 1, sent 1, failed 0
    //   (both failed outbounds are outside); replied 0 (the sent one's next message is an outbound)
    // conversations: the inbound follows an outbound → a turn, answered by the 03:59Z outbound:
    //   05:00Z → next day 03:59Z = 22 h 59 min = 82 740 s
    // contacts: total 3, new 1, active 1
    const m = await teamWideMetrics(ctx.database, team.id, period);
    expect(m.period).toEqual({ start: '2026-03-08T05:00:00.000Z', end: '2026-03-09T03:59:59.999Z' });
    expect(m.messages).toMatchObject({ total: 2, inbound: 1, outbound: 1, sent: 1, failed: 0, replied: 0, failureRate: 0 });
    expect(m.conversations).toMatchObject({ total: 1, answeredTurns: 1, avgResponseTime: 82740 });
    expect(m.contacts).toMatchObject({ total: 3, new: 1, active: 1 });
  });

  it('a New York day on the fall-back date (2026-11-01, 25 h) holds exactly its local instants', async () => {
    const f = ctx.fixtures();
    const { team, account } = await f.teamWithAccount({ timezone: 'America/New_York' });
    const period = day('2026-11-01', 'America/New_York');
    // Local midnight 11-01 is EDT (UTC−4) = 04:00Z; local midnight 11-02 is EST (UTC−5) = 05:00Z on 11-02.
    expect(period.end.getTime() - period.start.getTime()).toBe(25 * 3600_000);
    const chat = await f.chat(account);
    await f.inbound(chat, '2026-11-01T03:59:59.999Z'); // 10-31 23:59:59.999 EDT → out
    await f.inbound(chat, '2026-11-01T04:00:00.000Z'); // 11-01 00:00 EDT → in
    await f.inbound(chat, '2026-11-02T04:30:00.000Z'); // 11-01 23:30 EST → in (the 25th hour)
    await f.inbound(chat, '2026-11-02T05:00:00.000Z'); // 11-02 00:00 EST → out
    const m = await teamWideMetrics(ctx.database, team.id, period);
    expect(m.period).toEqual({ start: '2026-11-01T04:00:00.000Z', end: '2026-11-02T04:59:59.999Z' });
    expect(m.messages).toMatchObject({ total: 2, inbound: 2 });
  });
});
