/**
 * The report stores' binary parts (a restart restores them from a snapshot
 * instead of reading every row): a store restored from its parts answers
 * exactly as the original, gives the same bytes back, goes on taking puts,
 * and parts that do not fit are refused with a RangeError.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Interner, TouchStore, type TimeRange, type TouchTable } from '../../src/domain/attribution/index.js';
import { DailySpend } from '../../src/domain/daily-spend.js';
import { RevenueStore } from '../../src/domain/revenue-store.js';
import { bytes, headerWith, int32At, laidOut, withPart } from './parts.js';

const plain = (table: TouchTable) => ({
  customerCount: table.customerCount,
  campaignCount: table.campaignCount,
  customerStart: Array.from(table.customerStart),
  occurredAt: Array.from(table.occurredAt),
  campaign: Array.from(table.campaign),
});

/** A touch put into a slot; slots from a small range, so that replacements are common. */
const touchPutArb = fc.record({
  slot: fc.integer({ min: 0, max: 30 }),
  customer: fc.constantFrom('c1', 'c2', 'c3', 'cé', 'c😀'),
  campaign: fc.constantFrom('A', 'B', 'C'),
  at: fc.integer({ min: 0, max: 6 }).map((n) => n * 1000),
});

/** A revenue event; a refund names a slot that may hold a conversion, a refund or nothing. */
const revenuePutArb = fc.record({
  slot: fc.integer({ min: 0, max: 20 }),
  customer: fc.constantFrom('c1', 'c2', 'c4'),
  at: fc.integer({ min: 0, max: 6 }).map((n) => n * 1000),
  micros: fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
  currency: fc.constantFrom('EUR', 'USD', 'JPY'),
  refundOf: fc.option(fc.integer({ min: 0, max: 22 }), { nil: null }),
});

const windowArb = fc.record({ from: fc.integer({ min: -1, max: 7 }), span: fc.integer({ min: 0, max: 8 }) }).map(({ from, span }): TimeRange => ({ start: from * 1000, end: (from + span) * 1000 }));

/** The touchpoint id of a slot: what the store asks for to break ties. */
const idOf = (slot: number) => `tp-${(slot * 7919) % 31}`;

function visits(store: RevenueStore, range: TimeRange): unknown[] {
  const seen: unknown[] = [];
  try {
    store.forEachInRange(range, (attributedAt, occurredAt, micros, currency, isRefund, customer) => {
      seen.push([store.customers.nameOf(customer), attributedAt, occurredAt, micros, currency, isRefund]);
    });
  } catch (error) {
    // A refund of a slot that holds no conversion: the restored store must refuse the same read.
    seen.push(error instanceof RangeError ? 'RangeError' : error);
  }
  return seen;
}

