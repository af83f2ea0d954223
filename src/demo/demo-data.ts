import { DateTime } from 'luxon';
import { DEMO_TEAMS, type DemoTeamSpec } from './demo-teams.js';
import { Random } from './random.js';

/**
 * The demo data, generated in memory from a seeded PRNG (seed-demo.ts inserts it): teams, accounts,
 * contacts, campaigns, conversations and their messages, shaped like a CRM's traffic.
 */

export interface SeedDemoCounts {
  teams: number;
  whatsappAccounts: number;
  contacts: number;
  blockedContacts: number;
  conversations: number;
  campaigns: number;
  messages: number;
}

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

/** Relative traffic by local hour of day: quiet nights, busy office hours. */
const HOUR_WEIGHT = [
  0.04, 0.03, 0.02, 0.02, 0.03, 0.06, 0.15, 0.35, 0.6, 0.85, 1, 1, 0.95, 0.95, 1, 1, 0.95, 0.9, 0.85, 0.8, 0.7, 0.5, 0.3, 0.12,
];

const CAMPAIGN_NAMES = [
  'Spring Sale',
  'Loyalty Rewards',
  'New Menu Launch',
  'Appointment Reminders',
  'Feedback Survey',
  'Weekend Offer',
  'We Miss You',
  'Product Update',
  'Holiday Hours',
  'Flash Deal',
  'Order Follow-up',
  'Referral Program',
];

type Direction = 'inbound' | 'outbound';
type MessageStatus = 'pending' | 'sent' | 'delivered' | 'read' | 'failed' | 'received';
type CampaignStatus = 'draft' | 'scheduled' | 'running' | 'paused' | 'completed' | 'failed' | 'cancelled';

/** Every account gets two completed campaigns plus one of these pairs, so every status shows up. */
const EXTRA_CAMPAIGNS: CampaignStatus[][] = [
  ['running', 'draft'],
  ['failed', 'cancelled'],
  ['completed', 'scheduled'],
  ['cancelled', 'paused'],
  ['failed', 'draft'],
  ['running', 'completed'],
];

// Rows in the tables' own column names, inserted through jsonb_to_recordset.
interface TeamRow { id: string; name: string; timezone: string; created_at: string }
interface AccountRow { id: string; team_id: string; phone_number: string; display_name: string | null; created_at: string }
interface ContactRow {
  id: string; team_id: string; whatsapp_account_id: string; phone_number: string; name: string | null;
  created_at: string; blocked_at: string | null;
}
interface ConversationRow {
  id: string; team_id: string; whatsapp_account_id: string; contact_id: string; status: 'open' | 'closed';
  opened_at: string; closed_at: string | null;
}
interface CampaignRow {
  id: string; team_id: string; whatsapp_account_id: string; name: string; status: CampaignStatus; total_recipients: number;
  started_at: string | null; finished_at: string | null; created_at: string;
}
interface MessageRow {
  id: string; team_id: string; whatsapp_account_id: string; conversation_id: string; contact_id: string;
  campaign_id: string | null; direction: Direction; status: MessageStatus; created_at: string;
}

interface Contact {
  id: string;
  teamId: string;
  accountId: string;
  createdMs: number;
  /** Messages stop here: when the contact blocked the account, else now. */
  cutoffMs: number;
  isNew: boolean;
}

interface PlannedMessage { t: number; direction: Direction; status: MessageStatus; campaignId: string | null }

const iso = (ms: number) => new Date(ms).toISOString();

/** Generates the demo rows in memory from a seeded PRNG. Pure: no database access. */
export class DemoDataGenerator {
  readonly teams: TeamRow[] = [];
  readonly accounts: AccountRow[] = [];
  readonly contacts: ContactRow[] = [];
  readonly conversations: ConversationRow[] = [];
  readonly campaigns: CampaignRow[] = [];
  readonly messages: MessageRow[] = [];

  private readonly rng: Random;
  private readonly now: number;
  private readonly windowStart: number;
  private readonly days: number;
  private campaignSerial = 0;

  constructor(opts: { days: number; now: Date; seed: number }) {
    this.rng = new Random(opts.seed);
    this.now = opts.now.getTime();
    this.windowStart = this.now - opts.days * DAY;
    this.days = opts.days;
  }

