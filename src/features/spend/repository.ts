/**
 * The spend table: the batch upsert (the hot path: 100,000 lines a batch at
 * some 200,000 lines a second on SQLite), the dry run's count, the list, and
 * the reads of the in-memory mirror (SpendIndex).
 */
import type { Database } from '../../store/database.js';
import type { BatchCounts } from '../common/batch.js';
import { pgFingerprint, sqliteFingerprint, type TableFingerprint } from '../../store/fingerprint.js';
import { pgChangeCursor, readInKeyRanges, readInRowidRanges } from '../../store/table-reads.js';
import { copyField, integerArrayLiteral, textArrayLiteral } from '../../store/pg-text.js';
import { copyUnlessTaken } from '../../store/pg.js';
import type { ExternalRef } from '../campaigns/service.js';

export interface SpendInput {
  campaignId?: string | undefined;
  externalRef?: ExternalRef | undefined;
  date: string;
  amount: bigint;
  currency: string;
  source: string;
  reference?: string | null | undefined;
}

export interface SpendUpsert {
  counts: BatchCounts;
  /** The lowest and highest id of the inserted lines (for the audit event), or null. */
  insertedIds: [number, number] | null;
}

export interface SpendRow {
  id: number;
  source: string;
  campaignId: string;
  date: string;
  /** '' for none. */
  reference: string;
  amountMicros: bigint;
  currency: string;
  version: number;
}

export interface SpendQuery {
  campaignId?: string | undefined;
  source?: string | undefined;
  from?: string | undefined;
  to?: string | undefined;
  after: number | null;
  /** Rows to read (the page and one more). */
  limit: number;
}

/** A stored line as the mirror sums it: date, campaign id, currency, micros. */
export type SpendDayLine = [string, string, string, bigint];

export interface SpendRepository {
  /**
   * Upserts the lines (distinct natural keys; line i's campaign is
   * campaignIds[i]): a new line is inserted at version 1, a restated amount
   * or currency replaces the stored one and bumps its version, an identical
   * line changes nothing.
   */
  upsert(items: readonly SpendInput[], campaignIds: readonly string[]): Promise<SpendUpsert>;
  /** What upsert would count, by reading. */
  count(items: readonly SpendInput[], campaignIds: readonly string[]): Promise<BatchCounts>;
  list(query: SpendQuery): Promise<SpendRow[]>;
  /** Every line, in pages (for the mirror). */
  readAll(visit: (date: string, campaignId: string, currency: string, micros: bigint) => void): Promise<void>;
  /** Every line dated on these days. */
  linesOfDays(dates: readonly string[]): Promise<SpendDayLine[]>;
  /** The row count and the highest slot (a mirror snapshot's check, src/store/fingerprint.ts). */
  fingerprint(): Promise<TableFingerprint>;
  /**
   * PostgreSQL: the change cursor to read before reading rows for the mirror
   * (table-reads.ts pgChangeCursor). SQLite: null, no catch-up: one process
   * per database file is its deployment, so no commit comes from elsewhere.
   */
  changeCursor(): Promise<bigint | null>;
  /**
   * PostgreSQL: every line of each (date, campaign) that holds a line written
   * by a transaction with an xid at or above `cursor` (a line never moves to
   * another cell: both are part of its natural key). The whole cell, not just the lines written, so that replacing
   * the cell's sums by them cannot count a line twice; the cell, not the
   * whole day, because a day holds every campaign's lines (2,000 at data set
   * L) and a batch touches a few campaigns of it. One statement, one
   * snapshot: a transaction is in the answer whole or not at all.
   */
  cellsChangedSince(cursor: bigint): Promise<SpendDayLine[]>;
}

/**
 * The spend upsert of `lines` lines on SQLite. A restated amount (or
 * currency) replaces the stored one and bumps its version; an identical line
 * changes nothing, so `changes` counts the lines inserted or restated. There
 * is no RETURNING clause: it made each line cost about 1.7 times as much,
 * and the counts come cheaper from the changes and the ids (see upsert below).
 */
