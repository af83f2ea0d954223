/**
 * A small builder for crafted CRM rows (spec §1), plus the glue the engine suites share: a database per
 * backend, and calling `computeMetrics` for one team-wide scope.
 *
 * Every row gets explicit, old timestamps by default (LONG_AGO), never `now()`, so that crafted periods
 * in the past behave the same whenever the suite runs.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll } from 'vitest';
import type { Database } from '../../src/db/client.js';
import {
  campaigns,
  campaignStatus,
  contacts,
  conversations,
  messages,
  messageStatus,
  teams,
  whatsappAccounts,
} from '../../src/db/schema.js';
import { computeMetrics, type ScopedMetrics } from '../../src/metrics/metrics.engine.js';
import type { AnalyticsMetrics } from '../../src/metrics/metrics.types.js';
import { periodContaining } from '../../src/metrics/periods.js';
import { createTestDatabase, type Backend, type TestDatabase } from './db.js';

/** An instant: a Date or an ISO-8601 string with an explicit offset ('2026-03-10T10:00:00Z'). */
export type When = string | Date;
export const instant = (w: When): Date => (w instanceof Date ? w : new Date(w));

/** Default creation time of teams, accounts, contacts, conversations and campaigns: before every test period. */
export const LONG_AGO = new Date('2026-01-01T00:00:00.000Z');

export type Team = typeof teams.$inferSelect;
export type Account = typeof whatsappAccounts.$inferSelect;
export type Contact = typeof contacts.$inferSelect;
export type Conversation = typeof conversations.$inferSelect;
export type Campaign = typeof campaigns.$inferSelect;
export type Message = typeof messages.$inferSelect;
export type MessageStatus = (typeof messageStatus.enumValues)[number];
export type OutboundStatus = Exclude<MessageStatus, 'received'>;
export type CampaignStatus = (typeof campaignStatus.enumValues)[number];

export interface MessageSpec {
  direction: 'inbound' | 'outbound';
  /** Default: `received` for inbound, `sent` for outbound. */
  status?: MessageStatus;
  at: When;
  campaign?: Campaign | null;
  /** Explicit id, to decide ties in created_at (see Fixtures.orderedId). */
  id?: string;
}

export class Fixtures {
  /** Random first group of every ordered id, so tests sharing one database never collide. */
  private readonly prefix = randomBytes(4).toString('hex');
  private seq = 0;

  constructor(readonly database: Database) {}

  private get db() {
    return this.database.db;
  }

