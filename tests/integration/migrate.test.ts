import { sql } from 'drizzle-orm';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { connectPostgres, openPglite } from '../../src/db/client.js';
import { migrateDatabase } from '../../src/db/migrate.js';
import { createEmptyPostgresDatabase } from '../support/db.js';
import journal from '../../drizzle/meta/_journal.json' with { type: 'json' };

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function emptyDatabaseUrl(): Promise<string | null> {
  const created = await createEmptyPostgresDatabase();
  if (!created) return null;
  cleanups.push(created.drop);
  return created.url;
}

/** A CRM's own DDL: the source tables already exist, with slightly different details, and hold rows. */
const EXISTING_CRM = `
  CREATE TYPE conversation_status AS ENUM ('open', 'closed');
  CREATE TYPE campaign_status AS ENUM ('draft','scheduled','running','paused','completed','failed','cancelled');
  CREATE TYPE message_direction AS ENUM ('inbound', 'outbound');
  CREATE TYPE message_status AS ENUM ('pending','sent','delivered','read','failed','received');
  CREATE TABLE teams (id uuid PRIMARY KEY, name text NOT NULL, timezone text NOT NULL DEFAULT 'UTC',
    created_at timestamptz NOT NULL DEFAULT now(), crm_only_column text DEFAULT 'kept');
  CREATE TABLE whatsapp_accounts (id uuid PRIMARY KEY, team_id uuid NOT NULL REFERENCES teams(id), phone_number text NOT NULL,
    display_name text, created_at timestamptz NOT NULL DEFAULT now());
  CREATE TABLE contacts (id uuid PRIMARY KEY, team_id uuid NOT NULL, whatsapp_account_id uuid NOT NULL, phone_number text NOT NULL,
    name text, created_at timestamptz NOT NULL DEFAULT now(), blocked_at timestamptz);
  CREATE TABLE conversations (id uuid PRIMARY KEY, team_id uuid NOT NULL, whatsapp_account_id uuid NOT NULL, contact_id uuid NOT NULL,
    status conversation_status NOT NULL, opened_at timestamptz NOT NULL, closed_at timestamptz);
  CREATE TABLE campaigns (id uuid PRIMARY KEY, team_id uuid NOT NULL, whatsapp_account_id uuid NOT NULL, name text NOT NULL,
    status campaign_status NOT NULL, total_recipients int NOT NULL DEFAULT 0, started_at timestamptz, finished_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now());
  CREATE TABLE messages (id uuid PRIMARY KEY, team_id uuid NOT NULL, whatsapp_account_id uuid NOT NULL, conversation_id uuid NOT NULL,
    contact_id uuid NOT NULL, campaign_id uuid, direction message_direction NOT NULL, status message_status NOT NULL,
    created_at timestamptz NOT NULL);
  CREATE INDEX crm_messages_team_idx ON messages (team_id);
  INSERT INTO teams (id, name) VALUES ('00000000-0000-4000-8000-000000000001', 'Existing');
  INSERT INTO whatsapp_accounts (id, team_id, phone_number) VALUES ('00000000-0000-4000-8000-000000000002', '00000000-0000-4000-8000-000000000001', '+100');
  INSERT INTO contacts (id, team_id, whatsapp_account_id, phone_number) VALUES
    ('00000000-0000-4000-8000-000000000003', '00000000-0000-4000-8000-000000000001', '00000000-0000-4000-8000-000000000002', '+200');
  INSERT INTO conversations VALUES ('00000000-0000-4000-8000-000000000004', '00000000-0000-4000-8000-000000000001',
    '00000000-0000-4000-8000-000000000002', '00000000-0000-4000-8000-000000000003', 'open', now(), null);
  INSERT INTO messages VALUES ('00000000-0000-4000-8000-000000000005', '00000000-0000-4000-8000-000000000001',
    '00000000-0000-4000-8000-000000000002', '00000000-0000-4000-8000-000000000004', '00000000-0000-4000-8000-000000000003',
    null, 'inbound', 'received', now());
`;

