/**
 * The spend, touchpoint and revenue repositories on both stores: the same
 * writes must count the same, list the same bytes, and hand the mirrors the
 * same rows with the same slots (SQLite's rowid, PostgreSQL's seq), since
 * PostgreSQL's upsert keeps rows it does not insert out of the INSERT and so
 * burns no numbers. PostgreSQL runs on a throwaway server (test/pg-server.ts),
 * reached through a minimal session over a pool (the app's own session, with
 * its transactions, is src/store/pg.ts).
 */
import { drizzle } from 'drizzle-orm/node-postgres';
import { migrate } from 'drizzle-orm/node-postgres/migrator';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packagePath } from '../../src/lib/package-root.js';
import { openSqlite, type Database, type PostgresDatabase, type SqliteDatabase } from '../../src/store/database.js';
import { copyInOn, type PgSession } from '../../src/store/pg.js';
import type { UnitOfWork } from '../../src/store/unit-of-work.js';
import { revenueRepository, type RevenueInput, type RevenueRepository } from '../../src/features/revenue/repository.js';
import { spendRepository, type SpendInput, type SpendRepository } from '../../src/features/spend/repository.js';
import { touchpointRepository, type TouchpointRepository } from '../../src/features/touchpoints/repository.js';
import { RevenueIndex } from '../../src/features/revenue/revenue-index.js';
import { SpendIndex } from '../../src/features/spend/spend-index.js';
import { parseDay } from '../../src/domain/periods.js';
import { startPgServer, type PgServer } from '../pg-server.js';

let server: PgServer;
let pool: pg.Pool;
let sqlite: SqliteDatabase;
let postgres: Database;

// int8 as bigint, as the app's session reads it.
const types = {
  getTypeParser: ((oid: number, format?: string) => (oid === 20 ? (text: string) => BigInt(text) : pg.types.getTypeParser(oid, format as 'text'))) as typeof pg.types.getTypeParser,
};

beforeAll(async () => {
  server = await startPgServer();
  pool = new pg.Pool({ connectionString: server.url, max: 4, types });
  await migrate(drizzle(pool), { migrationsFolder: packagePath('db', 'pg', 'migrations') });
  const session: PgSession = {
    query: (text, params) => pool.query(text, params as unknown[]),
    queryArrays: async <R extends unknown[]>(text: string, params?: readonly unknown[]) =>
      (await pool.query({ text, values: params as unknown[], rowMode: 'array' })).rows as R[],
  };
  const uow = { dialect: 'postgres', inTransaction: () => false } as unknown as UnitOfWork;
  postgres = { dialect: 'postgres', pg: session, uow, ping: async () => undefined, close: async () => undefined };
  sqlite = openSqlite(':memory:');
}, 180_000);

afterAll(async () => {
  await sqlite?.close();
  await pool?.end().catch(() => undefined);
  await server?.stop();
}, 60_000);

/** Runs `fn` on each store's repository; SQLite's answer must equal PostgreSQL's, and is returned. */
async function both<R, T>(make: (database: Database) => R, fn: (repository: R) => Promise<T>): Promise<T> {
  const onSqlite = await fn(make(sqlite));
  const onPg = await fn(make(postgres));
  expect(onPg).toEqual(onSqlite);
  return onSqlite;
}

const touches = (fn: (repository: TouchpointRepository) => Promise<unknown>) => both(touchpointRepository, fn);
const spends = (fn: (repository: SpendRepository) => Promise<unknown>) => both(spendRepository, fn);
const revenues = (fn: (repository: RevenueRepository) => Promise<unknown>) => both(revenueRepository, fn);

async function allTouches(repository: TouchpointRepository): Promise<string[]> {
  const rows: string[] = [];
  await repository.readAll((slot, customer, campaign, at) => rows.push(`${slot} ${customer} ${campaign} ${at}`));
  return rows;
}

