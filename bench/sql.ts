/**
 * The SQL-side figures: the snapshot job (SnapshotService.generate for one date) against the floor,
 * real-time for the largest team against its floor, uncached dashboards, plus the checks that the
 * floor returns the engine's numbers and the profiles (EXPLAIN) used in the report's findings.
 * The engine runs through the gateway's own `connectPostgres` handle (sessions with `jit=off`).
 */
import { PgDialect } from 'drizzle-orm/pg-core';
import type { SQL } from 'drizzle-orm';
import pLimit from 'p-limit';
import pg from 'pg';
import type { AnalyticsCache } from '../src/cache/analytics-cache.js';
import { SESSION_OPTIONS, connectPostgres, type Database } from '../src/db/client.js';
import { migrateDatabase } from '../src/db/migrate.js';
import { DashboardService } from '../src/dashboard/dashboard.service.js';
import { createLogger } from '../src/logging/logger.js';
import { computeMetrics, type MetricsRequest, type TeamWindow } from '../src/metrics/metrics.engine.js';
import type { AnalyticsMetrics } from '../src/metrics/metrics.types.js';
import { completeDays, periodContaining, realTimePeriod } from '../src/metrics/periods.js';
import { ActivityStore } from '../src/snapshots/activity.store.js';
import { SnapshotService } from '../src/snapshots/snapshot.service.js';
import { SnapshotStore } from '../src/snapshots/snapshot.store.js';
import { TeamStore } from '../src/teams/team.store.js';
import type { DatasetManifest } from './dataset.js';
import { compareSections, floorJobSql, floorMetrics, floorSql, type FloorRow } from './floor.sql.js';
import { median, timed } from './lib.js';

/** The gateway's defaults (src/config/config.ts): pool 10, 4 batches at once, 250 teams a batch. */
export interface GatewaySettings {
  poolSize: number;
  snapshotConcurrency: number;
  statementTimeoutMs: number;
}

/** A cache that always misses: "uncached" figures go through the services' real code paths. */
export const noCache: AnalyticsCache = {
  getOrCompute: (_kind, _key, _ttl, compute) => compute(),
  getOrComputeMany: async (_kind, keys, _ttl, compute) => {
    const unique = [...new Set(keys)];
    const values = await compute(unique);
    return keys.map((key) => values[unique.indexOf(key)]!);
  },
  readThrough: async (_kind, _key, compute) => (await compute()).value,
  get: async () => undefined,
  set: async () => {},
  invalidateTeam: async () => {},
  ping: async () => true,
  backend: 'memory',
  close: async () => {},
};

/** The job's date: two days before the data's end (UTC), a complete local day in every zone. */
export function jobDate(m: DatasetManifest): string {
  return new Date(Date.parse(m.end) - 2 * 86_400_000).toISOString().slice(0, 10);
}

export interface Team {
  id: string;
  timezone: string;
}

const args = (windows: TeamWindow[]) => [
  windows.map((w) => w.teamId),
  windows.map((w) => w.start.toISOString()),
  windows.map((w) => w.end.toISOString()),
];

/** The engine's statement for a request, as text and parameters (computeMetrics over a capturing Database). */
export async function engineStatement(request: MetricsRequest): Promise<{ sql: string; params: unknown[] }> {
  let captured: { sql: string; params: unknown[] } | undefined;
  const capture = {
    rows: async (q: SQL) => {
      captured = new PgDialect().sqlToQuery(q);
      return [];
    },
  } as unknown as Database;
  await computeMetrics(capture, request);
  if (!captured) throw new Error('computeMetrics issued no statement');
  return captured;
}

export class SqlBench {
  readonly teams: Team[];
  readonly largest: Team;
  /** The largest team's account with the most conversations (for the one-account dashboard). */
  readonly busiestAccount: string;
  /** The gateway's handle, as `connectPostgres` configures it (its sessions run with `jit=off`). */
  readonly engine: Database;
  /** Floors run on plain pg connections with JIT off (the fastest this server can do). */
  readonly floorPool: pg.Pool;
  private readonly snapshots: SnapshotService;
  readonly dashboards: DashboardService;

