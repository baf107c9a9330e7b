/** The commitments table. */
import type { Database } from '../../store/database.js';
import { Where } from '../../store/sql-where.js';

export type CommitmentStatus = 'open' | 'closed';

export interface CommitmentRow {
  id: string;
  campaignId: string;
  month: string;
  amountMicros: bigint;
  currency: string;
  status: CommitmentStatus;
  updatedAt: string;
}

export interface CommitmentLine {
  id: string;
  campaignId: string;
  month: string;
  amount: bigint;
  currency: string;
  status: CommitmentStatus;
}

export interface CommitmentListFilter {
  campaignId?: string | undefined;
  month?: string | undefined;
  status?: CommitmentStatus | undefined;
  after: string | null;
  /** Rows to read. */
  limit: number;
}

export interface CommitmentRepository {
  /**
   * The stored month of each of these commitments that exists, locked until
   * the write ends (on PostgreSQL), so that the closed-month check and the
   * write see the same row.
   */
  lockMonths(ids: readonly string[]): Promise<Map<string, string>>;
  /** Inserts the commitment, or updates it if any field differs; decided against the row as it is when written. */
  set(line: CommitmentLine, at: string): Promise<'inserted' | 'updated' | 'unchanged'>;
  /** By id. */
  list(filter: CommitmentListFilter): Promise<CommitmentRow[]>;
}

const COLUMNS = 'id, campaign_id as "campaignId", month, amount_micros as "amountMicros", currency, status, updated_at as "updatedAt"';

function listWhere(filter: CommitmentListFilter, numbered: boolean): Where {
  const where = new Where(numbered);
  if (filter.campaignId) where.add('campaign_id = ?', filter.campaignId);
  if (filter.month) where.add('month = ?', filter.month);
  if (filter.status) where.add('status = ?', filter.status);
  if (filter.after) where.add('id > ?', filter.after);
  return where;
}

export function commitmentRepository(database: Database): CommitmentRepository {
  if (database.dialect === 'sqlite') {
    const { sqlite } = database;
    const select = sqlite.prepare(`select ${COLUMNS} from commitments where id = ?`).safeIntegers(true);
    const upsert = sqlite.prepare(
      `insert into commitments (id, campaign_id, month, amount_micros, currency, status, updated_at) values (?, ?, ?, ?, ?, ?, ?)
       on conflict (id) do update set campaign_id = excluded.campaign_id, month = excluded.month, amount_micros = excluded.amount_micros,
         currency = excluded.currency, status = excluded.status, updated_at = excluded.updated_at`,
    );
    return {
      // SQLite's write transaction holds the whole database: nothing to lock row by row.
      lockMonths: async (ids) => {
        const months = new Map<string, string>();
        for (const id of ids) {
          const row = select.get(id) as CommitmentRow | undefined;
          if (row) months.set(id, row.month);
        }
        return months;
      },
      set: async (line, at) => {
        const before = select.get(line.id) as CommitmentRow | undefined;
        if (
          before &&
          before.campaignId === line.campaignId &&
          before.month === line.month &&
          before.amountMicros === line.amount &&
          before.currency === line.currency &&
          before.status === line.status
        ) {
          return 'unchanged';
        }
        upsert.run(line.id, line.campaignId, line.month, line.amount, line.currency, line.status, at);
        return before ? 'updated' : 'inserted';
      },
      list: async (filter) => {
        const where = listWhere(filter, false);
        return sqlite.prepare(`select ${COLUMNS} from commitments ${where} order by id limit ${where.next(filter.limit)}`).safeIntegers(true).all(...where.params) as CommitmentRow[];
      },
    };
  }
  const { pg } = database;
  return {
    lockMonths: async (ids) => {
      const { rows } = await pg.query<{ id: string; month: string }>('select id, month from commitments where id = any($1) for update', [ids]);
      return new Map(rows.map((row) => [row.id, row.month]));
    },
    // One statement decides, under the row lock the conflict takes; no row back means the stored one was equal.
    set: async (line, at) => {
      const { rows } = await pg.query<{ inserted: boolean }>(
        `insert into commitments as c (id, campaign_id, month, amount_micros, currency, status, updated_at) values ($1, $2, $3, $4, $5, $6, $7)
         on conflict (id) do update set campaign_id = excluded.campaign_id, month = excluded.month, amount_micros = excluded.amount_micros,
           currency = excluded.currency, status = excluded.status, updated_at = excluded.updated_at
           where (c.campaign_id, c.month, c.amount_micros, c.currency, c.status)
             is distinct from (excluded.campaign_id, excluded.month, excluded.amount_micros, excluded.currency, excluded.status)
         returning (c.xmax = 0) as inserted`,
        [line.id, line.campaignId, line.month, line.amount.toString(), line.currency, line.status, at],
      );
      const row = rows[0];
      return row === undefined ? 'unchanged' : row.inserted ? 'inserted' : 'updated';
    },
    list: async (filter) => {
      const where = listWhere(filter, true);
      const { rows } = await pg.query<CommitmentRow>(`select ${COLUMNS} from commitments ${where} order by id limit ${where.next(filter.limit)}`, where.params);
      return rows.map((row) => ({ ...row, amountMicros: BigInt(row.amountMicros) }));
    },
  };
}
