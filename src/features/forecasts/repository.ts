/** The forecast_snapshots table (append-only: a trigger refuses updates and deletes). */
import type { Database } from '../../store/database.js';
import { Where } from '../../store/sql-where.js';

export interface SnapshotRecord {
  id: string;
  name: string;
  fromMonth: string;
  toMonth: string;
  asOf: string;
  method: string;
  groupBy: string;
  currency: string;
  createdAt: string;
  createdByKeyId: string | null;
  createdBy: string | null;
  /** The frozen report, JSON text as written. */
  report: string;
}

export interface SnapshotListFilter {
  /** Only snapshots whose period includes this month. */
  month?: string | undefined;
  /** Only snapshots taken before the one with this seq. */
  after: number | null;
  limit: number;
}

export interface ForecastSnapshotRepository {
  /** Inserts the snapshot; false (and nothing written) if its name is taken, even by a writer that got there first. */
  insert(record: SnapshotRecord): Promise<boolean>;
  byId(id: string): Promise<SnapshotRecord | null>;
  idByName(name: string): Promise<string | null>;
  /** The newest snapshot of exactly this one month: latest asOf, then latest taken. */
  latestOfMonth(month: string): Promise<SnapshotRecord | null>;
  /**
   * Newest first, in the order they were taken, the last first; `seq` numbers
   * that order (a number per snapshot, larger for a later one) and is the cursor.
   */
  list(filter: SnapshotListFilter): Promise<(SnapshotRecord & { seq: number })[]>;
}

const COLUMNS =
  'id, name, from_month as "fromMonth", to_month as "toMonth", as_of as "asOf", method, group_by as "groupBy", currency, ' +
  'created_at as "createdAt", created_by_key_id as "createdByKeyId", created_by as "createdBy", report';

const INSERT = `insert into forecast_snapshots (id, name, from_month, to_month, as_of, method, group_by, currency, created_at, created_by_key_id, created_by, report)`;

const valuesOf = (r: SnapshotRecord) => [r.id, r.name, r.fromMonth, r.toMonth, r.asOf, r.method, r.groupBy, r.currency, r.createdAt, r.createdByKeyId, r.createdBy, r.report];

export function forecastSnapshotRepository(database: Database): ForecastSnapshotRepository {
  if (database.dialect === 'sqlite') {
    const { sqlite } = database;
    const insert = sqlite.prepare(`${INSERT} values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) on conflict (name) do nothing`);
    const byId = sqlite.prepare(`select ${COLUMNS} from forecast_snapshots where id = ?`);
    const byName = sqlite.prepare('select id from forecast_snapshots where name = ?').pluck();
    // The rowid numbers the snapshots in the order they were inserted.
    const latestOfMonth = sqlite.prepare(
      `select ${COLUMNS} from forecast_snapshots where from_month = ? and to_month = ? order by as_of desc, created_at desc, rowid desc limit 1`,
    );
    return {
      insert: async (record) => insert.run(...valuesOf(record)).changes === 1,
      byId: async (id) => (byId.get(id) as SnapshotRecord | undefined) ?? null,
      idByName: async (name) => (byName.get(name) as string | undefined) ?? null,
      latestOfMonth: async (month) => (latestOfMonth.get(month, month) as SnapshotRecord | undefined) ?? null,
      list: async (filter) => {
        const where = new Where(false);
        if (filter.month) where.add('from_month <= ? and to_month >= ?', filter.month, filter.month);
        if (filter.after !== null) where.add('rowid < ?', filter.after);
        const sql = `select rowid as seq, ${COLUMNS} from forecast_snapshots ${where} order by rowid desc limit ${where.next(filter.limit)}`;
        return sqlite.prepare(sql).all(...where.params) as (SnapshotRecord & { seq: number })[];
      },
    };
  }
  const { pg } = database;
  // PostgreSQL has no rowid. The order of insertion is that of the snapshot's
  // audit event (one per snapshot, written by the insert trigger in the same
  // transaction; audit_events is append-only and numbered by an identity).
  const SEQ = `(select min(a.id) from audit_events a where a.entity = 'forecast_snapshot' and a.entity_id = f.id and a.action = 'insert')`;
  const F_COLUMNS = COLUMNS.replace(/(^|, )(\w+)/g, '$1f.$2');
  const one = async (sql: string, params: unknown[]) => (await pg.query<SnapshotRecord>(sql, params)).rows[0] ?? null;
  return {
    insert: async (record) =>
      (await pg.query(`${INSERT} values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) on conflict (name) do nothing`, valuesOf(record))).rowCount === 1,
    byId: (id) => one(`select ${COLUMNS} from forecast_snapshots where id = $1`, [id]),
    idByName: async (name) => (await pg.query<{ id: string }>('select id from forecast_snapshots where name = $1', [name])).rows[0]?.id ?? null,
    latestOfMonth: (month) =>
      one(`select ${F_COLUMNS} from forecast_snapshots f where f.from_month = $1 and f.to_month = $1 order by f.as_of desc, f.created_at desc, ${SEQ} desc limit 1`, [
        month,
      ]),
    list: async (filter) => {
      const where = new Where(true);
      if (filter.month) where.add('f.from_month <= ? and f.to_month >= ?', filter.month, filter.month);
      if (filter.after !== null) where.add('s.seq < ?', filter.after);
      const { rows } = await pg.query<SnapshotRecord & { seq: bigint }>(
        `select s.seq, ${F_COLUMNS} from forecast_snapshots f cross join lateral (select ${SEQ} as seq) s ${where} order by s.seq desc limit ${where.next(filter.limit)}`,
        where.params,
      );
      return rows.map((row) => ({ ...row, seq: Number(row.seq) }));
    },
  };
}