describe('touchpoint repository, SQLite and PostgreSQL', () => {
  it('counts, slots and lists a batch, its re-send and a restatement alike', async () => {
    const first = [
      { id: 'tp-1', customerId: 'u1', campaignId: 'A', occurredAt: 1000 },
      { id: 'tp-2', customerId: 'u1', campaignId: 'B', occurredAt: 2000 },
      { id: 'tp-3', customerId: 'u2', campaignId: 'A', occurredAt: 3000 },
    ];
    // All new: slots 1, 2, 3 in batch order.
    expect(await touches((r) => r.upsert(first))).toEqual({
      counts: { inserted: 3, updated: 0, unchanged: 0 },
      changed: [
        [1, 'u1', 'A', 1000],
        [2, 'u1', 'B', 2000],
        [3, 'u2', 'A', 3000],
      ],
      insertedSlots: [1, 3],
    });
    // Re-sent: nothing changes, and PostgreSQL draws no seq for it.
    expect(await touches((r) => r.upsert(first))).toEqual({ counts: { inserted: 0, updated: 0, unchanged: 3 }, changed: [], insertedSlots: null });
    // One unchanged, one moved (keeps slot 2), one new (slot 4: no number was burnt by the re-send).
    const second = [first[0]!, { ...first[1]!, occurredAt: 2500 }, { id: 'tp-0', customerId: 'u3', campaignId: 'C', occurredAt: 500 }];
    // SQLite hands back every row of a batch that was not all new (the mirror ignores a put that changes nothing);
    // PostgreSQL only the changed ones, from RETURNING. Either way the changed rows are there, with the same slots.
    const onSqlite = await touchpointRepository(sqlite).upsert(second);
    const onPg = await touchpointRepository(postgres).upsert(second);
    for (const answer of [onSqlite, onPg]) {
      expect(answer.counts).toEqual({ inserted: 1, updated: 1, unchanged: 1 });
      expect(answer.insertedSlots).toEqual([4, 4]);
    }
    expect(onPg.changed.map(String).sort()).toEqual(['2,u1,B,2500', '4,u3,C,500']);
    expect(onSqlite.changed.map(String).sort()).toEqual(['1,u1,A,1000', '2,u1,B,2500', '4,u3,C,500']);
    expect(await touches(allTouches)).toEqual(['1 u1 A 1000', '2 u1 B 2500', '3 u2 A 3000', '4 u3 C 500']);
    // By id, after a cursor, in a window.
    expect(await touches((r) => r.list({ after: 'tp-0', start: 1000, end: 3000, limit: 10 }))).toEqual([
      { id: 'tp-1', customerId: 'u1', campaignId: 'A', occurredAt: 1000 },
      { id: 'tp-2', customerId: 'u1', campaignId: 'B', occurredAt: 2500 },
    ]);
    expect(await touches((r) => r.idsOfSlots([4, 1]))).toEqual(['tp-0', 'tp-1']);
  });

  it('reads every row past one page on PostgreSQL', async () => {
    // 100,001 rows: one full page of 100,000 and one more row (+ the 4 above).
    await pool.query(`insert into touchpoints (id, customer_id, campaign_id, occurred_at)
      select 'bulk-' || n, 'c' || (n % 7), 'K', n from generate_series(1, 100001) n`);
    let count = 0;
    let last = 0;
    let ascending = true;
    await touchpointRepository(postgres).readAll((slot) => {
      count++;
      if (slot <= last) ascending = false;
      last = slot;
    });
    expect(count).toBe(100_005);
    expect(ascending).toBe(true);
  });
});

