/**
 * How the repositories read a whole table for a mirror (table-mirror.ts):
 * in ranges of a stable integer key, so that no read holds millions of rows
 * at once. SQLite reads in rowid ranges; PostgreSQL, which has no rowid,
 * pages by the key the table's mirror slots rows by (`seq` for touchpoints
 * and revenue, `id` for spend).
 */
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { Sqlite } from '../db.js';
import type { PgSession } from './pg.js';

/** Rows per read while loading: a few MB of text per column. */
const LOAD_RANGE = 100_000;
const SEPARATOR = '\u001f';

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
 *
 * Each range is read synchronously (better-sqlite3 has no other way), and
 * the event loop is given a turn between ranges: a restart reads millions
 * of rows while /healthz, /readyz and writes are answered (a report asked
 * for meanwhile waits on this same load, see table-mirror.ts). No write
 * transaction is open across a turn: the mirror checks the data version
 * before and after the whole read instead.
 */
export async function readInRowidRanges(
  sqlite: Sqlite,
  table: string,
  columns: string[],
  visit: (values: string[]) => void,
  join = '',
  rangeSize = LOAD_RANGE,
): Promise<void> {
  const [minRowid, maxRowid] = sqlite.prepare(`select coalesce(min(rowid), 1), coalesce(max(rowid), 0) from ${table}`).raw(true).get() as [number, number];
  const range = `from ${table} t ${join} where t.rowid > ? and t.rowid <= ?`;
  const concatenated = sqlite
    .prepare(`select count(*), ${columns.map((column) => `group_concat(${column}, char(31))`).join(', ')} ${range}`)
    .raw(true);
  const rows = sqlite.prepare(`select ${columns.join(', ')} ${range}`).raw(true).safeIntegers(true);
  const row: string[] = new Array(columns.length);
  // Rowids start at 1, but a write around the API may give one of 0 or below.
  for (let low = minRowid - 1; low < maxRowid; low += rangeSize) {
    if (low >= minRowid) await yieldToEventLoop();
    const [count, ...texts] = concatenated.get(low, low + rangeSize) as [number, ...string[]];
    if (count === 0) continue;
    const split = texts.map((text) => text.split(SEPARATOR));
    if (split.every((values) => values.length === count)) {
      for (let i = 0; i < count; i++) {
        for (let c = 0; c < split.length; c++) row[c] = split[c]![i]!;
        visit(row);
      }
    } else {
      for (const values of rows.iterate(low, low + rangeSize) as IterableIterator<unknown[]>) {
        for (let c = 0; c < values.length; c++) row[c] = String(values[c]);
        visit(row);
      }
    }
  }
}

/**
 * PostgreSQL's counterpart of readInRowidRanges: every row of `select`
 * (which must select `key` first and end in `where <key> > $1 order by
 * <key> limit $2`) in pages of LOAD_RANGE rows by keyset, as arrays
 * (`queryArrays`). Values arrive as the driver gives them (int8 as bigint).
 *
 * Every page in one snapshot (`readSnapshot`). Read in separate snapshots,
 * a batch committing between two pages was read in part: keys are drawn
 * when rows are written, not when they commit, so a batch's rows can lie
 * on both sides of a page boundary, those below it missed, those above it
 * read, and a report showed part of the batch.
 */
export async function readInKeyRanges(pg: PgSession, select: string, visit: (values: unknown[]) => void, rangeSize = LOAD_RANGE): Promise<void> {
  const pages = async (queryArrays: PgSession['queryArrays']) => {
    let after: bigint = -(2n ** 63n);
    for (;;) {
      const rows = await queryArrays(select, [after, rangeSize]);
      for (const row of rows) visit(row);
      if (rows.length < rangeSize) return;
      after = rows[rows.length - 1]![0] as bigint;
    }
  };
  if (pg.readSnapshot) return pg.readSnapshot(pages);
  // A session made for a test over a bare pool: the pages as separate statements.
  return pages((text, params) => pg.queryArrays(text, params));
}

/**
 * A mirror's change cursor on PostgreSQL (see table-mirror.ts): the oldest
 * transaction still running now. Every transaction not committed at this
 * moment has, or will get, an xid at least this high, so the rows whose
 * `written_xid` (migration 0007) is at least it include every row changed
 * after it was read. Its own statement on the pool, before the rows are read.
 */
export async function pgChangeCursor(pg: PgSession): Promise<bigint> {
  const [row] = await pg.queryArrays<[string]>('select pg_snapshot_xmin(pg_current_snapshot())::text');
  return BigInt(row![0]);
}
