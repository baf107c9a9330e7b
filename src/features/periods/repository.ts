/** The closed_months table (the months closed now) and period_events (every close and reopen). */
import type { Database } from '../../store/database.js';

export interface ClosedRow {
  month: string;
  closedAt: string;
  closedBy: string | null;
  reason: string | null;
}

export interface PeriodEventRow {
  month: string;
  action: 'close' | 'reopen';
  at: string;
  by: string | null;
  reason: string | null;
}

export interface PeriodFilter {
  from?: string | undefined;
  to?: string | undefined;
  status?: 'open' | 'closed' | undefined;
  after: string | null;
  limit: number;
}

export interface PeriodRepository {
  /** The months closed now, by month (a plain read). */
  closedMonths(): Promise<string[]>;
  /**
   * The months closed now, for a write that must not land in one: on
   * PostgreSQL read in the caller's transaction under a lock that a close
   * or reopen (`lockForChange`) waits for, and that waits for them.
   */
  closedMonthsForWrite(): Promise<string[]>;
  /** Serialises closes and reopens with each other and with the writes that read `closedMonthsForWrite`, until the write ends. */
  lockForChange(): Promise<void>;
  closedRow(month: string): Promise<ClosedRow | null>;
  /** The closed rows of these months. */
  closedRows(months: readonly string[]): Promise<ClosedRow[]>;
  insertClosed(row: ClosedRow & { startMs: number; endMs: number; closedByKeyId: string | null }): Promise<void>;
  deleteClosed(month: string): Promise<void>;
  insertEvent(event: PeriodEventRow & { byKeyId: string | null }): Promise<void>;
  /** Months with any event, by month, at most `limit` + 1 of them. */
  months(filter: PeriodFilter): Promise<string[]>;
  /** The events of these months, oldest first. */
  events(months: readonly string[]): Promise<PeriodEventRow[]>;
}

const CLOSED_COLUMNS = 'month, closed_at as "closedAt", closed_by as "closedBy", reason';

export function periodRepository(database: Database): PeriodRepository {
  if (database.dialect === 'sqlite') {
    const { sqlite } = database;
    const closedStmt = sqlite.prepare('select month from closed_months order by month').pluck();
    const closedRowStmt = sqlite.prepare(`select ${CLOSED_COLUMNS} from closed_months where month = ?`);
    const insertClosed = sqlite.prepare(
      'insert into closed_months (month, start_ms, end_ms, closed_at, closed_by_key_id, closed_by, reason) values (?, ?, ?, ?, ?, ?, ?)',
    );
    const deleteClosed = sqlite.prepare('delete from closed_months where month = ?');
    const insertEvent = sqlite.prepare('insert into period_events (month, action, at, by_key_id, by, reason) values (?, ?, ?, ?, ?, ?)');
    const closedMonths = async () => closedStmt.all() as string[];
    return {
      closedMonths,
      // SQLite's write transaction holds the whole database: a close cannot run beside a write.
      closedMonthsForWrite: closedMonths,
      lockForChange: async () => undefined,
      closedRow: async (month) => (closedRowStmt.get(month) as ClosedRow | undefined) ?? null,
      closedRows: async (months) =>
        months.length === 0
          ? []
          : (sqlite.prepare(`select ${CLOSED_COLUMNS} from closed_months where month in (${months.map(() => '?').join(', ')})`).all(...months) as ClosedRow[]),
      insertClosed: async (row) => void insertClosed.run(row.month, row.startMs, row.endMs, row.closedAt, row.closedByKeyId, row.closedBy, row.reason),
      deleteClosed: async (month) => void deleteClosed.run(month),
      insertEvent: async (e) => void insertEvent.run(e.month, e.action, e.at, e.byKeyId, e.by, e.reason),
      months: async (filter) => {
        const { where, params } = monthFilter(filter, () => '?');
        return sqlite
          .prepare(`select distinct month from period_events e ${where} order by month limit ?`)
          .pluck()
          .all(...params, filter.limit + 1) as string[];
      },
      events: async (months) =>
        months.length === 0
          ? []
          : (sqlite
              .prepare(`select month, action, at, by, reason from period_events where month in (${months.map(() => '?').join(', ')}) order by id`)
              .all(...months) as PeriodEventRow[]),
    };
  }
  const { pg } = database;
  // "at" and "by" are keywords in PostgreSQL's grammar: quoted, they are plainly the columns.
  return {
    closedMonths: async () => (await pg.query<{ month: string }>('select month from closed_months order by month')).rows.map((r) => r.month),
    // FOR SHARE takes a ROW SHARE lock on the table, which a close's or reopen's
    // EXCLUSIVE lock (lockForChange) conflicts with: this read waits for a close
    // in progress and then sees it (at READ COMMITTED the statement's snapshot is
    // taken after its locks), and a close waits until this write commits. The
    // rows read stay locked too, so a reopen cannot delete one under the write.
    closedMonthsForWrite: async () =>
      (await pg.query<{ month: string }>('select month from closed_months order by month for share')).rows.map((r) => r.month),
    // EXCLUSIVE: only plain reads (reports, the guard triggers' selects) go on beside it.
    lockForChange: async () => void (await pg.query('lock table closed_months in exclusive mode')),
    closedRow: async (month) => (await pg.query<ClosedRow>(`select ${CLOSED_COLUMNS} from closed_months where month = $1`, [month])).rows[0] ?? null,
    closedRows: async (months) =>
      months.length === 0 ? [] : (await pg.query<ClosedRow>(`select ${CLOSED_COLUMNS} from closed_months where month = any($1::text[])`, [months])).rows,
    insertClosed: async (row) =>
      void (await pg.query(
        'insert into closed_months (month, start_ms, end_ms, closed_at, closed_by_key_id, closed_by, reason) values ($1, $2, $3, $4, $5, $6, $7)',
        [row.month, row.startMs, row.endMs, row.closedAt, row.closedByKeyId, row.closedBy, row.reason],
      )),
    deleteClosed: async (month) => void (await pg.query('delete from closed_months where month = $1', [month])),
    insertEvent: async (e) =>
      void (await pg.query('insert into period_events (month, action, "at", by_key_id, "by", reason) values ($1, $2, $3, $4, $5, $6)', [
        e.month,
        e.action,
        e.at,
        e.byKeyId,
        e.by,
        e.reason,
      ])),
    months: async (filter) => {
      let n = 0;
      const { where, params } = monthFilter(filter, () => `$${++n}`);
      const { rows } = await pg.query<{ month: string }>(`select distinct month from period_events e ${where} order by month limit $${++n}`, [
        ...params,
        filter.limit + 1,
      ]);
      return rows.map((r) => r.month);
    },
    events: async (months) =>
      months.length === 0
        ? []
        : (await pg.query<PeriodEventRow>('select month, action, "at", "by", reason from period_events where month = any($1::text[]) order by id', [months]))
            .rows,
  };
}

/** The where clause of `months`, with the dialect's placeholders. */
function monthFilter(filter: PeriodFilter, next: () => string): { where: string; params: unknown[] } {
  const where: string[] = [];
  const params: unknown[] = [];
  if (filter.from) (where.push(`month >= ${next()}`), params.push(filter.from));
  if (filter.to) (where.push(`month <= ${next()}`), params.push(filter.to));
  if (filter.after !== null) (where.push(`month > ${next()}`), params.push(filter.after));
  if (filter.status) where.push(`${filter.status === 'closed' ? '' : 'not '}exists (select 1 from closed_months c where c.month = e.month)`);
  return { where: where.length ? 'where ' + where.join(' and ') : '', params };
}
