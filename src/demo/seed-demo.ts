import { sql, type SQL } from 'drizzle-orm';
import { DateTime } from 'luxon';
import type { Database } from '../db/client.js';
import type { SnapshotGenerator } from '../snapshots/snapshot.service.js';
import { DAY, DemoDataGenerator, type SeedDemoCounts } from './demo-data.js';
import { DEMO_TEAM_ID } from './demo-teams.js';

export { DEMO_TEAM_ID, DEMO_TEAMS } from './demo-teams.js';
export type { SeedDemoCounts } from './demo-data.js';

export interface SeedDemoOptions {
  /** Length of the traffic window ending at `now`, in days (default 60). */
  days?: number;
  /** End of the window (default: the current time). */
  now?: Date;
  /** PRNG seed (default 1). The same seed and `now` give the same rows, ids included. */
  seed?: number;
}

export interface SeedDemoResult {
  /** false when the database already had teams: nothing was inserted. */
  seeded: boolean;
  /** The demo teams when seeded; otherwise the teams already there. */
  teamIds: string[];
  /** The team to hand out a demo token for (the demo team when present). */
  firstTeamId: string;
  /** Rows inserted (all zero when `seeded` is false). */
  counts: SeedDemoCounts;
  /** The traffic window [start, end). */
  window: { start: Date; end: Date; days: number };
}

export const DEFAULT_DEMO_DAYS = 60;
export const DEFAULT_DEMO_SEED = 1;

/** Serialises concurrent seeders (two processes starting on one empty database). */
const SEED_LOCK_KEY = 7_412_930_552;
/** Rows per INSERT statement (each statement sends its rows as one JSON parameter). */
const CHUNK = 4000;

const TABLES = {
  teams: 'id uuid, name text, timezone text, created_at timestamptz',
  whatsapp_accounts: 'id uuid, team_id uuid, phone_number text, display_name text, created_at timestamptz',
  contacts: 'id uuid, team_id uuid, whatsapp_account_id uuid, phone_number text, name text, created_at timestamptz, blocked_at timestamptz',
  campaigns:
    'id uuid, team_id uuid, whatsapp_account_id uuid, name text, status campaign_status, total_recipients integer, started_at timestamptz, finished_at timestamptz, created_at timestamptz',
  conversations:
    'id uuid, team_id uuid, whatsapp_account_id uuid, contact_id uuid, status conversation_status, opened_at timestamptz, closed_at timestamptz',
  messages:
    'id uuid, team_id uuid, whatsapp_account_id uuid, conversation_id uuid, contact_id uuid, campaign_id uuid, direction message_direction, status message_status, created_at timestamptz',
} as const;

/** Set-based inserts: each statement carries up to CHUNK rows as one JSON parameter. */
function insertStatements(table: keyof typeof TABLES, rows: readonly object[]): SQL[] {
  const definition = TABLES[table];
  const columns = definition
    .split(', ')
    .map((c) => c.split(' ')[0])
    .join(', ');
  const out: SQL[] = [];
  for (let i = 0; i < rows.length; i += CHUNK) {
    const json = JSON.stringify(rows.slice(i, i + CHUNK));
    out.push(
      sql`INSERT INTO ${sql.raw(table)} (${sql.raw(columns)}) SELECT ${sql.raw(columns)} FROM jsonb_to_recordset(${json}::jsonb) AS r(${sql.raw(definition)})`,
    );
  }
  return out;
}

/**
 * Fills an empty database with realistic demo data: four teams in different time zones (two with
 * DST), two or three WhatsApp accounts each, and `days` days of traffic ending at `now`. Inserts
 * nothing when the teams table already has rows. Atomic: a failure leaves the database empty.
 */
