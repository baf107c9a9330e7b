/**
 * SpendIndex and RevenueIndex, the spend and revenue tables held in memory
 * for the ROI reports, must equal what SQL says of the same file: after a
 * full load (in rowid ranges, with the row-by-row fallback), after the
 * writes this process reports to them, after a write inside a transaction
 * (of the unit of work) that could still roll back, and after another process's commit (seen
 * through the data version).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase, type Sqlite } from '../src/db.js';
import type { TimeRange } from '../src/domain/attribution/index.js';
import { formatDay, parseDay } from '../src/domain/periods.js';
import { RevenueIndex, type RevenueRowChange } from '../src/features/revenue/revenue-index.js';
import { SpendIndex, type SpendLines } from '../src/features/spend/spend-index.js';
import { TableMirror } from '../src/features/common/table-mirror.js';
import { openSqlite, type SqliteDatabase } from '../src/store/database.js';
import { SqliteUnitOfWork } from '../src/store/sqlite-unit-of-work.js';

let dir: string;
let path: string;
let handle: SqliteDatabase;
let uow: SqliteUnitOfWork;
const indexes: { close(): void }[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'spendbook-mirrors-'));
  path = join(dir, 'spendbook.db');
  handle = openSqlite(path);
  uow = handle.uow;
});

/** A write by another process on the same file: its own connection, through its own unit of work. */
async function otherProcessWrites(write: (sqlite: Sqlite) => void): Promise<void> {
  const other = openDatabase(path);
  try {
    await new SqliteUnitOfWork(other.sqlite).write(() => write(other.sqlite));
  } finally {
    other.close();
  }
}

afterEach(async () => {
  for (const index of indexes.splice(0)) index.close();
  await handle.close();
  rmSync(dir, { recursive: true, force: true });
});

function spendIndex(): SpendIndex {
  const index = new SpendIndex(handle, uow);
  indexes.push(index);
  return index;
}

function revenueIndex(): RevenueIndex {
  const index = new RevenueIndex(handle, uow);
  indexes.push(index);
  return index;
}

/** The same lines, in the same order; on a difference, shows the lines around the first one. */
function expectSameLines(actual: string[], expected: string[]): void {
  if (actual.length === expected.length && actual.every((line, i) => line === expected[i])) return;
  let first = 0;
  while (first < actual.length && actual[first] === expected[first]) first++;
  expect(actual.slice(Math.max(0, first - 2), first + 3)).toEqual(expected.slice(Math.max(0, first - 2), first + 3));
  expect(actual.length).toBe(expected.length);
}

// --- spend ---------------------------------------------------------------

type SpendLine = [date: string, campaignId: string, currency: string, micros: bigint];

const INSERT_SPEND = "insert into spend (source, campaign_id, date, reference, amount_micros, currency, version) values ('test', ?, ?, ?, ?, ?, 1)";
let nextReference = 0;

function insertSpend(sqlite: Sqlite, lines: SpendLine[]): void {
  const insert = sqlite.prepare(INSERT_SPEND);
  for (const [date, campaignId, currency, micros] of lines) insert.run(campaignId, date, `r${nextReference++}`, micros, currency);
}

/** A batch as the spend service hands it to the index. */
function batchOf(lines: SpendLine[]): SpendLines {
  return {
    length: lines.length,
    date: (i) => lines[i]![0],
    campaignId: (i) => lines[i]![1],
    currency: (i) => lines[i]![2],
    micros: (i) => lines[i]![3],
  };
}

/** SQL's sums per (date, campaign, currency), one line each, sorted. */
function spendInSql(sqlite: Sqlite = handle.sqlite): string[] {
  const rows = sqlite
    .prepare('select date, campaign_id, currency, sum(amount_micros) from spend group by date, campaign_id, currency')
    .raw(true)
    .safeIntegers(true)
    .all() as [string, string, string, bigint][];
  return rows.map((row) => row.join(' ')).sort();
}

/** The index's sums, in the same form. */
async function spendInIndex(index: SpendIndex): Promise<string[]> {
  const lines: string[] = [];
  (await index.current()).forEach(parseDay('2000-01-01'), parseDay('2100-12-31'), (day, campaignId, currency, micros) => {
    lines.push(`${formatDay(day)} ${campaignId} ${currency} ${micros}`);
  });
  return lines.sort();
}

