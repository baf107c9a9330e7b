/**
 * The touchpoints table, in memory, for the attribution reports: a
 * TouchStore kept equal to the table (see TableMirror for how).
 *
 * Touchpoint writes hand it the rows they changed, keyed by rowid, which an
 * upsert keeps (TouchpointService.ingest, from its upsert's RETURNING).
 * Sorting the store into the models' reading order is the deferred work:
 * it is done at load, and again once touchpoint writes pause.
 */
import type { Sqlite } from '../../db.js';
import type { DataVersionSource } from '../../store/unit-of-work.js';
import { Interner, TouchStore } from '../../domain/attribution/index.js';
import { readInRowidRanges, TableMirror } from '../common/table-mirror.js';

/** A changed row as the write returns it: rowid, customer id, campaign id, occurred_at. */
export type TouchRow = [number, string, string, number];

export class TouchIndex extends TableMirror<TouchStore> {
  private readonly idStmt;

  /** @param customers Customer ids as indices, shared with RevenueIndex and kept across loads (an id once seen keeps its index). */
  constructor(
    sqlite: Sqlite,
    versions: DataVersionSource,
    private readonly customers = new Interner(),
  ) {
    super(sqlite, versions);
    this.idStmt = sqlite.prepare('select id from touchpoints where rowid = ?').pluck();
  }

  /** Rows a write of this process changed. */
  applied(rows: readonly TouchRow[]): void {
    if (rows.length === 0) return;
    this.apply((store) => {
      for (const [rowid, customerId, campaignId, occurredAt] of rows) store.put(rowid, customerId, campaignId, occurredAt);
    });
  }

  protected load(): TouchStore {
    const store = new TouchStore((slots) => slots.map((slot) => this.idStmt.get(slot) as string), this.customers);
    readInRowidRanges(this.sqlite, 'touchpoints', ['t.rowid', 't.customer_id', 't.campaign_id', 't.occurred_at'], ([rowid, customer, campaign, at]) =>
      store.put(Number(rowid), customer!, campaign!, Number(at)),
    );
    return store;
  }

  /** Sorting five million touches into reading order takes a couple of seconds; a report should not pay for it. */
  protected override prepare(store: TouchStore): void {
    store.prepare();
  }
}
