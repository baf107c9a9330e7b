/** The plans table and its revisions (plan_revisions). */
import type { Database } from '../../store/database.js';
import { Where } from '../../store/sql-where.js';

export interface PlanRow {
  campaignId: string;
  month: string;
  amountMicros: bigint;
  currency: string;
  revision: number;
  updatedAt: string;
}

export interface PlanRevisionRow {
  id: number;
  campaignId: string;
  month: string;
  revision: number;
  amountMicros: bigint;
  currency: string;
  changedAt: string;
  changedBy: string | null;
}

export interface PlanLine {
  campaignId: string;
  month: string;
  amount: bigint;
  currency: string;
}

/** What a write did to one plan line, and the revision it now has (null if unchanged). */
export type PlanWrite = { outcome: 'inserted' | 'updated'; revision: number } | { outcome: 'unchanged'; revision: null };

export interface PlanListFilter {
  campaignId?: string | undefined;
  from?: string | undefined;
  to?: string | undefined;
  after: [string, string] | null;
  /** Rows to read (the caller asks one more than a page, to know whether another follows). */
  limit: number;
}

export interface PlanHistoryFilter {
  campaignId?: string | undefined;
  month?: string | undefined;
  after: number | null;
  limit: number;
}

export interface PlanRepository {
  /**
   * Sets one plan line: inserts it at revision 1, or, if its amount or
   * currency differs, updates it to the next revision; an equal line is left
   * alone. Decided against the row as it is when written, whatever another
   * writer did meanwhile (on PostgreSQL one upsert, which locks the row).
   */
  set(line: PlanLine, at: string): Promise<PlanWrite>;
  addRevision(line: PlanLine, revision: number, at: string, by: string | null): Promise<void>;
  /** By (campaignId, month). */
  list(filter: PlanListFilter): Promise<PlanRow[]>;
  /** By id: the order the revisions were written. */
  history(filter: PlanHistoryFilter): Promise<PlanRevisionRow[]>;
}

function listWhere(filter: PlanListFilter, numbered: boolean): Where {
  const where = new Where(numbered);
  if (filter.campaignId) where.add('campaign_id = ?', filter.campaignId);
  if (filter.from) where.add('month >= ?', filter.from);
  if (filter.to) where.add('month <= ?', filter.to);
  if (filter.after) where.add('(campaign_id, month) > (?, ?)', ...filter.after);
  return where;
}

function historyWhere(filter: PlanHistoryFilter, numbered: boolean): Where {
  const where = new Where(numbered);
  if (filter.campaignId) where.add('campaign_id = ?', filter.campaignId);
  if (filter.month) where.add('month = ?', filter.month);
  if (filter.after !== null) where.add('id > ?', filter.after);
  return where;
}

const PLAN_COLUMNS =
  'campaign_id as "campaignId", month, amount_micros as "amountMicros", currency, revision, updated_at as "updatedAt"';
const REVISION_COLUMNS =
  'id, campaign_id as "campaignId", month, revision, amount_micros as "amountMicros", currency, changed_at as "changedAt", changed_by as "changedBy"';