  private constructor(readonly manifest: DatasetManifest, teams: Team[], busiestAccount: string, readonly settings: GatewaySettings) {
    this.teams = teams;
    this.largest = teams.find((t) => t.id === manifest.largestTeam.id)!;
    this.busiestAccount = busiestAccount;
    const opts = { poolSize: settings.poolSize, statementTimeoutMs: settings.statementTimeoutMs, applicationName: 'bench:engine' };
    this.engine = connectPostgres(manifest.url, opts);
    this.floorPool = new pg.Pool({
      connectionString: manifest.url,
      max: 4,
      options: SESSION_OPTIONS, // the gateway's session settings
      statement_timeout: settings.statementTimeoutMs,
      application_name: 'bench:floor',
    });
    // An idle connection the server ends (a database dropped WITH (FORCE) right after close(), whose
    // connection ends are still in flight) is reported on the pool; it is no failure of a measured
    // statement, whose own errors reject its query. Without a listener it would crash the process.
    this.floorPool.on('error', () => {});
    this.floorPool.on('connect', (client) => client.on('error', () => {}));
    const logger = createLogger('silent');
    this.snapshots = new SnapshotService({ database: this.engine, logger, concurrency: settings.snapshotConcurrency });
    this.dashboards = new DashboardService({
      database: this.engine,
      teams: new TeamStore(this.engine),
      snapshots: new SnapshotStore(this.engine),
      cache: noCache,
    });
  }

  static async open(manifest: DatasetManifest, settings: GatewaySettings): Promise<SqlBench> {
    const c = new pg.Client({ connectionString: manifest.url });
    await c.connect();
    const teams = (await c.query<Team>(`SELECT id, timezone FROM teams ORDER BY id`)).rows;
    const busiest = await c.query<{ id: string }>(
      `SELECT whatsapp_account_id AS id FROM conversations WHERE team_id = $1 GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1`,
      [manifest.largestTeam.id],
    );
    await c.end();
    const bench = new SqlBench(manifest, teams, busiest.rows[0]!.id, settings);
    await migrateDatabase(bench.engine); // a reused data set gets the gateway's newer migrations
    return bench;
  }

  async close(): Promise<void> {
    await Promise.all([this.engine.close(), this.floorPool.end()]);
  }

  /** Every team's Daily window for `date` in its own time zone. */
  jobWindows(date: string): TeamWindow[] {
    return this.teams.map((t) => {
      const p = periodContaining(date, 'Daily', t.timezone);
      return { teamId: t.id, start: p.start, end: p.end };
    });
  }

  /** The nightly job path: SnapshotService.generate for one date, all teams, team-wide and per account. */
  async engineJob(date: string): Promise<number> {
    const r = await this.snapshots.generate({ dates: [date], type: 'Daily' });
    if (r.failed.length) throw new Error(`snapshot job: ${r.failed.length} teams failed, first: ${r.failed[0]!.error}`);
    return r.written;
  }

  /**
   * The floor of the job: compute every scope and upsert the same snapshot rows, one statement per
   * batch of 250 teams, with the job's concurrency (both sides use both cores).
   */
  async floorJob(date: string): Promise<number> {
    const windows = this.jobWindows(date);
    const batches = Array.from({ length: Math.ceil(windows.length / 250) }, (_, i) => windows.slice(i * 250, (i + 1) * 250));
    const limit = pLimit(this.settings.snapshotConcurrency);
    const counts = await Promise.all(
      batches.map((batch) =>
        limit(async () => {
          const { rows } = await this.floorPool.query<{ n: number }>(floorJobSql(), [...args(batch), batch.map(() => date)]);
          return rows[0]!.n;
        }),
      ),
    );
    return counts.reduce((a, b) => a + b, 0);
  }

  /**
   * The floor's computation alone (no write). `prepared`: a named statement, planned once per
   * connection — what a polling path would do (real-time and dashboard floors).
   */
  async floorCompute(windows: TeamWindow[], accounts: boolean, prepared = false): Promise<FloorRow[]> {
    const text = floorSql({ accounts });
    const query = prepared ? { name: `floor_${accounts ? 'all' : 'team'}`, text, values: args(windows) } : { text, values: args(windows) };
    return (await this.floorPool.query<FloorRow>(query)).rows;
  }

