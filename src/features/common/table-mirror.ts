/**
 * A table (or a summary of one) held in memory for the reports, kept equal
 * to the database at all times. The attribution and ROI reports read a year
 * of data set L (three million touches, 250,000 conversions, 365,000 spend
 * lines); reading that from SQLite takes seconds per report, because
 * better-sqlite3 hands rows to JavaScript at a few microseconds each.
 *
 * How a mirror stays true:
 * - It loads on first use (the app warms every mirror when it starts).
 * - Every write of this process hands the mirror what it changed, after its
 *   transaction commits (`apply`).
 * - A write inside a transaction that is not yet committed (an outer
 *   transaction, such as the demo loader's) could still roll back, so it
 *   marks the mirror stale instead, and the next read loads it again.
 * - The mirror remembers the data version (src/store/unit-of-work.ts) it is
 *   equal to. When a write of this process commits and moves the version
 *   from v to v + 1, a mirror at v moves to v + 1 (the write hands it what
 *   it changed, if anything); a mirror at another version missed a commit of
 *   another process, and loads again on its next read, as it does whenever
 *   the version it reads is not its own.
 * - Work that can wait (sorting, re-reading what a write marked) is done
 *   when the mirror is next read, or earlier, once writes have paused for
 *   PREPARE_AFTER_MS (between requests, so a report does not pay for it).
 */
import type { Sqlite } from '../../db.js';
import type { DataVersionSource } from '../../store/unit-of-work.js';

/** Quiet time after the last write before a mirror's deferred work is done ahead of the next report. */
const PREPARE_AFTER_MS = 1_000;

/** Rowids per read while loading: a few MB of text per column. */
const LOAD_RANGE = 100_000;
const SEPARATOR = '\u001f';

export abstract class TableMirror<Store> {
  private store: Store | null = null;
  private loadedAtVersion = -1;
  private stale = false;
  private prepareTimer: NodeJS.Timeout | null = null;
  private readonly unsubscribe;
  /** How long the last full load took, in milliseconds (logged and benchmarked). */
  lastLoadMs = 0;

  constructor(protected readonly sqlite: Sqlite, private readonly versions: DataVersionSource) {
    // Own writes: still equal after v -> v + 1 only if nobody else committed since this mirror's v.
    this.unsubscribe = versions.onCommit((before, after) => {
      if (this.loadedAtVersion === before) this.loadedAtVersion = after;
    });
  }

  /** A new store holding the whole table as this connection sees it now. */
  protected abstract load(): Store;

  /** The deferred work (see the header); must leave the store as `current` would. */
  protected prepare(_store: Store): void {}

  /** The store, equal to the table as this connection sees it now. */
  current(): Store {
    const version = this.versions.version();
    if (this.store === null || this.stale || version !== this.loadedAtVersion) {
      const started = performance.now();
      this.store = this.load();
      this.prepare(this.store);
      this.loadedAtVersion = version;
      this.stale = false;
      this.lastLoadMs = performance.now() - started;
    } else {
      this.prepare(this.store);
    }
    // Read inside a transaction, the store may hold writes that can still roll back: the next read outside loads again.
    if (this.sqlite.inTransaction) this.stale = true;
    return this.store;
  }

  /** Applies a write of this process to the store (after its transaction; inside an outer one it marks the store stale). */
  protected apply(change: (store: Store) => void): void {
    if (this.store === null) return;
    if (this.sqlite.inTransaction) {
      this.stale = true;
      return;
    }
    change(this.store);
    this.prepareWhenQuiet();
  }

  private prepareWhenQuiet(): void {
    if (this.prepareTimer) clearTimeout(this.prepareTimer);
    this.prepareTimer = setTimeout(() => {
      this.prepareTimer = null;
      try {
        if (this.store && !this.stale) this.prepare(this.store);
      } catch {
        // The database went away (the app closed): the next read does the work itself.
      }
    }, PREPARE_AFTER_MS);
    this.prepareTimer.unref();
  }

  /** Stops the pending preparation (the app is closing). */
  close(): void {
    this.unsubscribe();
    if (this.prepareTimer) clearTimeout(this.prepareTimer);
    this.prepareTimer = null;
  }
}

/**
 * Reads every row of `table` (aliased `t`, joined as `join` says) in
 * rowid ranges of `t`, each column of a range as one string
 * (group_concat, separated by the unit separator, which no id may hold):
 * handing better-sqlite3's rows to JavaScript one by one costs several times
 * more. Values arrive as text. A range whose strings do not split into as
 * many values as it has rows (a NULL, or an id written around the API with
 * the separator in it) is read row by row instead, so nothing is lost.
 * Columns must be written so that none is NULL (use coalesce). Rowids
 * start at 1; one of 0 or below (only a write around the API can make one)
 * is read too, and a store that cannot hold it fails the load loudly rather
 * than leave the row out.
 */
export function readInRowidRanges(sqlite: Sqlite, table: string, columns: string[], visit: (values: string[]) => void, join = ''): void {
  const [minRowid, maxRowid] = sqlite.prepare(`select coalesce(min(rowid), 1), coalesce(max(rowid), 0) from ${table}`).raw(true).get() as [number, number];
  const range = `from ${table} t ${join} where t.rowid > ? and t.rowid <= ?`;
  const concatenated = sqlite
    .prepare(`select count(*), ${columns.map((column) => `group_concat(${column}, char(31))`).join(', ')} ${range}`)
    .raw(true);
  const rows = sqlite.prepare(`select ${columns.join(', ')} ${range}`).raw(true).safeIntegers(true);
  const row: string[] = new Array(columns.length);
  // Rowids start at 1, but a write around the API may give one of 0 or below.
  for (let low = minRowid - 1; low < maxRowid; low += LOAD_RANGE) {
    const [count, ...texts] = concatenated.get(low, low + LOAD_RANGE) as [number, ...string[]];
    if (count === 0) continue;
    const split = texts.map((text) => text.split(SEPARATOR));
    if (split.every((values) => values.length === count)) {
      for (let i = 0; i < count; i++) {
        for (let c = 0; c < split.length; c++) row[c] = split[c]![i]!;
        visit(row);
      }
    } else {
      for (const values of rows.iterate(low, low + LOAD_RANGE) as IterableIterator<unknown[]>) {
        for (let c = 0; c < values.length; c++) row[c] = String(values[c]);
        visit(row);
      }
    }
  }
}
