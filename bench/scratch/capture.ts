import { PgDialect } from 'drizzle-orm/pg-core';
import type { SQL } from 'drizzle-orm';
import type { Database } from '../../src/db/client.js';
import { computeMetrics, type MetricsRequest } from '../../src/metrics/metrics.engine.js';

export async function engineSql(request: MetricsRequest): Promise<{ sql: string; params: unknown[] }> {
  let captured: { sql: string; params: unknown[] } | undefined;
  const fake = { rows: async (q: SQL) => { captured = new PgDialect().sqlToQuery(q); return []; } } as unknown as Database;
  await computeMetrics(fake, request);
  return captured!;
}