describe('spend repository, SQLite and PostgreSQL', () => {
  const line = (date: string, amount: bigint, reference: string | null = null): SpendInput => ({ date, amount, currency: 'EUR', source: 'google_ads', reference });

  it('counts, dry-run counts, ids and versions alike', async () => {
    const batch = [line('2026-03-01', 1_000_000n), line('2026-03-01', 2_000_000n, 'r2'), line('2026-03-02', 3_000_000n)];
    const campaigns = ['c1', 'c1', 'c2'];
    expect(await spends((r) => r.count(batch, campaigns))).toEqual({ inserted: 3, updated: 0, unchanged: 0 });
    expect(await spends((r) => r.upsert(batch, campaigns))).toEqual({ counts: { inserted: 3, updated: 0, unchanged: 0 }, insertedIds: [1, 3] });
    expect(await spends((r) => r.upsert(batch, campaigns))).toEqual({ counts: { inserted: 0, updated: 0, unchanged: 3 }, insertedIds: null });
    // Line 2 restated, a new line on 2026-03-03: id 4, as no id was burnt by the re-send.
    const next = [batch[0]!, line('2026-03-01', 2_500_000n, 'r2'), line('2026-03-03', 4_000_000n)];
    const nextCampaigns = ['c1', 'c1', 'c1'];
    expect(await spends((r) => r.count(next, nextCampaigns))).toEqual({ inserted: 1, updated: 1, unchanged: 1 });
    expect(await spends((r) => r.upsert(next, nextCampaigns))).toEqual({ counts: { inserted: 1, updated: 1, unchanged: 1 }, insertedIds: [4, 4] });
    const listed = (await spends((r) => r.list({ after: null, limit: 10 }))) as { id: number; version: number; amountMicros: bigint }[];
    expect(listed.map((row) => [row.id, row.version, row.amountMicros])).toEqual([
      [1, 1, 1_000_000n],
      [2, 2, 2_500_000n],
      [3, 1, 3_000_000n],
      [4, 1, 4_000_000n],
    ]);
    expect(await spends((r) => r.list({ from: '2026-03-02', to: '2026-03-03', source: 'google_ads', after: 3, limit: 10 }))).toHaveLength(1);
    const lines = (await spends(async (r) => (await r.linesOfDays(['2026-03-01', '2026-03-03'])).map(String).sort())) as string[];
    // 1 + 2.5 on 03-01 (c1), 4 on 03-03.
    expect(lines).toEqual(['2026-03-01,c1,EUR,1000000', '2026-03-01,c1,EUR,2500000', '2026-03-03,c1,EUR,4000000']);
    const all: string[] = [];
    await spends(async (r) => {
      const rows: string[] = [];
      await r.readAll((date, campaign, currency, micros) => rows.push(`${date} ${campaign} ${currency} ${micros}`));
      all.splice(0, all.length, ...rows);
      return rows;
    });
    expect(all).toHaveLength(4);
  });

  it('keeps a batch of many lines in order: ids follow the lines', async () => {
    const batch = Array.from({ length: 1000 }, (_, i) => line('2026-04-01', BigInt(i + 1), `bulk-${String(999 - i).padStart(4, '0')}`));
    const campaigns = batch.map(() => 'c9');
    expect(await spends((r) => r.upsert(batch, campaigns))).toEqual({ counts: { inserted: 1000, updated: 0, unchanged: 0 }, insertedIds: [5, 1004] });
    // Line i (amount i + 1 micros) got id 5 + i on both stores.
    const rows = (await spends((r) => r.list({ campaignId: 'c9', after: null, limit: 2000 }))) as { id: number; amountMicros: bigint }[];
    expect(rows.every((row) => BigInt(row.id - 4) === row.amountMicros)).toBe(true);
  });
});

describe('revenue repository, SQLite and PostgreSQL', () => {
  const event = (id: string, amount: bigint, refundOf: string | null = null): RevenueInput => ({ id, customerId: 'alice', occurredAt: 1000, amount, currency: 'EUR', refundOf });

  it('writes, reads back, and slots refunds by their conversion alike', async () => {
    // A conversion and its refund in one batch: the refund's conversion slot is read after the batch is in.
    expect(await revenues((r) => r.upsert([event('conv-1', 50_000_000n), event('ref-1', -5_000_000n, 'conv-1')]))).toEqual({
      inserted: 2,
      updated: 0,
      changed: [
        [1, 'alice', 1000, 50_000_000n, 'EUR', null],
        [2, 'alice', 1000, -5_000_000n, 'EUR', 1],
      ],
      insertedSlots: [1, 2],
    });
    expect(await revenues((r) => r.upsert([event('ref-2', -1_000_000n, 'conv-1')]))).toMatchObject({ inserted: 1, updated: 0, insertedSlots: [3, 3] });
    // A restated refund keeps its slot on SQLite; on PostgreSQL too (its seq is given once).
    expect(await revenues((r) => r.upsert([event('ref-1', -6_000_000n, 'conv-1')]))).toEqual({
      inserted: 0,
      updated: 1,
      changed: [[2, 'alice', 1000, -6_000_000n, 'EUR', 1]],
      insertedSlots: null,
    });
    expect(await revenues(async (r) => (await r.rowsOf(['ref-1', 'nope', 'conv-1'])).map((row) => row.id).sort())).toEqual(['conv-1', 'ref-1']);
    expect(await revenues(async (r) => (await r.refundsOf(['conv-1'])).map((row) => `${row.id} ${row.amountMicros}`))).toEqual(['ref-1 -6000000', 'ref-2 -1000000']);
    expect(await revenues((r) => r.list({ customerId: 'alice', after: 'conv-1', limit: 1 }))).toEqual([
      { id: 'ref-1', customerId: 'alice', occurredAt: 1000, amountMicros: -6_000_000n, currency: 'EUR', refundOf: 'conv-1' },
    ]);
  });

  it('leaves out of the mirror a refund of nothing or of a refund', async () => {
    // Written around the API, on both stores alike.
    sqlite.sqlite.exec(`insert into revenue (id, customer_id, occurred_at, amount_micros, currency, refund_of) values
      ('orphan', 'bob', 1, -1, 'EUR', 'missing'), ('ref-of-ref', 'bob', 1, -1, 'EUR', 'ref-1')`);
    await pool.query(`insert into revenue (id, customer_id, occurred_at, amount_micros, currency, refund_of) values
      ('orphan', 'bob', 1, -1, 'EUR', 'missing'), ('ref-of-ref', 'bob', 1, -1, 'EUR', 'ref-1')`);
    const rows = await revenues(async (r) => {
      const seen: string[] = [];
      await r.readAll((slot, customer, at, micros, currency, conversion) => seen.push(`${slot} ${customer} ${at} ${micros} ${currency} ${conversion}`));
      return seen;
    });
    expect(rows).toEqual(['1 alice 1000 50000000 EUR null', '2 alice 1000 -6000000 EUR 1', '3 alice 1000 -1000000 EUR 1']);
  });
});

