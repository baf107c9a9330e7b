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
 * Reports are computed synchronously (better-sqlite3), so no write can land
 * between reading the data and storing the result. Inside an open
 * transaction (a report a write computes) nothing is cached or served from
 * the cache: the transaction's writes may still roll back. Cached values
 * are shared: callers must treat them as read-only.
 */
import type { DataVersionSource } from '../../store/unit-of-work.js';

export class ReportCache {
  private readonly entries = new Map<string, unknown>();
  private version = -1;
  private latestEntry: { key: string; value: unknown } | null = null;
  hits = 0;
  misses = 0;

  constructor(private readonly versions: DataVersionSource, private readonly maxEntries = 64) {}

  /**
   * Like `get`, for large intermediate values: only the most recent one is
   * kept, whatever its key, and it is dropped with everything else when the
   * database changes.
   */
  latest<T>(key: string, compute: () => T): T {
    if (this.versions.inTransaction()) return compute();
    this.checkVersion();
    if (this.latestEntry?.key === key) return this.latestEntry.value as T;
    // Let the old value go before computing the new one: two would not fit in the memory budget.
    this.latestEntry = null;
    const value = compute();
    this.latestEntry = { key, value };
    return value;
  }

  /** The cached value for `key` if the database has not changed since it was computed, else `compute()`'s, stored. */
  get<T>(key: string, compute: () => T): T {
    if (this.versions.inTransaction()) return compute();
    this.checkVersion();
    if (this.entries.has(key)) {
      const value = this.entries.get(key) as T;
      // Least recently used goes first: re-insert to move this one to the end.
      this.entries.delete(key);
      this.entries.set(key, value);
      this.hits++;
      return value;
    }
    this.misses++;
    const value = compute();
    this.entries.set(key, value);
    if (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
    return value;
  }

  /** Empties the cache if the database changed since it was filled. */
  private checkVersion(): void {
    const version = this.versions.version();
    if (version !== this.version) {
      this.entries.clear();
      this.latestEntry = null;
      this.version = version;
    }
  }
}
