/**
 * TouchIndex reads the touchpoints table into a TouchStore in rowid ranges,
 * each column of a range as one string; a range holding an id with the
 * separator in it (written around the API) must be read row by row instead,
 * and every row must land in its own slot either way.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { TouchIndex } from '../src/features/touchpoints/touch-index.js';
import { openSqlite, type SqliteDatabase } from '../src/store/database.js';

let handle: SqliteDatabase;
const indexes: TouchIndex[] = [];
afterEach(async () => {
  for (const index of indexes.splice(0)) index.close();
  await handle?.close();
});

function touchIndex(): TouchIndex {
  const index = new TouchIndex(handle, handle.uow);
  indexes.push(index);
  return index;
}

async function tableOf(index: TouchIndex) {
  const store = await index.current();
  const table = store.table({ start: 0, end: 10_000_000 });
  const rows: string[] = [];
  for (let k = 0; k < table.customerCount; k++) {
    for (let row = table.customerStart[k]!; row < table.customerStart[k + 1]!; row++) {
      rows.push(`${store.customers.nameOf(k)} ${store.campaigns.nameOf(table.campaign[row]!)} ${table.occurredAt[row]}`);
    }
  }
  return rows;
}

describe('TouchIndex', () => {
  it('loads every touchpoint, over many rowid ranges, and falls back to rows where an id holds the separator', async () => {
    handle = openSqlite(':memory:');
    const insert = handle.sqlite.prepare('insert into touchpoints (id, customer_id, campaign_id, occurred_at) values (?, ?, ?, ?)');
    const expected: string[] = [];
    handle.sqlite.transaction(() => {
      for (let i = 0; i < 250_000; i++) {
        // Customer u7 gets one id with the unit separator in it, in the second range.
        const customer = i === 150_000 ? 'u7\u001fx' : `u${i % 1000}`;
        insert.run(`t${i}`, customer, `c${i % 3}`, i * 10);
        expected.push(`${customer} c${i % 3} ${i * 10}`);
      }
    })();
    const index = touchIndex();
    const rows = await tableOf(index);
    expect((await index.current()).size).toBe(250_000);
    expect(rows.sort()).toEqual(expected.sort());
  });

  it('patches writes of this connection, and reloads when it cannot know what changed', async () => {
    handle = openSqlite(':memory:');
    const index = touchIndex();
    expect((await index.current()).size).toBe(0);
    index.applied([[1, 'u1', 'A', 1000]]);
    expect(await tableOf(index)).toEqual(['u1 A 1000']);
    // Inside an open transaction the write might still roll back: the index goes stale and reloads from the table.
    await handle.uow.write(() => index.applied([[2, 'u2', 'B', 2000]]));
    expect(await tableOf(index)).toEqual([]);
  });

  it('breaks ties on (customer, instant) by touchpoint id, reading the ids of tied slots only when it meets them', async () => {
    handle = openSqlite(':memory:');
    const insert = handle.sqlite.prepare('insert into touchpoints (id, customer_id, campaign_id, occurred_at) values (?, ?, ?, ?)');
    // Slot order is tb, ta, tc; tb and ta tie for u1 at 1000, so ta (campaign A) reads before tb (campaign B).
    insert.run('tb', 'u1', 'B', 1000);
    insert.run('ta', 'u1', 'A', 1000);
    insert.run('tc', 'u1', 'C', 500);
    const index = touchIndex();
    expect(await tableOf(index)).toEqual(['u1 C 500', 'u1 A 1000', 'u1 B 1000']);
    // A write handed over makes a new tie with a loaded slot (t0 sorts before ta and tb): its id is read too.
    await handle.uow.write(() => insert.run('t0', 'u1', 'Z', 1000));
    index.applied([[4, 'u1', 'Z', 1000]]);
    expect(await tableOf(index)).toEqual(['u1 C 500', 'u1 Z 1000', 'u1 A 1000', 'u1 B 1000']);
  });
});