/** 1 March 2026 and 2 March for campaign c1, before any test's writes. */
function seedSpend(): void {
  insertSpend(handle.sqlite, [
    ['2026-03-01', 'c1', 'EUR', 1_000_000n],
    ['2026-03-02', 'c1', 'EUR', 2_000_000n],
  ]);
}

describe('SpendIndex', () => {
  it('loads every line, over several rowid ranges, and reads a range row by row where a campaign id holds the separator', async () => {
    const first = parseDay('2026-01-01');
    const dates = Array.from({ length: 90 }, (_, d) => formatDay(first + d));
    const lines: SpendLine[] = [];
    for (let i = 0; i < 100_200; i++) {
      // The campaign with the unit separator in its id is written in the second range (rowids 100,001 to 200,000).
      const campaignId = i === 100_100 ? 'c\u001fx' : `c${i % 7}`;
      lines.push([dates[i % 90]!, campaignId, ['EUR', 'USD', 'JPY'][i % 3]!, BigInt(i % 11 === 0 ? -i : i * 1000 + 1)]);
    }
    handle.sqlite.transaction(() => {
      insertSpend(handle.sqlite, lines);
      // Past an empty range (200,001 to 300,000): rowid 350,000.
      handle.sqlite
        .prepare("insert into spend (id, source, campaign_id, date, reference, amount_micros, currency, version) values (350000, 'test', 'c9', '2026-06-30', 'far', 42000000, 'EUR', 1)")
        .run();
    })();
    const index = spendIndex();
    const sums = await spendInIndex(index);
    expectSameLines(sums, spendInSql());
    expect(sums).toContain('2026-06-30 c9 EUR 42000000');
    expect(sums.some((line) => line.includes('c\u001fx'))).toBe(true);
    // The grand total agrees too: sum over i of the amounts, plus 42 EUR.
    const naive = lines.reduce((total, line) => total + line[3], 0n) + 42_000_000n;
    let total = 0n;
    (await index.current()).forEach(first, first + 365, (_day, _campaign, _currency, micros) => (total += micros));
    expect(total).toBe(naive);
  });

  it('shows inserted lines on the next read, without reloading', async () => {
    seedSpend();
    const index = spendIndex();
    const loaded = await index.current();
    const batch: SpendLine[] = [
      ['2026-03-01', 'c1', 'EUR', 2_500_000n],
      ['2026-03-01', 'c1', 'USD', 700_000n],
      ['2026-03-03', 'c2', 'EUR', -300_000n],
    ];
    handle.sqlite.transaction(() => insertSpend(handle.sqlite, batch))();
    // A commit of this connection does not move data_version: until the write is reported, the index does not know of it.
    expect(await spendInIndex(index)).toEqual(['2026-03-01 c1 EUR 1000000', '2026-03-02 c1 EUR 2000000']);
    index.inserted(batchOf(batch), index.writeTicket());
    expect(await index.current()).toBe(loaded);
    // 1.00 + 2.50 = 3.50 EUR on 1 March.
    expect(await spendInIndex(index)).toEqual([
      '2026-03-01 c1 EUR 3500000',
      '2026-03-01 c1 USD 700000',
      '2026-03-02 c1 EUR 2000000',
      '2026-03-03 c2 EUR -300000',
    ]);
    expect(await spendInIndex(index)).toEqual(spendInSql());
  });

  it('reads restated days again from the table', async () => {
    seedSpend();
    const index = spendIndex();
    const loaded = await index.current();
    handle.sqlite.prepare("update spend set amount_micros = 9000000, version = version + 1 where date = '2026-03-01' and campaign_id = 'c1'").run();
    index.restated(['2026-03-01']);
    expect(await index.current()).toBe(loaded);
    expect(await spendInIndex(index)).toEqual(['2026-03-01 c1 EUR 9000000', '2026-03-02 c1 EUR 2000000']);
    expect(await spendInIndex(index)).toEqual(spendInSql());

    // A day whose lines are gone is gone; lines inserted then restated on the same day, before a read, count once.
    handle.sqlite.prepare("delete from spend where date = '2026-03-02'").run();
    index.restated(['2026-03-02']);
    const batch: SpendLine[] = [['2026-03-01', 'c1', 'EUR', 500_000n]];
    insertSpend(handle.sqlite, batch);
    index.inserted(batchOf(batch), index.writeTicket());
    handle.sqlite.prepare("update spend set amount_micros = 600000 where date = '2026-03-01' and amount_micros = 500000").run();
    index.restated(['2026-03-01']);
    // 9.00 + 0.60 = 9.60 EUR
    expect(await spendInIndex(index)).toEqual(['2026-03-01 c1 EUR 9600000']);
    expect(await spendInIndex(index)).toEqual(spendInSql());
  });

  it('goes stale on a write reported inside an open transaction, and reloads on the next read', async () => {
    seedSpend();
    const index = spendIndex();
    const loaded = await index.current();
    const batch: SpendLine[] = [['2026-03-02', 'c1', 'EUR', 250_000n]];
    await uow.write(() => {
      insertSpend(handle.sqlite, batch);
      index.inserted(batchOf(batch), index.writeTicket());
    });
    expect(await index.current()).not.toBe(loaded);
    expect(await spendInIndex(index)).toEqual(['2026-03-01 c1 EUR 1000000', '2026-03-02 c1 EUR 2250000']);
    expect(await spendInIndex(index)).toEqual(spendInSql());

    // The same inside a transaction that rolls back: the line never was.
    const rolledBack: SpendLine[] = [['2026-03-02', 'c1', 'EUR', 1n]];
    await expect(
      uow.write(() => {
        insertSpend(handle.sqlite, rolledBack);
        index.inserted(batchOf(rolledBack), index.writeTicket());
        throw new Error('abort');
      }),
    ).rejects.toThrow('abort');
    expect(await spendInIndex(index)).toEqual(['2026-03-01 c1 EUR 1000000', '2026-03-02 c1 EUR 2250000']);
    expect(await spendInIndex(index)).toEqual(spendInSql());
  });

  it('reloads after another process commits (data version)', async () => {
    seedSpend();
    const index = spendIndex();
    const loaded = await index.current();
    await otherProcessWrites((other) => insertSpend(other, [['2026-03-02', 'c2', 'USD', 3_000_000n]]));
    expect(await index.current()).not.toBe(loaded);
    expect(await spendInIndex(index)).toEqual(['2026-03-01 c1 EUR 1000000', '2026-03-02 c1 EUR 2000000', '2026-03-02 c2 USD 3000000']);
    expect(await spendInIndex(index)).toEqual(spendInSql());
  });

  it("keeps its store across this process's writes, and reloads when another process committed between them", async () => {
    seedSpend();
    const index = spendIndex();
    const loaded = await index.current();
    // A write of this process to another table moves the version, but the mirror moves with it: no reload.
    await uow.write(() => handle.sqlite.prepare("insert into dashboard_secret (id, secret, created_at) values (1, 's', 'now')").run());
    expect(await index.current()).toBe(loaded);
    // One of this process to its own table, handed to it after the commit: still no reload, and the line is there.
    const batch: SpendLine[] = [['2026-03-03', 'c1', 'EUR', 500_000n]];
    await uow.write(() => insertSpend(handle.sqlite, batch));
    index.inserted(batchOf(batch), index.writeTicket());
    expect(await index.current()).toBe(loaded);
    expect(await spendInIndex(index)).toEqual(spendInSql());

    // Another process commits, then this one writes: the mirror missed a version and loads again.
    await otherProcessWrites((other) => insertSpend(other, [['2026-03-04', 'c2', 'USD', 1_000_000n]]));
    const mine: SpendLine[] = [['2026-03-05', 'c1', 'EUR', 250_000n]];
    await uow.write(() => insertSpend(handle.sqlite, mine));
    index.inserted(batchOf(mine), index.writeTicket());
    expect(await index.current()).not.toBe(loaded);
    expect(await spendInIndex(index)).toEqual(spendInSql());
    expect(await spendInIndex(index)).toContain('2026-03-04 c2 USD 1000000');
  });
});