  /** Engine vs floor for the same windows: every field of every scope (empty list = identical). */
  async verify(windows: TeamWindow[], accounts: boolean): Promise<{ scopes: number; messages: number; diffs: string[] }> {
    const [engine, floor] = await Promise.all([
      computeMetrics(this.engine, { windows, teamWide: true, accounts: accounts ? 'all' : 'none' }),
      this.floorCompute(windows, accounts),
    ]);
    const byScope = new Map(floor.map((r) => [`${r.team_id}/${r.account_id}`, r]));
    const diffs: string[] = [];
    for (const e of engine) {
      const key = `${e.teamId}/${e.whatsappAccountId}`;
      const f = byScope.get(key);
      if (!f) diffs.push(`${key}: missing from the floor`);
      else diffs.push(...compareSections(key, e.metrics as unknown as Record<string, Record<string, number>>, floorMetrics(f)));
      byScope.delete(key);
    }
    for (const key of byScope.keys()) diffs.push(`${key}: missing from the engine`);
    const messages = engine.filter((e) => e.whatsappAccountId === null).reduce((n, e) => n + e.metrics.messages.total, 0);
    return { scopes: engine.length, messages, diffs };
  }

  realTimeWindow(now = new Date()): TeamWindow {
    const p = realTimePeriod(this.largest.timezone, now);
    return { teamId: this.largest.id, start: p.start, end: p.end };
  }

  /** RealtimeService.forTeam's computation, uncached: team-wide, local midnight → now. */
  async realTimeEngine(): Promise<number> {
    const [scoped] = await computeMetrics(this.engine, {
      windows: [this.realTimeWindow()],
      teamWide: true,
      accounts: 'none',
      reportEndAsIs: true,
    });
    return scoped!.metrics.messages.total;
  }

  async realTimeFloor(): Promise<number> {
    const [row] = await this.floorCompute([this.realTimeWindow()], false, true);
    return row!.m_total;
  }

  /**
   * The nightly jobs of the largest team's last `days` local days (Daily snapshots and their stored
   * activity, which uncached dashboards merge), as a deployment that has run, or was backfilled, that long.
   */
  async backfillLargest(days: number): Promise<number> {
    const { dates } = completeDays(days, this.largest.timezone);
    const r = await this.snapshots.generate({ teamIds: [this.largest.id], dates, type: 'Daily' });
    if (r.failed.length) throw new Error(`backfill: ${r.failed[0]!.error}`);
    return r.written;
  }

  /** The closure refresh the Daily job runs after its batches, for every team (ActivityStore.refreshClosures). */
  async refreshClosures(): Promise<number> {
    return new ActivityStore(this.engine).refreshClosures(this.teams.map((t) => t.id));
  }

  /**
   * DashboardService.get for the largest team through a cache that always misses: team-wide, or for
   * its busiest account (`dashboard(days, whatsappAccountId)`).
   */
  async dashboard(days: number, scope: 'team' | 'account' = 'team'): Promise<number> {
    const d = await this.dashboards.get(this.largest.id, days, scope === 'team' ? null : this.busiestAccount);
    return d.current.messages.total;
  }

  /**
   * The dashboard's two windows computed by the engine from the messages (no stored activity), for checks:
   * team-wide, or for the busiest account.
   */
  async dashboardsFromMessages(days: number, scope: 'team' | 'account' = 'team'): Promise<{ current: AnalyticsMetrics; previous: AnalyticsMetrics }> {
    const current = completeDays(days, this.largest.timezone);
    const previous = completeDays(days, this.largest.timezone, current.start);
    const scopes = scope === 'team' ? { teamWide: true, accounts: 'none' as const } : { teamWide: false, accounts: [this.busiestAccount] };
    const [cur, prev] = await Promise.all(
      [current, previous].map(async (w) => {
        const [scoped] = await computeMetrics(this.engine, { windows: [{ teamId: this.largest.id, start: w.start, end: w.end }], ...scopes });
        return scoped!.metrics;
      }),
    );
    return { current: cur!, previous: prev! };
  }

