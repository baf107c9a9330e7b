/**
 * RevenueStore, the revenue events the reports read: the conversions that
 * occurred in a range, then the refunds that occurred in it, each refund
 * carrying its conversion's customer and instant as they are now.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RevenueStore } from '../../src/domain/revenue-store.js';
import type { TimeRange } from '../../src/domain/attribution/index.js';

type Visit = [customerId: string, attributedAt: number, occurredAt: number, micros: bigint, currency: string, isRefund: boolean];

/** What forEachInRange visits, in its order, the customer's index decoded to its id. */
function visits(store: RevenueStore, range: TimeRange): Visit[] {
  const seen: Visit[] = [];
  store.forEachInRange(range, (attributedAt, occurredAt, micros, currency, isRefund, customerIndex) => {
    seen.push([store.customers.nameOf(customerIndex), attributedAt, occurredAt, micros, currency, isRefund]);
  });
  return seen;
}

/** Alice converts for 50 EUR at 1000 and Bob for 30 USD at 2000; Alice is refunded 10 EUR at 2500. */
function aliceAndBob(): RevenueStore {
  const store = new RevenueStore();
  store.put(3, 'alice', 2500, -10_000_000n, 'EUR', 1);
  store.put(1, 'alice', 1000, 50_000_000n, 'EUR', null);
  store.put(2, 'bob', 2000, 30_000_000n, 'USD', null);
  return store;
}