// --- revenue -------------------------------------------------------------

type RevenueVisit = [customerId: string, attributedAt: number, occurredAt: number, micros: bigint, currency: string, isRefund: boolean];

const EVERYTHING: TimeRange = { start: -1e15, end: 1e15 };
const INSERT_REVENUE = 'insert into revenue (id, customer_id, occurred_at, amount_micros, currency, refund_of) values (?, ?, ?, ?, ?, ?) returning rowid';
const UPSERT_REVENUE = `${INSERT_REVENUE.replace(' returning rowid', '')}
  on conflict (id) do update set customer_id = excluded.customer_id, occurred_at = excluded.occurred_at,
    amount_micros = excluded.amount_micros, currency = excluded.currency, refund_of = excluded.refund_of
  returning rowid`;

/**
 * The events SQL gives for the range, as RevenueStore visits them (conversions
 * by rowid, then refunds of an existing conversion by rowid), one line each
 * in the form String(visit) gives: built by SQL, not by JavaScript.
 */
function revenueInSql(range: TimeRange = EVERYTHING): string[] {
  return handle.sqlite
    .prepare(
      `select line from (
         select 0 as refunds, rowid as slot, customer_id || ',' || occurred_at || ',' || occurred_at || ',' || amount_micros || ',' || currency || ',false' as line
         from revenue where refund_of is null and occurred_at >= @start and occurred_at < @end
         union all
         select 1, r.rowid, c.customer_id || ',' || c.occurred_at || ',' || r.occurred_at || ',' || r.amount_micros || ',' || r.currency || ',true'
         from revenue r join revenue c on c.id = r.refund_of and c.refund_of is null where r.occurred_at >= @start and r.occurred_at < @end
       ) order by refunds, slot`,
    )
    .pluck()
    .all(range) as string[];
}

