import type { Logger } from '../logging/logger.js';
import type { SnapshotType } from '../metrics/periods.js';
import type { SnapshotGenerator } from '../snapshots/snapshot.service.js';
import type { FailedTeam } from './job-run.store.js';

export interface RetryPolicy {
  /** Attempts per team, first one included (default 3). */
  attempts: number;
  /** Delay before the 2nd attempt; doubles each time (default 1000 ms → 1 s, 2 s, …). */
  baseDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 3, baseDelayMs: 1000, maxDelayMs: 30_000 };

export interface BatchRun {
  snapshots: SnapshotGenerator;
  retry: RetryPolicy;
  sleep: (ms: number) => Promise<void>;
  /** Called after every wait: throws to stop the run (lock lost, shutting down). */
  checkpoint: () => void;
  log: Logger;
  type: SnapshotType;
  dates: (zone: string) => string[];
}

/**
 * One batch of teams: generate, then retry the teams that failed with exponential backoff. A call that
 * fails as a whole (database unreachable…) is retried too, then thrown. Returns the teams that still
 * failed after the last attempt, with a readable reason.
 */
export async function generateWithRetry(
  run: BatchRun,
  batch: ReadonlyArray<{ id: string; name: string }>,
  /** Work units done by the first attempt (later attempts redo units already counted). */
  progress: (done: number) => void,
): Promise<{ written: number; failed: FailedTeam[] }> {
  const { attempts, baseDelayMs, maxDelayMs } = run.retry;
  const delayAfter = (attempt: number) => Math.min(maxDelayMs, baseDelayMs * 2 ** (attempt - 1));
  let pending = batch;
  let written = 0;
  const lastError = new Map<string, string>();
  for (let attempt = 1; ; attempt++) {
    let failedNow: Array<{ teamId: string; error: string }>;
    try {
      const r = await run.snapshots.generate({
        teamIds: pending.map((t) => t.id),
        dates: run.dates,
        type: run.type,
        onProgress: attempt === 1 ? progress : undefined,
      });
      written += r.written;
      failedNow = r.failed;
    } catch (err) {
      if (attempt >= attempts) throw err;
      const delayMs = delayAfter(attempt);
      run.log.warn({ err, attempt, of: attempts, delayMs, teams: pending.length }, 'snapshot batch failed; retrying');
      await run.sleep(delayMs);
      run.checkpoint();
      continue;
    }
    for (const f of failedNow) lastError.set(f.teamId, conciseError(f.error));
    const failedIds = new Set(failedNow.map((f) => f.teamId));
    pending = pending.filter((t) => failedIds.has(t.id));
    if (!pending.length) return { written, failed: [] };
    if (attempt >= attempts) {
      for (const t of pending) {
        const error = lastError.get(t.id);
        run.log.error({ teamId: t.id, teamName: t.name, attempts: attempt, error }, `team snapshots failed after ${attempt} attempts: ${error}`);
      }
      return {
        written,
        failed: pending.map((t) => ({ teamId: t.id, teamName: t.name, error: lastError.get(t.id) ?? 'unknown error', attempts: attempt })),
      };
    }
    const delayMs = delayAfter(attempt);
    for (const t of pending) {
      run.log.warn({ teamId: t.id, teamName: t.name, attempt, of: attempts, delayMs, error: lastError.get(t.id) }, 'team snapshots failed; retrying');
    }
    await run.sleep(delayMs);
    run.checkpoint();
  }
}

/**
 * failed_teams keeps a readable reason, not a dump: drizzle's "Failed query: … params: …" messages
 * carry every parameter (whole metrics JSON), so the parameters are cut and the text capped.
 */
function conciseError(message: string): string {
  const text = message.split('\nparams:')[0]!.replace(/\s+/g, ' ').trim();
  return text.length > 500 ? `${text.slice(0, 497)}...` : text;
}
