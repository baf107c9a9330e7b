/**
 * Every touchpoint in memory, in columns, ready to cut into the engine's
 * TouchTable for any time window in one pass.
 *
 * Why: a year of data set L is three million touches, and reading them
 * from SQLite (string ids, an ORDER BY over the whole table) takes seconds
 * per report. Here a touch costs 16 bytes by slot (customer and campaign as
 * dense indices, the instant as a double) and 12 more in reading order,
 * customer and campaign ids are interned once (Interner: no JS string per
 * id), and the order docs/reports.md's models read touches in (customer,
 * then occurredAt, then touchpoint id) is computed once and kept until a
 * touch changes. `toParts`/`fromParts` save and restore all of it, the
 * reading order included, for a restart that does not read the table.
 *
 * A touch is addressed by a slot, the caller's stable row number (the
 * service uses SQLite's rowid, which an upsert keeps): `put` adds or
 * replaces the touch in a slot; `stage` does too, seen by `table` only
 * after the next `prepare` (the service's writes, while reports read). Ties on (customer, occurredAt) are broken
 * by touchpoint id, which the store does not keep (5 million strings would
 * cost more than everything else here): `idsOf` is asked for the ids of the
 * tied slots only, which real data rarely has.
 *
 * Pure: no SQL, no clock. The service owns loading and invalidation.
 */
import type { TimeRange, TouchTable } from './inputs.js';
import { bytesOf, column, expectCount, header, readHeader } from '../binary-parts.js';
import { grownColumn } from '../growable.js';
import { Interner } from '../interner.js';

export { Interner } from '../interner.js';

/** Asked for the touchpoint ids of tied slots; returns them in the same order. */
export type IdsOf = (slots: readonly number[]) => readonly string[];

const EMPTY = -1;
const VERSION = 1;
const MAX_SLOT = 2 ** 31 - 1;
/** Parts: the header, three slot columns, the campaigns interner's four, then the sorted ones (start, occurredAt, campaign) if computed. */
const PARTS = 8;

function identity(size: number): Int32Array {
  return Int32Array.from({ length: size }, (_, i) => i);
}

/**
 * Every touch in reading order: customer c's touches are rows [start[c],
 * start[c + 1]). The customer of a row is kept as these offsets, 4 bytes a
 * customer, rather than as a column of 4 bytes a touch (40 MB at ten million).
 */
interface SortedColumns {
  start: Int32Array;
  occurredAt: Float64Array;
  campaign: Int32Array;
}

export class TouchStore {
  readonly campaigns = new Interner();
  private customer = new Int32Array(1024).fill(EMPTY);
  private campaign = new Int32Array(1024);
  private occurredAt = new Float64Array(1024);
  /** One above the highest slot ever put. */
  private end = 0;
  private count = 0;
  /**
   * Every touch in reading order, as columns, or null when a put has made
   * them stale. Kept as copies rather than as a list of slots: cutting a
   * window then reads memory in sequence, where following slots into the
   * columns above cost a cache miss per touch (a second for a year of data
   * set L, against some 50 ms).
   */
  private sorted: SortedColumns | null = null;
  /** Touches were staged since the reading order was computed: `prepare` computes it again. */
  private staged = false;

  /**
   * @param customers Customer ids as dense indices. The service shares one
   * interner with the revenue events, so that a conversion's customer is
   * already an index into the touch table (a customer who converted without
   * a touch is an index with no touches).
   */
  constructor(
    private readonly idsOf: IdsOf,
    readonly customers = new Interner(),
  ) {}

  /** How many touches the store holds. */
  get size(): number {
    return this.count;
  }

  /** Makes room for slots below `slots` at once (exactly), for a load that knows its highest slot; growth beyond stays amortised. */
  reserve(slots: number): void {
    if (!Number.isInteger(slots) || slots < 0 || slots > MAX_SLOT + 1) throw new RangeError(`slots must be a slot count (got ${slots})`);
    if (slots > this.customer.length) this.resize(slots);
  }

