/**
 * Every revenue event (conversions and refunds) in memory, in columns: what
 * the ROI and attribution reports read of revenue, without reading a year's
 * 250,000 conversions from SQLite for each report.
 *
 * An event is addressed by a slot, the caller's stable row number (the
 * service uses SQLite's rowid, which an upsert keeps); `put` adds or
 * replaces the event in a slot. A refund names its conversion by the
 * conversion's slot, so it is attributed at the conversion's customer and
 * instant as they are when the report runs, even if the conversion was
 * rewritten after the refund.
 *
 * Pure: no SQL, no clock. The service keeps it equal to the table.
 */
import type { TimeRange } from './attribution/index.js';
import { bytesOf, column, expectCount, expectParts, header, readHeader, stringList, stringListPart } from './binary-parts.js';
import { grownColumn } from './growable.js';
import { Interner } from './interner.js';

const EMPTY = -2;
const MAX_SLOT = 2 ** 31 - 1;
const MIN_MICROS = -(2n ** 63n);
const MAX_MICROS = 2n ** 63n - 1n;
/** Currencies a store can tell apart (ISO 4217 has under 200). */
const MAX_CURRENCIES = 2 ** 16;
const NONE = -1;
const VERSION = 1;

/**
 * One event as a report reads it: the instant attribution runs at (a
 * refund's is its conversion's), the event's own instant (its amount
 * converts at that date, and it counts in that month), its amount, and the
 * customer attribution runs for (a refund's is its conversion's), as an
 * index into `customers` (customers.nameOf gives the id; the reports need
 * the index only, and a million conversions should not make a million strings).
 */
export type RevenueVisitor = (
  attributedAt: number,
  occurredAt: number,
  micros: bigint,
  currency: string,
  isRefund: boolean,
  customerIndex: number,
) => void;

export class RevenueStore {
  /** The customer's index in `customers`, by slot. */
  private customer = new Int32Array(1024);
  private occurredAt = new Float64Array(1024);
  private micros = new BigInt64Array(1024);
  private currency = new Uint16Array(1024);
  /** The conversion's slot for a refund, NONE for a conversion, EMPTY for an empty slot. */
  private refundOf = new Int32Array(1024).fill(EMPTY);
  private readonly currencies: string[] = [];
  private readonly currencyIndex = new Map<string, number>();
  private end = 0;
  private count = 0;

  /** @param customers Customer ids as dense indices, shared with the touch store (see TouchStore). */
  constructor(readonly customers = new Interner()) {}

  get size(): number {
    return this.count;
  }

  /** Makes room for slots below `slots` at once (exactly), for a load that knows its highest slot; growth beyond stays amortised. */
  reserve(slots: number): void {
    if (!Number.isInteger(slots) || slots < 0 || slots > MAX_SLOT + 1) throw new RangeError(`slots must be a slot count (got ${slots})`);
    if (slots > this.occurredAt.length) this.resize(slots);
  }

  /**
   * The store as binary parts (see binary-parts.ts): the header (end, count,
   * currencies), the five slot columns up to the highest slot, and the
   * currency codes (UTF-8 JSON). The customers interner is not in them: it is
   * shared, and saved once by the caller. Views over the live columns: write
   * them out before the next put.
   */
  toParts(): Uint8Array[] {
    const end = this.end;
    return [
      header('REVS', VERSION, [end, this.count, this.currencies.length]),
      bytesOf(this.customer.subarray(0, end)),
      bytesOf(this.occurredAt.subarray(0, end)),
      bytesOf(this.micros.subarray(0, end)),
      bytesOf(this.currency.subarray(0, end)),
      bytesOf(this.refundOf.subarray(0, end)),
      stringListPart(this.currencies),
    ];
  }