  /** A dashboard computed from the source tables by the floor statement: both windows, in parallel as the service does. */
  async dashboardFloor(days: number): Promise<number> {
    const current = completeDays(days, this.largest.timezone);
    const previous = completeDays(days, this.largest.timezone, current.start);
    const [cur] = await Promise.all([
      this.floorCompute([{ teamId: this.largest.id, start: current.start, end: current.end }], false, true),
      this.floorCompute([{ teamId: this.largest.id, start: previous.start, end: previous.end }], false, true),
    ]);
    return cur[0]!.m_total;
  }

  /**
   * The least work each uncached figure cannot avoid, one minimal statement per step (median of
   * `repeat` runs on the gateway's session settings): real-time needs the team's contact totals, one
   * sort of today's messages by conversation, and a look-up of the conversations they name (the message
   * before an inbound first message of the day, and each conversation's state); a dashboard window
   * needs its stored activity rows (whose conversation marks count each conversation once) and one
   * group per active contact.
   */
  async floorPieces(repeat = 5): Promise<Array<{ label: string; ms: number }>> {
    const team = this.largest.id;
    const rt = this.realTimeWindow();
    const d30 = completeDays(30, this.largest.timezone);
    const range = [team, d30.dates[0], d30.lastDate];
    const act = `SELECT * FROM analytics_daily_activity WHERE team_id = $1 AND date BETWEEN $2::date AND $3::date`;
    // The steps after the read run over a private copy of the window's rows,
    // so that each step's time is its own and the steps add up.
    const c = new pg.Client({ connectionString: this.manifest.url, options: SESSION_OPTIONS });
    await c.connect();
    try {
      await c.query(`CREATE TEMP TABLE window_rows AS ${act}`, range);
      await c.query('ANALYZE window_rows');
      // Each conversation's first message of today (what the real-time look-ups start from).
      await c.query(
        `CREATE TEMP TABLE today_firsts AS SELECT DISTINCT ON (conversation_id) conversation_id, created_at, id, direction
           FROM messages WHERE team_id = $1 AND created_at >= $2 AND created_at < $3 ORDER BY conversation_id, created_at, id`,
        [team, rt.start, rt.end],
      );
      await c.query('ANALYZE today_firsts');
      const pieces: Array<[string, string, unknown[]]> = [
        ['real-time: contact totals of the largest team (index-only count)',
          `SELECT count(*) FILTER (WHERE created_at < now()), count(*) FILTER (WHERE blocked_at < now()) FROM contacts WHERE team_id = $1`, [team]],
        ["real-time: today's messages read and sorted by conversation once (lead)",
          `SELECT count(lead) FROM (SELECT lead(direction) OVER (PARTITION BY conversation_id ORDER BY created_at, id) AS lead
             FROM messages WHERE team_id = $1 AND created_at >= $2 AND created_at < $3) x`, [team, rt.start, rt.end]],
        ["real-time: the message before each conversation's first of today, where that one is inbound (does it start a turn?)",
          `SELECT count(p.direction) FROM today_firsts f CROSS JOIN LATERAL (
             SELECT y.direction FROM messages y
             WHERE y.team_id = $1 AND y.conversation_id = f.conversation_id
               AND y.created_at <= f.created_at AND (y.created_at < f.created_at OR y.id < f.id)
             ORDER BY y.created_at DESC, y.id DESC LIMIT 1) p
           WHERE f.direction = 'inbound'`, [team]],
        ["real-time: the state of each conversation of today (primary key)",
          `SELECT count(*) FILTER (WHERE c.closed_at < $2) FROM today_firsts f
             CROSS JOIN LATERAL (SELECT c.closed_at FROM conversations c WHERE c.id = f.conversation_id AND c.team_id = $1 OFFSET 0) c`,
          [team, rt.end]],
        ['dashboard 30 d: read the window\'s stored activity rows (what the per-contact sums start from)',
          `SELECT count(contact_id) FROM (${act}) a`, range],
        ['dashboard 30 d: one group per active contact (5 sums)',
          `SELECT count(*) FROM (SELECT contact_id, sum(sent), sum(delivered), sum(read), sum(replied), sum(inbound) FROM window_rows GROUP BY contact_id) x`, []],
      ];
      const out: Array<{ label: string; ms: number }> = [];
      for (const [label, text, values] of pieces) {
        const times: number[] = [];
        for (let i = 0; i < repeat; i++) times.push((await timed(() => c.query(text, values))).ms);
        out.push({ label, ms: median(times) });
      }
      return out;
    } finally {
      await c.end();
    }
  }

