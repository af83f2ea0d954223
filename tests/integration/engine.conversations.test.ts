/**
 * computeMetrics — the `conversations` section of spec §4 (counts, open/closed, avgResponseTime),
 * hand-computed on crafted rows. Period: the UTC day 2026-03-10, [2026-03-10T00:00Z, 2026-03-11T00:00Z).
 */
import { describe, expect, it } from 'vitest';
import { availableBackends } from '../support/db.js';
import { day, engineDatabase, teamWideMetrics } from '../support/fixtures.js';

const PERIOD = day('2026-03-10');

describe.each(availableBackends())('computeMetrics: conversations (%s)', (backend) => {
  const ctx = engineDatabase(backend);

  it('counts conversations with a message in the period; closed exactly at the end is open', async () => {
    const f = ctx.fixtures();
    const { team, account } = await f.teamWithAccount();
    // v1: closed_at = end → "closed means closed_at < end" fails → open (status column says closed; §4 goes by closed_at)
    const v1 = await f.chat(account, { conversation: { closedAt: '2026-03-11T00:00:00.000Z' } });
    await f.inbound(v1, '2026-03-10T09:00:00Z');
    // v2: closed_at = end − 1 ms → closed
    const v2 = await f.chat(account, { conversation: { closedAt: '2026-03-10T23:59:59.999Z' } });
    await f.inbound(v2, '2026-03-10T09:00:00Z');
    // v3: never closed → open
    const v3 = await f.chat(account);
    await f.outbound(v3, 'sent', '2026-03-10T09:00:00Z');
    // v4: closed after the end → open
    const v4 = await f.chat(account, { conversation: { closedAt: '2026-03-12T00:00:00Z' } });
    await f.outbound(v4, 'failed', '2026-03-10T09:00:00Z');
    // v5: its only message is before the start → not in the period
    const v5 = await f.chat(account, { conversation: { closedAt: '2026-03-10T12:00:00Z' } });
    await f.inbound(v5, '2026-03-09T23:59:59.999Z');
    // v6: its only message is at the end (exclusive) → not in the period
    const v6 = await f.chat(account);
    await f.inbound(v6, '2026-03-11T00:00:00.000Z');
    // v7: no messages at all → not in the period
    await f.chat(account);
    // total = v1, v2, v3, v4 = 4; open = v1, v3, v4 = 3; closed = v2 = 1
    const m = await teamWideMetrics(ctx.database, team.id, PERIOD);
    expect(m.conversations).toMatchObject({ total: 4, open: 3, closed: 1 });
  });

  it('consecutive inbounds are one turn, timed from its first inbound to the first outbound of any status', async () => {
    const f = ctx.fixtures();
    const { team, account } = await f.teamWithAccount();
    const chat = await f.chat(account);
    await f.inbound(chat, '2026-03-10T10:00:00Z'); //                 turn 1 starts (no previous message)
    await f.inbound(chat, '2026-03-10T10:00:30Z'); //                 previous is inbound → same turn
    await f.outbound(chat, 'failed', '2026-03-10T10:01:40Z'); //      first outbound after it, failed still answers → 100 s
    await f.outbound(chat, 'sent', '2026-03-10T10:02:00Z'); //        not a turn
    await f.inbound(chat, '2026-03-10T11:00:00Z'); //                 turn 2 (previous is outbound)
    await f.outbound(chat, 'pending', '2026-03-10T11:00:10.500Z'); // pending answers too → 10.5 s
    // answered turns 2, mean (100 + 10.5) / 2 = 55.25 s
    // (timing from the last inbound of turn 1 would give (70 + 10.5)/2 = 40.25; counting each inbound as a turn 3 turns)
    const m = await teamWideMetrics(ctx.database, team.id, PERIOD);
    expect(m.conversations).toMatchObject({ total: 1, answeredTurns: 2, avgResponseTime: 55.25 });
  });

  it('the previous message before the period start decides whether an inbound starts a turn', async () => {
    const f = ctx.fixtures();
    const { team, account } = await f.teamWithAccount();
    // After our outbound of the day before, the first inbound of the period starts a turn: 20 s.
    const afterOutbound = await f.chat(account);
    await f.outbound(afterOutbound, 'read', '2026-03-09T23:00:00Z');
    await f.inbound(afterOutbound, '2026-03-10T00:00:00.000Z');
    await f.outbound(afterOutbound, 'sent', '2026-03-10T00:00:20.000Z');
    // The customer's turn began before the period (inbound at 23:59 the day before); the next inbound,
    // in the period, continues it (its previous message is inbound) → no turn starts in the period.
    const continued = await f.chat(account);
    await f.inbound(continued, '2026-03-09T23:59:00Z');
    await f.inbound(continued, '2026-03-10T00:01:00Z');
    await f.outbound(continued, 'sent', '2026-03-10T00:02:00Z');
    // one answered turn: 20 s (counting the 00:01 inbound as a turn would add 60 s → mean 40;
    // counting the 23:59 inbound would add 180 s)
    const m = await teamWideMetrics(ctx.database, team.id, PERIOD);
    expect(m.conversations).toMatchObject({ total: 2, answeredTurns: 1, avgResponseTime: 20 });
  });

  it('a response after the period end still times a turn that started in the period', async () => {
    const f = ctx.fixtures();
    const { team, account } = await f.teamWithAccount();
    const chat = await f.chat(account);
    await f.inbound(chat, '2026-03-10T23:59:00.000Z');
    await f.outbound(chat, 'delivered', '2026-03-11T00:01:00.500Z'); // after the end → 120.5 s
    const m = await teamWideMetrics(ctx.database, team.id, PERIOD);
    expect(m.conversations).toMatchObject({ total: 1, answeredTurns: 1, avgResponseTime: 120.5 });
  });

  it('a turn of several inbounds left open at the period end is timed from its first inbound', async () => {
    const f = ctx.fixtures();
    const { team, account } = await f.teamWithAccount();
    const chat = await f.chat(account);
    await f.inbound(chat, '2026-03-10T22:00:00Z'); //                 turn 1
    await f.outbound(chat, 'read', '2026-03-10T22:00:10Z'); //        answers it: 10 s
    await f.inbound(chat, '2026-03-10T23:58:00Z'); //                 turn 2 starts
    await f.inbound(chat, '2026-03-10T23:59:00Z'); //                 continues turn 2 (last message of the period)
    await f.inbound(chat, '2026-03-11T00:00:30Z'); //                 after the end, still turn 2
    await f.outbound(chat, 'failed', '2026-03-11T00:02:00Z'); //      answers turn 2: 240 s from 23:58
    // mean (10 + 240) / 2 = 125 (timing turn 2 from its last inbound of the period would give 90)
    const m = await teamWideMetrics(ctx.database, team.id, PERIOD);
    expect(m.conversations).toMatchObject({ total: 1, answeredTurns: 2, avgResponseTime: 125 });
  });

  it('unanswered turns are left out of the mean', async () => {
    const f = ctx.fixtures();
    const { team, account } = await f.teamWithAccount();
    const answered = await f.chat(account);
    await f.inbound(answered, '2026-03-10T08:00:00Z');
    await f.outbound(answered, 'sent', '2026-03-10T08:00:30Z'); // 30 s
    const unanswered = await f.chat(account);
    await f.outbound(unanswered, 'sent', '2026-03-10T09:00:00Z');
    await f.inbound(unanswered, '2026-03-10T09:05:00Z'); // a turn with no outbound after it, ever
    // mean over answered turns only: 30 / 1 = 30 (not 30 / 2 = 15)
    const m = await teamWideMetrics(ctx.database, team.id, PERIOD);
    expect(m.conversations).toMatchObject({ total: 2, answeredTurns: 1, avgResponseTime: 30 });
  });

  it('an inbound before the period answered inside it is not a turn of the period', async () => {
    const f = ctx.fixtures();
    const { team, account } = await f.teamWithAccount();
    const chat = await f.chat(account);
    await f.inbound(chat, '2026-03-09T23:59:50Z');
    await f.outbound(chat, 'sent', '2026-03-10T00:00:10Z'); // in the period, but answers a turn of the day before
    // conversation counted (one message in the period); no turn starts in the period → 0 turns, average 0
    const m = await teamWideMetrics(ctx.database, team.id, PERIOD);
    expect(m.conversations).toMatchObject({ total: 1, answeredTurns: 0, avgResponseTime: 0 });
  });

  it('avgResponseTime is in seconds, rounded half away from zero to 2 decimals (1.005 s → 1.01)', async () => {
    const f = ctx.fixtures();
    const { team, account } = await f.teamWithAccount();
    const chat = await f.chat(account);
    await f.inbound(chat, '2026-03-10T10:00:00.000Z');
    await f.outbound(chat, 'sent', '2026-03-10T10:00:01.005Z'); // 1.005 s → 1.01 (naive float math gives 1.00)
    const m = await teamWideMetrics(ctx.database, team.id, PERIOD);
    expect(m.conversations).toMatchObject({ answeredTurns: 1, avgResponseTime: 1.01 });
  });

  it('the mean of turns is rounded once: (1 + 1 + 2) / 3 s = 1.333… → 1.33', async () => {
    const f = ctx.fixtures();
    const { team, account } = await f.teamWithAccount();
    const chat = await f.chat(account);
    await f.inbound(chat, '2026-03-10T10:00:00Z');
    await f.outbound(chat, 'sent', '2026-03-10T10:00:01Z'); // 1 s
    await f.inbound(chat, '2026-03-10T11:00:00Z');
    await f.outbound(chat, 'sent', '2026-03-10T11:00:01Z'); // 1 s
    await f.inbound(chat, '2026-03-10T12:00:00Z');
    await f.outbound(chat, 'sent', '2026-03-10T12:00:02Z'); // 2 s
    const m = await teamWideMetrics(ctx.database, team.id, PERIOD);
    expect(m.conversations).toMatchObject({ answeredTurns: 3, avgResponseTime: 1.33 });
  });

  it('the mean is taken over exact durations: (10.001 s + 20.089 s) / 2 = 15.045 s → 15.05', async () => {
    // Summing float seconds gives 10.001 + 20.089 = 30.089999999999996 → 15.044999… → 15.04; the exact mean
    // of the millisecond durations is 15.045, which rounds half away from zero to 15.05.
    const f = ctx.fixtures();
    const { team, account } = await f.teamWithAccount();
    const chat = await f.chat(account);
    await f.inbound(chat, '2026-03-10T10:00:00.000Z');
    await f.outbound(chat, 'sent', '2026-03-10T10:00:10.001Z'); // 10.001 s
    await f.inbound(chat, '2026-03-10T11:00:00.000Z');
    await f.outbound(chat, 'sent', '2026-03-10T11:00:20.089Z'); // 20.089 s
    const m = await teamWideMetrics(ctx.database, team.id, PERIOD);
    expect(m.conversations).toMatchObject({ answeredTurns: 2, avgResponseTime: 15.05 });
  });

  it('all the response-time rules together', async () => {
    const f = ctx.fixtures();
    const { team, account } = await f.teamWithAccount();
    // R1: a two-inbound turn answered by a failed outbound (100 s), then a turn answered by a pending one (10.5 s)
    const r1 = await f.chat(account);
    await f.messages(r1, [
      { direction: 'inbound', at: '2026-03-10T10:00:00Z' },
      { direction: 'inbound', at: '2026-03-10T10:00:30Z' },
      { direction: 'outbound', status: 'failed', at: '2026-03-10T10:01:40Z' },
      { direction: 'outbound', status: 'sent', at: '2026-03-10T10:02:00Z' },
      { direction: 'inbound', at: '2026-03-10T11:00:00Z' },
      { direction: 'outbound', status: 'pending', at: '2026-03-10T11:00:10.500Z' },
    ]);
    // R2: previous message (outbound) before the start → turn at 00:00:00, answered at 00:00:20 (20 s)
    const r2 = await f.chat(account);
    await f.messages(r2, [
      { direction: 'outbound', status: 'read', at: '2026-03-09T23:00:00Z' },
      { direction: 'inbound', at: '2026-03-10T00:00:00Z' },
      { direction: 'outbound', status: 'delivered', at: '2026-03-10T00:00:20Z' },
    ]);
    // R3: previous message (inbound) before the start → no turn in the period
    const r3 = await f.chat(account);
    await f.messages(r3, [
      { direction: 'inbound', at: '2026-03-09T23:59:00Z' },
      { direction: 'inbound', at: '2026-03-10T00:01:00Z' },
      { direction: 'outbound', status: 'sent', at: '2026-03-10T00:02:00Z' },
    ]);
    // R4: answered after the end (120.5 s)
    const r4 = await f.chat(account);
    await f.messages(r4, [
      { direction: 'inbound', at: '2026-03-10T23:59:00Z' },
      { direction: 'outbound', status: 'sent', at: '2026-03-11T00:01:00.500Z' },
    ]);
    // R5: unanswered → excluded
    const r5 = await f.chat(account);
    await f.inbound(r5, '2026-03-10T15:00:00Z');
    // answered turns: 100, 10.5, 20, 120.5 → 4 turns, sum 251 s, mean 62.75 s
    const m = await teamWideMetrics(ctx.database, team.id, PERIOD);
    expect(m.conversations).toMatchObject({ total: 5, open: 5, closed: 0, answeredTurns: 4, avgResponseTime: 62.75 });
  });
});
