/**
 * Revenue events, in memory, for the ROI and attribution reports: a
 * RevenueStore kept equal to the revenue table (see TableMirror for how).
 * Revenue writes hand it the rows they changed, keyed by slot (SQLite's
 * rowid, PostgreSQL's seq), which an upsert keeps, each refund with its
 * conversion's slot, read in the write's own transaction.
 */
import type { Database } from '../../store/database.js';
import type { DataVersionSource } from '../../store/unit-of-work.js';
import { Interner } from '../../domain/attribution/index.js';
import { RevenueStore } from '../../domain/revenue-store.js';
import { TableMirror } from '../common/table-mirror.js';
import { revenueRepository, type RevenueRepository, type RevenueRowChange } from './repository.js';

export type { RevenueRowChange } from './repository.js';

export class RevenueIndex extends TableMirror<RevenueStore> {
  private readonly repository: RevenueRepository;

  /** @param customers Customer ids as indices, shared with TouchIndex (see TouchStore). */
  constructor(
    database: Database,
    versions: DataVersionSource,
    private readonly customers = new Interner(),
  ) {
    super(versions);
    this.repository = revenueRepository(database);
  }

  /** Rows a committed write of this process changed. */
  applied(rows: readonly RevenueRowChange[]): void {
    if (rows.length === 0) return;
    this.apply((store) => {
      for (const [slot, customerId, occurredAt, micros, currency, conversion] of rows) store.put(slot, customerId, occurredAt, micros, currency, conversion);
    });
  }

  protected override toParts(store: RevenueStore): Uint8Array[] {
    return store.toParts();
  }

  protected override fromParts(parts: readonly Uint8Array[]): RevenueStore {
    return RevenueStore.fromParts(parts, this.customers);
  }

  protected async load(): Promise<RevenueStore> {
    const store = new RevenueStore(this.customers);
    await this.repository.readAll((slot, customerId, occurredAt, micros, currency, conversion) => store.put(slot, customerId, occurredAt, micros, currency, conversion));
    return store;
  }

  protected override changeCursor(): Promise<bigint | null> {
    return this.repository.changeCursor();
  }

  /** Writes of this process put their rows at once, so nothing waits: the changed rows are put over whatever is there. */
  protected override async catchUp(store: RevenueStore, cursor: bigint): Promise<void> {
    await this.repository.readChangedSince(cursor, (slot, customerId, occurredAt, micros, currency, conversion) =>
      store.put(slot, customerId, occurredAt, micros, currency, conversion),
    );
  }
}
