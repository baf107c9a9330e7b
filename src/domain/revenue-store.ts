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
import { Interner, type TimeRange } from './attribution/index.js';

const EMPTY = -2;
const MAX_SLOT = 2 ** 31 - 1;
const MIN_MICROS = -(2n ** 63n);
const MAX_MICROS = 2n ** 63n - 1n;
/** Currencies a store can tell apart (ISO 4217 has under 200). */
const MAX_CURRENCIES = 2 ** 16;
const NONE = -1;

/**
 * One event as a report reads it: the customer and the instant attribution
 * runs at (a refund's are its conversion's), the event's own instant (its
 * amount converts at that date, and it counts in that month), its amount.
 */
export type RevenueVisitor = (
  customerId: string,
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
        visit(this.customers.names[customer]!, this.occurredAt[source]!, at, this.micros[slot]!, this.currencies[this.currency[slot]!]!, refunds, customer);
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
    const capacity = Math.max(minimum, Math.ceil(this.occurredAt.length * 1.5));
    const customer = new Int32Array(capacity);
    customer.set(this.customer);
    const occurredAt = new Float64Array(capacity);
    occurredAt.set(this.occurredAt);
    const micros = new BigInt64Array(capacity);
    micros.set(this.micros);
    const currency = new Uint16Array(capacity);
    currency.set(this.currency);
    const refundOf = new Int32Array(capacity).fill(EMPTY);
    refundOf.set(this.refundOf);
    this.customer = customer;
    this.occurredAt = occurredAt;
    this.micros = micros;
    this.currency = currency;
    this.refundOf = refundOf;
  }
}
