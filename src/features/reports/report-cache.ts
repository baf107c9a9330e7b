/**
 * Finished reports, kept until the data under them changes.
 *
 * A report is a pure function of its resolved parameters and the database,
 * so a cached report is served only while the database is exactly as it was
 * when the report was computed. That is checked, not assumed: the cache
 * keys on the data version (src/store/unit-of-work.ts), which every
 * committed write that changed data moves, in this process or another. A
 * write path cannot forget to announce itself: the unit of work it must
 * write through does it.
 *
 * Reports are computed with awaits in between (on PostgreSQL each read is
 * its own statement on the pool, outside any transaction), so writes may
 * commit while a report reads: it may see the data of version v in one
 * read and of v + 1 in the next. The rule that keeps the cache honest:
 * read the version BEFORE the data, and file the result under that version.
 * - A result filed under v holds data of v or newer. A request that read
 *   v (so started before v + 1 was visible to it) and gets a result that
 *   includes v + 1 sees a write that committed while it ran: that is
 *   allowed, so a label older than the data is only conservative; and the
 *   first request to read v + 1 empties the cache, so the mixed result is
 *   not served past it.
 * - A result must never be filed under a version newer than the one read
 *   before its data: it could miss a write between the two and be served
 *   as current when it is not. So the version is not read again after the
 *   compute, and a result whose version the cache has moved past while it
 *   computed is handed to its caller but not kept.
 * Concurrent requests for one key at one version share one computation (the
 * entry holds its promise), so a burst of identical requests after a write
 * computes once; a failure is not kept.
 *
 * Inside an open transaction (a report a write computes) nothing is cached
 * or served from the cache: the transaction's writes may still roll back.
 * Cached values are shared: callers must treat them as read-only.
 */
import type { DataVersionSource } from '../../store/unit-of-work.js';

export class ReportCache {
  /** The results filed under `version`, least recently used first. */
  private readonly entries = new Map<string, Promise<unknown>>();
  private version = -1;
  private latestEntry: { key: string; value: Promise<unknown> } | null = null;
  /** The `latest` computation under way or last finished: the next one waits for it (see latest). */
  private latestTail: Promise<unknown> = Promise.resolve();
  hits = 0;
  misses = 0;

  constructor(private readonly versions: DataVersionSource, private readonly maxEntries = 64) {}

  /**
   * Like `get`, for large intermediate values: only the most recent one is
   * kept, whatever its key, and it is dropped with everything else when the
   * database changes. Two such values would not fit in the memory budget
   * together, so their computations run one after the other, never at once.
   */
  async latest<T>(key: string, compute: () => T | Promise<T>): Promise<T> {
    if (this.versions.inTransaction()) return compute();
    const version = await this.versions.version();
    const filing = this.advance(version);
    if (filing && this.latestEntry?.key === key) return this.latestEntry.value as Promise<T>;
    // Let the old value go before computing the new one: two would not fit in the memory budget.
    if (filing) this.latestEntry = null;
    const previous = this.latestTail;
    const value = previous.then(compute, compute) as Promise<T>;
    this.latestTail = value.catch(() => undefined);
    if (filing) {
      const entry = { key, value };
      this.latestEntry = entry;
      // A failure is not kept: the next request computes again.
      value.catch(() => {
        if (this.latestEntry === entry) this.latestEntry = null;
      });
    }
    return value;
  }

  /** The cached value for `key` if the database has not changed since it was computed, else `compute()`'s, stored. */
  async get<T>(key: string, compute: () => T | Promise<T>): Promise<T> {
    if (this.versions.inTransaction()) return compute();
    // Before the data: see the header.
    const version = await this.versions.version();
    if (!this.advance(version)) {
      // This request read an older version than the cache already holds: compute, and keep nothing.
      this.misses++;
      return compute();
    }
    const cached = this.entries.get(key);
    if (cached !== undefined) {
      // Least recently used goes first: re-insert to move this one to the end.
      this.entries.delete(key);
      this.entries.set(key, cached);
      this.hits++;
      return cached as Promise<T>;
    }
    this.misses++;
    const value = (async () => compute())();
    this.entries.set(key, value);
    if (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
    // A failure (a missing FX rate) is not kept; a result the cache has moved past was dropped with its version.
    value.catch(() => {
      if (this.entries.get(key) === value) this.entries.delete(key);
    });
    return value;
  }

  /**
   * Moves the cache to `version` if it is newer, emptying it; true when
   * results read at `version` may be looked up and filed (it is the cache's
   * version), false when it is older than the cache's. Versions only grow
   * (one row, incremented by each committed write), so an older one can only
   * come from a request that read it before another request read a newer one.
   */
  private advance(version: number): boolean {
    if (version > this.version) {
      this.entries.clear();
      this.latestEntry = null;
      this.version = version;
    }
    return version === this.version;
  }
}