export function planRepository(database: Database): PlanRepository {
  if (database.dialect === 'sqlite') {
    const { sqlite } = database;
    const select = sqlite.prepare('select amount_micros, currency, revision from plans where campaign_id = ? and month = ?').safeIntegers(true);
    const insert = sqlite.prepare('insert into plans (campaign_id, month, amount_micros, currency, revision, updated_at) values (?, ?, ?, ?, 1, ?)');
    const update = sqlite.prepare('update plans set amount_micros = ?, currency = ?, revision = ?, updated_at = ? where campaign_id = ? and month = ?');
    const insertRevision = sqlite.prepare(
      'insert into plan_revisions (campaign_id, month, revision, amount_micros, currency, changed_at, changed_by) values (?, ?, ?, ?, ?, ?, ?)',
    );
    return {
      // SQLite's write transaction holds the whole database: read, then write, and nobody comes between.
      set: async (line, at) => {
        const before = select.get(line.campaignId, line.month) as { amount_micros: bigint; currency: string; revision: bigint } | undefined;
        if (!before) {
          insert.run(line.campaignId, line.month, line.amount, line.currency, at);
          return { outcome: 'inserted', revision: 1 };
        }
        if (before.amount_micros === line.amount && before.currency === line.currency) return { outcome: 'unchanged', revision: null };
        const revision = Number(before.revision) + 1;
        update.run(line.amount, line.currency, revision, at, line.campaignId, line.month);
        return { outcome: 'updated', revision };
      },
      addRevision: async (line, revision, at, by) => void insertRevision.run(line.campaignId, line.month, revision, line.amount, line.currency, at, by),
      list: async (filter) => {
        const where = listWhere(filter, false);
        const sql = `select ${PLAN_COLUMNS} from plans ${where} order by campaign_id, month limit ${where.next(filter.limit)}`;
        const rows = sqlite.prepare(sql).safeIntegers(true).all(...where.params) as (Omit<PlanRow, 'revision'> & { revision: bigint })[];
        return rows.map((row) => ({ ...row, revision: Number(row.revision) }));
      },
      history: async (filter) => {
        const where = historyWhere(filter, false);
        const sql = `select ${REVISION_COLUMNS} from plan_revisions ${where} order by id limit ${where.next(filter.limit)}`;
        const rows = sqlite.prepare(sql).safeIntegers(true).all(...where.params) as (Omit<PlanRevisionRow, 'id' | 'revision'> & { id: bigint; revision: bigint })[];
        return rows.map((row) => ({ ...row, id: Number(row.id), revision: Number(row.revision) }));
      },
    };
  }
  const { pg } = database;
  return {
    // One statement decides: the conflict locks the existing row, and at READ
    // COMMITTED the `where` is checked against its newest version, so two
    // writers of the same line each get their own revision (or none, if equal)
    // and neither fails on the primary key. xmax = 0 marks a row this statement inserted.
    set: async (line, at) => {
      const { rows } = await pg.query<{ revision: number; inserted: boolean }>(
        `insert into plans as p (campaign_id, month, amount_micros, currency, revision, updated_at) values ($1, $2, $3, $4, 1, $5)
         on conflict (campaign_id, month) do update
           set amount_micros = excluded.amount_micros, currency = excluded.currency, revision = p.revision + 1, updated_at = excluded.updated_at
           where (p.amount_micros, p.currency) is distinct from (excluded.amount_micros, excluded.currency)
         returning p.revision, (p.xmax = 0) as inserted`,
        [line.campaignId, line.month, line.amount.toString(), line.currency, at],
      );
      const row = rows[0];
      if (!row) return { outcome: 'unchanged', revision: null };
      return { outcome: row.inserted ? 'inserted' : 'updated', revision: Number(row.revision) };
    },
    addRevision: async (line, revision, at, by) =>
      void (await pg.query(
        'insert into plan_revisions (campaign_id, month, revision, amount_micros, currency, changed_at, changed_by) values ($1, $2, $3, $4, $5, $6, $7)',
        [line.campaignId, line.month, revision, line.amount.toString(), line.currency, at, by],
      )),
    list: async (filter) => {
      const where = listWhere(filter, true);
      const { rows } = await pg.query<PlanRow>(`select ${PLAN_COLUMNS} from plans ${where} order by campaign_id, month limit ${where.next(filter.limit)}`, where.params);
      return rows.map((row) => ({ ...row, amountMicros: BigInt(row.amountMicros), revision: Number(row.revision) }));
    },
    history: async (filter) => {
      const where = historyWhere(filter, true);
      const { rows } = await pg.query<PlanRevisionRow>(
        `select ${REVISION_COLUMNS} from plan_revisions ${where} order by id limit ${where.next(filter.limit)}`,
        where.params,
      );
      return rows.map((row) => ({ ...row, id: Number(row.id), amountMicros: BigInt(row.amountMicros), revision: Number(row.revision) }));
    },
  };
}
