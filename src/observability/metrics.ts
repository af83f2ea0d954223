import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * The Prometheus series the gateway exports on GET /metrics. One instance per process (or per test),
 * created in the composition root and handed to whoever records.
 */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const seconds = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];
  return {
    registry,
    cacheHits: new Counter({ name: 'analytics_cache_hits_total', help: 'Cache hits by kind', labelNames: ['kind'], registers: [registry] }),
    cacheMisses: new Counter({ name: 'analytics_cache_misses_total', help: 'Cache misses by kind', labelNames: ['kind'], registers: [registry] }),
    cacheErrors: new Counter({ name: 'analytics_cache_errors_total', help: 'Cache backend errors by kind', labelNames: ['kind'], registers: [registry] }),
    cacheComputeSeconds: new Histogram({
      name: 'analytics_cache_compute_seconds',
      help: 'Time to compute a value on a cache miss, by kind',
      labelNames: ['kind'],
      buckets: seconds,
      registers: [registry],
    }),
    snapshotSeconds: new Histogram({
      name: 'analytics_snapshot_generation_seconds',
      help: 'Time to generate one team’s snapshots for one period, by type and outcome',
      labelNames: ['type', 'outcome'],
      buckets: seconds,
      registers: [registry],
    }),
    snapshotsWritten: new Counter({ name: 'analytics_snapshots_written_total', help: 'Snapshot rows upserted, by type', labelNames: ['type'], registers: [registry] }),
    jobSeconds: new Histogram({
      name: 'analytics_job_duration_seconds',
      help: 'Job run duration by job and status',
      labelNames: ['job', 'status'],
      buckets: seconds,
      registers: [registry],
    }),
    jobRuns: new Counter({ name: 'analytics_job_runs_total', help: 'Job runs by job and status', labelNames: ['job', 'status'], registers: [registry] }),
    graphqlSeconds: new Histogram({
      name: 'analytics_graphql_request_duration_seconds',
      help: 'GraphQL request duration by operation name and outcome',
      labelNames: ['operation', 'outcome'],
      buckets: seconds,
      registers: [registry],
    }),
    backendErrors: new Counter({ name: 'analytics_backend_errors_total', help: 'Postgres and Redis errors by backend', labelNames: ['backend'], registers: [registry] }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