describe('PostgreSQL upserts against a concurrent writer', () => {
  /** A session on one client of its own, so that a test can hold a transaction open. */
  async function ownSession(): Promise<{ database: PostgresDatabase; client: pg.PoolClient }> {
    const client = await pool.connect();
    const session: PgSession = {
      query: (text, params) => client.query(text, params as unknown[]),
      queryArrays: async <R extends unknown[]>(text: string, params?: readonly unknown[]) =>
        (await client.query({ text, values: params as unknown[], rowMode: 'array' })).rows as R[],
      copyIn: (text, data) => copyInOn(client, text, data),
    };
    const uow = { dialect: 'postgres', inTransaction: () => true } as unknown as UnitOfWork;
    return { database: { dialect: 'postgres', pg: session, uow, ping: async () => undefined, close: async () => undefined }, client };
  }
  const line = (amount: bigint): SpendInput => ({ date: '2026-05-01', amount, currency: 'EUR', source: 'race', reference: null });

  it('counts a line another transaction inserted meanwhile as updated (or unchanged), never as inserted', async () => {
    const first = await ownSession();
    const second = await ownSession();
    try {
      await first.client.query('begin');
      await second.client.query('begin');
      expect(await spendRepository(first.database).upsert([line(1n), line(7n)].map((l, i) => ({ ...l, reference: `k${i}` })), ['c', 'c'])).toMatchObject({
        counts: { inserted: 2, updated: 0, unchanged: 0 },
      });
      // The second writer sees neither line yet, so both go to its INSERT; it waits there for the first to commit.
      const racing = spendRepository(second.database).upsert([line(2n), line(7n)].map((l, i) => ({ ...l, reference: `k${i}` })), ['c', 'c']);
      await new Promise((resolve) => setTimeout(resolve, 200));
      await first.client.query('commit');
      // k0 restated (1 -> 2): updated; k1 the same amount: unchanged.
      expect((await racing).counts).toEqual({ inserted: 0, updated: 1, unchanged: 1 });
      await second.client.query('commit');
      const rows = await pool.query("select reference, amount_micros::text, version from spend where source = 'race' order by reference");
      expect(rows.rows).toEqual([
        { reference: 'k0', amount_micros: '2', version: 2 },
        { reference: 'k1', amount_micros: '7', version: 1 },
      ]);
    } finally {
      first.client.release();
      second.client.release();
    }
  });

  it('counts a touchpoint another transaction inserted meanwhile as updated (or unchanged), and hands back its slot', async () => {
    const first = await ownSession();
    const second = await ownSession();
    try {
      await first.client.query('begin');
      await second.client.query('begin');
      const mine = await touchpointRepository(first.database).upsert([
        { id: 'race-1', customerId: 'u1', campaignId: 'A', occurredAt: 1000 },
        { id: 'race-2', customerId: 'u1', campaignId: 'A', occurredAt: 2000 },
      ]);
      expect(mine.counts).toEqual({ inserted: 2, updated: 0, unchanged: 0 });
      // The second writer's probe sees neither id: its COPY waits for the first, then meets race-1 and race-2.
      const racing = touchpointRepository(second.database).upsert([
        { id: 'race-1', customerId: 'u2', campaignId: 'A', occurredAt: 1000 },
        { id: 'race-2', customerId: 'u1', campaignId: 'A', occurredAt: 2000 },
      ]);
      await new Promise((resolve) => setTimeout(resolve, 200));
      await first.client.query('commit');
      const theirs = await racing;
      await second.client.query('commit');
      // race-1 restated (customer u1 -> u2): updated, in the slot the first writer gave it; race-2 unchanged.
      expect(theirs.counts).toEqual({ inserted: 0, updated: 1, unchanged: 1 });
      expect(theirs.changed).toEqual([[mine.changed[0]![0], 'u2', 'A', 1000]]);
      const rows = await pool.query("select id, seq::int, customer_id from touchpoints where id like 'race-%' order by id");
      expect(rows.rows).toEqual([
        { id: 'race-1', seq: mine.changed[0]![0], customer_id: 'u2' },
        { id: 'race-2', seq: mine.changed[1]![0], customer_id: 'u1' },
      ]);
    } finally {
      first.client.release();
      second.client.release();
    }
  });

  it('COPYs a batch of new ids without probing it; a re-send is probed first and burns no number; new ids before a stored one burn no more than they insert', async () => {
    const { database, client } = await ownSession();
    const repository = touchpointRepository(database);
    const tp = (id: string, at: number) => ({ id, customerId: 'u9', campaignId: 'Z', occurredAt: at });
    const last = async () => Number((await client.query("select coalesce(pg_sequence_last_value(pg_get_serial_sequence('touchpoints', 'seq')::regclass), 0)::int as n")).rows[0].n);
    try {
      await client.query('begin');
      const start = await last();
      const fresh = await repository.upsert([tp('burn-1', 1), tp('burn-2', 2), tp('burn-3', 3)]);
      expect(fresh.insertedSlots).toEqual([start + 1, start + 3]);
      // The whole batch again: its first id is stored, so it is probed before any COPY, and no number is drawn.
      expect(await repository.upsert([tp('burn-1', 1), tp('burn-2', 2), tp('burn-3', 3)])).toEqual({ counts: { inserted: 0, updated: 0, unchanged: 3 }, changed: [], insertedSlots: null });
      expect(await last()).toBe(start + 3);
      // Two new ids, then a stored one: the COPY draws 3 numbers and is refused at the third row (burnt: start+4..start+6),
      // then the probe finds burn-1 unchanged and COPYs the two new ones: start+7, start+8. Burnt 3 <= inserted 2 + 1.
      const mixed = await repository.upsert([tp('burn-4', 4), tp('burn-5', 5), tp('burn-1', 1)]);
      expect(mixed.counts).toEqual({ inserted: 2, updated: 0, unchanged: 1 });
      expect(mixed.changed).toEqual([
        [start + 7, 'u9', 'Z', 4],
        [start + 8, 'u9', 'Z', 5],
      ]);
      const rows = await client.query("select id, seq::int - $1 as slot from touchpoints where id like 'burn-%' order by id", [start]);
      expect(rows.rows).toEqual([
        { id: 'burn-1', slot: 1 },
        { id: 'burn-2', slot: 2 },
        { id: 'burn-3', slot: 3 },
        { id: 'burn-4', slot: 7 },
        { id: 'burn-5', slot: 8 },
      ]);
      await client.query('rollback');
    } finally {
      client.release();
    }
  });

  it('COPYs new spend lines without probing them; a re-send is probed first and draws no id; a restatement is upserted', async () => {
    const { database, client } = await ownSession();
    const repository = spendRepository(database);
    const l = (reference: string, amount: bigint): SpendInput => ({ date: '2026-06-01', amount, currency: 'EUR', source: 'optimistic', reference });
    const last = async () => Number((await client.query('select (case when is_called then last_value else last_value - 1 end)::int as n from spend_id_seq')).rows[0].n);
    try {
      await client.query('begin');
      const start = await last();
      expect(await repository.upsert([l('a', 1n), l('b', 2n)], ['c', 'c'])).toEqual({ counts: { inserted: 2, updated: 0, unchanged: 0 }, insertedIds: [start + 1, start + 2] });
      expect(await repository.upsert([l('a', 1n), l('b', 2n)], ['c', 'c'])).toEqual({ counts: { inserted: 0, updated: 0, unchanged: 2 }, insertedIds: null });
      expect(await last()).toBe(start + 2);
      // A new line before a stored one: the COPY draws ids start+3 (c) and start+4 (a, refused), then the probe
      // finds a unchanged and COPYs c alone: start+5.
      expect(await repository.upsert([l('c', 3n), l('a', 1n)], ['c', 'c'])).toEqual({ counts: { inserted: 1, updated: 0, unchanged: 1 }, insertedIds: [start + 5, start + 5] });
      // A restatement (a's amount 1 -> 9): probed, then upserted in place.
      expect(await repository.upsert([l('a', 9n)], ['c'])).toEqual({ counts: { inserted: 0, updated: 1, unchanged: 0 }, insertedIds: null });
      const rows = await client.query("select reference, id::int - $1 as id, amount_micros::int as amount from spend where source = 'optimistic' order by reference", [start]);
      expect(rows.rows).toEqual([
        { reference: 'a', id: 1, amount: 9 },
        { reference: 'b', id: 2, amount: 2 },
        { reference: 'c', id: 5, amount: 3 },
      ]);
      await client.query('rollback');
    } finally {
      client.release();
    }
  });

  it('reports the slots its rows were stored with when another writer drew a number just before its COPY', async () => {
    const { database, client } = await ownSession();
    try {
      await client.query('begin');
      const copyIn = database.pg.copyIn!;
      const drawn: number[] = [];
      const session = {
        ...database.pg,
        copyIn: async (text: string, data: string) => {
          const [{ n }] = (await pool.query("select nextval(pg_get_serial_sequence('touchpoints', 'seq'))::int as n")).rows as [{ n: number }];
          drawn.push(n);
          return copyIn(text, data);
        },
      };
      const upsert = await touchpointRepository({ ...database, pg: session }).upsert([
        { id: 'gap-1', customerId: 'u1', campaignId: 'A', occurredAt: 1000 },
        { id: 'gap-2', customerId: 'u1', campaignId: 'B', occurredAt: 2000 },
      ]);
      await client.query('commit');
      // The other writer drew n; the COPY gave the rows the next numbers, in batch order.
      const n = drawn[0]!;
      expect(upsert.changed).toEqual([
        [n + 1, 'u1', 'A', 1000],
        [n + 2, 'u1', 'B', 2000],
      ]);
      expect(upsert.insertedSlots).toEqual([n + 1, n + 2]);
      const rows = await pool.query("select id, seq::int from touchpoints where id like 'gap-%' order by id");
      expect(rows.rows).toEqual([
        { id: 'gap-1', seq: n + 1 },
        { id: 'gap-2', seq: n + 2 },
      ]);
    } finally {
      client.release();
    }
  });

  it('reports the slots its rows were stored with when its numbers are not all the numbers between its lowest and highest', async () => {
    // A sequence with a cache hands each session blocks of numbers: the batch's session keeps the rest of a block it
    // drew from, another session inserts a row with the first number of the next block, and the batch's COPY then
    // takes its own two cached numbers and a block after the other's: five slots with a gap holding another's row,
    // which the write must read past, not count up from the lowest.
    const other = new pg.Client({ connectionString: server.url, types });
    await other.connect();
    const { database, client } = await ownSession();
    const seq = "pg_get_serial_sequence('touchpoints', 'seq')";
    try {
      await pool.query('alter table touchpoints alter column seq set cache 3');
      const [{ m }] = (await client.query(`select nextval(${seq})::int as m`)).rows as [{ m: number }];
      const theirs = await other.query("insert into touchpoints (id, customer_id, campaign_id, occurred_at) values ('other-hole', 'u3', 'B', 1) returning seq::int");
      expect(theirs.rows).toEqual([{ seq: m + 3 }]);
      await client.query('begin');
      const items = [1, 2, 3, 4, 5].map((i) => ({ id: `hole-${i}`, customerId: 'u2', campaignId: 'A', occurredAt: i * 1000 }));
      const upsert = await touchpointRepository(database).upsert(items);
      await client.query('commit');
      const slots = [m + 1, m + 2, m + 6, m + 7, m + 8];
      expect(upsert.changed).toEqual(items.map((item, k) => [slots[k], 'u2', 'A', item.occurredAt]));
      expect(upsert.insertedSlots).toEqual([m + 1, m + 8]);
      const rows = await pool.query("select seq::int from touchpoints where id like 'hole-%' order by id");
      expect(rows.rows.map((row: { seq: number }) => row.seq)).toEqual(slots);
    } finally {
      await pool.query('alter table touchpoints alter column seq set cache 1');
      client.release();
      // Its session's unused numbers (m + 4, m + 5) go with it.
      await other.end();
    }
  });

  it('gives the audit event the ids the copied lines got when another writer drew ids meanwhile', async () => {
    const { database, client } = await ownSession();
    try {
      await client.query('begin');
      const copyIn = database.pg.copyIn!;
      const drawn: number[] = [];
      const session = {
        ...database.pg,
        copyIn: async (text: string, data: string) => {
          const [{ n }] = (await pool.query("select nextval('spend_id_seq')::int as n")).rows as [{ n: number }];
          drawn.push(n);
          return copyIn(text, data);
        },
      };
      const lines = ['g1', 'g2', 'g3'].map((reference): SpendInput => ({ date: '2026-06-02', amount: 5n, currency: 'EUR', source: 'gap', reference }));
      const upsert = await spendRepository({ ...database, pg: session }).upsert(lines, ['c', 'c', 'c']);
      await client.query('commit');
      // The other writer took n; the three lines got n + 1 .. n + 3.
      const n = drawn[0]!;
      expect(upsert).toEqual({ counts: { inserted: 3, updated: 0, unchanged: 0 }, insertedIds: [n + 1, n + 3] });
      const rows = await pool.query("select id::int from spend where source = 'gap' order by reference");
      expect(rows.rows.map((row: { id: number }) => row.id)).toEqual([n + 1, n + 2, n + 3]);
    } finally {
      client.release();
    }
  });

  it('copies references that COPY and array literals must escape, exactly', async () => {
    const { database, client } = await ownSession();
    const awkward = ['say "hi"', 'back\\slash', 'tab\there', 'two\nlines', 'cr\rhere', 'NULL', 'a,b', '{braces}', ' spaced '];
    try {
      await client.query('begin');
      const lines = awkward.map((reference): SpendInput => ({ date: '2026-06-01', amount: 1n, currency: 'EUR', source: 'escapes', reference }));
      const first = await spendRepository(database).upsert(lines, lines.map(() => 'c'));
      expect(first.counts).toEqual({ inserted: awkward.length, updated: 0, unchanged: 0 });
      // Re-sent: the probe (array literals) finds each line by the same bytes.
      const again = await spendRepository(database).upsert(lines, lines.map(() => 'c'));
      expect(again.counts).toEqual({ inserted: 0, updated: 0, unchanged: awkward.length });
      await client.query('commit');
      const rows = await pool.query("select reference from spend where source = 'escapes' order by id");
      expect(rows.rows.map((row: { reference: string }) => row.reference)).toEqual(awkward);
    } finally {
      client.release();
    }
  });

  it('locks the revenue rows a batch checks, so that a second batch checks after the first commits', async () => {
    const first = await ownSession();
    const second = await ownSession();
    try {
      await first.client.query('begin');
      await second.client.query('begin');
      await revenueRepository(first.database).rowsOf(['conv-1']);
      let secondRead = false;
      const reading = revenueRepository(second.database)
        .rowsOf(['conv-1'])
        .then((rows) => ((secondRead = true), rows));
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(secondRead).toBe(false);
      await first.client.query('commit');
      expect((await reading).map((row) => row.id)).toEqual(['conv-1']);
      await second.client.query('commit');
    } finally {
      first.client.release();
      second.client.release();
    }
  });
});

