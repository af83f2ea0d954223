/**
 * `npm run seed:demo [-- --days N --seed N --no-snapshots]`: migrates the database, fills it with demo
 * data when it has no teams yet, then writes the demo window's Daily, Weekly and Monthly snapshots.
 */
import { parseArgs } from 'node:util';
import { migrateDatabase } from '../db/migrate.js';
import { DEFAULT_DEMO_DAYS, DEFAULT_DEMO_SEED, DEMO_TEAMS, backfillDemoSnapshots, seedDemo } from '../demo/seed-demo.js';
import { SnapshotService } from '../snapshots/snapshot.service.js';
import { EXIT, UsageError, cliLogger, createProgress, describeDatabase, loadConfigOrExit, openDatabase, type Progress } from './shared.js';

const USAGE = `Usage: npm run seed:demo [-- --days N] [--seed N] [--no-snapshots]

Migrates the database (DATABASE_URL, or the embedded one in DATA_DIR), and when it has no teams yet
fills it with demo data: ${DEMO_TEAMS.length} teams in different time zones (${DEMO_TEAMS.map((t) => t.timezone).join(', ')}),
two or three WhatsApp accounts each, and --days days of traffic ending now (default ${DEFAULT_DEMO_DAYS}).
Then writes the snapshots of that window: Daily for every day, Weekly and Monthly for the periods
covering it. The same --seed (default ${DEFAULT_DEMO_SEED}) gives the same data; team ids are fixed.
A database that already has teams is left as it is.

Exit codes: 0 done (or nothing to do), 1 failure, 2 bad arguments.`;

function parse(argv: string[]): { days: number; seed: number; snapshots: boolean } | 'help' {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: { days: { type: 'string' }, seed: { type: 'string' }, 'no-snapshots': { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if (values.help) return 'help';
  const int = (v: string | undefined, flag: string, min: number, max: number, dflt: number) => {
    if (v === undefined) return dflt;
    if (!/^\d+$/.test(v) || Number(v) < min || Number(v) > max) throw new UsageError(`${flag} "${v}" is not allowed: expected an integer from ${min} to ${max}`);
    return Number(v);
  };
  return {
    days: int(values.days, '--days', 1, 366, DEFAULT_DEMO_DAYS),
    seed: int(values.seed, '--seed', 0, 2 ** 31 - 1, DEFAULT_DEMO_SEED),
    snapshots: !values['no-snapshots'],
  };
}

async function main(argv: string[]): Promise<number> {
  let args;
  try {
    args = parse(argv);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`error: ${err.message}\n\n${USAGE}\n`);
    return EXIT.usage;
  }
  if (args === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return EXIT.ok;
  }

  const config = loadConfigOrExit();
  const logger = cliLogger(config, 'seed-demo');
  const where = describeDatabase(config);
  const database = await openDatabase(config, 'analytics-gateway:seed-demo');
  try {
    await migrateDatabase(database);
    const started = Date.now();
    const result = await seedDemo(database, { days: args.days, seed: args.seed });
    if (!result.seeded) {
      process.stdout.write(`seed:demo: the ${where} already has teams; nothing seeded (a team to use: ${result.firstTeamId})\n`);
      return EXIT.ok;
    }
    const c = result.counts;
    process.stdout.write(
      `seed:demo: seeded the ${where} in ${((Date.now() - started) / 1000).toFixed(1)} s: ` +
        `${c.teams} teams, ${c.whatsappAccounts} WhatsApp accounts, ${c.contacts} contacts (${c.blockedContacts} blocked), ` +
        `${c.conversations} conversations, ${c.campaigns} campaigns, ${c.messages} messages over ${result.window.days} days\n`,
    );

    let failedTeams = 0;
    if (args.snapshots) {
      const service = new SnapshotService({ database, logger, concurrency: config.snapshotConcurrency });
      const bars = new Map<string, Progress>();
      const snapStarted = Date.now();
      const results = await backfillDemoSnapshots(service, result, (type, done, total) => {
        if (!process.stdout.isTTY) return;
        let bar = bars.get(type);
        if (!bar) bars.set(type, (bar = createProgress(`snapshots ${type}`, total, 'team periods')));
        bar.update(done);
        if (done === total) bar.stop();
      });
      for (const bar of bars.values()) bar.stop();
      for (const r of results) {
        process.stdout.write(`seed:demo: ${r.written} ${r.type} snapshots written${r.failed.length ? `, ${r.failed.length} teams failed` : ''}\n`);
        for (const f of r.failed) process.stderr.write(`  ${r.type} ${f.teamId}: ${f.error}\n`);
        failedTeams += r.failed.length;
      }
      process.stdout.write(`seed:demo: snapshots took ${((Date.now() - snapStarted) / 1000).toFixed(1)} s\n`);
    }
    const demo = DEMO_TEAMS.find((t) => t.id === result.firstTeamId);
    process.stdout.write(`seed:demo: demo team ${result.firstTeamId}${demo ? ` (${demo.name}, ${demo.timezone})` : ''}\n`);
    return failedTeams ? EXIT.failed : EXIT.ok;
  } finally {
    await database.close();
  }
}

process.exit(await main(process.argv.slice(2)));
