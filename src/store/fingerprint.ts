/**
 * A table's fingerprint: its lowest and highest row key (SQLite's rowid; on
 * PostgreSQL the key its mirror slots rows by), what a mirror snapshot
 * checks besides the data version before it is trusted
 * (src/features/mirrors/snapshots.ts). The two ends of the key's index cost
 * a few page reads whatever the table's size. A row count would catch a
 * delete in the middle too, but nothing deletes from these tables, and
 * count(*) reads the whole index: 1.5 s at ten million touchpoints, at every
 * start and every save, holding SQLite's one thread.
 */
import type { Sqlite } from '../db.js';
import type { PgSession } from './pg.js';

export interface TableFingerprint {
  minKey: number;
  maxKey: number;
}

export function sqliteFingerprint(sqlite: Sqlite, table: string): TableFingerprint {
  // Two statements: SQLite answers a lone min() or max() of the rowid from the b-tree's end; together they scan.
  const minKey = sqlite.prepare(`select coalesce(min(rowid), 0) from ${table}`).pluck().get() as number;
  const maxKey = sqlite.prepare(`select coalesce(max(rowid), 0) from ${table}`).pluck().get() as number;
  return { minKey, maxKey };
}

export async function pgFingerprint(pg: PgSession, table: string, key: string): Promise<TableFingerprint> {
  const [[minKey, maxKey]] = (await pg.queryArrays<[bigint, bigint]>(`select coalesce(min(${key}), 0), coalesce(max(${key}), 0) from ${table}`)) as [[bigint, bigint]];
  return { minKey: Number(minKey), maxKey: Number(maxKey) };
}