describe('the mirrors loaded from PostgreSQL', () => {
  /** A data version that never moves (these mirrors only load). */
  const still = { version: async () => 0, inTransaction: () => false, onCommit: () => () => undefined };

  it('hold what the same mirrors loaded from SQLite hold (spend sums, revenue with its refunds)', async () => {
    const spendOf = async (database: Database) => {
      const index = new SpendIndex(database, still);
      const lines: string[] = [];
      // Up to April: the race above wrote May's lines on PostgreSQL alone.
      (await index.current()).forEach(parseDay('2026-01-01'), parseDay('2026-04-30'), (day, campaign, currency, micros) => lines.push(`${day} ${campaign} ${currency} ${micros}`));
      index.close();
      return lines.sort();
    };
    const revenueOf = async (database: Database) => {
      const index = new RevenueIndex(database, still);
      const seen: string[] = [];
      const store = await index.current();
      store.forEachInRange({ start: -1e15, end: 1e15 }, (attributedAt, occurredAt, micros, currency, isRefund, customer) =>
        seen.push(`${store.customers.nameOf(customer)} ${attributedAt} ${occurredAt} ${micros} ${currency} ${isRefund}`),
      );
      index.close();
      return seen;
    };
    const spendOnSqlite = await spendOf(sqlite);
    expect(spendOnSqlite.length).toBeGreaterThan(3);
    expect(await spendOf(postgres)).toEqual(spendOnSqlite);
    const revenueOnSqlite = await revenueOf(sqlite);
    // conv-1, and its two refunds (the orphan and the refund of a refund left out).
    expect(revenueOnSqlite).toHaveLength(3);
    expect(await revenueOf(postgres)).toEqual(revenueOnSqlite);
  });
});