describe('binary parts of the touch and revenue stores', () => {
  it('restore both stores over one restored customer interner, answering and encoding exactly as the originals', () => {
    fc.assert(
      fc.property(
        fc.array(touchPutArb, { maxLength: 40 }),
        fc.array(revenuePutArb, { maxLength: 30 }),
        fc.boolean(),
        fc.integer({ min: 0, max: 9 }),
        fc.array(windowArb, { minLength: 1, maxLength: 4 }),
        touchPutArb,
        (touchPuts, revenuePuts, sorted, offset, windows, laterPut) => {
          const customers = new Interner();
          const touches = new TouchStore((slots) => slots.map(idOf), customers);
          const revenue = new RevenueStore(customers);
          for (const p of touchPuts) touches.put(p.slot, p.customer, p.campaign, p.at);
          for (const p of revenuePuts) revenue.put(p.slot, p.customer, p.at, p.micros, p.currency, p.refundOf);
          if (sorted) touches.prepare();

          const customerParts = customers.toParts();
          const touchParts = touches.toParts();
          const revenueParts = revenue.toParts();
          expect(touchParts).toHaveLength(sorted ? 11 : 8);

          // As after a restart: a fresh interner both mirrors share, restored in place.
          const shared = new Interner();
          shared.restore(laidOut(customerParts, offset));
          let asked = 0;
          const restoredTouches = TouchStore.fromParts(laidOut(touchParts, offset), (slots) => {
            asked++;
            return slots.map(idOf);
          }, shared);
          const restoredRevenue = RevenueStore.fromParts(laidOut(revenueParts, offset + 3), shared);

          expect(bytes(restoredTouches.toParts())).toEqual(bytes(touchParts));
          expect(bytes(restoredRevenue.toParts())).toEqual(bytes(revenueParts));
          expect(restoredTouches.size).toBe(touches.size);
          expect(restoredRevenue.size).toBe(revenue.size);
          for (const window of windows) {
            expect(plain(restoredTouches.table(window))).toEqual(plain(touches.table(window)));
            expect(visits(restoredRevenue, window)).toEqual(visits(revenue, window));
          }
          // A restored reading order is used as it is: no sort, so no tie asked about.
          if (sorted) expect(asked).toBe(0);

          // Both go on taking puts alike (a new customer gets the same next index in both interners).
          touches.put(laterPut.slot + 5, `${laterPut.customer}-new`, laterPut.campaign, laterPut.at);
          restoredTouches.put(laterPut.slot + 5, `${laterPut.customer}-new`, laterPut.campaign, laterPut.at);
          expect(plain(restoredTouches.table({ start: -1e15, end: 1e15 }))).toEqual(plain(touches.table({ start: -1e15, end: 1e15 })));
          revenue.put(40, laterPut.customer, laterPut.at, 5n, 'GBP', null);
          restoredRevenue.put(40, laterPut.customer, laterPut.at, 5n, 'GBP', null);
          expect(visits(restoredRevenue, { start: -1e15, end: 1e15 })).toEqual(visits(revenue, { start: -1e15, end: 1e15 }));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('reserve allocates once and changes no answer', () => {
    const touches = new TouchStore(() => []);
    touches.reserve(5001);
    for (let slot = 1; slot <= 5000; slot++) touches.put(slot, `c${slot % 7}`, 'A', slot);
    touches.reserve(10); // smaller than held: a no-op
    expect(touches.table({ start: 0, end: 10_000 }).occurredAt).toHaveLength(5000);
    const revenue = new RevenueStore();
    revenue.reserve(3);
    revenue.put(2, 'c', 1000, 7n, 'EUR', null);
    revenue.put(2000, 'c', 1000, -7n, 'EUR', 2); // beyond the reservation: grows
    expect(visits(revenue, { start: 0, end: 2000 })).toEqual([
      ['c', 1000, 1000, 7n, 'EUR', false],
      ['c', 1000, 1000, -7n, 'EUR', true],
    ]);
    expect(() => touches.reserve(-1)).toThrow(RangeError);
    expect(() => revenue.reserve(1.5)).toThrow(RangeError);
  });

  /** Two touches of c1 at 1000 (slot 1, campaign A) and 2000 (slot 2, B), one of c2 at 500 (slot 3, A); sorted. */
  function threeTouches() {
    const customers = new Interner();
    const store = new TouchStore((slots) => slots.map(idOf), customers);
    store.put(1, 'c1', 'A', 1000);
    store.put(2, 'c1', 'B', 2000);
    store.put(3, 'c2', 'A', 500);
    store.prepare();
    return { customers, parts: store.toParts() };
  }

  it('refuses touch parts that do not fit, naming the fault', () => {
    const { customers, parts } = threeTouches();
    const refused = (corrupt: Uint8Array[], message: RegExp, interner = customers) => expect(() => TouchStore.fromParts(corrupt, () => [], interner)).toThrow(message);
    expect(() => TouchStore.fromParts(parts, () => [], customers)).not.toThrow();
    refused(parts.slice(0, 10), /10 parts, expected 11/);
    refused(withPart(parts, 0, (p) => headerWith(headerWith(p, 4, 0), 5, 0)), /11 parts, expected 8/);
    refused(withPart(parts, 0, (p) => headerWith(p, 1, 2)), /format version 2/);
    refused(withPart(parts, 0, (p) => headerWith(p, 3, 2)), /counts 2 touches, the columns hold 3/);
    refused(withPart(parts, 0, (p) => headerWith(p, 2, 5)), /customer column: 16 bytes, expected 20/);
    refused(withPart(parts, 1, (p) => int32At(p, 3, 2)), /slot 3: customer index 2 is not one of the 2 customers/);
    refused(withPart(parts, 2, (p) => int32At(p, 1, 7)), /slot 1: campaign index 7 is not one of the 2 campaigns/);
    // An instant that is no instant, in a slot (slot 2: c1 at 2000) and in a sorted row (row 2: c2 at 500).
    const float64At = (index: number, value: number) => (p: Uint8Array) => {
      new DataView(p.buffer, p.byteOffset).setFloat64(index * 8, value, true);
      return p;
    };
    refused(withPart(parts, 3, float64At(2, Number.NaN)), /slot 2: occurredAt NaN is not a finite instant/);
    refused(withPart(parts, 3, float64At(2, -Infinity)), /slot 2: occurredAt -Infinity is not a finite instant/);
    refused(withPart(parts, 9, float64At(2, Infinity)), /sorted row 2 is not a touch of the store/);
    refused(withPart(parts, 10, (p) => int32At(p, 2, -1)), /sorted row 2 is not a touch of the store/);
    // The customers interner it is restored over must hold every index: here a smaller one.
    const one = new Interner();
    one.indexOf('c1');
    refused(parts, /sorted customers is 2, outside \[0, 1\]/, one);
    refused(parts.slice(0, 8).map((p, i) => (i === 0 ? headerWith(headerWith(p, 4, 0), 5, 0) : p)), /slot 3: customer index 1 is not one of the 1 customers/, one);
    // Sorted rows: c1 A 1000, c1 B 2000, c2 A 500. Swapping the first two campaigns keeps the order but not the touches.
    refused(withPart(parts, 10, (p) => int32At(int32At(p, 0, 1), 1, 0)), /sorted columns do not hold the same touches/);
    // Sorted start [0, 2, 3]: c1's rows 0-1, c2's row 2.
    refused(withPart(parts, 8, (p) => int32At(p, 0, 1)), /sorted start column does not span the touches/);
    refused(withPart(parts, 8, (p) => int32At(p, 1, 4)), /customer 0's sorted rows end at 4, outside \[0, 3\]/);
    refused(withPart(parts, 0, (p) => headerWith(p, 5, 3)), /sorted customers is 3, outside \[0, 2\]/);
    // c1's second row (2000) set to 0, before its first (1000).
    refused(
      withPart(parts, 9, (p) => {
        new DataView(p.buffer).setFloat64(8, 0, true);
        return p;
      }),
      /sorted row 1 is out of order/,
    );
  });

  it('refuses revenue parts that do not fit, naming the fault', () => {
    const revenue = new RevenueStore();
    revenue.put(0, 'alice', 1000, 50n, 'EUR', null);
    revenue.put(1, 'alice', 2000, -10n, 'EUR', 0);
    const parts = revenue.toParts();
    const refused = (corrupt: Uint8Array[], message: RegExp) => expect(() => RevenueStore.fromParts(corrupt, revenue.customers)).toThrow(message);
    expect(() => RevenueStore.fromParts(parts, revenue.customers)).not.toThrow();
    refused(parts.slice(1), /6 parts, expected 7/);
    refused(withPart(parts, 0, (p) => headerWith(p, 0, 1)), /not a REVS header/);
    refused(withPart(parts, 0, (p) => headerWith(p, 4, 2)), /not a list of 2 strings/);
    refused(withPart(parts, 1, (p) => int32At(p, 1, 1)), /slot 1: customer index 1 is not one of the 1 customers/);
    refused(withPart(parts, 5, (p) => int32At(p, 1, -5)), /slot 1: refundOf -5 is not a slot/);
    refused(withPart(parts, 5, (p) => int32At(p, 1, -2)), /counts 2 events, the columns hold 1/);
    // Bytes 01 01: currency index 0x0101 = 257.
    refused(withPart(parts, 4, (p) => p.fill(1)), /slot 0: currency index 257 is not one of the 1 currencies/);
    refused(withPart(parts, 6, () => new TextEncoder().encode('["EUR"')), /not UTF-8 JSON/);
  });
});

/** A day's add or replacement; one amount beyond 64 bits, which the parts keep exactly all the same. */
const spendOpArb = fc.record({
  replace: fc.boolean(),
  day: fc.integer({ min: 20_000, max: 20_006 }),
  campaign: fc.constantFrom('A', 'B', 'C'),
  currency: fc.constantFrom('EUR', 'USD'),
  micros: fc.oneof(fc.bigInt({ min: -(10n ** 12n), max: 10n ** 12n }), fc.constant(2n ** 70n)),
});

function spendOf(store: DailySpend) {
  const seen: string[] = [];
  store.forEach(19_999, 20_007, (day, campaign, currency, micros) => seen.push(`${day} ${campaign} ${currency} ${micros}`));
  const sums = store.sumPerCampaign(20_000, 20_004, (currency, day) => (currency === 'EUR' ? 1n : day % 3 === 0 ? null : BigInt(day - 19_990)));
  return { seen, sums: [...sums].sort(), campaigns: [...store.campaignsIn(20_001, 20_003)].sort() };
}

describe('binary parts of DailySpend', () => {
  it('restore the sums exactly, from any byte offset, and the same bytes back', () => {
    fc.assert(
      fc.property(fc.array(spendOpArb, { maxLength: 40 }), fc.integer({ min: 0, max: 9 }), (ops, offset) => {
        const store = new DailySpend();
        for (const op of ops) {
          if (op.replace) store.replaceDay(op.day, [[op.campaign, op.currency, op.micros]]);
          else store.add(op.day, op.campaign, op.currency, op.micros);
        }
        const parts = store.toParts();
        const restored = DailySpend.fromParts(laidOut(parts, offset));
        expect(spendOf(restored)).toEqual(spendOf(store));
        expect(bytes(restored.toParts())).toEqual(bytes(parts));
        store.add(20_001, 'D', 'EUR', 3n);
        restored.add(20_001, 'D', 'EUR', 3n);
        expect(spendOf(restored)).toEqual(spendOf(store));
      }),
      { numRuns: 200 },
    );
  });

  it('refuses parts that do not fit, naming the fault', () => {
    const store = new DailySpend();
    store.add(20_000, 'A', 'EUR', 5n);
    store.add(20_000, 'B', 'EUR', 2n ** 64n);
    store.add(20_001, 'A', 'EUR', 7n);
    const parts = store.toParts();
    const refused = (corrupt: Uint8Array[], message: RegExp) => expect(() => DailySpend.fromParts(corrupt)).toThrow(message);
    expect(DailySpend.fromParts(parts).sumPerCampaign(20_000, 20_001, () => 1n)).toEqual(new Map([['A', 12n], ['B', 2n ** 64n]]));
    refused(withPart(parts, 0, (p) => headerWith(p, 1, 0)), /format version 0/);
    refused(withPart(parts, 4, (p) => int32At(p, 1, 9)), /day 1: its sums end at 9, outside \[2, 3\]/);
    refused(withPart(parts, 4, (p) => int32At(p, 1, 2)), /the days' sums end at 2, the header counts 3/);
    // Day 20,000's second sum made campaign A again: A in EUR twice that day.
    refused(withPart(parts, 5, (p) => int32At(p, 1, 0)), /its day has that campaign and currency twice/);
    refused(withPart(parts, 5, (p) => int32At(p, 2, 2)), /sum 2: its campaign or currency index is out of range/);
    refused(withPart(parts, 8, () => new TextEncoder().encode('[[1,"5"]]')), /big sum 1 fits the micros column/);
    refused(withPart(parts, 8, () => new TextEncoder().encode('[[3,"99999999999999999999"]]')), /not a list of \[sum index, integer\] pairs/);
  });
});
