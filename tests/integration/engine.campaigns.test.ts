/**
 * computeMetrics — the `campaigns` section of spec §4, hand-computed on crafted rows.
 * Period: the UTC day 2026-03-10, start S = 2026-03-10T00:00Z, end E = 2026-03-11T00:00Z.
 * "In the period": started_at < E and (finished_at is null or finished_at >= S).
 */
import { describe, expect, it } from 'vitest';
import { availableBackends } from '../support/db.js';
import { day, engineDatabase, teamWideMetrics, type Campaign, type MessageSpec } from '../support/fixtures.js';

const PERIOD = day('2026-03-10');
const S = '2026-03-10T00:00:00.000Z';
const E = '2026-03-11T00:00:00.000Z';

describe.each(availableBackends())('computeMetrics: campaigns (%s)', (backend) => {
  const ctx = engineDatabase(backend);

  it('a campaign that started before the period and is still running is in it, and active', async () => {
    const f = ctx.fixtures();
    const { team, account } = await f.teamWithAccount();
    await f.campaign(account, { status: 'running', startedAt: '2026-03-01T09:00:00Z', totalRecipients: 100 });
    // started 03-01 < E, not finished → in; not finished by E → active
    const m = await teamWideMetrics(ctx.database, team.id, PERIOD);
    expect(m.campaigns).toMatchObject({
      total: 1,
      active: 1,
      completed: 0,
      failed: 0,
      totalRecipients: 100,
      messagesSent: 0,
      avgDeliveryRate: 0,
      avgReadRate: 0,
    });
  });

  it('a campaign finished before the period start is not in it; one finished exactly at the start is', async () => {
    const f = ctx.fixtures();
    const { team, account } = await f.teamWithAccount();
    await f.campaign(account, {
      status: 'completed',
      startedAt: '2026-03-01T00:00:00Z',
      finishedAt: '2026-03-09T23:59:59.999Z', // < S → not in the period
      totalRecipients: 1000,
    });
    await f.campaign(account, {
      status: 'completed',
      startedAt: '2026-03-01T00:00:00Z',
      finishedAt: S, // finished_at >= S → in; finished_at < E → completed; finished by E → not active
      totalRecipients: 200,
    });
    const m = await teamWideMetrics(ctx.database, team.id, PERIOD);
    expect(m.campaigns).toMatchObject({ total: 1, active: 0, completed: 1, failed: 0, totalRecipients: 200 });
  });

  it('a cancelled campaign counts in total, never in completed or failed, and is active if not finished by the end', async () => {
    const f = ctx.fixtures();
    const { team, account } = await f.teamWithAccount();
    await f.campaign(account, {
      status: 'cancelled',
      startedAt: '2026-03-10T08:00:00Z',
      finishedAt: '2026-03-10T09:00:00Z', // in; finished by E → not active
      totalRecipients: 300,
    });
    await f.campaign(account, {
      status: 'cancelled',
      startedAt: '2026-03-10T08:00:00Z',
      finishedAt: '2026-03-11T01:00:00Z', // in; not finished by E → active
      totalRecipients: 400,
    });
    // total 2, active 1, completed 0, failed 0, recipients 300 + 400 = 700
    const m = await teamWideMetrics(ctx.database, team.id, PERIOD);
    expect(m.campaigns).toMatchObject({ total: 2, active: 1, completed: 0, failed: 0, totalRecipients: 700 });
  });

  it('completed and failed need finished_at < end; finished exactly at the end is still active', async () => {
    // Reading: "active: not finished by end" is the complement of "finished_at < end" (as for conversations,
    // closed_at >= end is open), so finished_at = end is active and not completed/failed.
    const f = ctx.fixtures();
    const { team, account } = await f.teamWithAccount();
    await f.campaign(account, { status: 'failed', startedAt: '2026-03-10T01:00:00Z', finishedAt: '2026-03-10T02:00:00Z', totalRecipients: 500 }); // failed
    await f.campaign(account, { status: 'completed', startedAt: '2026-03-09T01:00:00Z', finishedAt: '2026-03-10T12:00:00Z', totalRecipients: 50 }); // completed
    await f.campaign(account, { status: 'completed', startedAt: '2026-03-10T01:00:00Z', finishedAt: E, totalRecipients: 600 }); // active
    await f.campaign(account, { status: 'failed', startedAt: '2026-03-10T01:00:00Z', finishedAt: E, totalRecipients: 700 }); // active
    // total 4, active 2, completed 1, failed 1, recipients 500 + 50 + 600 + 700 = 1850
    const m = await teamWideMetrics(ctx.database, team.id, PERIOD);
    expect(m.campaigns).toMatchObject({ total: 4, active: 2, completed: 1, failed: 1, totalRecipients: 1850 });
  });

  it('campaigns never started, or started at the end, are not in the period; a paused one is', async () => {
    // Reading: started_at null never satisfies started_at < end (draft/scheduled campaigns are not in any period).
    const f = ctx.fixtures();
    const { team, account } = await f.teamWithAccount();
    await f.campaign(account, { status: 'running', startedAt: E, totalRecipients: 7000 }); //  started_at = E → not < E
    await f.campaign(account, { status: 'draft', totalRecipients: 8000 }); //                  never started
    await f.campaign(account, { status: 'scheduled', totalRecipients: 9000 }); //              never started
    await f.campaign(account, { status: 'cancelled', totalRecipients: 9500 }); //              cancelled before starting
    await f.campaign(account, { status: 'paused', startedAt: '2026-03-05T00:00:00Z', totalRecipients: 70 }); // in, active
    const m = await teamWideMetrics(ctx.database, team.id, PERIOD);
    expect(m.campaigns).toMatchObject({ total: 1, active: 1, completed: 0, failed: 0, totalRecipients: 70 });
  });

  it('messagesSent counts accepted outbound campaign messages in the period', async () => {
    const f = ctx.fixtures();
    const { team, account } = await f.teamWithAccount();
    const campaign = await f.campaign(account, { status: 'running', startedAt: '2026-03-01T00:00:00Z' });
    const chat = await f.chat(account);
    await f.messages(chat, [
      { direction: 'outbound', status: 'read', at: '2026-03-09T12:00:00Z', campaign }, //     before the period
      { direction: 'outbound', status: 'read', at: '2026-03-10T10:00:00Z', campaign }, //     ✓
      { direction: 'outbound', status: 'delivered', at: '2026-03-10T10:01:00Z', campaign }, // ✓
      { direction: 'outbound', status: 'sent', at: '2026-03-10T10:02:00Z', campaign }, //     ✓
      { direction: 'outbound', status: 'failed', at: '2026-03-10T10:03:00Z', campaign }, //   not accepted
      { direction: 'outbound', status: 'pending', at: '2026-03-10T10:04:00Z', campaign }, //  not accepted
      { direction: 'outbound', status: 'sent', at: '2026-03-10T10:05:00Z' }, //               no campaign
      { direction: 'outbound', status: 'sent', at: E, campaign }, //                          at the end → out
    ]);
    // messagesSent 3; messages.sent (all accepted outbound) 4
    const m = await teamWideMetrics(ctx.database, team.id, PERIOD);
    expect(m.campaigns).toMatchObject({ total: 1, messagesSent: 3 });
    expect(m.messages).toMatchObject({ sent: 4 });
  });

  it('messagesSent counts campaign messages in the period even when their campaign is not in it', async () => {
    // Literal reading of §4: "messagesSent: outbound accepted messages with a campaign_id, in the period" — the
    // definition is over messages; it does not ask for the campaign to be in the period.
    const f = ctx.fixtures();
    const { team, account } = await f.teamWithAccount();
    const finished = await f.campaign(account, {
      status: 'completed',
      startedAt: '2026-03-01T00:00:00Z',
      finishedAt: '2026-03-09T00:00:00Z', // before S → not in the period
    });
    const chat = await f.chat(account);
    await f.outbound(chat, 'delivered', '2026-03-10T10:00:00Z', { campaign: finished });
    const m = await teamWideMetrics(ctx.database, team.id, PERIOD);
    expect(m.campaigns).toMatchObject({ total: 0, messagesSent: 1, avgDeliveryRate: 0, avgReadRate: 0 });
  });

  it('avgDeliveryRate and avgReadRate are means of per-campaign rates, over unrounded values, rounded once', async () => {
    const f = ctx.fixtures();
    const { team, account } = await f.teamWithAccount();
    const chat = await f.chat(account);
    const running = (n: number) => f.campaign(account, { status: 'running', startedAt: '2026-03-01T00:00:00Z', name: `K${n}` });
    const send = (campaign: Campaign, statuses: Array<'read' | 'delivered' | 'sent' | 'failed' | 'pending'>, hour: number) =>
      f.messages(
        chat,
        statuses.map<MessageSpec>((status, i) => ({
          direction: 'outbound',
          status,
          campaign,
          at: `2026-03-10T${String(hour).padStart(2, '0')}:${String(i).padStart(2, '0')}:00Z`,
        })),
      );
    const k1 = await running(1);
    await send(k1, ['read', 'delivered', 'sent'], 10); //            sent 3, delivered 2, read 1 → dr 2/3, rr 1/2
    await f.outbound(chat, 'read', '2026-03-09T12:00:00Z', { campaign: k1 }); // before the period: ignored
    const k2 = await running(2);
    await send(k2, ['read', 'read', 'read', 'read', 'sent', 'sent'], 11); // sent 6, delivered 4, read 4 → dr 2/3, rr 1
    const k3 = await running(3);
    await send(k3, ['failed', 'pending'], 12); //                     no accepted message → in neither mean
    const k4 = await running(4);
    await send(k4, ['sent'], 13); //                                  sent 1, delivered 0 → dr 0; no delivered → not in rr mean
    const k5 = await f.campaign(account, {
      status: 'completed',
      startedAt: '2026-03-01T00:00:00Z',
      finishedAt: '2026-03-09T00:00:00Z', // not in the period → in neither mean
      name: 'K5',
    });
    await send(k5, ['read'], 14);
    // avgDeliveryRate = mean(2/3, 2/3, 0) · 100 = 44.444… → 44.44
    //   (rounding each first: (66.67 + 66.67 + 0)/3 = 44.4467 → 44.45; pooled 6/10 = 60;
    //    K3 as 0: 33.33; K5 included: 58.33)
    // avgReadRate = mean(1/2, 1) · 100 = 75   (pooled 5/6 = 83.33; K4 as 0: 50; K5 included: 83.33)
    const m = await teamWideMetrics(ctx.database, team.id, PERIOD);
    expect(m.campaigns).toMatchObject({ total: 4, avgDeliveryRate: 44.44, avgReadRate: 75 });
  });
});