  generate(): this {
    let accountIndex = 0;
    for (const spec of DEMO_TEAMS) {
      this.teams.push({ id: spec.id, name: spec.name, timezone: spec.timezone, created_at: iso(this.windowStart - 200 * DAY) });
      const phones = new Set<string>();
      for (const acc of spec.accounts) {
        const accountId = this.rng.uuid();
        this.accounts.push({
          id: accountId,
          team_id: spec.id,
          phone_number: this.uniquePhone(spec, phones),
          display_name: acc.displayName,
          created_at: iso(this.windowStart - this.rng.range(160, 190) * DAY),
        });
        const contacts = this.generateContacts(spec, accountId, phones);
        this.generateCampaigns(spec, accountId, contacts, accountIndex++);
        for (const contact of contacts) this.generateOrganicConversations(spec, contact);
      }
    }
    // Insert in time order, as the CRM would have.
    this.messages.sort((a, b) => (a.created_at < b.created_at ? -1 : a.created_at > b.created_at ? 1 : 0));
    return this;
  }

  counts(): SeedDemoCounts {
    return {
      teams: this.teams.length,
      whatsappAccounts: this.accounts.length,
      contacts: this.contacts.length,
      blockedContacts: this.contacts.filter((c) => c.blocked_at !== null).length,
      conversations: this.conversations.length,
      campaigns: this.campaigns.length,
      messages: this.messages.length,
    };
  }

  /** Rounds up with probability equal to the fraction, so expected totals scale exactly. */
  private stochasticRound(x: number): number {
    const whole = Math.floor(x);
    return whole + (this.rng.chance(x - whole) ? 1 : 0);
  }

  private uniquePhone(spec: DemoTeamSpec, taken: Set<string>): string {
    for (;;) {
      const phone = spec.phone((n) => this.rng.digits(n));
      if (!taken.has(phone)) {
        taken.add(phone);
        return phone;
      }
    }
  }

  /** An instant in [from, to) weighted towards local office hours, weekdays and recent days. */
  private sampleInstant(from: number, to: number, zone: string): number {
    if (to <= from) return Math.floor(from);
    for (let i = 0; i < 30; i++) {
      const t = from + this.rng.next() * (to - from);
      const local = DateTime.fromMillis(t, { zone });
      const trend = 0.7 + 0.3 * Math.min(1, Math.max(0, (t - this.windowStart) / (this.now - this.windowStart)));
      const weight = HOUR_WEIGHT[local.hour]! * (local.weekday >= 6 ? 0.55 : 1) * trend;
      if (this.rng.next() < weight) return Math.floor(t);
    }
    return Math.floor(from + this.rng.next() * (to - from));
  }

  private generateContacts(spec: DemoTeamSpec, accountId: string, phones: Set<string>): Contact[] {
    const out: Contact[] = [];
    const n = Math.round(80 * spec.volume * this.rng.range(0.8, 1.2));
    for (let i = 0; i < n; i++) {
      const isNew = this.rng.chance(0.25);
      const createdMs = isNew
        ? this.sampleInstant(this.windowStart, this.now - 2 * HOUR, spec.timezone)
        : Math.floor(this.windowStart - this.rng.logUniform(HOUR, 150 * DAY));
      // A few contacts block the account: most during the window, some (old contacts) before it.
      const blockedMs = this.rng.chance(0.05)
        ? Math.floor(Math.min(this.now - MINUTE, createdMs + this.rng.range(0.3, 1) * (this.now - createdMs)))
        : null;
      const contact: Contact = {
        id: this.rng.uuid(),
        teamId: spec.id,
        accountId,
        createdMs,
        cutoffMs: blockedMs ?? this.now,
        isNew,
      };
      out.push(contact);
      this.contacts.push({
        id: contact.id,
        team_id: spec.id,
        whatsapp_account_id: accountId,
        phone_number: this.uniquePhone(spec, phones),
        name: this.rng.chance(0.8) ? `${this.rng.pick(spec.firstNames)} ${this.rng.pick(spec.lastNames)}` : null,
        created_at: iso(createdMs),
        blocked_at: blockedMs === null ? null : iso(blockedMs),
      });
    }
    return out;
  }