export async function seedDemo(database: Database, opts: SeedDemoOptions = {}): Promise<SeedDemoResult> {
  const days = opts.days ?? DEFAULT_DEMO_DAYS;
  if (!Number.isInteger(days) || days < 1 || days > 366) throw new RangeError(`days must be an integer from 1 to 366, got ${days}`);
  const now = opts.now ?? new Date();
  const seed = opts.seed ?? DEFAULT_DEMO_SEED;
  const window = { start: new Date(now.getTime() - days * DAY), end: now, days };

  return database.db.transaction(async (tx) => {
    const rows = async <T>(q: SQL) => ((await tx.execute(q)) as unknown as { rows: T[] }).rows;
    await rows(sql`SELECT pg_advisory_xact_lock(${SEED_LOCK_KEY})`);
    const existing = await rows<{ id: string }>(sql`SELECT id FROM teams ORDER BY created_at, id LIMIT 1000`);
    if (existing.length) {
      const teamIds = existing.map((r) => r.id);
      const zero: SeedDemoCounts = { teams: 0, whatsappAccounts: 0, contacts: 0, blockedContacts: 0, conversations: 0, campaigns: 0, messages: 0 };
      return { seeded: false, teamIds, firstTeamId: teamIds.includes(DEMO_TEAM_ID) ? DEMO_TEAM_ID : teamIds[0]!, counts: zero, window };
    }

    const data = new DemoDataGenerator({ days, now, seed }).generate();
    const statements = [
      ...insertStatements('teams', data.teams),
      ...insertStatements('whatsapp_accounts', data.accounts),
      ...insertStatements('contacts', data.contacts),
      ...insertStatements('campaigns', data.campaigns),
      ...insertStatements('conversations', data.conversations),
      ...insertStatements('messages', data.messages),
    ];
    for (const statement of statements) await tx.execute(statement);
    const teamIds = data.teams.map((t) => t.id);
    return { seeded: true, teamIds, firstTeamId: teamIds[0]!, counts: data.counts(), window };
  });
}

/** Local calendar dates (YYYY-MM-DD) from the window's first local day to its last, in `zone`. */
export function windowDates(window: { start: Date; end: Date }, zone: string): string[] {
  let day = DateTime.fromJSDate(window.start, { zone }).startOf('day');
  const last = DateTime.fromJSDate(new Date(window.end.getTime() - 1), { zone }).startOf('day');
  const out: string[] = [];
  for (; day <= last; day = day.plus({ days: 1 }).startOf('day')) out.push(day.toISODate()!);
  return out;
}

/** First dates of the Weekly (Mondays) or Monthly (1sts) periods covering the window, in `zone`. */
export function windowPeriodDates(window: { start: Date; end: Date }, zone: string, type: 'Daily' | 'Weekly' | 'Monthly'): string[] {
  const dates = windowDates(window, zone);
  if (type === 'Daily') return dates;
  const unit = type === 'Weekly' ? 'week' : 'month';
  return [...new Set(dates.map((d) => DateTime.fromISO(d, { zone }).startOf(unit).toISODate()!))];
}

export interface DemoBackfillResult {
  type: 'Daily' | 'Weekly' | 'Monthly';
  written: number;
  failed: Array<{ teamId: string; error: string }>;
}

/**
 * Writes the demo window's snapshots: Daily for every local day of the window (in each team's time
 * zone), Weekly and Monthly for the periods covering it.
 */
export async function backfillDemoSnapshots(
  service: SnapshotGenerator,
  seeded: Pick<SeedDemoResult, 'teamIds' | 'window'>,
  onProgress?: (type: 'Daily' | 'Weekly' | 'Monthly', done: number, total: number) => void,
): Promise<DemoBackfillResult[]> {
  const results: DemoBackfillResult[] = [];
  for (const type of ['Daily', 'Weekly', 'Monthly'] as const) {
    const r = await service.generate({
      teamIds: seeded.teamIds,
      type,
      dates: (zone) => windowPeriodDates(seeded.window, zone, type),
      onProgress: onProgress && ((done, total) => onProgress(type, done, total)),
    });
    results.push({ type, written: r.written, failed: r.failed });
  }
  return results;
}