export function spendUpsertSql(lines: number): string {
  return `insert into spend (source, campaign_id, date, reference, amount_micros, currency, version)
  values ${Array.from({ length: lines }, () => '(?, ?, ?, ?, ?, ?, 1)').join(', ')}
  on conflict (date, campaign_id, source, reference) do update
    set amount_micros = excluded.amount_micros, currency = excluded.currency, version = spend.version + 1
    where spend.amount_micros is not excluded.amount_micros or spend.currency is not excluded.currency`;
}

/** The upsert of one line. */
export const SPEND_UPSERT_SQL = spendUpsertSql(1);

/**
 * Lines per multi-row upsert: one call into SQLite per 32 lines instead of
 * one per line saves about a tenth of the write time; longer statements
 * gain nothing more (measured with the bench's raw inserts).
 */
export const SPEND_UPSERT_CHUNK = 32;
const PARAMS_PER_LINE = 6;

/** The highest id so far: every line inserted after it gets a higher one (SQLite gives a new row max(rowid) + 1). */
const LAST_ID_SQL = 'select coalesce(max(id), 0) from spend';
/** Lines inserted since `LAST_ID_SQL` answered: an update keeps its row's id. */
const INSERTED_SINCE_SQL = 'select count(*) from spend where id > ?';

/** The batch as PostgreSQL arrays, one per column, in line order (`ord`). */
const PG_INPUT = `select * from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::text[])
  with ordinality as i(source, campaign_id, date, reference, amount_micros, currency, ord)`;
const PG_SAME_KEY = 's.date = i.date and s.campaign_id = i.campaign_id and s.source = i.source and s.reference = i.reference';

/**
 * PostgreSQL's upsert: the whole batch in one statement. Each line looks up
 * its stored row once, by an index probe (`probe`: the LIMIT keeps the lateral
 * a nested loop over the natural-key index; a join over the table would scan
 * and hash or sort every stored line for every batch, so a batch's cost grew
 * with the table). Restated lines are updated, by id; lines with no stored row
 * are inserted, in line order, so that ids follow the batch as SQLite's do.
 * Lines already stored are kept out of the INSERT (not left to ON CONFLICT),
 * because an INSERT draws an id for every row it proposes: a re-sent batch
 * would burn 100,000 ids, and the ids of later lines would differ from
 * SQLite's. ON CONFLICT still settles a line another transaction inserted
 * meanwhile. The counts come from what the statement returned (`xmax = 0`: a
 * row it created), never from id ranges, which concurrent writers interleave.
 */
const PG_UPSERT = `
with input as (${PG_INPUT}),
probe as materialized (
  select i.*, s.id as stored_id, (s.amount_micros, s.currency) is distinct from (i.amount_micros, i.currency) as differs
  from input i left join lateral (select s.id, s.amount_micros, s.currency from spend s where ${PG_SAME_KEY} limit 1) s on true
), updated as (
  update spend s set amount_micros = p.amount_micros, currency = p.currency, version = s.version + 1
  from probe p
  where s.id = any(array(select stored_id from probe where stored_id is not null and differs)) and s.id = p.stored_id
    and (s.amount_micros, s.currency) is distinct from (p.amount_micros, p.currency)
  returning false as inserted, s.id
), inserted as (
  insert into spend (source, campaign_id, date, reference, amount_micros, currency, version)
  select p.source, p.campaign_id, p.date, p.reference, p.amount_micros, p.currency, 1 from probe p
  where p.stored_id is null
  order by p.ord
  on conflict (date, campaign_id, source, reference) do update
    set amount_micros = excluded.amount_micros, currency = excluded.currency, version = spend.version + 1
    where (spend.amount_micros, spend.currency) is distinct from (excluded.amount_micros, excluded.currency)
  returning xmax = 0 as inserted, id
), changed as (select * from updated union all select * from inserted)
select count(*) filter (where inserted), count(*), min(id) filter (where inserted), max(id) filter (where inserted) from changed`;

