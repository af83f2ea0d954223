import type { ServerResponse } from 'node:http';
import type { AnalyticsCache } from '../cache/analytics-cache.js';
import type { Database } from '../db/client.js';
import type { Logger } from '../logging/logger.js';
import type { Metrics } from '../observability/metrics.js';
import { sendJson } from './body.js';

const PING_TIMEOUT_MS = 2_000;

async function probe(name: string, check: () => Promise<unknown>): Promise<string> {
  let timer: NodeJS.Timeout | undefined;
  try {
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${name} did not answer within ${PING_TIMEOUT_MS} ms`)), PING_TIMEOUT_MS);
    });
    const answer = await Promise.race([check(), timeout]);
    return answer === false ? 'unreachable' : 'ok';
  } catch {
    return 'unreachable';
  } finally {
    clearTimeout(timer);
  }
}

/** GET /health: the process is up (no dependency is checked). */
export function health(res: ServerResponse): void {
  sendJson(res, 200, { status: 'ok' });
}

/** Set by the composition root while start-up waits for something (a Postgres that is not reachable yet). */
export interface StartupState {
  waitingFor: string | null;
}

/** GET /ready: Postgres and, when configured, Redis answer; 503 otherwise. */
export async function ready(
  res: ServerResponse,
  deps: { database: Database; cache: AnalyticsCache; logger: Logger; startup?: StartupState },
): Promise<void> {
  const waiting = deps.startup?.waitingFor;
  if (waiting) return sendJson(res, 503, { status: 'starting', reason: waiting });
  const [postgres, redis] = await Promise.all([
    probe('postgres', () => deps.database.ping()),
    deps.cache.backend === 'redis' ? probe('redis', () => deps.cache.ping()) : Promise.resolve('not configured'),
  ]);
  const ok = postgres === 'ok' && redis !== 'unreachable';
  if (!ok) deps.logger.warn({ postgres, redis }, 'not ready');
  sendJson(res, ok ? 200 : 503, { status: ok ? 'ready' : 'unavailable', checks: { postgres, redis } });
}

/** GET /metrics: Prometheus text exposition. */
export async function prometheus(res: ServerResponse, metrics: Metrics): Promise<void> {
  const text = await metrics.registry.metrics();
  res.writeHead(200, { 'content-type': metrics.registry.contentType, 'cache-control': 'no-store' });
  res.end(text);
}
