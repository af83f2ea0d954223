/** `npm run db:migrate`: applies the migrations in drizzle/ to DATABASE_URL (or the embedded database). */
import { sql } from 'drizzle-orm';
import type { Database } from '../db/client.js';
import { MIGRATIONS_FOLDER, migrateDatabase } from '../db/migrate.js';
import { EXIT, describeDatabase, loadConfigOrExit, openDatabase } from './shared.js';

if (process.argv.slice(2).some((a) => a === '--help' || a === '-h')) {
  process.stdout.write(
    'Usage: npm run db:migrate\n\n' +
      'Applies the migrations in drizzle/ to DATABASE_URL, or to the embedded database in DATA_DIR when it is not set.\n' +
      'Over an existing CRM database it keeps the source tables and enum types as they are and creates only\n' +
      "what is missing (the gateway's own tables and the indexes it needs). Safe to run again, and from several\n" +
      'processes at once (they take turns).\n',
  );
  process.exit(EXIT.ok);
}

async function applied(database: Database): Promise<number> {
  const [exists] = await database.rows<{ ok: boolean }>(sql`SELECT to_regclass('drizzle.__drizzle_migrations') IS NOT NULL AS ok`);
  if (!exists?.ok) return 0;
  const [row] = await database.rows<{ n: number }>(sql`SELECT count(*)::int AS n FROM drizzle.__drizzle_migrations`);
  return row?.n ?? 0;
}

async function main(): Promise<number> {
  const config = loadConfigOrExit();
  const where = describeDatabase(config);
  const database = await openDatabase(config, 'analytics-gateway:migrate');
  try {
    const before = await applied(database);
    const started = Date.now();
    await migrateDatabase(database);
    const after = await applied(database);
    const [tables] = await database.rows<{ n: number }>(
      sql`SELECT count(*)::int AS n FROM information_schema.tables WHERE table_schema = 'public'`,
    );
    const what = after > before ? `applied ${after - before} migration(s) from ${MIGRATIONS_FOLDER}` : 'already up to date, nothing to apply';
    process.stdout.write(
      `db:migrate: ${where}: ${what} in ${((Date.now() - started) / 1000).toFixed(1)} s; ${after} migration(s) recorded, ${tables?.n ?? 0} tables in public\n`,
    );
    return EXIT.ok;
  } catch (err) {
    process.stderr.write(`db:migrate: ${where}: failed: ${(err as Error).stack ?? String(err)}\n`);
    return EXIT.failed;
  } finally {
    await database.close();
  }
}

process.exit(await main());
