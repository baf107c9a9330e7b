/**
 * The touchpoints table: the batch upsert (the hot path: 100,000 touches a
 * batch), the list, and the reads of the in-memory mirror (TouchIndex).
 *
 * A row's slot, the integer the mirror keeps it under and a write hands back
 * for each changed row, is SQLite's rowid and PostgreSQL's `seq` identity
 * (migration 0004_mirror_seq.sql): given at insert, kept by every update.
 */
import type { Database } from '../../store/database.js';
import type { BatchCounts } from '../common/batch.js';
import { pgFingerprint, sqliteFingerprint, type TableFingerprint } from '../../store/fingerprint.js';
import { pgChangeCursor, readInKeyRanges, readInRowidRanges } from '../../store/table-reads.js';
import { copyField, integerArrayLiteral, textArrayLiteral } from '../../store/pg-text.js';
import { copyUnlessTaken } from '../../store/pg.js';

export interface TouchpointInput {
  id: string;
  customerId: string;
  campaignId: string;
  /** Epoch milliseconds. */
  occurredAt: number;
}

/** A changed row as the write returns it: slot, customer id, campaign id, occurred_at. */
export type TouchRow = [number, string, string, number];

export interface TouchpointUpsert {
  counts: BatchCounts;
  /** The rows inserted or changed, with their slots (empty when nothing changed). */
  changed: TouchRow[];
  /** The lowest and highest slot of the inserted rows (for the audit event), or null. */
  insertedSlots: [number, number] | null;
}

export interface TouchpointRow {
  id: string;
  customerId: string;
  campaignId: string;
  occurredAt: number;
}

export interface TouchpointQuery {
  customerId?: string | undefined;
  campaignId?: string | undefined;
  /** [start, end) in epoch milliseconds. */
  start?: number | undefined;
  end?: number | undefined;
  after: string | null;
  /** Rows to read (the page and one more). */
  limit: number;
}

export interface TouchpointRepository {
  /** Inserts or replaces the items (distinct ids); a stored row with the same values is left alone. */
  upsert(items: readonly TouchpointInput[]): Promise<TouchpointUpsert>;
  /** Rows by id, after `after`, matching the filter. */
  list(query: TouchpointQuery): Promise<TouchpointRow[]>;
  /** Every row, with its slot, in pages (for the mirror). */
  readAll(visit: (slot: number, customerId: string, campaignId: string, occurredAt: number) => void): Promise<void>;
  /** The touchpoint ids of these slots, in the same order (the mirror's tie-break). */
  idsOfSlots(slots: readonly number[]): Promise<string[]>;
  /** The row count and the highest slot (a mirror snapshot's check, src/store/fingerprint.ts). */
  fingerprint(): Promise<TableFingerprint>;
  /**
   * PostgreSQL: the change cursor to read before reading rows for the mirror
   * (table-reads.ts pgChangeCursor). SQLite: null, no catch-up: one process
   * per database file is its deployment, so no commit comes from elsewhere.
   */
  changeCursor(): Promise<bigint | null>;
  /** PostgreSQL: every row written by a transaction with an xid at or above `cursor`, as readAll visits them. */
  readChangedSince(cursor: bigint, visit: (slot: number, customerId: string, campaignId: string, occurredAt: number) => void): Promise<void>;
}

/**
 * The upsert of `rows` touchpoints in one SQLite statement. A row already
 * stored with these values is left alone (a no-op upsert changes nothing).
 * There is no RETURNING clause: it doubled the statement's cost (6.5
 * against 3.3 microseconds a row at a million rows), and what the write
 * needs to know comes cheaper from the rowids (see upsert below).
 */
export function touchpointUpsertSql(rows: number): string {
  return `insert into touchpoints (id, customer_id, campaign_id, occurred_at) values ${new Array(rows).fill('(?, ?, ?, ?)').join(', ')}
  on conflict (id) do update set customer_id = excluded.customer_id, campaign_id = excluded.campaign_id, occurred_at = excluded.occurred_at
  where touchpoints.customer_id is not excluded.customer_id or touchpoints.campaign_id is not excluded.campaign_id
     or touchpoints.occurred_at is not excluded.occurred_at`;
}

/** Rows per upsert statement: fewer statements, each binding 4 x 64 = 256 parameters. */
export const TOUCHPOINT_UPSERT_CHUNK = 64;