describe('RevenueStore', () => {
  it('visits the conversions of the range, then its refunds, each with the customer and instant it is attributed at', () => {
    expect(visits(aliceAndBob(), { start: 0, end: 10_000 })).toEqual([
      ['alice', 1000, 1000, 50_000_000n, 'EUR', false],
      ['bob', 2000, 2000, 30_000_000n, 'USD', false],
      ['alice', 1000, 2500, -10_000_000n, 'EUR', true],
    ]);
  });

  it('takes the range as [start, end)', () => {
    const store = aliceAndBob();
    expect(visits(store, { start: 1000, end: 2000 })).toEqual([['alice', 1000, 1000, 50_000_000n, 'EUR', false]]);
    expect(visits(store, { start: 1001, end: 2001 })).toEqual([['bob', 2000, 2000, 30_000_000n, 'USD', false]]);
    expect(visits(store, { start: 2500, end: 2500 })).toEqual([]);
  });

  it('leaves out a refund after the range whose conversion is in it', () => {
    expect(visits(aliceAndBob(), { start: 0, end: 2500 })).toEqual([
      ['alice', 1000, 1000, 50_000_000n, 'EUR', false],
      ['bob', 2000, 2000, 30_000_000n, 'USD', false],
    ]);
  });

  it('visits a refund in the range whose conversion is before it, at the conversion’s customer and instant', () => {
    expect(visits(aliceAndBob(), { start: 2100, end: 3000 })).toEqual([['alice', 1000, 2500, -10_000_000n, 'EUR', true]]);
  });

  it('attributes a refund at its conversion as rewritten after the refund, and counts a replaced slot once', () => {
    const store = aliceAndBob();
    expect(store.size).toBe(3);
    // The conversion moves to Carol at 1500, for 60 EUR.
    store.put(1, 'carol', 1500, 60_000_000n, 'EUR', null);
    expect(store.size).toBe(3);
    expect(visits(store, { start: 0, end: 10_000 })).toEqual([
      ['carol', 1500, 1500, 60_000_000n, 'EUR', false],
      ['bob', 2000, 2000, 30_000_000n, 'USD', false],
      ['carol', 1500, 2500, -10_000_000n, 'EUR', true],
    ]);
    // The refund is rewritten to 20 EUR: still one event.
    store.put(3, 'carol', 2600, -20_000_000n, 'EUR', 1);
    expect(store.size).toBe(3);
    expect(visits(store, { start: 2100, end: 10_000 })).toEqual([['carol', 1500, 2600, -20_000_000n, 'EUR', true]]);
  });

  it('keeps the events below a slot far past its first capacity, and visits no empty slot', () => {
    const store = aliceAndBob();
    store.put(5000, 'dan', 4000, 7n, 'GBP', null);
    store.put(5001, 'dan', 4001, -7n, 'GBP', 5000);
    expect(store.size).toBe(5);
    expect(visits(store, { start: 0, end: 10_000 })).toEqual([
      ['alice', 1000, 1000, 50_000_000n, 'EUR', false],
      ['bob', 2000, 2000, 30_000_000n, 'USD', false],
      ['dan', 4000, 4000, 7n, 'GBP', false],
      ['alice', 1000, 2500, -10_000_000n, 'EUR', true],
      ['dan', 4000, 4001, -7n, 'GBP', true],
    ]);
  });

  it('refuses a slot that is not a non-negative integer, and an instant that is not finite', () => {
    const store = new RevenueStore();
    expect(() => store.put(-1, 'a', 0, 1n, 'EUR', null)).toThrow(RangeError);
    expect(() => store.put(1.5, 'a', 0, 1n, 'EUR', null)).toThrow(RangeError);
    expect(() => store.put(Number.NaN, 'a', 0, 1n, 'EUR', null)).toThrow(RangeError);
    expect(() => store.put(0, 'a', 0, -1n, 'EUR', -1)).toThrow(RangeError);
    expect(() => store.put(0, 'a', 0, -1n, 'EUR', 0.5)).toThrow(RangeError);
    expect(() => store.put(0, 'a', Number.NaN, 1n, 'EUR', null)).toThrow(RangeError);
    expect(() => store.put(0, 'a', Number.POSITIVE_INFINITY, 1n, 'EUR', null)).toThrow(RangeError);
    // Nothing was stored by a refused put.
    expect(store.size).toBe(0);
    expect(visits(store, { start: -1e15, end: 1e15 })).toEqual([]);
  });

  it('throws a RangeError when a refund in the range names a slot that holds no conversion', () => {
    const store = new RevenueStore();
    store.put(0, 'a', 100, -1n, 'EUR', 7); // slot 7 is empty
    expect(() => visits(store, { start: 0, end: 1000 })).toThrow(RangeError);
    expect(visits(store, { start: 200, end: 1000 })).toEqual([]); // out of the range, not looked at
    store.put(7, 'a', 50, -1n, 'EUR', 9); // now a refund
    expect(() => visits(store, { start: 0, end: 1000 })).toThrow(RangeError);
  });

  it('visits what a naive list of the events gives, in slot order, for any puts and any range', () => {
    interface Put {
      slot: number;
      customer: string;
      at: number;
      micros: bigint;
      currency: string;
      refundOf: number | null;
    }
    const slot = fc.oneof({ weight: 6, arbitrary: fc.integer({ min: 0, max: 12 }) }, { weight: 1, arbitrary: fc.integer({ min: 1020, max: 2100 }) });
    const put = fc.record({
      slot,
      customer: fc.constantFrom('c1', 'c2', 'c3'),
      at: fc.integer({ min: -2, max: 8 }).map((n) => n * 1000),
      micros: fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
      currency: fc.constantFrom('EUR', 'USD', 'JPY'),
      // Mostly slots that may hold a conversion; sometimes one that does not.
      refundOf: fc.option(fc.integer({ min: 0, max: 14 }), { freq: 2 }),
    });
    fc.assert(
      fc.property(fc.array(put, { maxLength: 40 }), fc.integer({ min: -3, max: 9 }), fc.integer({ min: 0, max: 12 }), (puts, from, span) => {
        const store = new RevenueStore();
        const model = new Map<number, Put>();
        for (const p of puts) {
          store.put(p.slot, p.customer, p.at, p.micros, p.currency, p.refundOf);
          model.set(p.slot, p);
        }
        expect(store.size).toBe(model.size);

        const range = { start: from * 1000, end: (from + span) * 1000 };
        const inRange = [...model.values()].filter((e) => e.at >= range.start && e.at < range.end).sort((a, b) => a.slot - b.slot);
        const expected: Visit[] = [];
        let throws = false;
        for (const e of inRange) if (e.refundOf === null) expected.push([e.customer, e.at, e.at, e.micros, e.currency, false]);
        for (const e of inRange) {
          if (e.refundOf === null) continue;
          const conversion = model.get(e.refundOf);
          if (conversion === undefined || conversion.refundOf !== null) {
            throws = true;
            break;
          }
          expected.push([conversion.customer, conversion.at, e.at, e.micros, e.currency, true]);
        }

        const seen: Visit[] = [];
        let threw = false;
        try {
          store.forEachInRange(range, (attributedAt, occurredAt, micros, currency, isRefund, customerIndex) => {
            seen.push([store.customers.nameOf(customerIndex), attributedAt, occurredAt, micros, currency, isRefund]);
          });
        } catch (error) {
          expect(error).toBeInstanceOf(RangeError);
          threw = true;
        }
        expect(threw).toBe(throws);
        expect(seen).toEqual(expected);
      }),
      { numRuns: 300 },
    );
  });
});