  /**
   * The store as binary parts (see binary-parts.ts): the header (end, count,
   * whether the reading order is in), the slot columns up to the highest
   * slot, the campaigns interner, and the sorted columns if computed (so
   * that a restored store does not sort again). The customers interner is
   * not in them: it is shared, and saved once by the caller. Views over the
   * live columns: write them out before the next put.
   */
  toParts(): Uint8Array[] {
    const end = this.end;
    // A reading order older than staged touches is not theirs: left out, a restored store sorts again.
    const sorted = this.staged ? null : this.sorted;
    const parts = [
      header('TCHS', VERSION, [end, this.count, sorted ? 1 : 0, sorted ? sorted.start.length - 1 : 0]),
      bytesOf(this.customer.subarray(0, end)),
      bytesOf(this.campaign.subarray(0, end)),
      bytesOf(this.occurredAt.subarray(0, end)),
      ...this.campaigns.toParts(),
    ];
    if (sorted) parts.push(bytesOf(sorted.start), bytesOf(sorted.occurredAt), bytesOf(sorted.campaign));
    return parts;
  }

  /**
   * A store holding what `parts` (from toParts) hold, its customers indices
   * into `customers` (restored first, by the caller). Checks every index,
   * instant and count, and that the sorted columns hold the same touches
   * (a checksum) in order; throws a RangeError naming what does not fit.
   * The columns are views over the parts' buffers where aligned: the store
   * owns them from then on.
   */
  static fromParts(parts: readonly Uint8Array[], idsOf: IdsOf, customers: Interner): TouchStore {
    const [end, count, hasSorted, sortedCustomers] = readHeader('touch store', parts[0], 'TCHS', VERSION, 4) as [number, number, number, number];
    expectCount('touch store end', end, 0, MAX_SLOT + 1);
    expectCount('touch store count', count, 0, end);
    expectCount('touch store sorted flag', hasSorted, 0, 1);
    expectCount('touch store sorted customers', sortedCustomers, 0, hasSorted ? customers.size : 0);
    if (parts.length !== PARTS + 3 * hasSorted) throw new RangeError(`touch store: ${parts.length} parts, expected ${PARTS + 3 * hasSorted}`);
    const store = new TouchStore(idsOf, customers);
    store.campaigns.restore(parts.slice(4, PARTS));
    const customer = column('touch store customer column', parts[1], Int32Array, end);
    const campaign = column('touch store campaign column', parts[2], Int32Array, end);
    const occurredAt = column('touch store occurredAt column', parts[3], Float64Array, end);
    const customerCount = customers.size;
    const campaignCount = store.campaigns.size;
    const words = new Uint32Array(occurredAt.buffer, occurredAt.byteOffset, end * 2);
    // One tight pass: an index below 0 is a large unsigned number, and an instant is not finite when its exponent
    // bits are all ones; the slot at fault is then found and named by the slow check.
    let touches = 0;
    let checksum = 0;
    for (let slot = 0; slot < end; slot++) {
      const c = customer[slot]!;
      if (c === EMPTY) continue;
      const k = campaign[slot]!;
      const high = words[2 * slot + 1]!;
      if ((c >>> 0) >= customerCount || (k >>> 0) >= campaignCount || (high & INFINITE) === INFINITE) badSlot(slot, c, k, occurredAt[slot]!, customerCount, campaignCount);
      touches++;
      checksum = (checksum + touchHash(c, k, words[2 * slot]!, high)) | 0;
    }
    if (touches !== count) throw new RangeError(`touch store: the header counts ${count} touches, the columns hold ${touches}`);
    store.customer = customer;
    store.campaign = campaign;
    store.occurredAt = occurredAt;
    store.end = end;
    store.count = count;
    if (hasSorted) {
      const sorted: SortedColumns = {
        start: column('touch store sorted start column', parts[PARTS], Int32Array, sortedCustomers + 1),
        occurredAt: column('touch store sorted occurredAt column', parts[PARTS + 1], Float64Array, count),
        campaign: column('touch store sorted campaign column', parts[PARTS + 2], Int32Array, count),
      };
      const sortedWords = new Uint32Array(sorted.occurredAt.buffer, sorted.occurredAt.byteOffset, count * 2);
      let sortedChecksum = 0;
      if (sorted.start[0] !== 0 || sorted.start[sortedCustomers] !== count) throw new RangeError('touch store: the sorted start column does not span the touches');
      const sortedStart = sorted.start;
      const sortedAt = sorted.occurredAt;
      const sortedCampaign = sorted.campaign;
      for (let c = 0; c < sortedCustomers; c++) {
        const from = sortedStart[c]!;
        const to = sortedStart[c + 1]!;
        if (to < from || to > count) throw new RangeError(`touch store: customer ${c}'s sorted rows end at ${to}, outside [${from}, ${count}]`);
        let previous = -Infinity;
        for (let i = from; i < to; i++) {
          const k = sortedCampaign[i]!;
          const at = sortedAt[i]!;
          const high = sortedWords[2 * i + 1]!;
          if ((k >>> 0) >= campaignCount || (high & INFINITE) === INFINITE) throw new RangeError(`touch store sorted row ${i} is not a touch of the store`);
          if (at < previous) throw new RangeError(`touch store sorted row ${i} is out of order`);
          previous = at;
          sortedChecksum = (sortedChecksum + touchHash(c, k, sortedWords[2 * i]!, high)) | 0;
        }
      }
      if (sortedChecksum !== checksum) throw new RangeError('touch store: the sorted columns do not hold the same touches as the slot columns');
      store.sorted = sorted;
    }
    return store;
  }

