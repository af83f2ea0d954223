import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { sql } from 'drizzle-orm';
import { pino, type Logger } from 'pino';
import type { Database } from '../../src/db/client.js';

/** A team with `accounts` WhatsApp accounts, each with a contact and a conversation; returns their ids. */
export async function seedTeam(
  database: Database,
  opts: { name: string; timezone: string; accounts?: number },
): Promise<{ id: string; name: string; timezone: string; accounts: Array<{ id: string; conversationId: string; contactId: string }> }> {
  const id = randomUUID();
  await database.rows(sql`INSERT INTO teams (id, name, timezone, created_at) VALUES (${id}, ${opts.name}, ${opts.timezone}, '2026-01-01T00:00:00Z')`);
  const accounts = [];
  for (let i = 0; i < (opts.accounts ?? 1); i++) {
    const account = randomUUID();
    const contact = randomUUID();
    const conversation = randomUUID();
    await database.rows(sql`INSERT INTO whatsapp_accounts (id, team_id, phone_number, created_at) VALUES (${account}, ${id}, ${`+1555${i}`}, '2026-01-01T00:00:00Z')`);
    await database.rows(sql`INSERT INTO contacts (id, team_id, whatsapp_account_id, phone_number, created_at) VALUES (${contact}, ${id}, ${account}, ${`+4477${i}`}, '2026-01-01T00:00:00Z')`);
    await database.rows(sql`INSERT INTO conversations (id, team_id, whatsapp_account_id, contact_id, status, opened_at) VALUES (${conversation}, ${id}, ${account}, ${contact}, 'open', '2026-01-01T00:00:00Z')`);
    accounts.push({ id: account, conversationId: conversation, contactId: contact });
  }
  return { id, name: opts.name, timezone: opts.timezone, accounts };
}

/** Deletes a team and all its rows. */
export async function removeTeam(database: Database, teamId: string): Promise<void> {
  for (const table of ['messages', 'conversations', 'contacts', 'campaigns', 'whatsapp_accounts', 'analytics_snapshots']) {
    await database.rows(sql`DELETE FROM ${sql.identifier(table)} WHERE team_id = ${teamId}`);
  }
  await database.rows(sql`DELETE FROM teams WHERE id = ${teamId}`);
}

/** Inbound messages on the team's first account at the given instants. */
export async function seedMessages(database: Database, team: Awaited<ReturnType<typeof seedTeam>>, at: string[]): Promise<void> {
  const a = team.accounts[0]!;
  for (const when of at) {
    await database.rows(sql`INSERT INTO messages (team_id, whatsapp_account_id, conversation_id, contact_id, direction, status, created_at)
      VALUES (${team.id}, ${a.id}, ${a.conversationId}, ${a.contactId}, 'inbound', 'received', ${when})`);
  }
}

/**
 * Makes writing this team's snapshots fail inside Postgres (a trigger raising on its rows), as a
 * broken row of a real CRM would: the team's statement fails, its transaction rolls back.
 */
export async function breakTeam(database: Database, teamId: string, message = 'boom: broken team'): Promise<void> {
  await database.rows(sql.raw(`
    CREATE OR REPLACE FUNCTION jobs_test_break() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF NEW.team_id = '${teamId}' THEN RAISE EXCEPTION '${message}'; END IF;
      RETURN NEW;
    END $$`));
  await database.rows(sql.raw(`DROP TRIGGER IF EXISTS jobs_test_break ON analytics_snapshots`));
  await database.rows(sql.raw(`CREATE TRIGGER jobs_test_break BEFORE INSERT OR UPDATE ON analytics_snapshots FOR EACH ROW EXECUTE FUNCTION jobs_test_break()`));
}

export async function unbreak(database: Database): Promise<void> {
  await database.rows(sql.raw(`DROP TRIGGER IF EXISTS jobs_test_break ON analytics_snapshots`));
}

/**
 * Records every snapshot row write (insert or update) in snapshot_writes, with the job run that was
 * running at that moment; `delayMs` makes each written row take that long (a slow run to kill).
 */
export async function auditSnapshotWrites(database: Database, opts: { delayMs?: number } = {}): Promise<void> {
  const delay = opts.delayMs ? `PERFORM pg_sleep(${opts.delayMs / 1000});` : '';
  await database.rows(sql.raw(`CREATE TABLE IF NOT EXISTS snapshot_writes (
    seq bigserial PRIMARY KEY, team_id uuid, whatsapp_account_id uuid, date date, snapshot_type text,
    run_id uuid, at timestamptz DEFAULT clock_timestamp())`));
  await database.rows(sql.raw(`
    CREATE OR REPLACE FUNCTION jobs_test_audit() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      ${delay}
      INSERT INTO snapshot_writes (team_id, whatsapp_account_id, date, snapshot_type, run_id)
      VALUES (NEW.team_id, NEW.whatsapp_account_id, NEW.date, NEW.snapshot_type::text,
              (SELECT id FROM job_runs WHERE status = 'running' ORDER BY started_at DESC LIMIT 1));
      RETURN NEW;
    END $$`));
  await database.rows(sql.raw(`DROP TRIGGER IF EXISTS jobs_test_audit ON analytics_snapshots`));
  await database.rows(sql.raw(`CREATE TRIGGER jobs_test_audit AFTER INSERT OR UPDATE ON analytics_snapshots FOR EACH ROW EXECUTE FUNCTION jobs_test_audit()`));
}

/** A pino logger that keeps its lines (parsed) for assertions. */
export function capturingLogger(level = 'debug'): { logger: Logger; lines: Array<Record<string, any>> } {
  const lines: Array<Record<string, any>> = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      for (const text of String(chunk).split('\n')) if (text.trim()) lines.push(JSON.parse(text));
      cb();
    },
  });
  return { logger: pino({ level }, stream), lines };
}

export const LEVEL = { debug: 20, info: 30, warn: 40, error: 50 } as const;