  /**
   * Where an uncached dashboard window's time goes: the engine statement of the largest team's current
   * `days`-day window, as DashboardService issues it, timed whole and with each metric family alone (the
   * same CTEs, the final SELECT reading only that family's aggregate). Median of `repeat`, interleaved.
   */
  async dashboardFamilies(days = 30, repeat = 5): Promise<Array<{ label: string; ms: number }>> {
    const requests: MetricsRequest[] = [];
    const capture = new DashboardService({
      database: this.engine,
      teams: new TeamStore(this.engine),
      snapshots: new SnapshotStore(this.engine),
      cache: noCache,
      compute: (database, request) => (requests.push(request), computeMetrics(database, request)),
    });
    await capture.get(this.largest.id, days, null);
    const current = requests.reduce((a, b) => (b.windows[0]!.end > a.windows[0]!.end ? b : a));
    const { sql, params } = await engineStatement(current);
    const cut = sql.lastIndexOf('SELECT s.team_id, s.account_id');
    if (cut < 0) throw new Error("dashboardFamilies: the engine statement's final SELECT was not found");
    const variants: Array<[string, string]> = [
      ['the whole statement', sql],
      ...([
        ['engagement (active contacts, scores)', 'engagement_agg'],
        ['conversations', 'conv_agg'],
        ['contact totals', 'contact_agg'],
        ['campaigns', 'campaign_agg'],
        ['message totals', 'msg_agg'],
      ] as const).map(([label, cte]): [string, string] => [`${label} alone`, `${sql.slice(0, cut)}SELECT * FROM ${cte}`]),
    ];
    const c = new pg.Client({ connectionString: this.manifest.url, options: SESSION_OPTIONS });
    await c.connect();
    try {
      const times = variants.map((): number[] => []);
      for (let i = 0; i < repeat; i++) {
        for (const [k, [, text]] of variants.entries()) times[k]!.push((await timed(() => c.query(text, params))).ms);
      }
      return variants.map(([label], k) => ({ label, ms: median(times[k]!) }));
    } finally {
      await c.end();
    }
  }

  /** EXPLAIN (ANALYZE, BUFFERS) of a statement on a connection with the given options. */
  async explain(sql: string, params: unknown[], options = ''): Promise<string> {
    const c = new pg.Client({ connectionString: this.manifest.url, options: options || undefined });
    await c.connect();
    try {
      const { rows } = await c.query(`EXPLAIN (ANALYZE, BUFFERS) ${sql}`, params);
      return rows.map((r: Record<string, string>) => r['QUERY PLAN']).join('\n');
    } finally {
      await c.end();
    }
  }

  /** Runs a statement on a fresh connection with the given options and returns its time in ms. */
  async timeStatement(sql: string, params: unknown[], options = ''): Promise<{ ms: number; rows: unknown[] }> {
    const c = new pg.Client({ connectionString: this.manifest.url, options: options || undefined });
    await c.connect();
    try {
      const t0 = performance.now();
      const { rows } = await c.query(sql, params);
      return { ms: performance.now() - t0, rows };
    } finally {
      await c.end();
    }
  }

  /**
   * What autovacuum does in a live database (this server runs with it off): the job and the backfill
   * rewrite snapshot and activity rows, and their dead versions would otherwise slow every later read.
   */
  async vacuumWritten(): Promise<void> {
    await this.floorPool.query(`VACUUM ANALYZE analytics_snapshots, analytics_daily_activity, analytics_activity_days`);
  }
}