/**
 * PostgreSQL's upsert: the whole batch in one statement, as four arrays.
 * Stored rows whose values differ are updated; ids not stored are inserted.
 * Rows already stored are kept out of the INSERT (not left to ON CONFLICT),
 * because an INSERT draws a `seq` for every row it proposes, conflicting or
 * not: a re-sent batch would burn 100,000 numbers, and the mirror's slots
 * (its arrays are as long as the highest slot) would grow with every
 * re-send. ON CONFLICT still settles a row another transaction inserted
 * meanwhile. Each changed row comes back once, `inserted` from `xmax = 0`
 * (a row this statement created has no deleting transaction). Each item
 * looks up its stored row once, by a primary-key probe (`probe`: the LIMIT
 * keeps the lateral a nested loop; a join over the table scanned every
 * stored row for every batch, so a batch's cost grew with the table).
 */
const PG_INPUT = 'select * from unnest($1::text[], $2::text[], $3::text[], $4::bigint[]) with ordinality as i(id, customer_id, campaign_id, occurred_at, ord)';
const PG_UPSERT = `
with input as (${PG_INPUT}), probe as materialized (
  select i.*, t.id is not null as stored,
    (t.customer_id, t.campaign_id, t.occurred_at) is distinct from (i.customer_id, i.campaign_id, i.occurred_at) as differs
  from input i left join lateral (select t.id, t.customer_id, t.campaign_id, t.occurred_at from touchpoints t where t.id = i.id limit 1) t on true
), updated as (
  update touchpoints t set customer_id = p.customer_id, campaign_id = p.campaign_id, occurred_at = p.occurred_at
  from probe p
  where t.id = any(array(select id from probe where stored and differs)) and t.id = p.id
    and (t.customer_id, t.campaign_id, t.occurred_at) is distinct from (p.customer_id, p.campaign_id, p.occurred_at)
  returning false as inserted, t.seq, t.customer_id, t.campaign_id, t.occurred_at
), inserted as (
  insert into touchpoints (id, customer_id, campaign_id, occurred_at)
  select p.id, p.customer_id, p.campaign_id, p.occurred_at from probe p
  where not p.stored
  order by p.ord
  on conflict (id) do update set customer_id = excluded.customer_id, campaign_id = excluded.campaign_id, occurred_at = excluded.occurred_at
  where (touchpoints.customer_id, touchpoints.campaign_id, touchpoints.occurred_at)
    is distinct from (excluded.customer_id, excluded.campaign_id, excluded.occurred_at)
  returning xmax = 0 as inserted, seq, customer_id, campaign_id, occurred_at
)
select * from updated union all select * from inserted`;

/**
 * What the batch finds stored, before the COPY fast path (see upsert
 * below): how many items are stored, how many of those differ, the
 * ordinals (1-based) of the stored ones. One primary-key probe an item, as
 * in PG_UPSERT. A SELECT: it changes nothing.
 */
const PG_PROBE = `
select count(*)::int, (count(*) filter (where differs))::int, array_agg(ord::int)
from (
  select i.ord, (t.customer_id, t.campaign_id, t.occurred_at) is distinct from (i.customer_id, i.campaign_id, i.occurred_at) as differs
  from (${PG_INPUT}) i join lateral (select t.customer_id, t.campaign_id, t.occurred_at from touchpoints t where t.id = i.id limit 1) t on true
) stored`;
/** COPY's rows get their `seq` from the identity's sequence, one number a row, in row order. */
const PG_COPY = 'copy touchpoints (id, customer_id, campaign_id, occurred_at) from stdin';
/** Whether the id $1 is stored. */
const PG_ID_STORED = 'select exists (select 1 from touchpoints where id = $1)';
/** The slots of the ids $1 and $2 (a COPY's first and last row). */
const PG_SLOTS_OF_ENDS = 'select (select seq from touchpoints where id = $1), (select seq from touchpoints where id = $2)';
/** Every row this transaction sees with a slot from $1 to $2, ascending: a COPY's rows and those others committed between them. */
const PG_SLOTS_BETWEEN = 'select seq, id from touchpoints where seq between $1 and $2 order by seq';

