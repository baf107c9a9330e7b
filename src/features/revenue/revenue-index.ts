/**
 * Revenue events, in memory, for the ROI and attribution reports: a
 * RevenueStore kept equal to the revenue table (see TableMirror for how).
 * Revenue writes hand it the rows they changed, keyed by rowid, which an
 * upsert keeps.
 */
import type { Sqlite } from '../../db.js';
import type { DataVersionSource } from '../../store/unit-of-work.js';
import { Interner } from '../../domain/attribution/index.js';
import { RevenueStore } from '../../domain/revenue-store.js';
import { readInRowidRanges, TableMirror } from '../common/table-mirror.js';

/** A changed row: rowid, customer id, occurred_at, micros, currency, the id of the conversion a refund refunds. */
export type RevenueRowChange = [number, string, number, bigint, string, string | null];

export class RevenueIndex extends TableMirror<RevenueStore> {
  private readonly rowidStmt;

  /** @param customers Customer ids as indices, shared with TouchIndex (see TouchStore). */
  constructor(
    sqlite: Sqlite,
    versions: DataVersionSource,
    private readonly customers = new Interner(),
  ) {
    super(sqlite, versions);
    this.rowidStmt = sqlite.prepare('select rowid from revenue where id = ?').pluck();
  }

  /** Rows a committed write of this process changed. */
  applied(rows: readonly RevenueRowChange[]): void {
    if (rows.length === 0) return;
    this.apply((store) => {
      for (const [rowid, customerId, occurredAt, micros, currency, refundOf] of rows) {
        // The write checked that the conversion exists, in the same transaction.
        const conversion = refundOf === null ? null : (this.rowidStmt.get(refundOf) as number);
        store.put(rowid, customerId, occurredAt, micros, currency, conversion);
      }
    });
  }

  /**
   * A refund of a conversion that is not there, or of another refund (only
   * a write around the API could leave either), is left out, as the
   * reports' joins always left it out.
   */
  protected load(): RevenueStore {
    const store = new RevenueStore(this.customers);
    readInRowidRanges(
      this.sqlite,
      'revenue',
      ['t.rowid', 't.customer_id', 't.occurred_at', 't.amount_micros', 't.currency', "iif(t.refund_of is null, -1, coalesce(iif(c.refund_of is null, c.rowid, null), -2))"],
      ([rowid, customerId, occurredAt, micros, currency, conversion]) => {
        const of = Number(conversion);
        if (of === -2) return;
        store.put(Number(rowid), customerId!, Number(occurredAt), BigInt(micros!), currency!, of === -1 ? null : of);
      },
      'left join revenue c on c.id = t.refund_of',
    );
    return store;
  }
}