async function revenueInIndex(index: RevenueIndex, range: TimeRange = EVERYTHING): Promise<RevenueVisit[]> {
  const store = await index.current();
  const seen: RevenueVisit[] = [];
  store.forEachInRange(range, (attributedAt, occurredAt, micros, currency, isRefund, customerIndex) => {
    seen.push([store.customers.nameOf(customerIndex), attributedAt, occurredAt, micros, currency, isRefund]);
  });
  return seen;
}

function insertRevenue(sqlite: Sqlite, id: string, customerId: string, occurredAt: number, micros: bigint, currency: string, refundOf: string | null): number {
  return sqlite.prepare(INSERT_REVENUE).pluck().get(id, customerId, occurredAt, micros, currency, refundOf) as number;
}

describe('RevenueIndex', () => {
  it('loads every event over several rowid ranges, row by row where an id holds the separator, and leaves out a refund of a missing conversion', async () => {
    const base = Date.UTC(2026, 0, 1);
    const insert = handle.sqlite.prepare(INSERT_REVENUE);
    let orphans = 0;
    handle.sqlite.transaction(() => {
      for (let i = 0; i < 100_200; i++) {
        const at = base + i * 60_000;
        if (i === 50_009 || i === 100_119) {
          // Written around the API, in each range: a refund of a conversion that is not there.
          insert.run(`orphan${i}`, `u${i % 500}`, at, -1_000n, 'EUR', 'missing');
          orphans++;
        } else if (i % 10 === 9) {
          insert.run(`rf${i}`, `u${(i - 9) % 500}`, at, -500_000n, 'EUR', `cv${i - 9}`);
        } else {
          // The customer with the unit separator converts in the second range (rowids 100,001 to 200,000).
          insert.run(`cv${i}`, i === 100_100 ? 'u\u001f7' : `u${i % 500}`, at, BigInt(1_000_000 + i), 'EUR', null);
        }
      }
    })();
    const index = revenueIndex();
    expect((await index.current()).size).toBe(100_200 - orphans);
    const all = (await revenueInIndex(index));
    expect(all.length).toBe(100_200 - orphans);
    const lines = all.map(String);
    expectSameLines(lines, revenueInSql());
    // The conversion of the customer with the separator, read row by row, and its refund carrying that customer.
    const ofSeparator = all.filter((_, i) => lines[i]!.startsWith('u\u001f7,'));
    expect(ofSeparator).toEqual([
      ['u\u001f7', base + 100_100 * 60_000, base + 100_100 * 60_000, 1_100_100n, 'EUR', false],
      ['u\u001f7', base + 100_100 * 60_000, base + 100_109 * 60_000, -500_000n, 'EUR', true],
    ]);
    // A window from cv50005: rf50009 is the orphan, left out.
    const window = { start: base + 50_005 * 60_000, end: base + 60_000 * 60_000 };
    const inWindow = (await revenueInIndex(index, window));
    expectSameLines(inWindow.map(String), revenueInSql(window));
    // The first refund in it (rf50019, of cv50010 by u10) is the first after the window's start that has a conversion.
    expect(inWindow.find((visit) => visit[5])).toEqual(['u10', base + 50_010 * 60_000, base + 50_019 * 60_000, -500_000n, 'EUR', true]);
  });

  it('puts a reported refund under its conversion’s slot, and follows a rewritten conversion', async () => {
    insertRevenue(handle.sqlite, 'cv1', 'alice', 1000, 50_000_000n, 'EUR', null);
    const index = revenueIndex();
    const loaded = await index.current();
    const changes: RevenueRowChange[] = [];
    handle.sqlite.transaction(() => {
      const cv2 = insertRevenue(handle.sqlite, 'cv2', 'bob', 2000, 30_000_000n, 'USD', null);
      changes.push([cv2, 'bob', 2000, 30_000_000n, 'USD', null]);
      // The write hands over the conversion's slot, read in its own transaction.
      changes.push([insertRevenue(handle.sqlite, 'rf1', 'bob', 3000, -5_000_000n, 'USD', 'cv2'), 'bob', 3000, -5_000_000n, 'USD', cv2]);
    })();
    index.applied(changes);
    expect(await index.current()).toBe(loaded);
    expect(await revenueInIndex(index)).toEqual([
      ['alice', 1000, 1000, 50_000_000n, 'EUR', false],
      ['bob', 2000, 2000, 30_000_000n, 'USD', false],
      ['bob', 2000, 3000, -5_000_000n, 'USD', true],
    ]);
    expect((await revenueInIndex(index)).map(String)).toEqual(revenueInSql());

    // cv2 moves to carol at 2500; the upsert keeps its rowid, and the refund follows.
    const rowid = handle.sqlite.prepare(UPSERT_REVENUE).pluck().get('cv2', 'carol', 2500, 30_000_000n, 'USD', null) as number;
    expect(rowid).toBe(changes[0]![0]);
    index.applied([[rowid, 'carol', 2500, 30_000_000n, 'USD', null]]);
    expect(await index.current()).toBe(loaded);
    expect((await index.current()).size).toBe(3);
    expect(await revenueInIndex(index, { start: 2600, end: 4000 })).toEqual([['carol', 2500, 3000, -5_000_000n, 'USD', true]]);
    expect((await revenueInIndex(index)).map(String)).toEqual(revenueInSql());
  });

  it('goes stale on a write reported inside an open transaction, and reloads on the next read', async () => {
    insertRevenue(handle.sqlite, 'cv1', 'alice', 1000, 50_000_000n, 'EUR', null);
    const index = revenueIndex();
    const loaded = await index.current();
    await uow.write(() => {
      const rowid = insertRevenue(handle.sqlite, 'rf1', 'alice', 2000, -1_000_000n, 'EUR', 'cv1');
      index.applied([[rowid, 'alice', 2000, -1_000_000n, 'EUR', 1]]);
    });
    expect(await index.current()).not.toBe(loaded);
    expect(await revenueInIndex(index)).toEqual([
      ['alice', 1000, 1000, 50_000_000n, 'EUR', false],
      ['alice', 1000, 2000, -1_000_000n, 'EUR', true],
    ]);
    expect((await revenueInIndex(index)).map(String)).toEqual(revenueInSql());
  });

  it('leaves out a refund of a refund, and reads a row at rowid 0 (both only written around the API)', async () => {
    handle.sqlite.prepare("insert into revenue (rowid, id, customer_id, occurred_at, amount_micros, currency) values (0, 'cv0', 'zoe', 500, 9000000, 'EUR')").run();
    insertRevenue(handle.sqlite, 'cv1', 'alice', 1000, 50_000_000n, 'EUR', null);
    insertRevenue(handle.sqlite, 'rf1', 'alice', 2000, -5_000_000n, 'EUR', 'cv1');
    insertRevenue(handle.sqlite, 'rf2', 'alice', 3000, -1_000_000n, 'EUR', 'rf1');
    expect(await revenueInIndex(revenueIndex())).toEqual([
      ['zoe', 500, 500, 9_000_000n, 'EUR', false],
      ['alice', 1000, 1000, 50_000_000n, 'EUR', false],
      ['alice', 1000, 2000, -5_000_000n, 'EUR', true],
    ]);
    expect((await revenueInIndex(revenueIndex())).map(String)).toEqual(revenueInSql());
  });

  it('does not keep what it read inside a transaction that rolled back', async () => {
    insertRevenue(handle.sqlite, 'cv1', 'alice', 1000, 50_000_000n, 'EUR', null);
    const index = revenueIndex();
    await index.current();
    await expect(
      uow.write(async () => {
        const rowid = insertRevenue(handle.sqlite, 'cv2', 'bob', 2000, 7_000_000n, 'EUR', null);
        index.applied([[rowid, 'bob', 2000, 7_000_000n, 'EUR', null]]);
        // A read inside the transaction sees the write ...
        expect(await revenueInIndex(index)).toHaveLength(2);
        throw new Error('abort');
      }),
    ).rejects.toThrow('abort');
    // ... and, the write rolled back, the next read outside does not.
    expect(await revenueInIndex(index)).toEqual([['alice', 1000, 1000, 50_000_000n, 'EUR', false]]);
  });

  it('reloads after another process commits (data version)', async () => {
    insertRevenue(handle.sqlite, 'cv1', 'alice', 1000, 50_000_000n, 'EUR', null);
    const index = revenueIndex();
    const loaded = await index.current();
    await otherProcessWrites((other) => void insertRevenue(other, 'rf1', 'alice', 2000, -2_000_000n, 'EUR', 'cv1'));
    expect(await index.current()).not.toBe(loaded);
    expect(await revenueInIndex(index)).toEqual([
      ['alice', 1000, 1000, 50_000_000n, 'EUR', false],
      ['alice', 1000, 2000, -2_000_000n, 'EUR', true],
    ]);
    expect((await revenueInIndex(index)).map(String)).toEqual(revenueInSql());
  });
});

