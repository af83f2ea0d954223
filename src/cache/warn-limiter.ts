import type { Logger } from '../logging/logger.js';

/**
 * Logs a WARN at most once per interval (a down Redis would otherwise log once per request);
 * the next WARN reports how many were suppressed in between.
 */
export class WarnLimiter {
  private last = -Infinity;
  private suppressed = 0;

  constructor(
    private readonly logger: Logger,
    private readonly intervalMs = 30_000,
    private readonly now: () => number = () => Date.now(),
  ) {}

  /** true when this call logged. */
  warn(fields: Record<string, unknown>, msg: string): boolean {
    const t = this.now();
    if (t - this.last < this.intervalMs) {
      this.suppressed++;
      return false;
    }
    this.logger.warn({ ...fields, suppressed: this.suppressed }, msg);
    this.last = t;
    this.suppressed = 0;
    return true;
  }
}
