/**
 * The touchpoints table, in memory, for the attribution reports: a
 * TouchStore kept equal to the table (see TableMirror for how).
 *
 * Touchpoint writes hand it the rows they changed, keyed by slot (SQLite's
 * rowid, PostgreSQL's seq), which an upsert keeps (TouchpointService.ingest,
 * from its repository's upsert). Sorting the store into the models' reading
 * order is the deferred work: it is done at load, and again once touchpoint
 * writes pause.
 *
 * The sort breaks ties by touchpoint id, which the store asks for
 * synchronously and the repository answers asynchronously (a PostgreSQL
 * round trip). So the ids of tied slots are kept here (a slot's id never
 * changes: rows are only inserted or updated in place, and ties are rare),
 * a sort that meets a tie it has no id for stops, the ids are read, and it
 * runs again. The changed rows a write hands over are staged into the store
 * at once (TouchStore.stage: into its columns, not seen by a report until
 * the deferred step sorts them in), so that a store a report holds is sorted
 * whenever the report can see it, and an ingest with no quiet second keeps
 * no second copy of its rows.
 */
import type { Database } from '../../store/database.js';
import type { DataVersionSource } from '../../store/unit-of-work.js';
import { Interner, TouchStore } from '../../domain/attribution/index.js';
import { TableMirror } from '../common/table-mirror.js';
import { touchpointRepository, type TouchpointRepository, type TouchRow } from './repository.js';

export type { TouchRow } from './repository.js';

/** Thrown by the store's id lookup for slots whose ids are not read yet. */
class MissingIds {
  constructor(readonly slots: number[]) {}
}

export class TouchIndex extends TableMirror<TouchStore> {
  private readonly repository: TouchpointRepository;
  /** Ids of the slots a sort has needed for a tie-break. */
  private readonly tieIds = new Map<number, string>();
  /** @param customers Customer ids as indices, shared with RevenueIndex and kept across loads (an id once seen keeps its index). */
  constructor(
    database: Database,
    versions: DataVersionSource,
    private readonly customers = new Interner(),
  ) {
    super(versions);
    this.repository = touchpointRepository(database);
  }

  /** Rows a write of this process changed: staged into the store (the deferred step sorts them in). */
  applied(rows: readonly TouchRow[]): void {
    if (rows.length === 0) return;
    this.apply((store) => this.stage(store, rows));
  }

  /** Customer ids are interned in the shared interner, as revenue writes do. */
  private stage(store: TouchStore, rows: readonly TouchRow[]): void {
    for (const [slot, customerId, campaignId, occurredAt] of rows) {
      if (!(slot >= 0 && slot <= 0x7fffffff)) throw new RangeError(`slot ${slot} is out of the touch store's range`);
      store.stage(slot, this.customers.indexOf(customerId), campaignId, occurredAt);
    }
  }

  protected async load(): Promise<TouchStore> {
    const store = new TouchStore((slots) => this.idsOf(slots), this.customers);
    await this.repository.readAll((slot, customer, campaign, at) => store.put(slot, customer, campaign, at));
    return store;
  }

  protected override toParts(store: TouchStore): Uint8Array[] {
    return store.toParts();
  }

  protected override fromParts(parts: readonly Uint8Array[]): TouchStore {
    return TouchStore.fromParts(parts, (slots) => this.idsOf(slots), this.customers);
  }

  protected override changeCursor(): Promise<bigint | null> {
    return this.repository.changeCursor();
  }

  /** The changed rows are staged over what writes handed over (older), and sorted in by the deferred step. */
  protected override async catchUp(store: TouchStore, cursor: bigint): Promise<void> {
    const rows: TouchRow[] = [];
    await this.repository.readChangedSince(cursor, (slot, customerId, campaignId, occurredAt) => rows.push([slot, customerId, campaignId, occurredAt]));
    this.stage(store, rows);
  }

  private idsOf(slots: readonly number[]): string[] {
    const missing = slots.filter((slot) => !this.tieIds.has(slot));
    if (missing.length > 0) throw new MissingIds(missing);
    return slots.map((slot) => this.tieIds.get(slot)!);
  }

  /** Sorting five million touches into reading order takes a couple of seconds; a report should not pay for it. */
  protected override async prepare(store: TouchStore): Promise<boolean> {
    for (;;) {
      try {
        store.prepare();
        return true;
      } catch (error) {
        if (!(error instanceof MissingIds)) throw error;
        const ids = await this.repository.idsOfSlots(error.slots);
        error.slots.forEach((slot, k) => this.tieIds.set(slot, ids[k]!));
      }
    }
  }
}
