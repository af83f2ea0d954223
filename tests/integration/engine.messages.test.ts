/**
 * computeMetrics — the `messages` section of spec §4, hand-computed on crafted rows.
 * All periods are the UTC day 2026-03-10: [2026-03-10T00:00Z, 2026-03-11T00:00Z).
 */
import { describe, expect, it } from 'vitest';
import { periodContaining } from '../../src/metrics/periods.js';
import { availableBackends } from '../support/db.js';
import { day, engineDatabase, teamWideMetrics, type MessageSpec } from '../support/fixtures.js';

const PERIOD = day('2026-03-10');

describe.each(availableBackends())('computeMetrics: messages (%s)', (backend) => {
  const ctx = engineDatabase(backend);

  it('counts every field by direction and status, and the rates from those counts', async () => {
    const f = ctx.fixtures();
    const { team, account } = await f.teamWithAccount();
    const chat = await f.chat(account);
    await f.messages(chat, [
      { direction: 'outbound', status: 'read', at: '2026-03-09T23:59:59.999Z' }, //     a0 before start: not counted
      { direction: 'outbound', status: 'read', at: '2026-03-10T00:00:00.000Z' }, //      a1 at start (inclusive); next a2 inbound after 5 min → replied
      { direction: 'inbound', at: '2026-03-10T00:05:00Z' }, //                           a2
      { direction: 'outbound', status: 'delivered', at: '2026-03-10T11:00:00Z' }, //     a3 next is a4 (outbound) → not replied
      { direction: 'outbound', status: 'sent', at: '2026-03-10T11:01:00Z' }, //          a4 next a5 inbound 59 min later → replied
      { direction: 'inbound', at: '2026-03-10T12:00:00Z' }, //                           a5
      { direction: 'outbound', status: 'pending', at: '2026-03-10T13:00:00Z' }, //       a6 not accepted → not sent, not replied
      { direction: 'inbound', at: '2026-03-10T13:30:00Z' }, //                           a7
      { direction: 'outbound', status: 'failed', at: '2026-03-10T14:00:00Z' }, //        a8 failed
      { direction: 'inbound', at: '2026-03-11T00:00:00.000Z' }, //                       a9 at end (exclusive): not counted
    ]);
    // In the period: a1..a8.
    // total 8; inbound a2,a5,a7 = 3; outbound a1,a3,a4,a6,a8 = 5
    // sent (accepted: sent/delivered/read) a1,a3,a4 = 3; delivered (delivered/read) a1,a3 = 2; read a1 = 1; failed a8 = 1
    // replied a1,a4 = 2
    // deliveryRate 2/3 = 66.666… → 66.67; readRate 1/2 = 50; replyRate 2/3 → 66.67; failureRate 1/8 = 12.5
    const m = await teamWideMetrics(ctx.database, team.id, PERIOD);
    expect(m.messages).toMatchObject({
      total: 8,
      inbound: 3,
      outbound: 5,
      sent: 3,
      delivered: 2,
      read: 1,
      failed: 1,
      replied: 2,
      deliveryRate: 66.67,
      readRate: 50,
      replyRate: 66.67,
      failureRate: 12.5,
    });
  });

  it('a reply at exactly 24 h counts; one at 24 h + 1 ms does not', async () => {
    const f = ctx.fixtures();
    const { team, account } = await f.teamWithAccount();
    const onTime = await f.chat(account);
    await f.outbound(onTime, 'sent', '2026-03-10T10:00:00.000Z');
    await f.inbound(onTime, '2026-03-11T10:00:00.000Z'); // exactly 24 h later: "at most 24 h" → replied
    const late = await f.chat(account);
    await f.outbound(late, 'delivered', '2026-03-10T10:00:00.000Z');
    await f.inbound(late, '2026-03-11T10:00:00.001Z'); // 24 h + 1 ms → not replied
    // In the period: the two outbounds only (the inbounds are after the end).
    // sent 2, delivered 1, replied 1 → replyRate 1/2 = 50; deliveryRate 1/2 = 50
    const m = await teamWideMetrics(ctx.database, team.id, PERIOD);
    expect(m.messages).toMatchObject({
      total: 2,
      inbound: 0,
      outbound: 2,
      sent: 2,
      delivered: 1,
      replied: 1,
      replyRate: 50,
      deliveryRate: 50,
    });
  });

  it('the 24 h limit holds the same when both messages are inside the period (a week)', async () => {
    const f = ctx.fixtures();
    const { team, account } = await f.teamWithAccount();
    const week = periodContaining('2026-03-10', 'Weekly', 'UTC'); // [2026-03-09T00:00Z, 2026-03-16T00:00Z)
    const onTime = await f.chat(account);
    await f.outbound(onTime, 'read', '2026-03-10T10:00:00.000Z');
    await f.inbound(onTime, '2026-03-11T10:00:00.000Z'); // exactly 24 h → replied
    const late = await f.chat(account);
    await f.outbound(late, 'sent', '2026-03-10T10:00:00.000Z');
    await f.inbound(late, '2026-03-11T10:00:00.001Z'); // 24 h + 1 ms → not replied
    // all four messages in the week: total 4, inbound 2, sent 2, replied 1 → replyRate 50
    const m = await teamWideMetrics(ctx.database, team.id, week);
    expect(m.messages).toMatchObject({ total: 4, inbound: 2, outbound: 2, sent: 2, replied: 1, replyRate: 50 });
  });

  it('the next message falling after the period end still decides replied', async () => {
    const f = ctx.fixtures();
    const { team, account } = await f.teamWithAccount();
    const answered = await f.chat(account);
    await f.outbound(answered, 'read', '2026-03-10T23:30:00Z');
    await f.inbound(answered, '2026-03-11T00:10:00Z'); // after the end, 40 min later → replied
    const followedUp = await f.chat(account);
    await f.outbound(followedUp, 'sent', '2026-03-10T23:40:00Z');
    await f.outbound(followedUp, 'sent', '2026-03-11T00:05:00Z'); // next message (after the end) is outbound
    await f.inbound(followedUp, '2026-03-11T00:06:00Z'); //          → 23:40 not replied
    const silent = await f.chat(account);
    await f.outbound(silent, 'sent', '2026-03-10T23:50:00Z'); // no next message → not replied
    // In the period: 3 outbounds (23:30, 23:40, 23:50), all accepted; replied only 23:30.
    // replyRate 1/3 = 33.333… → 33.33
    const m = await teamWideMetrics(ctx.database, team.id, PERIOD);
    expect(m.messages).toMatchObject({ total: 3, inbound: 0, outbound: 3, sent: 3, replied: 1, replyRate: 33.33 });
  });

  it('a failed outbound followed by an inbound is not replied, and counts in failed and failureRate', async () => {
    const f = ctx.fixtures();
    const { team, account } = await f.teamWithAccount();
    const chat = await f.chat(account);
    await f.outbound(chat, 'failed', '2026-03-10T10:00:00Z');
    await f.inbound(chat, '2026-03-10T10:01:00Z');
    // total 2, inbound 1, outbound 1; failed is not accepted: sent 0, replied 0; failed 1
    // deliveryRate 0/0 → 0, readRate 0/0 → 0, replyRate 0/0 → 0; failureRate 1/2 = 50
    const m = await teamWideMetrics(ctx.database, team.id, PERIOD);
    expect(m.messages).toMatchObject({
      total: 2,
      inbound: 1,
      outbound: 1,
      sent: 0,
      delivered: 0,
      read: 0,
      failed: 1,
      replied: 0,
      deliveryRate: 0,
      readRate: 0,
      replyRate: 0,
      failureRate: 50,
    });
  });

  it('an accepted outbound whose next message is a failed outbound is not replied, even if an inbound follows', async () => {
    // Literal reading of §4: "next message in the same conversation … is inbound"; a failed outbound is
    // still the next message in the conversation.
    const f = ctx.fixtures();
    const { team, account } = await f.teamWithAccount();
    const chat = await f.chat(account);
    await f.outbound(chat, 'sent', '2026-03-10T09:00:00Z'); //   next is the failed outbound → not replied
    await f.outbound(chat, 'failed', '2026-03-10T09:30:00Z'); // not accepted
    await f.inbound(chat, '2026-03-10T09:31:00Z');
    // total 3, sent 1, failed 1, replied 0; failureRate 1/3 = 33.333… → 33.33
    const m = await teamWideMetrics(ctx.database, team.id, PERIOD);
    expect(m.messages).toMatchObject({ total: 3, sent: 1, failed: 1, replied: 0, replyRate: 0, failureRate: 33.33 });
  });

  it('only the same conversation decides replied and response time', async () => {
    const f = ctx.fixtures();
    const { team, account } = await f.teamWithAccount();
    const contact = await f.contact(account);
    const first = await f.conversation(contact);
    const second = await f.conversation(contact);
    await f.outbound(first, 'read', '2026-03-10T10:00:00Z'); // no next message in its own conversation → not replied
    await f.inbound(second, '2026-03-10T10:05:00Z'); //         the contact writes in another conversation: a turn there,
    //                                                          with no outbound after it in that conversation → unanswered
    const m = await teamWideMetrics(ctx.database, team.id, PERIOD);
    expect(m.messages).toMatchObject({ total: 2, sent: 1, replied: 0, replyRate: 0 });
    expect(m.conversations).toMatchObject({ total: 2, answeredTurns: 0, avgResponseTime: 0 });
  });

  it('ties in created_at are ordered by id to find the next message', async () => {
    const f = ctx.fixtures();
    const { team, account } = await f.teamWithAccount();
    const id = (n: number) => f.orderedId(n);
    // Conversation 1, both at 10:00:00.000: 0x0a (outbound) < 0x0b (inbound) → the inbound is next → replied.
    // Inserted inbound-first so that physical order would give the wrong answer.
    const first = await f.chat(account);
    await f.inbound(first, '2026-03-10T10:00:00Z', { id: id(0x0b) });
    await f.outbound(first, 'sent', '2026-03-10T10:00:00Z', { id: id(0x0a) });
    // Conversation 2, both at 11:00:00.000: 0x1a (inbound) < 0x1b (outbound) → the inbound comes first;
    // the outbound has no next message → not replied. Inserted outbound-first.
    const second = await f.chat(account);
    await f.outbound(second, 'delivered', '2026-03-10T11:00:00Z', { id: id(0x1b) });
    await f.inbound(second, '2026-03-10T11:00:00Z', { id: id(0x1a) });
    // messages: total 4, inbound 2, sent 2, replied 1 → replyRate 50
    // response time (§4): conv 1's inbound 0x0b follows outbound 0x0a → a turn, with no outbound after it
    // (unanswered); conv 2's inbound 0x1a has no previous message → a turn, answered by 0x1b at the same
    // instant → 0 s. One answered turn, mean 0.
    const m = await teamWideMetrics(ctx.database, team.id, PERIOD);
    expect(m.messages).toMatchObject({ total: 4, inbound: 2, outbound: 2, sent: 2, replied: 1, replyRate: 50 });
    expect(m.conversations).toMatchObject({ answeredTurns: 1, avgResponseTime: 0 });
  });

  it('rates round half away from zero to 2 decimals (1/32 = 3.125 % → 3.13)', async () => {
    const f = ctx.fixtures();
    const { team, account } = await f.teamWithAccount();
    const chat = await f.chat(account);
    const inbound: MessageSpec[] = Array.from({ length: 31 }, (_, i) => ({
      direction: 'inbound',
      at: new Date(Date.parse('2026-03-10T10:00:00Z') + i * 1000),
    }));
    await f.messages(chat, [...inbound, { direction: 'outbound', status: 'failed', at: '2026-03-10T11:00:00Z' }]);
    // failureRate = 1/32 · 100 = 3.125 exactly → 3.13 (half-to-even, e.g. Postgres round(float8), would give 3.12)
    const m = await teamWideMetrics(ctx.database, team.id, PERIOD);
    expect(m.messages).toMatchObject({ total: 32, inbound: 31, outbound: 1, failed: 1, failureRate: 3.13 });
  });

  it('a read rate of 1/3 rounds to 33.33', async () => {
    const f = ctx.fixtures();
    const { team, account } = await f.teamWithAccount();
    const chat = await f.chat(account);
    await f.messages(chat, [
      { direction: 'outbound', status: 'read', at: '2026-03-10T10:00:00Z' },
      { direction: 'outbound', status: 'delivered', at: '2026-03-10T10:01:00Z' },
      { direction: 'outbound', status: 'delivered', at: '2026-03-10T10:02:00Z' },
    ]);
    // readRate = 1/3 = 33.333… → 33.33; deliveryRate 3/3 = 100
    const m = await teamWideMetrics(ctx.database, team.id, PERIOD);
    expect(m.messages).toMatchObject({ sent: 3, delivered: 3, read: 1, readRate: 33.33, deliveryRate: 100 });
  });
});