  private generateOrganicConversations(spec: DemoTeamSpec, contact: Contact): void {
    const from = Math.max(this.windowStart, contact.createdMs);
    const r = this.rng.next();
    // Conversations per contact over a 60-day window, scaled to the window's length.
    const per60 = contact.isNew
      ? r < 0.5 ? 0 : r < 0.8 ? 1 : this.rng.int(2, 4) // besides the first one
      : r < 0.2 ? 0 : r < 0.45 ? 1 : r < 0.7 ? 2 : this.rng.int(3, 7);
    const n = (contact.isNew ? 1 : 0) + this.stochasticRound((per60 * this.days) / 60);
    const starts: Array<{ t: number; first: Direction }> = [];
    for (let i = 0; i < n; i++) {
      if (contact.isNew && i === 0) {
        // A new contact appears when they first write to the account.
        starts.push({ t: contact.createdMs + Math.floor(this.rng.range(5, 60) * SECOND), first: 'inbound' });
      } else {
        starts.push({ t: this.sampleInstant(from, contact.cutoffMs, spec.timezone), first: this.rng.chance(0.65) ? 'inbound' : 'outbound' });
      }
    }
    starts.sort((a, b) => a.t - b.t);
    starts.forEach((s, i) => {
      // One conversation at a time: the next one starts after this one's last message.
      const limit = Math.min(starts[i + 1]?.t ?? Infinity, contact.cutoffMs);
      this.conversation(contact, { start: s.t, first: s.first, limit, campaignId: null, firstFailProb: 0.03, replyFactor: 1 });
    });
  }

  private generateCampaigns(spec: DemoTeamSpec, accountId: string, contacts: Contact[], accountIndex: number): void {
    const statuses: CampaignStatus[] = ['completed', 'completed', ...EXTRA_CAMPAIGNS[accountIndex % EXTRA_CAMPAIGNS.length]!];
    for (const status of statuses) {
      const id = this.rng.uuid();
      const name = `${CAMPAIGN_NAMES[this.campaignSerial++ % CAMPAIGN_NAMES.length]} #${this.campaignSerial}`;
      const wanted = Math.max(5, Math.round(this.rng.int(20, 60) * spec.volume));

      if (status === 'draft' || status === 'scheduled') {
        const created = this.sampleInstant(this.now - 10 * DAY, this.now - HOUR, spec.timezone);
        this.campaigns.push({
          id, team_id: spec.id, whatsapp_account_id: accountId, name, status, total_recipients: status === 'draft' ? 0 : wanted,
          started_at: null, finished_at: null, created_at: iso(created),
        });
        continue;
      }

      let started: number;
      if (status === 'running') started = Math.floor(this.now - this.rng.logUniform(2 * HOUR, 30 * HOUR));
      else if (status === 'paused') started = this.sampleInstant(this.now - 14 * DAY, this.now - 2 * DAY, spec.timezone);
      // Finished campaigns: some started before the window (they overlap its first days).
      else started = this.sampleInstant(this.windowStart - 3 * DAY, this.now - 2 * DAY, spec.timezone);

      // Recipients exist when it starts and do not block the account while it sends (at most ~75 min).
      const eligible = contacts.filter((c) => c.createdMs < started && c.cutoffMs >= Math.min(started + 3 * HOUR, this.now));
      const recipients = this.rng.shuffle(eligible).slice(0, Math.min(eligible.length, wanted));
      const planned = recipients.length;
      const interval =
        status === 'running'
          ? ((this.now - started) * this.rng.range(1.3, 2.5)) / Math.max(1, planned) // still sending now
          : this.rng.logUniform(3 * SECOND, 60 * SECOND);
      const fraction = { completed: 1, running: 1, failed: this.rng.range(0.3, 0.7), cancelled: this.rng.range(0.2, 0.6), paused: this.rng.range(0.4, 0.8) }[status];
      const toSend = Math.ceil(planned * fraction);
      const failProb = status === 'failed' ? 0.35 : 0.03;

      let lastSend = started;
      for (let i = 0; i < toSend; i++) {
        const t = Math.floor(started + i * interval + this.rng.range(0, 0.5) * interval);
        if (t >= this.now) break;
        lastSend = t;
        const contact = recipients[i]!;
        this.conversation(contact, { start: t, first: 'outbound', limit: contact.cutoffMs, campaignId: id, firstFailProb: failProb, replyFactor: 0.6 });
      }

      let finished: number | null = null;
      if (status === 'completed') finished = lastSend + this.rng.logUniform(MINUTE, 20 * MINUTE);
      else if (status === 'failed') finished = lastSend + this.rng.logUniform(10 * SECOND, 5 * MINUTE);
      else if (status === 'cancelled') finished = lastSend + this.rng.logUniform(MINUTE, 2 * HOUR);
      this.campaigns.push({
        id, team_id: spec.id, whatsapp_account_id: accountId, name, status, total_recipients: planned,
        started_at: iso(started), finished_at: finished === null ? null : iso(Math.floor(Math.min(finished, this.now - SECOND))),
        created_at: iso(Math.floor(started - this.rng.logUniform(HOUR, 5 * DAY))),
      });
    }
  }