  /** Adds the touch in `slot`, or replaces the one there (putting the same touch again changes nothing). */
  put(slot: number, customerId: string, campaignId: string, occurredAt: number): void {
    this.putCustomer(slot, this.customers.indexOf(customerId), campaignId, occurredAt);
  }

  /** `put` for a customer already interned in `customers` (its index). */
  putCustomer(slot: number, customer: number, campaignId: string, occurredAt: number): void {
    if (this.write(slot, customer, campaignId, occurredAt)) this.sorted = null;
  }

  /**
   * `putCustomer`, seen by `table` only after the next `prepare`: until then
   * `table` reads the reading order as it was (a report that holds the store
   * while writes come in reads what it was prepared with, and never sorts).
   * Why: a write's rows go straight into the columns, instead of waiting in
   * a list of their own until the sort (20 bytes a touch, 200 MB for an
   * ingest of ten million touches with no quiet second).
   */
  stage(slot: number, customer: number, campaignId: string, occurredAt: number): void {
    if (this.write(slot, customer, campaignId, occurredAt)) this.staged = true;
  }

  /** Writes the touch into the slot columns; false if the slot held that very touch. */
  private write(slot: number, customer: number, campaignId: string, occurredAt: number): boolean {
    if (!Number.isInteger(slot) || slot < 0) throw new RangeError(`slot must be a non-negative integer (got ${slot})`);
    if (!Number.isFinite(occurredAt)) throw new RangeError(`occurredAt of slot ${slot} must be a finite epoch-millisecond instant`);
    if (!Number.isInteger(customer) || customer < 0 || customer >= this.customers.size) throw new RangeError(`customer of slot ${slot} must be an index of the customers interner (got ${customer})`);
    if (slot >= this.customer.length) this.grow(slot + 1);
    const campaign = this.campaigns.indexOf(campaignId);
    const before = this.customer[slot];
    // The same touch put again (a re-sent batch) keeps the reading order.
    if (before === customer && this.campaign[slot] === campaign && this.occurredAt[slot] === occurredAt) return false;
    if (before === EMPTY) this.count++;
    this.customer[slot] = customer;
    this.campaign[slot] = campaign;
    this.occurredAt[slot] = occurredAt;
    if (slot >= this.end) this.end = slot + 1;
    return true;
  }