// --- loads that overlap a commit (PostgreSQL's loads are several statements) ---

/** A table of numbers and its data version, whose reads wait for `gate` when one is set. */
class FakeTable {
  rows: number[] = [1];
  version = 0;
  gate: Promise<void> | null = null;
  private readonly listeners = new Set<(before: number, after: number) => void>();
  readonly versions = {
    version: async () => this.version,
    inTransaction: () => false,
    onCommit: (listener: (before: number, after: number) => void) => (this.listeners.add(listener), () => this.listeners.delete(listener)),
  };

  /** A commit of this process: the row is in, the version moves, then the listeners hear of it. */
  commit(row: number): void {
    this.rows.push(row);
    this.version++;
    this.announce(this.version - 1, this.version);
  }

  announce(before: number, after: number): void {
    for (const listener of this.listeners) listener(before, after);
  }
}

/** A mirror that adds what writes hand it, as SpendIndex adds inserted lines: a change applied twice counts twice. */
class ListMirror extends TableMirror<number[]> {
  loads = 0;
  constructor(private readonly table: FakeTable) {
    super(table.versions);
  }
  added(row: number): void {
    this.apply((store) => store.push(row));
  }
  protected async load(): Promise<number[]> {
    this.loads++;
    if (this.table.gate) await this.table.gate;
    return [...this.table.rows];
  }
}

