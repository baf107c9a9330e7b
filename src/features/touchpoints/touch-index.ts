/**
 * The touchpoints table, in memory, for the attribution reports: a
 * TouchStore kept equal to the table at all times.
 *
 * - It loads the whole table on first use (the app warms it when it starts,
 *   so the first report does not pay for it), and sorts it into the models'
 *   reading order then, and again once touchpoint writes pause.
 * - Every touchpoint write of this process hands it the rows it changed
 *   (TouchpointService.ingest, after its transaction commits), keyed by
 *   rowid, which an upsert keeps.
 * - A write by another connection to the same file (a second process, the
 *   sqlite3 shell) is seen through SQLite's `PRAGMA data_version`, which
 *   changes exactly when another connection commits: the store is then
 *   thrown away and loaded again.
 * - A write inside a transaction that is not yet committed (an outer
 *   transaction, such as the demo loader's) could still roll back, so it
 *   marks the store stale instead of patching it.
 */
import type { Sqlite } from '../../db.js';
import { TouchStore } from '../../domain/attribution/index.js';

/** A changed row as the write returns it: rowid, customer id, campaign id, occurred_at. */
export type TouchRow = [number, string, string, number];

const SEPARATOR = '\u001f';
/** Rowids per read while loading: a few MB of text per column. */
const LOAD_RANGE = 100_000;
/** Quiet time after the last touchpoint write before the reading order is computed ahead of the next report. */
const PREPARE_AFTER_MS = 1_000;

export class TouchIndex {
  private store: TouchStore | null = null;
  private loadedAtVersion = -1;
  private stale = false;
  private prepareTimer: NodeJS.Timeout | null = null;
  private readonly dataVersionStmt;
  private readonly maxRowidStmt;
  private readonly rangeStmt;
  private readonly rowsStmt;
  private readonly idStmt;
  /** How long the last full load took, in milliseconds (logged and benchmarked). */
  lastLoadMs = 0;

  constructor(private readonly sqlite: Sqlite) {
    this.dataVersionStmt = sqlite.prepare('pragma data_version').pluck();
    this.maxRowidStmt = sqlite.prepare('select max(rowid) from touchpoints').pluck();
    const range = 'from touchpoints where rowid > ? and rowid <= ?';
    const column = (name: string) => `group_concat(${name}, char(31))`;
    this.rangeStmt = sqlite
      .prepare(`select count(*), ${['rowid', 'customer_id', 'campaign_id', 'occurred_at'].map(column).join(', ')} ${range}`)
      .raw(true);
    this.rowsStmt = sqlite.prepare(`select rowid, customer_id, campaign_id, occurred_at ${range}`).raw(true);
    this.idStmt = sqlite.prepare('select id from touchpoints where rowid = ?').pluck();
  }

  /** The store, equal to the touchpoints table as this connection sees it now. */
  current(): TouchStore {
    const version = this.dataVersionStmt.get() as number;
    if (this.store === null || this.stale || version !== this.loadedAtVersion) this.load(version);
    return this.store!;
  }

  /** Rows a write of this process changed (after its transaction, or inside an outer one). */
  applied(rows: readonly TouchRow[]): void {
    if (this.store === null || rows.length === 0) return;
    if (this.sqlite.inTransaction) {
      this.stale = true;
      return;
    }
    for (const [rowid, customerId, campaignId, occurredAt] of rows) this.store.put(rowid, customerId, campaignId, occurredAt);
    this.prepareWhenQuiet();
  }

  /**
   * Sorting five million touches into reading order takes a couple of
   * seconds; a report should not pay for it. Once touchpoint writes have
   * stopped for PREPARE_AFTER_MS, the order is computed then (it holds the
   * event loop for that long, between requests).
   */
  private prepareWhenQuiet(): void {
    if (this.prepareTimer) clearTimeout(this.prepareTimer);
    this.prepareTimer = setTimeout(() => {
      this.prepareTimer = null;
      try {
        this.store?.prepare();
      } catch {
        // The database went away (the app closed): the next report computes the order itself.
      }
    }, PREPARE_AFTER_MS);
    this.prepareTimer.unref();
  }

  /** Stops the pending preparation (the app is closing). */
  close(): void {
    if (this.prepareTimer) clearTimeout(this.prepareTimer);
    this.prepareTimer = null;
  }

  /**
   * Reads the table in rowid ranges, each column of a range as one string
   * (group_concat, separated by the unit separator, which no id may hold):
   * handing better-sqlite3's rows to JavaScript one by one costs several
   * times more. A range whose strings do not split into as many values as
   * it has rows (an id written around the API) is read row by row.
   */
  private load(version: number): void {
    const started = performance.now();
    const store = new TouchStore((slots) => slots.map((slot) => this.idStmt.get(slot) as string));
    const maxRowid = (this.maxRowidStmt.get() as number | null) ?? 0;
    for (let low = 0; low < maxRowid; low += LOAD_RANGE) {
      const [count, rowids, customers, campaigns, instants] = this.rangeStmt.get(low, low + LOAD_RANGE) as [number, string, string, string, string];
      if (count === 0) continue;
      const columns = [rowids, customers, campaigns, instants].map((text) => text.split(SEPARATOR));
      if (columns.every((column) => column.length === count)) {
        const [r, c, p, t] = columns as [string[], string[], string[], string[]];
        for (let i = 0; i < count; i++) store.put(Number(r[i]), c[i]!, p[i]!, Number(t[i]));
      } else {
        for (const [rowid, customerId, campaignId, occurredAt] of this.rowsStmt.iterate(low, low + LOAD_RANGE) as IterableIterator<TouchRow>) {
          store.put(rowid, customerId, campaignId, occurredAt);
        }
      }
    }
    store.prepare();
    this.store = store;
    this.loadedAtVersion = version;
    this.stale = false;
    this.lastLoadMs = performance.now() - started;
  }
}