  /**
   * The touches with occurredAt in [window.start, window.end), as the
   * engine's table: customers numbered as in `customers`, with room for
   * `extraCustomers` more (customers the caller met elsewhere, such as
   * converters with no touch, numbered from customers.size up). Campaigns
   * are numbered as in `campaigns`, or through `campaignMap` (store index to
   * the caller's), so that the caller can number them in an order that does
   * not depend on the order touches arrived in.
   */
  table(window: TimeRange, extraCustomers = 0, campaignMap?: Int32Array): TouchTable {
    if (campaignMap && campaignMap.length !== this.campaigns.size) throw new RangeError('campaignMap must have one entry per campaign in the store');
    const sorted = this.readingOrder();
    const { start, end } = window;
    const at = sorted.occurredAt;
    const n = at.length;
    // The window's touches are not contiguous (the columns run by customer), so count them, then copy them. Both
    // loops are branch-free (a year is about half of the instants, which no branch predictor guesses): every
    // touch is written at the next row, which moves on only when the touch is in the window; the extra last
    // row takes the writes after the final one.
    let rows = 0;
    for (let i = 0; i < n; i++) {
      const t = at[i]!;
      rows += Number(t >= start) & Number(t < end);
    }
    const occurredAt = new Float64Array(rows + 1);
    const campaign = new Int32Array(rows + 1);
    const map = campaignMap ?? identity(this.campaigns.size);
    // Customers met after the sort (converters with no touch, through the shared interner) and the caller's extra ones have no rows.
    const customerCount = this.customers.size + extraCustomers;
    const customerStart = new Int32Array(customerCount + 1);
    const sortedCustomers = sorted.start.length - 1;
    let row = 0;
    for (let c = 0; c < sortedCustomers; c++) {
      customerStart[c] = row;
      const to = sorted.start[c + 1]!;
      for (let i = sorted.start[c]!; i < to; i++) {
        const t = at[i]!;
        occurredAt[row] = t;
        campaign[row] = map[sorted.campaign[i]!]!;
        row += Number(t >= start) & Number(t < end);
      }
    }
    customerStart.fill(row, sortedCustomers);
    return { customerCount, campaignCount: this.campaigns.size, customerStart, occurredAt: occurredAt.subarray(0, rows), campaign: campaign.subarray(0, rows) };
  }

  /** Computes the reading order now, staged touches included, so that the next `table` does not have to (it is kept until a put). */
  prepare(): void {
    // The old order goes first: the sort's own columns are as large (a sort that stops for tie ids starts over).
    if (this.staged) this.sorted = null;
    this.readingOrder();
  }

  /**
   * Every touch, sorted by (customer, occurredAt, touchpoint id):
   * a counting sort by customer, then each customer's few touches by time,
   * then the tied runs by id.
   */
  private readingOrder(): SortedColumns {
    if (this.sorted) return this.sorted;
    const customers = this.customers.size;
    // next[c] starts as where customer c's touches begin and walks up as they are placed: it ends where c + 1's begin.
    const next = new Int32Array(customers + 1);
    for (let slot = 0; slot < this.end; slot++) {
      const c = this.customer[slot]!;
      if (c !== EMPTY) next[c + 1]!++;
    }
    for (let c = 0; c < customers; c++) next[c + 1]! += next[c]!;
    // The slots in reading order. This array becomes the sorted campaign column at the end (each slot read
    // before its place is overwritten), so that sorting ten million touches allocates no transient 40 MB.
    const order = new Int32Array(this.count);
    // Slots go in ascending, so equal instants start out in slot order: a stable base for the tie-break.
    for (let slot = 0; slot < this.end; slot++) {
      const c = this.customer[slot]!;
      if (c !== EMPTY) order[next[c]!++] = slot;
    }
    const at = this.occurredAt;
    const tied: number[] = [];
    let from = 0;
    for (let c = 0; c < customers; c++) {
      const to = next[c]!;
      // Insertion sort by instant: a customer has a handful of touches.
      for (let i = from + 1; i < to; i++) {
        const slot = order[i]!;
        const key = at[slot]!;
        let j = i - 1;
        while (j >= from && at[order[j]!]! > key) {
          order[j + 1] = order[j]!;
          j--;
        }
        order[j + 1] = slot;
      }
      for (let i = from + 1; i < to; i++) {
        if (at[order[i]!] === at[order[i - 1]!]) {
          // Collect the whole run once, from its first member.
          if (tied.length === 0 || tied[tied.length - 1] !== i - 1) tied.push(i - 1);
          tied.push(i);
        }
      }
      from = to;
    }
    if (tied.length > 0) this.breakTies(order, tied);
    const occurredAt = new Float64Array(order.length);
    for (let i = 0; i < order.length; i++) {
      const slot = order[i]!;
      occurredAt[i] = at[slot]!;
      order[i] = this.campaign[slot]!;
    }
    // next[c] is where c + 1's touches begin: shifted up by one, it is where c's begin.
    next.copyWithin(1, 0, customers);
    next[0] = 0;
    this.sorted = { start: next, occurredAt, campaign: order };
    this.staged = false;
    return this.sorted;
  }

