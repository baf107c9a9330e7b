/**
 * readInRowidRanges: every row read once, in rowid order, whatever the
 * range size, and the event loop gets a turn between ranges (a restart's
 * load of millions of rows must leave /healthz answering).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase, type Sqlite } from '../../src/db.js';
import { readInRowidRanges } from '../../src/store/table-reads.js';

let sqlite: Sqlite | null = null;
afterEach(() => {
  sqlite?.close();
  sqlite = null;
});

describe('readInRowidRanges', () => {
  it('reads 35 rows in ranges of 10 (4 ranges), each row once and in order, and lets timers and I/O run between ranges', async () => {
    sqlite = openDatabase(':memory:').sqlite;
    sqlite.exec('create table t (name text not null)');
    const insert = sqlite.prepare('insert into t (name) values (?)');
    for (let i = 1; i <= 35; i++) insert.run(`n${i}`);
    const seen: string[] = [];
    const turns: number[] = [];
    // A callback queued before the read runs only if the read gives the event loop a turn.
    const tick = () => {
      turns.push(seen.length);
      if (seen.length < 35) setImmediate(tick);
    };
    setImmediate(tick);
    await readInRowidRanges(sqlite, 't', ['t.rowid', 't.name'], ([rowid, name]) => seen.push(`${rowid}:${name}`), '', 10);
    expect(seen).toEqual(Array.from({ length: 35 }, (_, i) => `${i + 1}:n${i + 1}`));
    // Rows 1-10 are read before the first turn; turns come after 10, 20 and 30 rows.
    expect(turns.slice(0, 3)).toEqual([10, 20, 30]);
  });
});
