/**
 * The revenue table: the rows a batch's checks read, its upsert, the list,
 * and the reads of the in-memory mirror (RevenueIndex). A row's slot in the
 * mirror is SQLite's rowid and PostgreSQL's `seq` (migration 0004), both
 * kept by an update.
 */
import type { Database } from '../../store/database.js';
import { pgFingerprint, sqliteFingerprint, type TableFingerprint } from '../../store/fingerprint.js';
import { pgChangeCursor, readInKeyRanges, readInRowidRanges } from '../../store/table-reads.js';

export interface RevenueInput {
  id: string;
  customerId: string;
  /** Epoch milliseconds. */
  occurredAt: number;
  amount: bigint;
  currency: string;
  refundOf?: string | null | undefined;
}

export interface RevenueRow {
  id: string;
  customerId: string;
  /** Epoch milliseconds. */
  occurredAt: number;
  amountMicros: bigint;
  currency: string;
  refundOf: string | null;
}

/** A changed row: slot, customer id, occurred_at, micros, currency, the slot of the conversion a refund refunds. */
export type RevenueRowChange = [number, string, number, bigint, string, number | null];

export interface RevenueUpsert {
  inserted: number;
  updated: number;
  /** Every written row, with its slot and its conversion's. */
  changed: RevenueRowChange[];
  /** The lowest and highest slot of the inserted rows (for the audit event), or null. */
  insertedSlots: [number, number] | null;
}

export interface RevenueQuery {
  customerId?: string | undefined;
  /** [start, end) in epoch milliseconds. */
  start?: number | undefined;
  end?: number | undefined;
  after: string | null;
  /** Rows to read (the page and one more). */
  limit: number;
}

export interface RevenueRepository {
  /**
   * The stored rows of these ids. Inside a write on PostgreSQL they are
   * locked until it ends (in id order), so that the checks a batch makes on
   * them (a conversion's refunds must not exceed it) cannot be undone by a
   * concurrent batch: every batch that adds, moves or rewrites a refund
   * locks its conversion first.
   */
  rowsOf(ids: readonly string[]): Promise<RevenueRow[]>;
  /** The stored refunds of these conversions. */
  refundsOf(conversionIds: readonly string[]): Promise<RevenueRow[]>;
  /** Inserts or replaces the items (distinct ids, each one new or different from its row). */
  upsert(items: readonly RevenueInput[]): Promise<RevenueUpsert>;
  list(query: RevenueQuery): Promise<RevenueRow[]>;
  /**
   * Every row, with its slot and its conversion's slot (null for a
   * conversion); a refund of a conversion that is not there, or of another
   * refund (only a write around the API could leave either), is left out,
   * as the reports' joins always left it out.
   */
  readAll(visit: (slot: number, customerId: string, occurredAt: number, micros: bigint, currency: string, conversion: number | null) => void): Promise<void>;
  /** The row count and the highest slot (a mirror snapshot's check, src/store/fingerprint.ts). */
  fingerprint(): Promise<TableFingerprint>;
  /**
   * PostgreSQL: the change cursor to read before reading rows for the mirror
   * (table-reads.ts pgChangeCursor). SQLite: null, no catch-up: one process
   * per database file is its deployment, so no commit comes from elsewhere.
   */
  changeCursor(): Promise<bigint | null>;
  /** PostgreSQL: every row written by a transaction with an xid at or above `cursor`, as readAll visits them. */
  readChangedSince(
    cursor: bigint,
    visit: (slot: number, customerId: string, occurredAt: number, micros: bigint, currency: string, conversion: number | null) => void,
  ): Promise<void>;
}

interface SqliteRevenueRow {
  id: string;
  customer_id: string;
  occurred_at: bigint;
  amount_micros: bigint;
  currency: string;
  refund_of: string | null;
}

const fromSqlite = (row: SqliteRevenueRow): RevenueRow => ({
  id: row.id,
  customerId: row.customer_id,
  occurredAt: Number(row.occurred_at),
  amountMicros: row.amount_micros,
  currency: row.currency,
  refundOf: row.refund_of,
});

const COLUMNS = 'id, customer_id, occurred_at, amount_micros, currency, refund_of';
type PgRevenueRow = [string, string, bigint, bigint, string, string | null];
const fromPg = ([id, customerId, occurredAt, amountMicros, currency, refundOf]: PgRevenueRow): RevenueRow => ({
  id,
  customerId,
  occurredAt: Number(occurredAt),
  amountMicros,
  currency,
  refundOf,
});