  /** Sorts each run of equal (customer, instant) by touchpoint id, as SQLite's BINARY collation orders the ASCII ids. */
  private breakTies(order: Int32Array, positions: number[]): void {
    const ids = this.idsOf(positions.map((p) => order[p]!));
    const idOfSlot = new Map<number, string>();
    positions.forEach((p, k) => idOfSlot.set(order[p]!, ids[k]!));
    let runStart = 0;
    for (let k = 1; k <= positions.length; k++) {
      const continues =
        k < positions.length &&
        positions[k] === positions[k - 1]! + 1 &&
        this.customer[order[positions[k]!]!] === this.customer[order[positions[k - 1]!]!] &&
        this.occurredAt[order[positions[k]!]!] === this.occurredAt[order[positions[k - 1]!]!];
      if (continues) continue;
      const from = positions[runStart]!;
      const run = Array.from(order.subarray(from, positions[k - 1]! + 1)).sort((a, b) => {
        const x = idOfSlot.get(a)!;
        const y = idOfSlot.get(b)!;
        return x < y ? -1 : x > y ? 1 : 0;
      });
      order.set(run, from);
      runStart = k;
    }
  }

  private grow(minimum: number): void {
    this.customer = grownColumn(this.customer, minimum, EMPTY);
    this.campaign = grownColumn(this.campaign, minimum);
    this.occurredAt = grownColumn(this.occurredAt, minimum);
  }

  private resize(capacity: number): void {
    this.customer = grownColumn(this.customer, capacity, EMPTY, true);
    this.campaign = grownColumn(this.campaign, capacity, undefined, true);
    this.occurredAt = grownColumn(this.occurredAt, capacity, undefined, true);
  }
}

/** The exponent bits of a double's high word: all ones for an infinity or a NaN. */
const INFINITE = 0x7ff00000;

/** Throws the RangeError naming what is wrong with a slot the fast check refused. */
function badSlot(slot: number, c: number, k: number, at: number, customerCount: number, campaignCount: number): never {
  if (c < 0 || c >= customerCount) throw new RangeError(`touch store slot ${slot}: customer index ${c} is not one of the ${customerCount} customers`);
  if (k < 0 || k >= campaignCount) throw new RangeError(`touch store slot ${slot}: campaign index ${k} is not one of the ${campaignCount} campaigns`);
  throw new RangeError(`touch store slot ${slot}: occurredAt ${at} is not a finite instant`);
}

/** A touch's contribution to an order-free checksum of the store's touches (the instant as its two words). */
function touchHash(customer: number, campaign: number, low: number, high: number): number {
  let h = Math.imul(customer ^ 0x9e3779b9, 0x85ebca6b);
  h = Math.imul(h ^ campaign ^ (h >>> 13), 0xc2b2ae35);
  h = Math.imul(h ^ low ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ high ^ (h >>> 13), 0xc2b2ae35);
  return h ^ (h >>> 16);
}