async function describeSchema(url: string) {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const columns = await c.query(
      `SELECT table_name, column_name, data_type, is_nullable FROM information_schema.columns
       WHERE table_schema = 'public' ORDER BY table_name, ordinal_position`,
    );
    const constraints = await c.query(
      `SELECT conrelid::regclass::text AS t, conname FROM pg_constraint WHERE connamespace = 'public'::regnamespace ORDER BY 1, 2`,
    );
    const indexes = await c.query(`SELECT indexname FROM pg_indexes WHERE schemaname = 'public' ORDER BY 1`);
    return { columns: columns.rows, constraints: constraints.rows, indexes: indexes.rows.map((r) => r.indexname as string) };
  } finally {
    await c.end();
  }
}

describe('db:migrate', () => {
  it('creates every table on an empty database, and a second run changes nothing', async () => {
    const url = await emptyDatabaseUrl();
    const database = url ? connectPostgres(url) : await openPglite();
    cleanups.push(() => database.close());
    await migrateDatabase(database);
    await migrateDatabase(database);
    const tables = await database.rows<{ table_name: string }>(
      sql`SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1`,
    );
    expect(tables.map((t) => t.table_name)).toEqual([
      'analytics_activity_days',
      'analytics_daily_activity',
      'analytics_snapshots',
      'campaigns',
      'contacts',
      'conversations',
      'job_runs',
      'messages',
      'teams',
      'whatsapp_accounts',
    ]);
  });

  it('over an existing CRM database keeps its tables, types and rows and adds only what is missing', async (ctx) => {
    const url = await emptyDatabaseUrl();
    if (!url) return ctx.skip('needs the machine Postgres (this run uses PGlite)');
    const crm = new pg.Client({ connectionString: url });
    await crm.connect();
    await crm.query(EXISTING_CRM);
    await crm.end();
    const before = await describeSchema(url);

    const database = connectPostgres(url);
    cleanups.push(() => database.close());
    await migrateDatabase(database);
    const after = await describeSchema(url);

    // Source tables keep every column (including the CRM's own) and constraint exactly as they were.
    const sourceTables = ['teams', 'whatsapp_accounts', 'contacts', 'conversations', 'campaigns', 'messages'];
    const pick = (cols: typeof before.columns) => cols.filter((c) => sourceTables.includes(c.table_name));
    expect(pick(after.columns)).toEqual(pick(before.columns));
    const pickCons = (cons: typeof before.constraints) => cons.filter((c) => sourceTables.includes(c.t));
    expect(pickCons(after.constraints)).toEqual(pickCons(before.constraints));
    // Their rows are untouched.
    const counts = await database.rows<{ teams: number; messages: number; extra: string }>(
      sql`SELECT (SELECT count(*)::int FROM teams) AS teams, (SELECT count(*)::int FROM messages) AS messages,
                 (SELECT crm_only_column FROM teams LIMIT 1) AS extra`,
    );
    expect(counts[0]).toEqual({ teams: 1, messages: 1, extra: 'kept' });
    // The gateway's own tables and its indexes are there; the CRM's index is kept.
    expect(after.indexes).toEqual(
      expect.arrayContaining([
        'crm_messages_team_idx',
        'messages_team_created_idx',
        'messages_conversation_created_idx',
        'analytics_snapshots_team_date_idx',
        'analytics_snapshots_scope_unique',
        'analytics_daily_activity_team_date_idx',
        'contacts_team_created_cover_idx',
        'conversations_team_id_cover_idx',
      ]),
    );
    expect(after.columns.some((c) => c.table_name === 'job_runs')).toBe(true);
  });

  it('two processes migrating at once both succeed and apply each migration once', async (ctx) => {
    const url = await emptyDatabaseUrl();
    if (!url) return ctx.skip('needs the machine Postgres (this run uses PGlite)');
    const a = connectPostgres(url);
    const b = connectPostgres(url);
    cleanups.push(() => a.close(), () => b.close());
    await Promise.all([migrateDatabase(a), migrateDatabase(b)]);
    const applied = await a.rows<{ n: number }>(sql`SELECT count(*)::int AS n FROM drizzle.__drizzle_migrations`);
    expect(applied[0]!.n).toBe(journal.entries.length);
  });
});
