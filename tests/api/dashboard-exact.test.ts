import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { METRIC_FIELDS } from '../../src/dashboard/growth.js';
import { calculateGrowthRate } from '../../src/metrics/calculations.js';
import { computeMetrics } from '../../src/metrics/metrics.engine.js';
import type { AnalyticsMetrics, MetricSection } from '../../src/metrics/metrics.types.js';
import { completeDays } from '../../src/metrics/periods.js';
import { seedDemo, type SeedDemoResult } from '../../src/demo/seed-demo.js';
import { TeamStore } from '../../src/teams/team.store.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { gql } from './client.js';
import { DashboardDocument, type MetricsFieldsFragment } from './generated/graphql.js';

const NOW = new Date();
const SEED = Number(process.env.DASHBOARD_SEED ?? Math.floor(Math.random() * 1_000_000));
const SECTIONS = Object.keys(METRIC_FIELDS) as MetricSection[];
let gw: TestGateway;
let seeded: SeedDemoResult;

/** The GraphQL-visible part of engine metrics (the engine may carry extra fields for merging). */
function visible(m: AnalyticsMetrics | MetricsFieldsFragment) {
  const out: Record<string, unknown> = { period: { start: m.period.start, end: m.period.end } };
  for (const s of SECTIONS) out[s] = Object.fromEntries(METRIC_FIELDS[s].map((f) => [f, (m[s] as unknown as Record<string, number>)[f]]));
  return out;
}

async function direct(teamId: string, accountId: string | null, start: Date, end: Date): Promise<AnalyticsMetrics> {
  const scoped = await computeMetrics(gw.database, { windows: [{ teamId, start, end }], teamWide: accountId === null, accounts: accountId ? [accountId] : 'none' });
  return scoped.find((s) => s.whatsappAccountId === accountId)!.metrics;
}

beforeAll(async () => {
  gw = await startTestGateway({ now: () => NOW });
  seeded = await seedDemo(gw.database, { days: 45, now: NOW, seed: SEED });
  // Snapshots written after the data last changed (the series reads them).
  await gw.app.snapshots.generate({ dates: (zone) => completeDays(40, zone, NOW).dates, type: 'Daily' });
}, 120_000);
afterAll(() => gw?.close());

describe(`dashboard(days: N).current equals the engine over the same window (random demo data, seed ${SEED})`, () => {
  it('for every demo team (four time zones, two with DST), team-wide and per account, several N', async () => {
    expect(seeded.seeded).toBe(true);
    const store = new TeamStore(gw.database);
    let distinctBelowSum = 0;
    for (const teamId of seeded.teamIds) {
      const team = (await store.getTeam(teamId))!;
      const [account] = await store.accountsOfTeams([teamId]);
      const token = await gw.tokenFor(teamId, 'member');
      for (const days of [1, 7, 13 + (SEED % 7), 20]) {
        const current = completeDays(days, team.timezone, NOW);
        const previous = completeDays(days, team.timezone, current.start);
        for (const accountId of [null, account!.id]) {
          const r = await gql(gw.graphqlUrl, DashboardDocument, { days, whatsappAccountId: accountId }, { token });
          expect(r.errors, `seed ${SEED}`).toBeUndefined();
          const d = r.data!.dashboard;
          const label = `seed ${SEED} team ${team.name} days ${days} account ${accountId ?? 'all'}`;
          const cur = await direct(teamId, accountId, current.start, current.end);
          const prev = await direct(teamId, accountId, previous.start, previous.end);
          expect(visible(d.current), label).toEqual(visible(cur));
          expect(visible(d.previous), label).toEqual(visible(prev));
          for (const s of SECTIONS) {
            for (const f of METRIC_FIELDS[s]) {
              const [c, p] = [(d.current[s] as Record<string, number>)[f]!, (d.previous[s] as Record<string, number>)[f]!];
              expect((d.growth[s] as Record<string, number | null>)[f], `${label} growth ${s}.${f}`).toBe(calculateGrowthRate(c, p));
            }
          }
          expect(d.series.map((x) => x.date), label).toEqual(current.dates);
          expect(d.series.every((x) => x.whatsappAccountId === accountId && x.snapshotType === 'Daily')).toBe(true);
          if (days === 20 && accountId === null) {
            const summed = d.series.reduce((n, x) => n + x.metrics.contacts.active, 0);
            expect(d.current.contacts.active).toBeLessThanOrEqual(summed);
            if (d.current.contacts.active < summed) distinctBelowSum++;
          }
        }
      }
    }
    // Distinct counts are not sums of days: contacts active on several days count once.
    expect(distinctBelowSum).toBeGreaterThan(0);
  }, 120_000);
});