  /**
   * A uuid whose order among this builder's ordered ids is the order of `n` (uuids compare byte-wise,
   * i.e. like their hex text): orderedId(0x0a) < orderedId(0x0b).
   */
  orderedId(n: number): string {
    return `${this.prefix}-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;
  }

  async team(opts: { timezone?: string; name?: string } = {}): Promise<Team> {
    const [row] = await this.db
      .insert(teams)
      .values({ name: opts.name ?? `Team ${++this.seq}`, timezone: opts.timezone ?? 'UTC', createdAt: LONG_AGO })
      .returning();
    return row!;
  }

  async account(team: Team, opts: { displayName?: string } = {}): Promise<Account> {
    const n = ++this.seq;
    const [row] = await this.db
      .insert(whatsappAccounts)
      .values({ teamId: team.id, phoneNumber: `+1555000${n}`, displayName: opts.displayName ?? `Account ${n}`, createdAt: LONG_AGO })
      .returning();
    return row!;
  }

  /** A team (UTC unless told) with one WhatsApp account. */
  async teamWithAccount(opts: { timezone?: string } = {}): Promise<{ team: Team; account: Account }> {
    const team = await this.team(opts);
    return { team, account: await this.account(team) };
  }

  async contact(account: Account, opts: { createdAt?: When; blockedAt?: When | null; name?: string } = {}): Promise<Contact> {
    const n = ++this.seq;
    const [row] = await this.db
      .insert(contacts)
      .values({
        teamId: account.teamId,
        whatsappAccountId: account.id,
        phoneNumber: `+4477000${n}`,
        name: opts.name ?? `Contact ${n}`,
        createdAt: instant(opts.createdAt ?? LONG_AGO),
        blockedAt: opts.blockedAt == null ? null : instant(opts.blockedAt),
      })
      .returning();
    return row!;
  }

  /** Status defaults to `closed` when closedAt is given, else `open`. */
  async conversation(
    contact: Contact,
    opts: { openedAt?: When; closedAt?: When | null; status?: 'open' | 'closed' } = {},
  ): Promise<Conversation> {
    const closedAt = opts.closedAt == null ? null : instant(opts.closedAt);
    const [row] = await this.db
      .insert(conversations)
      .values({
        teamId: contact.teamId,
        whatsappAccountId: contact.whatsappAccountId,
        contactId: contact.id,
        status: opts.status ?? (closedAt ? 'closed' : 'open'),
        openedAt: instant(opts.openedAt ?? LONG_AGO),
        closedAt,
      })
      .returning();
    return row!;
  }

  /** A new contact of `account` and one conversation with it. */
  async chat(
    account: Account,
    opts: { contact?: Parameters<Fixtures['contact']>[1]; conversation?: Parameters<Fixtures['conversation']>[1] } = {},
  ): Promise<Conversation> {
    return this.conversation(await this.contact(account, opts.contact), opts.conversation);
  }

  async campaign(
    account: Account,
    opts: {
      status: CampaignStatus;
      startedAt?: When | null;
      finishedAt?: When | null;
      totalRecipients?: number;
      name?: string;
    },
  ): Promise<Campaign> {
    const [row] = await this.db
      .insert(campaigns)
      .values({
        teamId: account.teamId,
        whatsappAccountId: account.id,
        name: opts.name ?? `Campaign ${++this.seq}`,
        status: opts.status,
        totalRecipients: opts.totalRecipients ?? 0,
        startedAt: opts.startedAt == null ? null : instant(opts.startedAt),
        finishedAt: opts.finishedAt == null ? null : instant(opts.finishedAt),
        createdAt: LONG_AGO,
      })
      .returning();
    return row!;
  }

  /** Inserts messages of one conversation, in the order given (one statement). */
  async messages(conversation: Conversation, specs: MessageSpec[]): Promise<Message[]> {
    if (specs.length === 0) return [];
    return this.db
      .insert(messages)
      .values(
        specs.map((s) => ({
          ...(s.id ? { id: s.id } : {}),
          teamId: conversation.teamId,
          whatsappAccountId: conversation.whatsappAccountId,
          conversationId: conversation.id,
          contactId: conversation.contactId,
          campaignId: s.campaign?.id ?? null,
          direction: s.direction,
          status: s.status ?? (s.direction === 'inbound' ? ('received' as const) : ('sent' as const)),
          createdAt: instant(s.at),
        })),
      )
      .returning();
  }

  async inbound(conversation: Conversation, at: When, opts: { id?: string } = {}): Promise<Message> {
    const [row] = await this.messages(conversation, [{ direction: 'inbound', at, ...opts }]);
    return row!;
  }

  async outbound(
    conversation: Conversation,
    status: OutboundStatus,
    at: When,
    opts: { id?: string; campaign?: Campaign } = {},
  ): Promise<Message> {
    const [row] = await this.messages(conversation, [{ direction: 'outbound', status, at, ...opts }]);
    return row!;
  }
}

// ── Engine glue ──────────────────────────────────────────────────────────────

/** One migrated database for a describe block on `backend`, dropped after it. */
export function engineDatabase(backend: Backend): { readonly database: Database; fixtures(): Fixtures } {
  let test: TestDatabase | undefined;
  beforeAll(async () => {
    test = await createTestDatabase({ backend });
  });
  afterAll(async () => {
    await test?.drop();
  });
  return {
    get database() {
      if (!test) throw new Error('the test database is not ready (used outside a test?)');
      return test.database;
    },
    fixtures: () => new Fixtures(test!.database),
  };
}

/** The local Daily period of `date` in `zone` (spec §3): [local midnight, next local midnight). */
export const day = (date: string, zone = 'UTC') => periodContaining(date, 'Daily', zone);

/** Metrics of a team's team-wide scope only (teamWide, accounts: 'none'), asserting exactly one scope came back. */
export async function teamWideMetrics(
  database: Database,
  teamId: string,
  period: { start: Date; end: Date },
): Promise<AnalyticsMetrics> {
  const results = await computeMetrics(database, {
    windows: [{ teamId, start: period.start, end: period.end }],
    teamWide: true,
    accounts: 'none',
  });
  if (results.length !== 1 || results[0]!.teamId !== teamId || results[0]!.whatsappAccountId !== null) {
    throw new Error(`expected exactly the team-wide scope of ${teamId}, got ${JSON.stringify(results.map(scopeKey))}`);
  }
  return results[0]!.metrics;
}

const scopeKey = (r: ScopedMetrics) => `${r.teamId}/${r.whatsappAccountId ?? 'team'}`;

/** The metrics of one scope among results; throws when it is missing or duplicated. */
export function scope(results: ScopedMetrics[], teamId: string, accountId: string | null): AnalyticsMetrics {
  const found = results.filter((r) => r.teamId === teamId && r.whatsappAccountId === accountId);
  if (found.length !== 1) {
    throw new Error(`expected one scope ${teamId}/${accountId ?? 'team'}, got ${JSON.stringify(results.map(scopeKey))}`);
  }
  return found[0]!.metrics;
}

/** Every §4 metric at zero (what a scope with no data reports). */
export const ZERO_SECTIONS = {
  messages: {
    total: 0,
    inbound: 0,
    outbound: 0,
    sent: 0,
    delivered: 0,
    read: 0,
    failed: 0,
    replied: 0,
    deliveryRate: 0,
    readRate: 0,
    replyRate: 0,
    failureRate: 0,
  },
  campaigns: {
    total: 0,
    active: 0,
    completed: 0,
    failed: 0,
    totalRecipients: 0,
    messagesSent: 0,
    avgDeliveryRate: 0,
    avgReadRate: 0,
  },
  contacts: { total: 0, new: 0, active: 0, blocked: 0, avgEngagementScore: 0 },
  conversations: { total: 0, open: 0, closed: 0, avgResponseTime: 0, answeredTurns: 0 },
} satisfies Omit<AnalyticsMetrics, 'period' | 'generatedAt'>;
