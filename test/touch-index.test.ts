/**
 * TouchIndex reads the touchpoints table into a TouchStore in rowid ranges,
 * each column of a range as one string; a range holding an id with the
 * separator in it (written around the API) must be read row by row instead,
 * and every row must land in its own slot either way.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase, type DatabaseHandle } from '../src/db.js';
import { TouchIndex } from '../src/features/touchpoints/touch-index.js';
import { UnitOfWork } from '../src/store/unit-of-work.js';

let handle: DatabaseHandle;
afterEach(() => handle?.close());

function tableOf(index: TouchIndex) {
  const store = index.current();
  const table = store.table({ start: 0, end: 10_000_000 });
  const rows: string[] = [];
  for (let k = 0; k < table.customerCount; k++) {
    for (let row = table.customerStart[k]!; row < table.customerStart[k + 1]!; row++) {
      rows.push(`${store.customers.names[k]} ${store.campaigns.names[table.campaign[row]!]} ${table.occurredAt[row]}`);
    }
  }
  return rows;
}

describe('TouchIndex', () => {
  it('loads every touchpoint, over many rowid ranges, and falls back to rows where an id holds the separator', () => {
    handle = openDatabase(':memory:');
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
    const index = new TouchIndex(handle.sqlite, new UnitOfWork(handle.db));
    const rows = tableOf(index);
    expect(index.current().size).toBe(250_000);
    expect(rows.sort()).toEqual(expected.sort());
  });

  it('patches writes of this connection, and reloads when it cannot know what changed', () => {
    handle = openDatabase(':memory:');
    const index = new TouchIndex(handle.sqlite, new UnitOfWork(handle.db));
    expect(index.current().size).toBe(0);
    index.applied([[1, 'u1', 'A', 1000]]);
    expect(tableOf(index)).toEqual(['u1 A 1000']);
    // Inside an open transaction the write might still roll back: the index goes stale and reloads from the table.
    handle.sqlite.transaction(() => index.applied([[2, 'u2', 'B', 2000]]))();
    expect(tableOf(index)).toEqual([]);
  });
});