describe('the spend catch-up on PostgreSQL', () => {
  // Each writer transaction adds one line to cell A (2024-01-01, cu-a) and opens a cell of its own
  // (its own date, cu-b), and commits both at once. A catch-up reads whole cells as one snapshot saw
  // them, so whatever commits while it reads, the lines it returns in A are the seed line plus one per
  // cu-b cell it returns: a catch-up that read the cells in one snapshot and their lines in another
  // would return a transaction's line in A without its own cell (a report would then show part of a batch).
  it('reads the changed cells and their lines as one snapshot, while transactions commit', async () => {
    const repository = spendRepository(postgres);
    const cursor = (await repository.changeCursor())!;
    await pool.query(`insert into spend (source, campaign_id, date, reference, amount_micros, currency, version) values ('manual', 'cu-a', '2024-01-01', 'seed', 1000000, 'USD', 1)`);
    const WRITES = 300;
    let stop = false;
    const writer = (async () => {
      const client = await pool.connect();
      try {
        for (let i = 0; i < WRITES && !stop; i++) {
          const day = new Date(Date.UTC(2024, 1, 1) + i * 86_400_000).toISOString().slice(0, 10);
          await client.query('begin');
          await client.query(`insert into spend (source, campaign_id, date, reference, amount_micros, currency, version) values ('manual', 'cu-a', '2024-01-01', $1, 1000000, 'USD', 1)`, [`w${i}`]);
          await client.query(`insert into spend (source, campaign_id, date, reference, amount_micros, currency, version) values ('manual', 'cu-b', $1, $2, 1000000, 'USD', 1)`, [day, `w${i}`]);
          await client.query('commit');
        }
      } finally {
        client.release();
      }
    })();
    let written = false;
    void writer.finally(() => (written = true)).catch(() => undefined);
    let reads = 0;
    const torn: string[] = [];
    try {
      while (!written && reads < 100_000) {
        const lines = await repository.cellsChangedSince(cursor);
        reads++;
        const inA = lines.filter(([date, campaignId]) => date === '2024-01-01' && campaignId === 'cu-a').length;
        const bCells = new Set(lines.filter(([, campaignId]) => campaignId === 'cu-b').map(([date]) => date)).size;
        if (inA !== 1 + bCells) torn.push(`read ${reads}: ${inA} lines in cell A, ${bCells} cells of cu-b`);
      }
    } finally {
      stop = true;
      await writer;
    }
    expect(torn).toEqual([]);
    // Read while the writer ran (many times), and once after: every write is there.
    const last = await repository.cellsChangedSince(cursor);
    expect(last.filter(([, campaignId]) => campaignId === 'cu-b')).toHaveLength(WRITES);
    expect(reads).toBeGreaterThan(10);
  }, 120_000);
});