  /**
   * A store holding what `parts` (from toParts) hold, its customers indices
   * into `customers` (restored first, by the caller). Checks every index,
   * instant and count; throws a RangeError naming what does not fit. The
   * columns are views over the parts' buffers where aligned: the store owns
   * them from then on.
   */
  static fromParts(parts: readonly Uint8Array[], customers: Interner): RevenueStore {
    expectParts('revenue store', parts, 7);
    const [end, count, currencyCount] = readHeader('revenue store', parts[0], 'REVS', VERSION, 3) as [number, number, number];
    expectCount('revenue store end', end, 0, MAX_SLOT + 1);
    expectCount('revenue store count', count, 0, end);
    expectCount('revenue store currency count', currencyCount, 0, MAX_CURRENCIES);
    const customer = column('revenue store customer column', parts[1], Int32Array, end);
    const occurredAt = column('revenue store occurredAt column', parts[2], Float64Array, end);
    const micros = column('revenue store micros column', parts[3], BigInt64Array, end);
    const currency = column('revenue store currency column', parts[4], Uint16Array, end);
    const refundOf = column('revenue store refundOf column', parts[5], Int32Array, end);
    const currencies = stringList('revenue store currencies', parts[6]!, currencyCount);
    let events = 0;
    for (let slot = 0; slot < end; slot++) {
      const of = refundOf[slot]!;
      if (of === EMPTY) continue;
      // A refund may name any slot (one that holds no conversion is reported when a report reads it, as put allows it).
      if (of < NONE) throw new RangeError(`revenue store slot ${slot}: refundOf ${of} is not a slot`);
      if (customer[slot]! < 0 || customer[slot]! >= customers.size) throw new RangeError(`revenue store slot ${slot}: customer index ${customer[slot]} is not one of the ${customers.size} customers`);
      if (currency[slot]! >= currencyCount) throw new RangeError(`revenue store slot ${slot}: currency index ${currency[slot]} is not one of the ${currencyCount} currencies`);
      if (!Number.isFinite(occurredAt[slot]!)) throw new RangeError(`revenue store slot ${slot}: occurredAt is not a finite instant`);
      events++;
    }
    if (events !== count) throw new RangeError(`revenue store: the header counts ${count} events, the columns hold ${events}`);
    const store = new RevenueStore(customers);
    store.customer = customer;
    store.occurredAt = occurredAt;
    store.micros = micros;
    store.currency = currency;
    store.refundOf = refundOf;
    currencies.forEach((code, index) => {
      store.currencies.push(code);
      store.currencyIndex.set(code, index);
    });
    store.end = end;
    store.count = count;
    return store;
  }

  /** Adds the event in `slot`, or replaces the one there. `refundOfSlot` is the slot of the conversion a refund refunds, null for a conversion. */
  put(slot: number, customerId: string, occurredAt: number, micros: bigint, currency: string, refundOfSlot: number | null): void {
    if (!Number.isInteger(slot) || slot < 0 || slot > MAX_SLOT) throw new RangeError(`slot must be a non-negative integer (got ${slot})`);
    if (refundOfSlot !== null && (!Number.isInteger(refundOfSlot) || refundOfSlot < 0 || refundOfSlot > MAX_SLOT)) {
      throw new RangeError(`refundOfSlot of slot ${slot} must be a slot`);
    }
    if (micros < MIN_MICROS || micros > MAX_MICROS) throw new RangeError(`micros of slot ${slot} must fit in 64 bits, as SQLite's INTEGER does`);
    if (!Number.isFinite(occurredAt)) throw new RangeError(`occurredAt of slot ${slot} must be a finite epoch-millisecond instant`);
    if (slot >= this.occurredAt.length) this.grow(slot + 1);
    if (this.refundOf[slot] === EMPTY) this.count++;
    this.customer[slot] = this.customers.indexOf(customerId);
    this.occurredAt[slot] = occurredAt;
    this.micros[slot] = micros;
    this.currency[slot] = this.currencyOf(currency);
    this.refundOf[slot] = refundOfSlot ?? NONE;
    if (slot >= this.end) this.end = slot + 1;
  }

  /**
   * The conversions that occurred in the range, then the refunds that
   * occurred in it (each with its conversion's customer and instant, which
   * may lie before the range), each group in slot order.
   */
  forEachInRange(range: TimeRange, visit: RevenueVisitor): void {
    const { start, end } = range;
    for (const refunds of [false, true]) {
      for (let slot = 0; slot < this.end; slot++) {
        const of = this.refundOf[slot]!;
        if (of === EMPTY || (of === NONE) === refunds) continue;
        const at = this.occurredAt[slot]!;
        if (at < start || at >= end) continue;
        const source = refunds ? of : slot;
        if (this.refundOf[source] !== NONE) throw new RangeError(`the refund in slot ${slot} names slot ${of}, which holds no conversion`);
        const customer = this.customer[source]!;
        visit(this.occurredAt[source]!, at, this.micros[slot]!, this.currencies[this.currency[slot]!]!, refunds, customer);
      }
    }
  }

  private currencyOf(currency: string): number {
    let index = this.currencyIndex.get(currency);
    if (index === undefined) {
      if (this.currencies.length === MAX_CURRENCIES) throw new RangeError(`more than ${MAX_CURRENCIES} currencies`);
      this.currencyIndex.set(currency, (index = this.currencies.push(currency) - 1));
    }
    return index;
  }

  private grow(minimum: number): void {
    this.growTo(minimum, false);
  }

  private resize(capacity: number): void {
    this.growTo(capacity, true);
  }

  /** In place where it can be (growable.ts): an ingest does not hold the columns twice while they grow. */
  private growTo(length: number, exact: boolean): void {
    this.customer = grownColumn(this.customer, length, undefined, exact);
    this.occurredAt = grownColumn(this.occurredAt, length, undefined, exact);
    this.micros = grownColumn(this.micros, length, undefined, exact);
    this.currency = grownColumn(this.currency, length, undefined, exact);
    this.refundOf = grownColumn(this.refundOf, length, EMPTY, exact);
  }
}
