/**
 * Proves the benchmark's own pieces work, at a tiny scale, so CI catches a broken benchmark before a
 * full run does: the generator builds a data set inside Postgres, the floor statements return the
 * engine's numbers (every field of every scope, for a job day and for a real-time window), the
 * floor's job writes the same snapshots as the SnapshotService, and the report (markdown + SVG
 * charts) renders.
 * No timing is asserted here: timings live in docs/benchmarks.md.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { dropDataset, generateDataset, type DatasetManifest } from '../../bench/dataset.js';
import { compareSections, floorMetrics, type FloorRow } from '../../bench/floor.sql.js';
import { machineInfo } from '../../bench/lib.js';
import { writeReport, type Results } from '../../bench/report.js';
import { SqlBench, jobDate } from '../../bench/sql.js';

const { postgresUrl, databasePrefix } = inject('services');

describe.skipIf(!postgresUrl)(postgresUrl ? 'benchmark harness (tiny scale, real Postgres)' : 'benchmark harness — NOT RUN: no Postgres at TEST_DATABASE_URL (set REQUIRE_SERVICES=1 to fail instead)', () => {
  let manifest: DatasetManifest;
  let bench: SqlBench;
  const name = `${databasePrefix}_bench`;

  beforeAll(async () => {
    manifest = await generateDataset({ adminUrl: postgresUrl!, database: name, scale: 0.003, days: 14 });
    bench = await SqlBench.open(manifest, { poolSize: 4, snapshotConcurrency: 2, statementTimeoutMs: 120_000 });
  }, 180_000);

  afterAll(async () => {
    await bench?.close();
    await dropDataset(postgresUrl!, name);
  });

  it('generates a skewed data set over several time zones with the gateway indexes only', async () => {
    expect(manifest.counts.teams).toBe(3);
    expect(manifest.counts.whatsapp_accounts).toBe(125); // teams #1–#3 have 100, 20 and 5 accounts
    expect(manifest.counts.messages).toBeGreaterThan(1000);
    expect(Object.keys(manifest.teamsByAccountCount).sort()).toEqual(['100', '20', '5']);
    const c = new pg.Client({ connectionString: manifest.url });
    await c.connect();
    try {
      const zones = (await c.query(`SELECT count(DISTINCT timezone)::int AS n FROM teams`)).rows[0].n;
      expect(zones).toBe(3);
      const mix = (await c.query(`SELECT direction, count(*)::int AS n FROM messages GROUP BY 1`)).rows;
      expect(mix.map((r) => r.direction).sort()).toEqual(['inbound', 'outbound']);
      const indexes = (await c.query(`SELECT indexname FROM pg_indexes WHERE tablename = 'messages' ORDER BY 1`)).rows.map((r) => r.indexname);
      expect(indexes).toEqual(['messages_conversation_created_idx', 'messages_pkey', 'messages_team_created_idx']);
      // Referential integrity holds although the load skipped FK triggers.
      const orphans = (await c.query(`SELECT count(*)::int AS n FROM messages m LEFT JOIN conversations v ON v.id = m.conversation_id
        LEFT JOIN contacts ct ON ct.id = m.contact_id LEFT JOIN whatsapp_accounts a ON a.id = m.whatsapp_account_id
        WHERE v.id IS NULL OR ct.id IS NULL OR a.id IS NULL OR v.team_id <> m.team_id`)).rows[0].n;
      expect(orphans).toBe(0);
    } finally {
      await c.end();
    }
  });

  it('the floor returns the engine numbers for a job day, every scope and field', async () => {
    const windows = bench.jobWindows(jobDate(manifest));
    const v = await bench.verify(windows, true);
    expect(v.messages).toBeGreaterThan(0);
    expect(v.scopes).toBe(manifest.counts.teams + manifest.counts.whatsapp_accounts);
    expect(v.diffs).toEqual([]);
    // The floor's scopes agree with the floor metrics conversion (used by the report).
    const floorRows = (await bench.floorCompute(windows, true)) as FloorRow[];
    const teamRows = floorRows.filter((r) => r.account_id === null);
    expect(teamRows.map((r) => floorMetrics(r).messages.total).reduce((a, b) => a + b, 0)).toBe(v.messages);
  });

  it('the floor returns the engine numbers for the largest team over real-time and multi-day windows', async () => {
    const rt = bench.realTimeWindow();
    for (const windows of [[rt], [{ ...rt, start: new Date(rt.start.getTime() - 7 * 86_400_000), end: rt.start }]]) {
      const v = await bench.verify(windows, false);
      expect(v.scopes).toBe(1);
      expect(v.diffs).toEqual([]);
    }
  });

  it("the floor's job writes the same snapshots as the SnapshotService", async () => {
    const date = jobDate(manifest);
    const read = async () => {
      const { rows } = await bench.floorPool.query<{ team_id: string; whatsapp_account_id: string | null; metrics: any }>(
        `SELECT team_id, whatsapp_account_id, metrics FROM analytics_snapshots WHERE date = $1 AND snapshot_type = 'Daily'`,
        [date],
      );
      return new Map(rows.map((r) => [`${r.team_id}/${r.whatsapp_account_id}`, r.metrics]));
    };
    const written = await bench.engineJob(date);
    const engine = await read();
    expect(await bench.floorJob(date)).toBe(written);
    const floor = await read();
    expect(floor.size).toBe(engine.size);
    const diffs: string[] = [];
    for (const [scope, metrics] of engine) {
      const f = floor.get(scope);
      expect(f.period).toEqual(metrics.period);
      const { period: _p, generatedAt: _g, ...sections } = f;
      diffs.push(...compareSections(scope, metrics, sections));
    }
    expect(diffs).toEqual([]);
  });

  it('after the backfill, uncached dashboards merge stored activity and the floor steps run', async () => {
    expect(await bench.backfillLargest(28)).toBeGreaterThan(0);
    const merged = await bench.dashboards.get(bench.largest.id, 14, null);
    const source = await bench.dashboardsFromMessages(14);
    expect(merged.current.messages.total).toBeGreaterThan(0);
    expect({ ...merged.current, generatedAt: '' }).toEqual({ ...source.current, generatedAt: '' });
    expect({ ...merged.previous, generatedAt: '' }).toEqual({ ...source.previous, generatedAt: '' });
    const mergedAccount = await bench.dashboards.get(bench.largest.id, 14, bench.busiestAccount);
    const sourceAccount = await bench.dashboardsFromMessages(14, 'account');
    expect(mergedAccount.current.conversations.total).toBeGreaterThan(0);
    expect({ ...mergedAccount.current, generatedAt: '' }).toEqual({ ...sourceAccount.current, generatedAt: '' });
    expect(await bench.dashboard(14, 'account')).toBe(mergedAccount.current.messages.total);
    const pieces = await bench.floorPieces(1);
    expect(pieces.map((x) => x.label.split(':')[0])).toEqual(['real-time', 'real-time', 'real-time', 'real-time', 'dashboard 30 d', 'dashboard 30 d']);
    expect(pieces.every((x) => Number.isFinite(x.ms))).toBe(true);
    const families = await bench.dashboardFamilies(14, 1);
    expect(families.map((x) => x.label)).toEqual([
      'the whole statement', 'engagement (active contacts, scores) alone', 'conversations alone', 'contact totals alone', 'campaigns alone', 'message totals alone',
    ]);
    expect(families.every((x) => Number.isFinite(x.ms) && x.ms > 0)).toBe(true);
  });

  it('renders the report with its SVG charts', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bench-report-'));
    try {
      const ms = [12, 10, 11];
      const results: Results = {
        args: { scale: 0.003, days: 14, shortDays: 14, rounds: 3, realtimeCalls: 1, settings: bench.settings },
        machine: await machineInfo(postgresUrl!, null),
        datasets: [manifest, manifest],
        date: jobDate(manifest),
        verification: [{ name: 'job', scopes: 1, messages: 1, diffs: [], diffCount: 0 }],
        samples: Object.fromEntries(
          ['job.engine.14', 'job.floor.14', 'job.floorCompute.14', 'realtime.engine', 'realtime.floor',
            'dashboard30.engine', 'dashboard30.account', 'dashboard30.source', 'dashboard365.engine', 'dashboard365.source'].map((k) => [k, ms]),
        ),
        profiles: { pieces: [{ label: 'dashboard 30 d: read', ms: 5 }] },
        loadAverages: [],
        http: null,
        seconds: 1,
      };
      const files = await writeReport(results, join(dir, 'benchmarks.md'));
      expect(files).toHaveLength(3);
      expect(readFileSync(join(dir, 'benchmarks.md'), 'utf8')).toContain('| Snapshot job');
      expect(readFileSync(join(dir, 'benchmarks.md'), 'utf8')).toContain("busiest account (dashboard(days: 30, whatsappAccountId)) | 11.0 ms");
      expect(readFileSync(join(dir, 'benchmarks-job.svg'), 'utf8')).toMatch(/^<svg/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
