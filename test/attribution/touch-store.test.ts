/**
 * TouchStore, the in-memory touchpoints the reports cut their tables from,
 * must give exactly the table buildTouchTable gives from the same touches
 * (which sorts by customer, occurredAt, then id, as SQL's ORDER BY does),
 * whatever order the touches were put in, and after any replacement.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildTouchTable, TouchStore, type TimeRange, type TouchTable } from '../../src/domain/attribution/index.js';

interface Touch {
  id: string;
  customer: string;
  campaign: string;
  at: number;
}

/** The store over `touches`, slot i + 1 holding touch i (as rowids start at 1), and how often it asked for ids. */
function storeOf(touches: Touch[], putOrder: number[] = touches.map((_, i) => i)) {
  const asked: number[][] = [];
  const store = new TouchStore((slots) => {
    asked.push([...slots]);
    return slots.map((slot) => touches[slot - 1]!.id);
  });
  for (const i of putOrder) store.put(i + 1, touches[i]!.customer, touches[i]!.campaign, touches[i]!.at);
  return { store, asked };
}

/** The reference: buildTouchTable over the touches in the window, with the store's indices. */
function expectedTable(store: TouchStore, touches: Touch[], window: TimeRange): TouchTable {
  const inputs = touches
    .filter((t) => t.at >= window.start && t.at < window.end)
    .map((t) => ({ id: t.id, customer: store.customers.find(t.customer)!, campaign: store.campaigns.find(t.campaign)!, occurredAt: t.at }));
  return buildTouchTable(inputs, store.customers.size, store.campaigns.size);
}

const plain = (table: TouchTable) => ({
  customerCount: table.customerCount,
  campaignCount: table.campaignCount,
  customerStart: Array.from(table.customerStart),
  occurredAt: Array.from(table.occurredAt),
  campaign: Array.from(table.campaign),
});

const touchesArb = fc
  .array(
    fc.record({
      customer: fc.constantFrom('c1', 'c2', 'c3', 'c4'),
      campaign: fc.constantFrom('A', 'B', 'C'),
      // A few instants only, so that ties on (customer, instant) are common.
      at: fc.integer({ min: 0, max: 6 }).map((n) => n * 1000),
      idSuffix: fc.string({ minLength: 0, maxLength: 3 }),
    }),
    { maxLength: 40 },
  )
  .map((rows) => rows.map((row, i): Touch => ({ id: `t${row.idSuffix.replace(/[^A-Za-z0-9]/g, 'x')}-${i}`, customer: row.customer, campaign: row.campaign, at: row.at })));

describe('TouchStore', () => {
  it('gives buildTouchTable’s table for any window, whatever order the touches were put in', () => {
    fc.assert(
      fc.property(touchesArb, fc.integer({ min: -1, max: 7 }), fc.integer({ min: 0, max: 8 }), fc.boolean(), (touches, from, span, reversed) => {
        const order = touches.map((_, i) => i);
        if (reversed) order.reverse();
        const { store } = storeOf(touches, order);
        const window = { start: from * 1000, end: (from + span) * 1000 };
        expect(plain(store.table(window))).toEqual(plain(expectedTable(store, touches, window)));
        expect(store.size).toBe(touches.length);
      }),
      { numRuns: 300 },
    );
  });

  it('breaks ties on the same instant by id, asking for the tied slots only', () => {
    const touches: Touch[] = [
      { id: 'tp-b', customer: 'c1', campaign: 'B', at: 5000 },
      { id: 'tp-a', customer: 'c1', campaign: 'A', at: 5000 },
      { id: 'tp-c', customer: 'c1', campaign: 'C', at: 1000 },
      { id: 'tp-z', customer: 'c2', campaign: 'C', at: 5000 },
    ];
    const { store, asked } = storeOf(touches);
    const table = store.table({ start: 0, end: 10_000 });
    // c1: C at 1000, then the tie at 5000 in id order: tp-a (A) before tp-b (B); c2: C.
    const name = (i: number) => store.campaigns.nameOf(i);
    expect(Array.from(table.campaign).map(name)).toEqual(['C', 'A', 'B', 'C']);
    expect(Array.from(table.occurredAt)).toEqual([1000, 5000, 5000, 5000]);
    expect(asked).toEqual([[1, 2]]);
    // The order is kept: a second window asks nothing more.
    store.table({ start: 2000, end: 10_000 });
    expect(asked).toHaveLength(1);
  });

  it('replaces the touch in a slot, as an upsert of a known id does', () => {
    const touches: Touch[] = [
      { id: 't1', customer: 'c1', campaign: 'A', at: 1000 },
      { id: 't2', customer: 'c1', campaign: 'B', at: 2000 },
    ];
    const { store } = storeOf(touches);
    expect(Array.from(store.table({ start: 0, end: 5000 }).campaign).map((i) => store.campaigns.nameOf(i))).toEqual(['A', 'B']);
    // t1 moves after t2 and to another customer's journey: c1 keeps B only, c2 gets A.
    store.put(1, 'c2', 'A', 3000);
    const table = store.table({ start: 0, end: 5000 });
    expect(store.size).toBe(2);
    expect(Array.from(table.customerStart)).toEqual([0, 1, 2]);
    expect(Array.from(table.campaign).map((i) => store.campaigns.nameOf(i))).toEqual(['B', 'A']);
  });

  it('leaves room for customers the store has not seen (converters with no touch)', () => {
    const { store } = storeOf([{ id: 't1', customer: 'c1', campaign: 'A', at: 1000 }]);
    const table = store.table({ start: 0, end: 5000 }, 2);
    expect(table.customerCount).toBe(3);
    expect(Array.from(table.customerStart)).toEqual([0, 1, 1, 1]);
  });

  it('gives customers interned after the sort (a converter with no touch, through the shared interner) no rows', () => {
    const { store } = storeOf([
      { id: 't1', customer: 'c1', campaign: 'A', at: 1000 },
      { id: 't2', customer: 'c2', campaign: 'A', at: 2000 },
    ]);
    store.prepare();
    expect(store.customers.indexOf('converter')).toBe(2);
    const table = store.table({ start: 0, end: 5000 }, 1);
    // c1 row 0, c2 row 1, the converter and the one extra customer none.
    expect(table.customerCount).toBe(4);
    expect(Array.from(table.customerStart)).toEqual([0, 1, 2, 2, 2]);
  });

  it('grows past its first capacity and refuses a slot or instant that is not one', () => {
    const store = new TouchStore(() => []);
    for (let slot = 1; slot <= 5000; slot++) store.put(slot, `c${slot % 7}`, 'A', slot);
    expect(store.size).toBe(5000);
    expect(store.table({ start: 0, end: 10_000 }).occurredAt).toHaveLength(5000);
    expect(() => store.put(-1, 'c', 'A', 0)).toThrow(RangeError);
    expect(() => store.put(1.5, 'c', 'A', 0)).toThrow(RangeError);
    expect(() => store.put(1, 'c', 'A', Number.NaN)).toThrow(RangeError);
  });
});

