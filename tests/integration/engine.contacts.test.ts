/**
 * computeMetrics — the `contacts` section of spec §4, hand-computed on crafted rows.
 * Period: the UTC day 2026-03-10, start S = 2026-03-10T00:00Z, end E = 2026-03-11T00:00Z.
 *
 * Engagement score of one contact (§4 Scores), over that contact's messages in the period:
 *   attention      = read/delivered·100 if delivered > 0, else 100 if inbound > 0, else 0
 *   responsiveness = min(100, replied/sent·100) if sent > 0, else 100 if inbound > 0, else 0
 *   initiative     = 100 if inbound > 0 else 0
 *   score          = 0.5·attention + 0.3·responsiveness + 0.2·initiative
 * (sent, delivered, read, replied as in the messages section: sent = accepted outbound.)
 */
import { describe, expect, it } from 'vitest';
import { availableBackends } from '../support/db.js';
import { day, engineDatabase, teamWideMetrics } from '../support/fixtures.js';

const PERIOD = day('2026-03-10');
const S = '2026-03-10T00:00:00.000Z';
const E = '2026-03-11T00:00:00.000Z';

describe.each(availableBackends())('computeMetrics: contacts (%s)', (backend) => {
  const ctx = engineDatabase(backend);

  it('total, new and blocked follow created_at and blocked_at against the period', async () => {
    const f = ctx.fixtures();
    const { team, account } = await f.teamWithAccount();
    await f.contact(account, { createdAt: '2026-01-01T00:00:00Z' }); //                       total
    await f.contact(account, { createdAt: S }); //                                            total, new (start is inclusive)
    await f.contact(account, { createdAt: '2026-03-10T15:00:00Z' }); //                       total, new
    await f.contact(account, { createdAt: E }); //                                            created at the end: neither
    await f.contact(account, { createdAt: '2026-03-12T00:00:00Z' }); //                       created after the period: neither
    await f.contact(account, { blockedAt: '2026-02-01T00:00:00Z' }); //                       total, blocked (before the period)
    await f.contact(account, { blockedAt: '2026-03-10T12:00:00Z' }); //                       total, blocked (in the period)
    await f.contact(account, { blockedAt: E }); //                                            total; blocked_at = end → not blocked
    await f.contact(account, { blockedAt: '2026-03-12T00:00:00Z' }); //                       total; blocked after the period → not blocked
    // total 7, new 2, blocked 2; nobody wrote → active 0, avgEngagementScore 0
    const m = await teamWideMetrics(ctx.database, team.id, PERIOD);
    expect(m.contacts).toMatchObject({ total: 7, new: 2, active: 0, blocked: 2, avgEngagementScore: 0 });
  });

  it('active counts distinct contacts with a message in the period', async () => {
    const f = ctx.fixtures();
    const { team, account } = await f.teamWithAccount();
    const busy = await f.contact(account);
    const first = await f.conversation(busy);
    const second = await f.conversation(busy);
    await f.inbound(first, '2026-03-10T09:00:00Z');
    await f.outbound(first, 'sent', '2026-03-10T09:01:00Z');
    await f.inbound(second, '2026-03-10T10:00:00Z'); //   busy: 3 messages, 2 conversations → counted once
    const atStart = await f.chat(account);
    await f.outbound(atStart, 'failed', S); //            a failed outbound is a message → active
    const atEnd = await f.chat(account);
    await f.inbound(atEnd, E); //                         at the end → not active
    const before = await f.chat(account);
    await f.inbound(before, '2026-03-09T23:59:59.999Z'); // before the start → not active
    // active 2; total 4 (all created long ago), new 0
    const m = await teamWideMetrics(ctx.database, team.id, PERIOD);
    expect(m.contacts).toMatchObject({ total: 4, new: 0, active: 2 });
  });

  it('an inbound-only contact has engagement score 100', async () => {
    const f = ctx.fixtures();
    const { team, account } = await f.teamWithAccount();
    const chat = await f.chat(account);
    await f.inbound(chat, '2026-03-10T09:00:00Z');
    await f.inbound(chat, '2026-03-10T09:05:00Z');
    // sent 0, delivered 0, inbound 2 → attention 100, responsiveness 100, initiative 100 → 50 + 30 + 20 = 100
    const m = await teamWideMetrics(ctx.database, team.id, PERIOD);
    expect(m.contacts).toMatchObject({ active: 1, avgEngagementScore: 100 });
  });

  it('a contact we only wrote to, never delivered, scores 0', async () => {
    const f = ctx.fixtures();
    const { team, account } = await f.teamWithAccount();
    const chat = await f.chat(account);
    await f.outbound(chat, 'sent', '2026-03-10T09:00:00Z');
    await f.outbound(chat, 'failed', '2026-03-10T09:01:00Z');
    // sent 1, delivered 0, inbound 0 → attention 0, responsiveness 0/1 = 0, initiative 0 → 0
    const m = await teamWideMetrics(ctx.database, team.id, PERIOD);
    expect(m.contacts).toMatchObject({ active: 1, avgEngagementScore: 0 });
  });

  it('avgEngagementScore is the mean over active contacts of unrounded scores, rounded once', async () => {
    const f = ctx.fixtures();
    const { team, account } = await f.teamWithAccount();
    // P1 inbound only → 100
    const p1 = await f.chat(account);
    await f.inbound(p1, '2026-03-10T09:00:00Z');
    // P2 delivered (unread), replied 5 min later: s1 d1 r0 replied1 in1 → 0.5·0 + 0.3·100 + 0.2·100 = 50
    const p2 = await f.chat(account, { contact: { createdAt: '2026-03-10T08:00:00Z' } });
    await f.outbound(p2, 'delivered', '2026-03-10T10:00:00Z');
    await f.inbound(p2, '2026-03-10T10:05:00Z');
    // P3 three delivered, one read, no answer: s3 d3 r1 replied0 in0 → 0.5·33.333… = 16.666…
    //   (its inbound of the day before is outside the period and must not count: it would make initiative 100)
    const p3 = await f.chat(account);
    await f.messages(p3, [
      { direction: 'inbound', at: '2026-03-09T23:00:00Z' },
      { direction: 'outbound', status: 'read', at: '2026-03-10T11:00:00Z' },
      { direction: 'outbound', status: 'delivered', at: '2026-03-10T11:01:00Z' },
      { direction: 'outbound', status: 'delivered', at: '2026-03-10T11:02:00Z' },
    ]);
    // P4 like P3 but the last one is answered: s3 d3 r1 replied1 in1
    //   → 0.5·33.333… + 0.3·33.333… + 0.2·100 = 16.666… + 10 + 20 = 46.666…
    const p4 = await f.chat(account);
    await f.messages(p4, [
      { direction: 'outbound', status: 'read', at: '2026-03-10T12:00:00Z' },
      { direction: 'outbound', status: 'delivered', at: '2026-03-10T12:01:00Z' },
      { direction: 'outbound', status: 'delivered', at: '2026-03-10T12:02:00Z' },
      { direction: 'inbound', at: '2026-03-10T12:03:00Z' },
    ]);
    // An inactive contact (no messages) is not in the mean.
    await f.contact(account);
    // mean = (100 + 50 + 16.666… + 46.666…)/4 = 213.333…/4 = 53.333… → 53.33
    //   (rounding each score first: (100 + 50 + 16.67 + 46.67)/4 = 53.335 → 53.34; inactive as 0: 42.67)
    const m = await teamWideMetrics(ctx.database, team.id, PERIOD);
    expect(m.contacts).toMatchObject({ total: 5, new: 1, active: 4, blocked: 0, avgEngagementScore: 53.33 });
  });
});