/**
 * Locks the stored lines a batch restates in the natural key's order,
 * whatever the batch's own order, before PG_UPSERT updates them: two batches
 * restating the same lines (through different instances, in different
 * orders) then queue one behind the other instead of deadlocking, which
 * retries only settle by luck. Only the lines that will change: locking
 * the rest would write to every row of a re-sent batch. A SELECT: it counts
 * as no change.
 */
const PG_LOCK_RESTATED = `
select count(*) from (
  select 1 from spend s join (${PG_INPUT}) i on ${PG_SAME_KEY}
  where (s.amount_micros, s.currency) is distinct from (i.amount_micros, i.currency)
  order by s.date, s.campaign_id, s.source, s.reference
  for update of s
) locked`;

/**
 * What the batch finds stored, before the COPY fast path (see upsert
 * below): how many of its lines are stored, how many of those differ, the
 * ordinals (1-based) of the stored ones, and the id sequence's position
 * (the highest id drawn so far: a sequence is read outside transactions).
 * One index probe a line, as in PG_UPSERT. A SELECT: it changes nothing.
 */
const PG_PROBE = `
select count(*)::int, (count(*) filter (where differs))::int, array_agg(ord::int),
  (select case when is_called then last_value else last_value - 1 end from spend_id_seq)
from (
  select i.ord, (s.amount_micros, s.currency) is distinct from (i.amount_micros, i.currency) as differs
  from (${PG_INPUT}) i join lateral (select s.amount_micros, s.currency from spend s where ${PG_SAME_KEY} limit 1) s on true
) stored`;

const PG_COPY = 'copy spend (source, campaign_id, date, reference, amount_micros, currency, version) from stdin';
/** The highest spend id drawn so far (0 before the first), and whether the key ($1 date, $2 campaign, $3 source, $4 reference) is stored. */
const PG_LAST_ID_AND_KEY = `select (select case when is_called then last_value else last_value - 1 end from spend_id_seq),
  exists (select 1 from spend where date = $1 and campaign_id = $2 and source = $3 and reference = $4)`;
/** A line's id by its natural key (the first line a COPY wrote: its lowest id). */
const PG_ID_OF_KEY = 'select id from spend where date = $1 and campaign_id = $2 and source = $3 and reference = $4';

const PG_COUNT = `
select count(*) filter (where s.id is null),
       count(*) filter (where s.id is not null and (s.amount_micros, s.currency) is distinct from (i.amount_micros, i.currency))
from (${PG_INPUT}) i left join spend s on ${PG_SAME_KEY}`;

function listWhere(query: SpendQuery, placeholder: (n: number) => string): { where: string; params: unknown[] } {
  const where: string[] = [];
  const params: unknown[] = [];
  const add = (sql: string, value: unknown) => (params.push(value), where.push(sql.replace('?', placeholder(params.length))));
  if (query.campaignId) add('campaign_id = ?', query.campaignId);
  if (query.source) add('source = ?', query.source);
  if (query.from) add('date >= ?', query.from);
  if (query.to) add('date <= ?', query.to);
  if (query.after !== null) add('id > ?', query.after);
  return { where: where.length ? `where ${where.join(' and ')}` : '', params };
}


const LIST_COLUMNS = 'id, source, campaign_id, date, reference, amount_micros, currency, version';

