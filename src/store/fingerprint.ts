/**
 * A table's fingerprint: its row count and its highest row key (SQLite's
 * rowid; on PostgreSQL the key its mirror slots rows by). Cheap (an index
 * count and an index end), and it moves with any insert or delete, which
 * is what a mirror snapshot checks besides the data version before it is
 * trusted (src/features/mirrors/snapshots.ts).
 */
import type { Sqlite } from '../db.js';
import type { PgSession } from './pg.js';

export interface TableFingerprint {
  rows: number;
  maxKey: number;
}

export function sqliteFingerprint(sqlite: Sqlite, table: string): TableFingerprint {
  const [rows, maxKey] = sqlite.prepare(`select count(*), coalesce(max(rowid), 0) from ${table}`).raw(true).get() as [number, number];
  return { rows, maxKey };
}

export async function pgFingerprint(pg: PgSession, table: string, key: string): Promise<TableFingerprint> {
  const [[rows, maxKey]] = (await pg.queryArrays<[bigint, bigint]>(`select count(*), coalesce(max(${key}), 0) from ${table}`)) as [[bigint, bigint]];
  return { rows: Number(rows), maxKey: Number(maxKey) };
}