  private outboundStatus(t: number, failProb: number): MessageStatus {
    const age = this.now - t;
    if (age < 2 * MINUTE) return this.rng.chance(0.7) ? 'pending' : 'sent';
    if (age < 30 * MINUTE) return this.rng.weighted({ pending: 0.1, sent: 0.4, delivered: 0.3, read: 0.2 });
    return this.rng.weighted({ failed: failProb, pending: 0.004, sent: 0.08, delivered: 0.3, read: Math.max(0.2, 0.6 - failProb) });
  }

  /**
   * One conversation: turns alternate between the customer and the business, each a burst of 1–3
   * messages. Customers answer what they read (mostly within minutes or hours, sometimes after more
   * than a day); the business answers most inbound turns. Messages stop at `limit` and at now.
   */
  private conversation(
    contact: Contact,
    plan: { start: number; first: Direction; limit: number; campaignId: string | null; firstFailProb: number; replyFactor: number },
  ): void {
    const limit = Math.min(plan.limit, this.now);
    const planned: PlannedMessage[] = [];
    const maxTurns = this.rng.int(1, 8);
    let t = plan.start;
    let side = plan.first;
    for (let turn = 0; turn < maxTurns; turn++) {
      const r = this.rng.next();
      const burstSize = turn === 0 && plan.campaignId ? 1 : side === 'inbound' ? (r < 0.6 ? 1 : r < 0.88 ? 2 : 3) : r < 0.7 ? 1 : r < 0.95 ? 2 : 3;
      const burst: PlannedMessage[] = [];
      for (let i = 0; i < burstSize; i++) {
        if (i > 0) t += this.rng.logUniform(4 * SECOND, 2 * MINUTE);
        if (t >= limit) break;
        const status = side === 'inbound' ? 'received' : this.outboundStatus(t, planned.length === 0 ? plan.firstFailProb : 0.03);
        const message: PlannedMessage = { t: Math.floor(t), direction: side, status, campaignId: planned.length === 0 ? plan.campaignId : null };
        planned.push(message);
        burst.push(message);
      }
      if (burst.length < burstSize || turn + 1 >= maxTurns) break;

      if (side === 'outbound') {
        const last = burst[burst.length - 1]!.status;
        const p = { pending: 0.03, failed: 0.08, sent: 0.1, delivered: 0.3, read: 0.7, received: 0 }[last] * plan.replyFactor;
        if (!this.rng.chance(p)) break;
        const d = this.rng.next();
        t +=
          d < 0.78 ? this.rng.logUniform(15 * SECOND, 3 * HOUR)
          : d < 0.9 ? this.rng.logUniform(3 * HOUR, 23.5 * HOUR)
          : this.rng.logUniform(24 * HOUR + MINUTE, 72 * HOUR); // late replies: not counted as replied
        if (t >= limit) break;
        // A customer who answers has read what they answer.
        for (const m of burst) if (m.status === 'sent' || m.status === 'delivered') m.status = 'read';
        side = 'inbound';
      } else {
        if (!this.rng.chance(0.9)) break;
        const d = this.rng.next();
        t +=
          d < 0.7 ? this.rng.logUniform(20 * SECOND, 20 * MINUTE)
          : d < 0.95 ? this.rng.logUniform(20 * MINUTE, 6 * HOUR)
          : this.rng.logUniform(6 * HOUR, 30 * HOUR);
        if (t >= limit) break;
        side = 'outbound';
      }
    }
    if (!planned.length) return;

    const conversationId = this.rng.uuid();
    const last = planned[planned.length - 1]!.t;
    const closeAfter = this.rng.logUniform(30 * MINUTE, 48 * HOUR);
    let closedAt: number | null = null;
    if (last + closeAfter < limit && this.rng.chance(0.9)) closedAt = last + closeAfter;
    else if (limit < this.now) closedAt = last + (limit - last) * this.rng.range(0.2, 0.9); // cut short by the next conversation or a block
    this.conversations.push({
      id: conversationId,
      team_id: contact.teamId,
      whatsapp_account_id: contact.accountId,
      contact_id: contact.id,
      status: closedAt === null ? 'open' : 'closed',
      opened_at: iso(planned[0]!.t),
      closed_at: closedAt === null ? null : iso(Math.floor(closedAt)),
    });
    for (const m of planned) {
      this.messages.push({
        id: this.rng.uuid(),
        team_id: contact.teamId,
        whatsapp_account_id: contact.accountId,
        conversation_id: conversationId,
        contact_id: contact.id,
        campaign_id: m.campaignId,
        direction: m.direction,
        status: m.status,
        created_at: iso(m.t),
      });
    }
  }
}
