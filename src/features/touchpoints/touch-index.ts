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
 * runs again. The changed rows a write hands over are put into the store
 * by that same deferred step, just before the sort, so that a store a report
 * holds is sorted whenever the report can see it.
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

/** A write's changed rows as columns (see `pendingRows`). A slot fits in 32 bits: the store's columns are indexed by it. */
interface PendingTouches {
  slots: Int32Array;
  customers: Int32Array;
  campaigns: Int32Array;
  campaignIds: string[];
  occurredAt: Float64Array;
}

export class TouchIndex extends TableMirror<TouchStore> {
  private readonly repository: TouchpointRepository;
  /** Ids of the slots a sort has needed for a tie-break. */
  private readonly tieIds = new Map<number, string>();
  /**
   * Rows committed writes changed, not yet put into the store, compact: an
   * ingest of ten million touches with no quiet second between batches
   * holds them all, and kept as the write's row arrays (each holding its
   * request's id strings) they took over a GiB; here a row is 20 bytes.
   */
  private pendingRows: PendingTouches[] = [];

  /** @param customers Customer ids as indices, shared with RevenueIndex and kept across loads (an id once seen keeps its index). */
  constructor(
    database: Database,
    versions: DataVersionSource,
    private readonly customers = new Interner(),
  ) {
    super(versions);
    this.repository = touchpointRepository(database);
  }

  /** Rows a write of this process changed. */
  applied(rows: readonly TouchRow[]): void {
    if (rows.length === 0) return;
    this.apply(() => this.pendingRows.push(this.compact(rows)));
  }

  /** The rows as columns; customer ids interned now (in the shared interner, as revenue writes do), campaign ids kept once each. */
  private compact(rows: readonly TouchRow[]): PendingTouches {
    const n = rows.length;
    const pending: PendingTouches = { slots: new Int32Array(n), customers: new Int32Array(n), campaigns: new Int32Array(n), campaignIds: [], occurredAt: new Float64Array(n) };
    const campaignIndex = new Map<string, number>();
    for (let i = 0; i < n; i++) {
      const [slot, customerId, campaignId, occurredAt] = rows[i]!;
      let campaign = campaignIndex.get(campaignId);
      if (campaign === undefined) campaignIndex.set(campaignId, (campaign = pending.campaignIds.push(campaignId) - 1));
      if (!(slot >= 0 && slot <= 0x7fffffff)) throw new RangeError(`slot ${slot} is out of the touch store's range`);
      pending.slots[i] = slot;
      pending.customers[i] = this.customers.indexOf(customerId);
      pending.campaigns[i] = campaign;
      pending.occurredAt[i] = occurredAt;
    }
    return pending;
  }

  protected async load(): Promise<TouchStore> {
    this.pendingRows = [];
    const store = new TouchStore((slots) => this.idsOf(slots), this.customers);
    await this.repository.readAll((slot, customer, campaign, at) => store.put(slot, customer, campaign, at));
    return store;
  }

  protected override toParts(store: TouchStore): Uint8Array[] {
    return store.toParts();
  }

  protected override fromParts(parts: readonly Uint8Array[]): TouchStore {
    const store = TouchStore.fromParts(parts, (slots) => this.idsOf(slots), this.customers);
    this.pendingRows = [];
    return store;
  }

  protected override changeCursor(): Promise<bigint | null> {
    return this.repository.changeCursor();
  }

  /** The changed rows go after the ones writes handed over (older), and are put and sorted by the deferred step. */
  protected override async catchUp(_store: TouchStore, cursor: bigint): Promise<void> {
    const rows: TouchRow[] = [];
    await this.repository.readChangedSince(cursor, (slot, customerId, campaignId, occurredAt) => rows.push([slot, customerId, campaignId, occurredAt]));
    if (rows.length > 0) this.pendingRows.push(this.compact(rows));
  }

  private idsOf(slots: readonly number[]): string[] {
    const missing = slots.filter((slot) => !this.tieIds.has(slot));
    if (missing.length > 0) throw new MissingIds(missing);
    return slots.map((slot) => this.tieIds.get(slot)!);
  }

  /** Sorting five million touches into reading order takes a couple of seconds; a report should not pay for it. */
  protected override async prepare(store: TouchStore): Promise<boolean> {
    for (const rows of this.pendingRows) {
      for (let i = 0; i < rows.slots.length; i++) store.putCustomer(rows.slots[i]!, rows.customers[i]!, rows.campaignIds[rows.campaigns[i]!]!, rows.occurredAt[i]!);
    }
    this.pendingRows = [];
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