/** The list's WHERE clause and parameters, placeholders made by `placeholder(n)` (1-based). */
function listWhere(query: TouchpointQuery, placeholder: (n: number) => string): { where: string; params: unknown[] } {
  const where: string[] = [];
  const params: unknown[] = [];
  const add = (sql: string, value: unknown) => (params.push(value), where.push(sql.replace('?', placeholder(params.length))));
  if (query.customerId) add('customer_id = ?', query.customerId);
  if (query.campaignId) add('campaign_id = ?', query.campaignId);
  if (query.start !== undefined) add('occurred_at >= ?', query.start);
  if (query.end !== undefined) add('occurred_at < ?', query.end);
  if (query.after !== null) add('id > ?', query.after);
  return { where: where.length ? `where ${where.join(' and ')}` : '', params };
}

export function touchpointRepository(database: Database): TouchpointRepository {
  if (database.dialect === 'sqlite') {
    const { sqlite } = database;
    const upsertStmt = sqlite.prepare(touchpointUpsertSql(1));
    const upsertChunkStmt = sqlite.prepare(touchpointUpsertSql(TOUCHPOINT_UPSERT_CHUNK));
    const lastRowidStmt = sqlite.prepare('select coalesce(max(rowid), 0) from touchpoints').pluck();
    const insertedSinceStmt = sqlite.prepare('select count(*) from touchpoints where rowid > ?').pluck();
    const rowOfStmt = sqlite.prepare('select rowid, customer_id, campaign_id, occurred_at from touchpoints where id = ?').raw(true);
    const idStmt = sqlite.prepare('select id from touchpoints where rowid = ?').pluck();
    return {
      // A new row gets the rowid one above the highest (SQLite's rule while
      // rowids stay below 2^63) and an update keeps its rowid, so the rows
      // above the highest rowid before the batch are the inserted ones, and
      // when every item was inserted, item i got rowid lastRowid + 1 + i: the
      // rowids are known without asking. A batch that also updated or re-sent
      // rows reads its rows back by id (the mirror ignores a put that changes
      // nothing). This runs in the caller's write transaction.
      upsert: async (items) => {
        const lastRowid = lastRowidStmt.get() as number;
        let changes = 0;
        const chunk = TOUCHPOINT_UPSERT_CHUNK;
        const params: unknown[] = new Array(chunk * 4);
        let i = 0;
        for (; i + chunk <= items.length; i += chunk) {
          for (let k = 0; k < chunk; k++) {
            const item = items[i + k]!;
            params[4 * k] = item.id;
            params[4 * k + 1] = item.customerId;
            params[4 * k + 2] = item.campaignId;
            params[4 * k + 3] = item.occurredAt;
          }
          changes += upsertChunkStmt.run(params).changes;
        }
        for (; i < items.length; i++) {
          const item = items[i]!;
          changes += upsertStmt.run(item.id, item.customerId, item.campaignId, item.occurredAt).changes;
        }
        const inserted = insertedSinceStmt.get(lastRowid) as number;
        const counts = { inserted, updated: changes - inserted, unchanged: items.length - changes };
        const insertedSlots: [number, number] | null = inserted ? [lastRowid + 1, lastRowid + inserted] : null;
        if (changes === 0) return { counts, changed: [], insertedSlots };
        const allNew = inserted === items.length && (lastRowidStmt.get() as number) === lastRowid + items.length;
        const changed: TouchRow[] = allNew
          ? items.map((item, k) => [lastRowid + 1 + k, item.customerId, item.campaignId, item.occurredAt])
          : items.map((item) => rowOfStmt.get(item.id) as TouchRow);
        return { counts, changed, insertedSlots };
      },
      list: async (query) => {
        const { where, params } = listWhere(query, () => '?');
        const rows = sqlite
          .prepare(`select id, customer_id, campaign_id, occurred_at from touchpoints ${where} order by id limit ?`)
          .raw(true)
          .all(...params, query.limit) as [string, string, string, number][];
        return rows.map(([id, customerId, campaignId, occurredAt]) => ({ id, customerId, campaignId, occurredAt }));
      },
      readAll: async (visit) =>
        readInRowidRanges(sqlite, 'touchpoints', ['t.rowid', 't.customer_id', 't.campaign_id', 't.occurred_at'], ([rowid, customer, campaign, at]) =>
          visit(Number(rowid), customer!, campaign!, Number(at)),
        ),
      idsOfSlots: async (slots) => slots.map((slot) => idStmt.get(slot) as string),
      fingerprint: async () => sqliteFingerprint(sqlite, 'touchpoints'),
      changeCursor: async () => null,
      readChangedSince: async () => {
        throw new Error('no change cursor on SQLite');
      },
    };
  }

  const { pg } = database;
  /** The general upsert: restated rows, and an id another writer inserted meanwhile. */
  const upsertStatement = async (params: string[], n: number): Promise<TouchpointUpsert> => {
    const rows = await pg.queryArrays<[boolean, bigint, string, string, bigint]>(PG_UPSERT, params);
    let inserted = 0;
    let low = Infinity;
    let high = -Infinity;
    const changed: TouchRow[] = new Array(rows.length);
    for (let k = 0; k < rows.length; k++) {
      const [isNew, seq, customerId, campaignId, occurredAt] = rows[k]!;
      const slot = Number(seq);
      if (isNew) {
        inserted++;
        if (slot < low) low = slot;
        if (slot > high) high = slot;
      }
      changed[k] = [slot, customerId, campaignId, Number(occurredAt)];
    }
    return {
      counts: { inserted, updated: rows.length - inserted, unchanged: n - rows.length },
      changed,
      insertedSlots: inserted ? [low, high] : null,
    };
  };
  /**
   * COPYs `copied` (items of a batch of `n`, none of them stored as far as
   * the caller knows) into the table, in order, inside a savepoint: null if
   * an id turns out to be stored (unique violation; the savepoint is rolled
   * back and nothing of it stays). COPY gives each row the sequence's next
   * number, in row order, so the slots ascend with the rows: when the first
   * and the last are as far apart as the rows are many, no other writer drew
   * a number meanwhile and row k has the first slot plus k, known from two
   * primary-key probes. Otherwise (another instance, or a writer of this one
   * that inserts without COPY, drew numbers during the COPY; this process's
   * COPYs run one at a time, see PgSession.copyIn) the rows between are read
   * in slot order, and each of ours is met in batch order among them (the
   * others have other ids). Reading 25,000 slots back by id took 146 ms a
   * batch, more than the COPY; drawing them from the sequence first, then
   * COPYing them with the rows, cost PostgreSQL 0.9 microseconds of CPU a row.
   */
  const copyNew = async (copied: readonly TouchpointInput[], n: number): Promise<TouchpointUpsert | null> => {
    let text = '';
    for (let k = 0; k < copied.length; k++) {
      const item = copied[k]!;
      text += `${copyField(item.id)}\t${copyField(item.customerId)}\t${copyField(item.campaignId)}\t${item.occurredAt}\n`;
    }
    const count = await copyUnlessTaken(pg, 'spendbook_touchpoints_copy', PG_COPY, text);
    if (count === null) return null;
    if (count !== copied.length) throw new Error(`COPY wrote ${count} touchpoints of ${copied.length}`);
    const [[low, high]] = (await pg.queryArrays<[bigint, bigint]>(PG_SLOTS_OF_ENDS, [copied[0]!.id, copied[copied.length - 1]!.id])) as [[bigint, bigint]];
    const first = Number(low);
    const changed: TouchRow[] = new Array(copied.length);
    if (Number(high) - first + 1 === copied.length) {
      for (let k = 0; k < copied.length; k++) {
        const item = copied[k]!;
        changed[k] = [first + k, item.customerId, item.campaignId, item.occurredAt];
      }
    } else {
      let k = 0;
      for (const [seq, id] of await pg.queryArrays<[bigint, string]>(PG_SLOTS_BETWEEN, [low, high])) {
        const item = copied[k];
        if (item === undefined || id !== item.id) continue;
        changed[k++] = [Number(seq), item.customerId, item.campaignId, item.occurredAt];
      }
      if (k !== copied.length) throw new Error(`found ${k} of the ${copied.length} touchpoints COPYed between slots ${low} and ${high}`);
    }
    // Ascending: the first slot is the lowest, the last the highest.
    return { counts: { inserted: count, updated: 0, unchanged: n - count }, changed, insertedSlots: [first, Number(high)] };
  };
  return {
    // A batch of new touchpoints (an ingest's bulk) is COPYed straight in, in batch order (COPY writes rows a
    // page at a time; no ON CONFLICT), without first looking its ids up (that probe was a third of the time
    // the database spent on a batch): the unique index refuses a stored id (or one another transaction
    // inserts meanwhile), the savepoint is rolled back, and the batch is probed. The numbers the refused
    // COPY drew (one a row it read, at most the batch's) are then burnt (a sequence does not roll back): to
    // keep that rare and bounded, a batch whose first id is stored (a re-send) is probed at once, so a batch
    // burns numbers only when new ids come before a stored one, and then no more than its rows; the mirror's
    // slots stay within about twice the rows.
    // A batch that changes no stored row (new items, maybe some re-sent unchanged) then COPYs its new items,
    // leaving the stored ones out as PG_UPSERT leaves them out, so no seq is drawn for them; a batch that
    // changes a stored row, or races another writer again, is settled by PG_UPSERT. Inserts fire no trigger on
    // touchpoints (audit and closed-month triggers are on update and delete; closed months were refused
    // before), so the COPY writes what the INSERT would.
    upsert: async (items) => {
      const n = items.length;
      // The fast path's savepoint needs the write's transaction (every ingest runs in one).
      const fast = pg.copyIn !== undefined && database.uow.inTransaction();
      if (fast && n > 0) {
        const [[firstStored]] = (await pg.queryArrays<[boolean]>(PG_ID_STORED, [items[0]!.id])) as [[boolean]];
        const copied = firstStored ? null : await copyNew(items, n);
        if (copied !== null) return copied;
      }
      const ids: string[] = new Array(n);
      const customers: string[] = new Array(n);
      const campaigns: string[] = new Array(n);
      const instants: number[] = new Array(n);
      for (let i = 0; i < n; i++) {
        const item = items[i]!;
        ids[i] = item.id;
        customers[i] = item.customerId;
        campaigns[i] = item.campaignId;
        instants[i] = item.occurredAt;
      }
      const params = [textArrayLiteral(ids), textArrayLiteral(customers), textArrayLiteral(campaigns), integerArrayLiteral(instants)];
      if (!fast) return upsertStatement(params, n);
      const [probe] = await pg.queryArrays<[number, number, number[] | null]>(PG_PROBE, params);
      const [stored, differing, storedOrds] = probe!;
      if (differing > 0) return upsertStatement(params, n);
      if (stored === n) return { counts: { inserted: 0, updated: 0, unchanged: n }, changed: [], insertedSlots: null };
      const storedAt = new Set(storedOrds ?? []);
      return (await copyNew(stored === 0 ? items : items.filter((_, i) => !storedAt.has(i + 1)), n)) ?? upsertStatement(params, n);
    },
    list: async (query) => {
      const { where, params } = listWhere(query, (n) => `$${n}`);
      const rows = await pg.queryArrays<[string, string, string, bigint]>(
        `select id, customer_id, campaign_id, occurred_at from touchpoints ${where} order by id limit $${params.length + 1}`,
        [...params, query.limit],
      );
      return rows.map(([id, customerId, campaignId, occurredAt]) => ({ id, customerId, campaignId, occurredAt: Number(occurredAt) }));
    },
    readAll: (visit) =>
      readInKeyRanges(pg, 'select seq, customer_id, campaign_id, occurred_at from touchpoints where seq > $1 order by seq limit $2', (row) =>
        visit(Number(row[0] as bigint), row[1] as string, row[2] as string, Number(row[3] as bigint)),
      ),
    idsOfSlots: async (slots) => {
      const rows = await pg.queryArrays<[bigint, string]>('select seq, id from touchpoints where seq = any($1::bigint[])', [slots]);
      const byslot = new Map(rows.map(([seq, id]) => [Number(seq), id]));
      return slots.map((slot) => byslot.get(slot)!);
    },
    fingerprint: () => pgFingerprint(pg, 'touchpoints', 'seq'),
    changeCursor: () => pgChangeCursor(pg),
    // In pages, as readAll (another instance may have ingested millions); the cursor is a bigint's digits, written into the text.
    readChangedSince: (cursor, visit) =>
      readInKeyRanges(
        pg,
        `select seq, customer_id, campaign_id, occurred_at from touchpoints where written_xid >= '${BigInt(cursor)}'::xid8 and seq > $1 order by seq limit $2`,
        (row) => visit(Number(row[0] as bigint), row[1] as string, row[2] as string, Number(row[3] as bigint)),
      ),
  };
}
