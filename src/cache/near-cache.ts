/**
 * Values this process has read from (or written to) the shared store recently, kept with the team's
 * invalidation epoch they were read under and the instant they stop being fresh. A near copy is served
 * again only after the team's current epoch — one small read, batched with the turn's other reads — is
 * found unchanged: an invalidation by any process (which bumps the epoch) retires every near copy of
 * the team at once, and nothing is served past its own freshness. What it saves is the value's bytes:
 * a poll then moves a few bytes through Redis instead of its whole answer.
 */
export class NearCache<T> {
  private readonly entries = new Map<string, { value: T; epoch: string; freshUntil: number }>();

  /** Bounded: cleared when full (pollers reuse a few keys per team; a miss only costs a full read). */
  constructor(private readonly max = 2_000) {}

  /** The near copy of `key` and its epoch, while it is fresh. */
  get(key: string, now = Date.now()): { value: T; epoch: string } | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.freshUntil <= now) {
      this.entries.delete(key);
      return undefined;
    }
    return entry;
  }

  set(key: string, value: T, epoch: string, freshUntil: number | null, now = Date.now()): void {
    if (freshUntil === null || freshUntil <= now) return;
    if (this.entries.size >= this.max && !this.entries.has(key)) this.entries.clear();
    this.entries.set(key, { value, epoch, freshUntil });
  }

  delete(key: string): void {
    this.entries.delete(key);
  }
}