export function spendRepository(database: Database): SpendRepository {
  if (database.dialect === 'sqlite') {
    const { sqlite } = database;
    const upsertStmt = sqlite.prepare(SPEND_UPSERT_SQL);
    const upsertChunkStmt = sqlite.prepare(spendUpsertSql(SPEND_UPSERT_CHUNK));
    const lastIdStmt = sqlite.prepare(LAST_ID_SQL).pluck().safeIntegers(true);
    const insertedSinceStmt = sqlite.prepare(INSERTED_SINCE_SQL).pluck();
    const storedStmt = sqlite
      .prepare('select amount_micros, currency from spend where date = ? and campaign_id = ? and source = ? and reference = ?')
      .safeIntegers(true);
    // The day's lines, summed in bigint by the mirror (SQLite's sum() stops at 2^63).
    const dayStmt = sqlite.prepare('select date, campaign_id, currency, amount_micros from spend where date = ?').raw(true).safeIntegers(true);
    return {
      // In the caller's write transaction, which on SQLite no other writer
      // interleaves: inserted = the rows with an id above the highest before
      // the batch; updated = the other changed rows; unchanged = the rest.
      upsert: async (items, campaignIds) => {
        const lastId = lastIdStmt.get() as bigint;
        let changed = 0;
        const params: unknown[] = new Array(SPEND_UPSERT_CHUNK * PARAMS_PER_LINE);
        let i = 0;
        for (; i + SPEND_UPSERT_CHUNK <= items.length; i += SPEND_UPSERT_CHUNK) {
          for (let j = 0; j < SPEND_UPSERT_CHUNK; j++) {
            const item = items[i + j]!;
            const at = j * PARAMS_PER_LINE;
            params[at] = item.source;
            params[at + 1] = campaignIds[i + j];
            params[at + 2] = item.date;
            params[at + 3] = item.reference ?? '';
            params[at + 4] = item.amount;
            params[at + 5] = item.currency;
          }
          changed += upsertChunkStmt.run(params).changes;
        }
        for (; i < items.length; i++) {
          const item = items[i]!;
          changed += upsertStmt.run(item.source, campaignIds[i], item.date, item.reference ?? '', item.amount, item.currency).changes;
        }
        const inserted = insertedSinceStmt.get(lastId) as number;
        // New rows take the ids above the highest: the inserted ones are lastId + 1 .. lastId + inserted.
        return {
          counts: { inserted, updated: changed - inserted, unchanged: items.length - changed },
          insertedIds: inserted ? [Number(lastId) + 1, Number(lastId) + inserted] : null,
        };
      },
      count: async (items, campaignIds) => {
        let inserted = 0;
        let updated = 0;
        for (let i = 0; i < items.length; i++) {
          const item = items[i]!;
          const stored = storedStmt.get(item.date, campaignIds[i], item.source, item.reference ?? '') as { amount_micros: bigint; currency: string } | undefined;
          if (stored === undefined) inserted++;
          else if (stored.amount_micros !== item.amount || stored.currency !== item.currency) updated++;
        }
        return { inserted, updated, unchanged: items.length - inserted - updated };
      },
      list: async (query) => {
        const { where, params } = listWhere(query, () => '?');
        const rows = sqlite
          .prepare(`select ${LIST_COLUMNS} from spend ${where} order by id limit ?`)
          .raw(true)
          .safeIntegers(true)
          .all(...params, query.limit) as [bigint, string, string, string, string, bigint, string, bigint][];
        return rows.map(([id, source, campaignId, date, reference, amountMicros, currency, version]) => ({
          id: Number(id),
          source,
          campaignId,
          date,
          reference,
          amountMicros,
          currency,
          version: Number(version),
        }));
      },
      readAll: async (visit) =>
        readInRowidRanges(sqlite, 'spend', ['t.date', 't.campaign_id', 't.currency', 't.amount_micros'], ([date, campaignId, currency, micros]) =>
          visit(date!, campaignId!, currency!, BigInt(micros!)),
        ),
      linesOfDays: async (dates) => dates.flatMap((date) => dayStmt.all(date) as SpendDayLine[]),
      fingerprint: async () => sqliteFingerprint(sqlite, 'spend'),
      changeCursor: async () => null,
      cellsChangedSince: async () => {
        throw new Error('no change cursor on SQLite');
      },
    };
  }

  const { pg } = database;
  // The six arrays of PG_INPUT as literals (see store/pg-text.ts).
  const columns = (items: readonly SpendInput[], campaignIds: readonly string[]) => {
    const n = items.length;
    const sources: string[] = new Array(n);
    const dates: string[] = new Array(n);
    const references: string[] = new Array(n);
    const amounts: bigint[] = new Array(n);
    const currencies: string[] = new Array(n);
    for (let i = 0; i < n; i++) {
      const item = items[i]!;
      sources[i] = item.source;
      dates[i] = item.date;
      references[i] = item.reference ?? '';
      amounts[i] = item.amount;
      currencies[i] = item.currency;
    }
    return [
      textArrayLiteral(sources),
      textArrayLiteral(campaignIds),
      textArrayLiteral(dates),
      textArrayLiteral(references),
      integerArrayLiteral(amounts),
      textArrayLiteral(currencies),
    ];
  };
  /** The lines whose 0-based index `copy(i)` accepts, in COPY's text format, in batch order. */
  const copyText = (items: readonly SpendInput[], campaignIds: readonly string[], copy: (i: number) => boolean) => {
    let text = '';
    for (let i = 0; i < items.length; i++) {
      if (!copy(i)) continue;
      const item = items[i]!;
      text += `${copyField(item.source)}\t${copyField(campaignIds[i]!)}\t${copyField(item.date)}\t${copyField(item.reference ?? '')}\t${item.amount}\t${copyField(item.currency)}\t1\n`;
    }
    return text;
  };
  /** The general upsert: restated lines, and a line another writer inserted meanwhile. */
  const upsertStatement = async (params: string[], lines: number): Promise<SpendUpsert> => {
    await pg.queryArrays(PG_LOCK_RESTATED, params);
    const [row] = await pg.queryArrays<[bigint, bigint, bigint | null, bigint | null]>(PG_UPSERT, params);
    const [inserted, changed, low, high] = row!;
    return {
      counts: { inserted: Number(inserted), updated: Number(changed - inserted), unchanged: lines - Number(changed) },
      insertedIds: low === null || high === null ? null : [Number(low), Number(high)],
    };
  };
  /**
   * COPYs the lines of `items` that `copies` keeps, in order, inside a
   * savepoint: null if a line's key turns out to be stored (unique
   * violation; nothing of the COPY stays). `lastId` is the highest id drawn
   * before it (a sequence is read outside transactions).
   */
  const copyNew = async (items: readonly SpendInput[], campaignIds: readonly string[], copies: (i: number) => boolean, lastId: bigint): Promise<SpendUpsert | null> => {
    const copied = await copyUnlessTaken(pg, 'spendbook_spend_copy', PG_COPY, copyText(items, campaignIds, copies));
    if (copied === null) return null;
    // COPY draws one id a line, in line order: the last is the session's currval, the first lastId + 1 unless
    // another writer drew ids meanwhile; then it is the first copied line's, read by its key.
    const [[high]] = (await pg.queryArrays<[bigint]>("select currval('spend_id_seq')")) as [[bigint]];
    let low = lastId + 1n;
    if (high - lastId !== BigInt(copied)) {
      const i = items.findIndex((_, k) => copies(k));
      const first = items[i]!;
      [[low]] = (await pg.queryArrays<[bigint]>(PG_ID_OF_KEY, [first.date, campaignIds[i], first.source, first.reference ?? ''])) as [[bigint]];
    }
    return { counts: { inserted: copied, updated: 0, unchanged: items.length - copied }, insertedIds: [Number(low), Number(high)] };
  };
  return {
    // A batch of new lines (the bulk of an ingest) is COPYed in at once, in batch order, about twice as fast as
    // PG_UPSERT inserts them (COPY writes rows a page at a time; no ON CONFLICT), without first looking every key
    // up: a stored key (or one another transaction inserts meanwhile) fails the COPY (unique violation), its
    // savepoint is rolled back, and the batch is probed. A batch whose first line is stored (a re-send) is probed
    // at once. A probed batch that restates no stored line (new lines, maybe some re-sent unchanged) COPYs its
    // new lines, leaving the stored ones out as PG_UPSERT leaves them out, so no id is drawn for them; one that
    // restates a line, or races another writer again, is settled by PG_UPSERT. Inserts fire no trigger on spend (the audit triggers are on
    // update and delete; closed months were refused before), so the COPY writes what the INSERT would.
    upsert: async (items, campaignIds) => {
      // The fast path's savepoint needs the write's transaction (every ingest runs in one).
      const fast = pg.copyIn !== undefined && database.uow.inTransaction();
      if (fast && items.length > 0) {
        const first = items[0]!;
        const [[lastId, firstStored]] = (await pg.queryArrays<[bigint, boolean]>(PG_LAST_ID_AND_KEY, [first.date, campaignIds[0], first.source, first.reference ?? ''])) as [
          [bigint, boolean],
        ];
        const copied = firstStored ? null : await copyNew(items, campaignIds, () => true, lastId);
        if (copied !== null) return copied;
      }
      const params = columns(items, campaignIds);
      if (!fast) return upsertStatement(params, items.length);
      const [probe] = await pg.queryArrays<[number, number, number[] | null, bigint]>(PG_PROBE, params);
      const [stored, differing, storedOrds, lastId] = probe!;
      if (differing > 0) return upsertStatement(params, items.length);
      if (stored === items.length) return { counts: { inserted: 0, updated: 0, unchanged: items.length }, insertedIds: null };
      const storedAt = new Set(storedOrds ?? []);
      return (await copyNew(items, campaignIds, stored === 0 ? () => true : (i) => !storedAt.has(i + 1), lastId)) ?? upsertStatement(params, items.length);
    },
    count: async (items, campaignIds) => {
      const [row] = await pg.queryArrays<[bigint, bigint]>(PG_COUNT, columns(items, campaignIds));
      const inserted = Number(row![0]);
      const updated = Number(row![1]);
      return { inserted, updated, unchanged: items.length - inserted - updated };
    },
    list: async (query) => {
      const { where, params } = listWhere(query, (n) => `$${n}`);
      const rows = await pg.queryArrays<[bigint, string, string, string, string, bigint, string, number]>(
        `select ${LIST_COLUMNS} from spend ${where} order by id limit $${params.length + 1}`,
        [...params, query.limit],
      );
      return rows.map(([id, source, campaignId, date, reference, amountMicros, currency, version]) => ({
        id: Number(id),
        source,
        campaignId,
        date,
        reference,
        amountMicros,
        currency,
        version: Number(version),
      }));
    },
    readAll: (visit) =>
      readInKeyRanges(pg, 'select id, date, campaign_id, currency, amount_micros from spend where id > $1 order by id limit $2', (row) =>
        visit(row[1] as string, row[2] as string, row[3] as string, row[4] as bigint),
      ),
    linesOfDays: async (dates) =>
      dates.length === 0
        ? []
        : pg.queryArrays<SpendDayLine>('select date, campaign_id, currency, amount_micros from spend where date = any($1::text[])', [dates]),
    fingerprint: () => pgFingerprint(pg, 'spend', 'id'),
    changeCursor: () => pgChangeCursor(pg),
    // One statement, so one snapshot: read as two (the cells, then their lines), a transaction committing
    // in between would be read in part, its lines in the cells the first statement found and not in the
    // others, and a report would show part of a batch. The cells from the written_xid index, materialized;
    // each cell's lines from the natural key's (date, campaign_id, ...) index by a LATERAL subquery that
    // OFFSET 0 keeps from being flattened into a join: joined, a table not analyzed since a bulk import
    // was estimated at a third of its rows changed and planned as a hash join over the whole table
    // (100-200 ms at data set L, and a JIT compile on top), where this stays a nested loop of index scans.
    cellsChangedSince: (cursor) =>
      pg.queryArrays<SpendDayLine>(
        `with c as materialized (select distinct date, campaign_id from spend where written_xid >= $1::xid8)
         select c.date, c.campaign_id, s.currency, s.amount_micros from c
         cross join lateral (select currency, amount_micros from spend where spend.date = c.date and spend.campaign_id = c.campaign_id offset 0) s`,
        [cursor.toString()],
      ),
  };
}
