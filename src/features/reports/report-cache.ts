/**
 * Finished reports, kept until the data under them changes.
 *
 * A report is a pure function of its resolved parameters and the database,
 * so a cached report is served only while the database is exactly as it was
 * when the report was computed. That is checked, not assumed: the cache's
 * version is SQLite's own count of rows changed through this connection
 * (`total_changes()`, which every insert, update and delete moves, and a
 * no-op upsert does not) together with `PRAGMA data_version` (which moves
 * when any other connection commits). Any write anywhere empties the cache;
 * nothing a write path forgets to announce can be served stale.
 *
 * Reports are computed synchronously (better-sqlite3), so no write can land
 * between reading the data and storing the result. Cached values are shared:
 * callers must treat them as read-only.
 */
import type { Sqlite } from '../../db.js';

export class ReportCache {
  private readonly entries = new Map<string, unknown>();
  private version = '';
  private latestEntry: { key: string; value: unknown } | null = null;
  private readonly changesStmt;
  private readonly dataVersionStmt;
  hits = 0;
  misses = 0;

  /**
   * `bookkeeping` counts the changes made through this connection that are
   * not data (the audit log's actor row): they are taken off total_changes().
   */
  constructor(sqlite: Sqlite, private readonly maxEntries = 64, private readonly bookkeeping: () => number = () => 0) {
    this.changesStmt = sqlite.prepare('select total_changes()').pluck();
    this.dataVersionStmt = sqlite.prepare('pragma data_version').pluck();
  }

  /**
   * Like `get`, for large intermediate values: only the most recent one is
   * kept, whatever its key, and it is dropped with everything else when the
   * database changes.
   */
  latest<T>(key: string, compute: () => T): T {
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
    const version = `${(this.changesStmt.get() as number) - this.bookkeeping()}:${this.dataVersionStmt.get()}`;
    if (version !== this.version) {
      this.entries.clear();
      this.latestEntry = null;
      this.version = version;
    }
  }
}