describe('TouchStore.putCustomer', () => {
  it('puts a touch for an interned customer exactly as put does, and refuses an index the interner does not hold', () => {
    const byId = new TouchStore(() => []);
    const byIndex = new TouchStore(() => [], byId.customers);
    byId.put(3, 'c-1', 'cmp-a', 1_000);
    byId.put(7, 'c-2', 'cmp-b', 2_000);
    byIndex.putCustomer(3, byId.customers.indexOf('c-1'), 'cmp-a', 1_000);
    byIndex.putCustomer(7, byId.customers.indexOf('c-2'), 'cmp-b', 2_000);
    const year: TimeRange = { start: 0, end: 10_000 };
    expect(byIndex.table(year)).toEqual(byId.table(year));
    // Two customers are interned: index 2 is none of them.
    expect(() => byIndex.putCustomer(8, 2, 'cmp-a', 3_000)).toThrow(/customers interner/);
    expect(byIndex.size).toBe(2);
  });
});

describe('TouchStore.stage', () => {
  it('is not seen by table until prepare, then the table is that of every touch put (replacements included)', () => {
    fc.assert(
      fc.property(touchesArb, touchesArb, fc.integer({ min: 0, max: 40 }), (first, later, replaced) => {
        // The later touches take slots after the first ones, some of them the first ones' own (a replacement).
        const all = [...first, ...later.map((t, i) => ({ ...t, id: `late-${i}` }))];
        const slotOf = (i: number) => (i < first.length ? i + 1 : i - first.length < replaced && i - first.length < first.length ? i - first.length + 1 : i + 1);
        const final = new Map<number, Touch>();
        all.forEach((t, i) => final.set(slotOf(i), t));
        const idOf = (slot: number) => final.get(slot)?.id ?? `none-${slot}`;
        const store = new TouchStore((slots) => slots.map(idOf));
        first.forEach((t, i) => store.put(slotOf(i), t.customer, t.campaign, t.at));
        store.prepare();
        const window = { start: 0, end: 7000 };
        const before = plain(store.table(window));
        all.slice(first.length).forEach((t, k) => store.stage(slotOf(first.length + k), store.customers.indexOf(t.customer), t.campaign, t.at));
        const staged = plain(store.table(window));
        // Customers and campaigns the staged touches brought are counted (they are interned), with no rows yet.
        expect(staged.occurredAt).toEqual(before.occurredAt);
        expect(staged.campaign).toEqual(before.campaign);
        expect(staged.customerStart.slice(0, before.customerStart.length - 1)).toEqual(before.customerStart.slice(0, -1));
        store.prepare();
        expect(plain(store.table(window))).toEqual(plain(expectedTable(store, [...final.values()], window)));
        expect(store.size).toBe(final.size);
      }),
      { numRuns: 300 },
    );
  });

  it('leaves a stale reading order out of its parts, and a store restored from them sorts the staged touches in', async () => {
    const { Interner } = await import('../../src/domain/interner.js');
    const ids = new Map([
      [1, 'tp-1'],
      [2, 'tp-2'],
    ]);
    const store = new TouchStore((slots) => slots.map((s) => ids.get(s)!));
    store.put(1, 'c1', 'A', 2000);
    store.prepare();
    store.stage(2, store.customers.indexOf('c1'), 'B', 1000);
    const parts = store.toParts();
    // Header word 4: whether the reading order is in; 8 parts without it.
    expect(new Uint32Array(parts[0]!.slice().buffer)[4]).toBe(0);
    expect(parts).toHaveLength(8);
    const restored = TouchStore.fromParts(parts, (slots) => slots.map((s) => ids.get(s)!), Interner.fromParts(store.customers.toParts()));
    // c1's touches by instant: B at 1000, then A at 2000 (campaign indices B = 1, A = 0).
    expect(plain(restored.table({ start: 0, end: 3000 }))).toEqual({ customerCount: 1, campaignCount: 2, customerStart: [0, 2], occurredAt: [1000, 2000], campaign: [1, 0] });
  });
});