function listWhere(query: RevenueQuery, placeholder: (n: number) => string): { where: string; params: unknown[] } {
  const where: string[] = [];
  const params: unknown[] = [];
  const add = (sql: string, value: unknown) => (params.push(value), where.push(sql.replace('?', placeholder(params.length))));
  if (query.customerId) add('customer_id = ?', query.customerId);
  if (query.start !== undefined) add('occurred_at >= ?', query.start);
  if (query.end !== undefined) add('occurred_at < ?', query.end);
  if (query.after !== null) add('id > ?', query.after);
  return { where: where.length ? `where ${where.join(' and ')}` : '', params };
}

/** The slot range of inserted rows. */
function slotRange(slots: number[]): [number, number] | null {
  if (slots.length === 0) return null;
  let low = slots[0]!;
  let high = low;
  for (const slot of slots) (low = Math.min(low, slot), high = Math.max(high, slot));
  return [low, high];
}

export function revenueRepository(database: Database): RevenueRepository {
  if (database.dialect === 'sqlite') {
    const { sqlite } = database;
    const selectStmt = sqlite.prepare(`select ${COLUMNS} from revenue where id = ?`).safeIntegers(true);
    const refundsOfStmt = sqlite.prepare(`select ${COLUMNS} from revenue where refund_of = ?`).safeIntegers(true);
    const existsStmt = sqlite.prepare('select 1 from revenue where id = ?').pluck();
    const rowidStmt = sqlite.prepare('select rowid from revenue where id = ?').pluck();
    const upsertStmt = sqlite
      .prepare(
        `insert into revenue (id, customer_id, occurred_at, amount_micros, currency, refund_of) values (?, ?, ?, ?, ?, ?)
         on conflict (id) do update set customer_id = excluded.customer_id, occurred_at = excluded.occurred_at,
           amount_micros = excluded.amount_micros, currency = excluded.currency, refund_of = excluded.refund_of
         returning rowid`,
      )
      .pluck();
    return {
      // One writer at a time on SQLite: its write transaction is the lock.
      rowsOf: async (ids) => {
        const rows: RevenueRow[] = [];
        for (const id of ids) {
          const row = selectStmt.get(id) as SqliteRevenueRow | undefined;
          if (row) rows.push(fromSqlite(row));
        }
        return rows;
      },
      refundsOf: async (conversionIds) => conversionIds.flatMap((id) => (refundsOfStmt.all(id) as SqliteRevenueRow[]).map(fromSqlite)),
      upsert: async (items) => {
        let updated = 0;
        const insertedSlots: number[] = [];
        const changed: RevenueRowChange[] = items.map((item) => {
          const existed = existsStmt.get(item.id) !== undefined;
          const refundOf = item.refundOf ?? null;
          const rowid = upsertStmt.get(item.id, item.customerId, item.occurredAt, item.amount, item.currency, refundOf) as number;
          if (existed) updated++;
          else insertedSlots.push(rowid);
          return [rowid, item.customerId, item.occurredAt, item.amount, item.currency, null];
        });
        // The conversions' rowids once the whole batch is in (a refund may name a conversion earlier in it).
        items.forEach((item, k) => {
          if (item.refundOf != null) changed[k]![5] = rowidStmt.get(item.refundOf) as number;
        });
        return { inserted: insertedSlots.length, updated, changed, insertedSlots: slotRange(insertedSlots) };
      },
      list: async (query) => {
        const { where, params } = listWhere(query, () => '?');
        const rows = sqlite
          .prepare(`select ${COLUMNS} from revenue ${where} order by id limit ?`)
          .safeIntegers(true)
          .all(...params, query.limit) as SqliteRevenueRow[];
        return rows.map(fromSqlite);
      },
      readAll: async (visit) =>
        readInRowidRanges(
          sqlite,
          'revenue',
          ['t.rowid', 't.customer_id', 't.occurred_at', 't.amount_micros', 't.currency', 'iif(t.refund_of is null, -1, coalesce(iif(c.refund_of is null, c.rowid, null), -2))'],
          ([rowid, customerId, occurredAt, micros, currency, conversion]) => {
            const of = Number(conversion);
            if (of !== -2) visit(Number(rowid), customerId!, Number(occurredAt), BigInt(micros!), currency!, of === -1 ? null : of);
          },
          'left join revenue c on c.id = t.refund_of',
        ),
      fingerprint: async () => sqliteFingerprint(sqlite, 'revenue'),
      changeCursor: async () => null,
      readChangedSince: async () => {
        throw new Error('no change cursor on SQLite');
      },
    };
  }

  const { pg } = database;
  return {
    rowsOf: async (ids) => {
      if (ids.length === 0) return [];
      const lock = database.uow.inTransaction() ? ' for update' : '';
      const rows = await pg.queryArrays<PgRevenueRow>(`select ${COLUMNS} from revenue where id = any($1::text[]) order by id${lock}`, [ids]);
      return rows.map(fromPg);
    },
    refundsOf: async (conversionIds) => {
      if (conversionIds.length === 0) return [];
      // In insert order within each conversion, as SQLite's index on refund_of gives them (rowid order), so errors list refunds alike.
      const rows = await pg.queryArrays<PgRevenueRow>(`select ${COLUMNS} from revenue where refund_of = any($1::text[]) order by refund_of, seq`, [conversionIds]);
      return rows.map(fromPg);
    },
    upsert: async (items) => {
      if (items.length === 0) return { inserted: 0, updated: 0, changed: [], insertedSlots: null };
      const rows = await pg.queryArrays<[boolean, bigint, string]>(
        `insert into revenue (id, customer_id, occurred_at, amount_micros, currency, refund_of)
         select * from unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[], $5::text[], $6::text[])
         on conflict (id) do update set customer_id = excluded.customer_id, occurred_at = excluded.occurred_at,
           amount_micros = excluded.amount_micros, currency = excluded.currency, refund_of = excluded.refund_of
         returning xmax = 0, seq, id`,
        [
          items.map((item) => item.id),
          items.map((item) => item.customerId),
          items.map((item) => item.occurredAt),
          items.map((item) => item.amount),
          items.map((item) => item.currency),
          items.map((item) => item.refundOf ?? null),
        ],
      );
      const slotOf = new Map<string, number>();
      const insertedSlots: number[] = [];
      for (const [isNew, seq, id] of rows) {
        slotOf.set(id, Number(seq));
        if (isNew) insertedSlots.push(Number(seq));
      }
      // The conversions' seqs once the whole batch is in (a refund may name a conversion written by this statement).
      const conversionIds = [...new Set(items.flatMap((item) => (item.refundOf != null && !slotOf.has(item.refundOf) ? [item.refundOf] : [])))];
      if (conversionIds.length > 0) {
        for (const [seq, id] of await pg.queryArrays<[bigint, string]>('select seq, id from revenue where id = any($1::text[])', [conversionIds])) slotOf.set(id, Number(seq));
      }
      const changed: RevenueRowChange[] = items.map((item) => [
        slotOf.get(item.id)!,
        item.customerId,
        item.occurredAt,
        item.amount,
        item.currency,
        item.refundOf != null ? slotOf.get(item.refundOf)! : null,
      ]);
      return { inserted: insertedSlots.length, updated: rows.length - insertedSlots.length, changed, insertedSlots: slotRange(insertedSlots) };
    },
    list: async (query) => {
      const { where, params } = listWhere(query, (n) => `$${n}`);
      const rows = await pg.queryArrays<PgRevenueRow>(`select ${COLUMNS} from revenue ${where} order by id limit $${params.length + 1}`, [...params, query.limit]);
      return rows.map(fromPg);
    },
    readAll: (visit) =>
      readInKeyRanges(
        pg,
        `select t.seq, t.customer_id, t.occurred_at, t.amount_micros, t.currency,
           case when t.refund_of is null then -1 else coalesce(case when c.refund_of is null then c.seq end, -2) end
         from revenue t left join revenue c on c.id = t.refund_of
         where t.seq > $1 order by t.seq limit $2`,
        (row) => {
          const of = Number(row[5] as bigint);
          if (of !== -2) visit(Number(row[0] as bigint), row[1] as string, Number(row[2] as bigint), row[3] as bigint, row[4] as string, of === -1 ? null : of);
        },
      ),
    fingerprint: () => pgFingerprint(pg, 'revenue', 'seq'),
    changeCursor: () => pgChangeCursor(pg),
    // In pages, as readAll; the cursor is a bigint's digits, written into the text.
    readChangedSince: (cursor, visit) =>
      readInKeyRanges(
        pg,
        `select t.seq, t.customer_id, t.occurred_at, t.amount_micros, t.currency,
           case when t.refund_of is null then -1 else coalesce(case when c.refund_of is null then c.seq end, -2) end
         from revenue t left join revenue c on c.id = t.refund_of
         where t.written_xid >= '${BigInt(cursor)}'::xid8 and t.seq > $1 order by t.seq limit $2`,
        (row) => {
          const of = Number(row[5] as bigint);
          if (of !== -2) visit(Number(row[0] as bigint), row[1] as string, Number(row[2] as bigint), row[3] as bigint, row[4] as string, of === -1 ? null : of);
        },
      ),
  };
}