describe('TableMirror, a load overlapping a commit', () => {
  it('does not trust a load the version moved under: a commit it read is not handed to it again', async () => {
    const table = new FakeTable();
    const mirror = new ListMirror(table);
    indexes.push(mirror);
    const first = await mirror.current();
    expect(first).toEqual([1]);
    // Another process commits: the mirror must load again, and that load waits.
    table.rows.push(2);
    table.version++;
    let release!: () => void;
    table.gate = new Promise((resolve) => (release = resolve));
    const reading = mirror.current();
    await new Promise((resolve) => setImmediate(resolve));
    // While it waits, a write of this process commits row 3 in the database (version 1 -> 2) ...
    table.rows.push(3);
    table.version++;
    table.gate = null;
    release();
    const read = await reading;
    expect(read).toEqual([1, 2, 3]);
    // ... and is heard, and handed over, only after the load ended. Labelled with the version read before
    // its rows (1), the store would move to 2 and get row 3 a second time.
    table.announce(1, 2);
    mirror.added(3);
    expect(read).toEqual([1, 2, 3]);
    const again = await mirror.current();
    expect(again).toEqual([1, 2, 3]);
    expect(mirror.loads).toBe(3);
    // Now trusted: a commit handed over moves it, once, without a load.
    table.commit(4);
    mirror.added(4);
    expect(await mirror.current()).toBe(again);
    expect(again).toEqual([1, 2, 3, 4]);
    expect(mirror.loads).toBe(3);
  });

  it('shares one load among the readers that ask while it runs', async () => {
    const table = new FakeTable();
    const mirror = new ListMirror(table);
    indexes.push(mirror);
    const [a, b, c] = await Promise.all([mirror.current(), mirror.current(), mirror.current()]);
    expect(mirror.loads).toBe(1);
    expect(a).toBe(b);
    expect(b).toBe(c);
  });
});
