/**
 * The binary form of the stores (src/domain), as the snapshots use it: each
 * store and the customer interner give their state as a few byte arrays
 * (`toParts`, a copy of their typed arrays), and are made again from them
 * (`fromParts`, `restore`), which throw a RangeError on parts they cannot
 * trust.
 *
 * The domain classes gain these methods separately; this file is the one
 * place that names them, through the small interfaces below, so that the
 * snapshots build and run before they land: until then `snapshotsSupported`
 * is false and every start reads the rows, as before.
 */
import { Interner, TouchStore, type IdsOf } from '../../domain/attribution/index.js';
import { RevenueStore } from '../../domain/revenue-store.js';
import { DailySpend } from '../../domain/daily-spend.js';

export type Parts = readonly Uint8Array[];

interface WithParts {
  toParts(): Uint8Array[];
}
interface InternerParts extends WithParts {
  /** Replaces the interner's names with those of `parts`, in place (checks them before it changes anything). */
  restore(parts: Parts): void;
}
interface TouchStoreClass {
  fromParts(parts: Parts, idsOf: IdsOf, customers: Interner): TouchStore;
}
interface RevenueStoreClass {
  fromParts(parts: Parts, customers: Interner): RevenueStore;
}
interface DailySpendClass {
  fromParts(parts: Parts): DailySpend;
}

const hasMethod = (target: object, name: string): boolean => typeof (target as Record<string, unknown>)[name] === 'function';

/** True when every store (and the interner) has its binary form. */
export function snapshotsSupported(): boolean {
  return (
    hasMethod(Interner.prototype, 'toParts') &&
    hasMethod(Interner.prototype, 'restore') &&
    [TouchStore, RevenueStore, DailySpend].every((store) => hasMethod(store.prototype, 'toParts') && hasMethod(store, 'fromParts'))
  );
}

export const storeParts = {
  of: (store: Interner | TouchStore | RevenueStore | DailySpend): Uint8Array[] => (store as unknown as WithParts).toParts(),
  restoreInterner: (interner: Interner, parts: Parts): void => (interner as unknown as InternerParts).restore(parts),
  touchStore: (parts: Parts, idsOf: IdsOf, customers: Interner): TouchStore => (TouchStore as unknown as TouchStoreClass).fromParts(parts, idsOf, customers),
  revenueStore: (parts: Parts, customers: Interner): RevenueStore => (RevenueStore as unknown as RevenueStoreClass).fromParts(parts, customers),
  dailySpend: (parts: Parts): DailySpend => (DailySpend as unknown as DailySpendClass).fromParts(parts),
};
