/**
 * A stand-in binary form for the stores (src/domain) while their own
 * `toParts` / `fromParts` / `restore` have not landed: each store's fields
 * (but the shared customer interner and the id lookup) through
 * v8.serialize. Installed only where a class lacks the method, so the
 * tests run the real ones as soon as they exist. Garbage or a cut part
 * makes fromParts throw a RangeError, as the real ones do.
 */
import { deserialize, serialize } from 'node:v8';
import { Interner, TouchStore, type IdsOf } from '../../src/domain/attribution/index.js';
import { RevenueStore } from '../../src/domain/revenue-store.js';
import { DailySpend } from '../../src/domain/daily-spend.js';

type Fields = Record<string, unknown>;

function toPart(object: object, skip: string[]): Uint8Array[] {
  const fields: Fields = {};
  for (const [name, value] of Object.entries(object)) {
    if (skip.includes(name)) continue;
    fields[name] = value instanceof Interner ? { interned: [...value.names] } : value;
  }
  return [serialize(fields)];
}

function fieldsOf(parts: readonly Uint8Array[]): Fields {
  if (parts.length !== 1) throw new RangeError(`expected 1 part, got ${parts.length}`);
  try {
    return deserialize(parts[0]!) as Fields;
  } catch (error) {
    throw new RangeError(`unreadable part: ${(error as Error).message}`);
  }
}

function assign<T extends object>(target: T, fields: Fields): T {
  for (const [name, value] of Object.entries(fields)) {
    if (value && typeof value === 'object' && 'interned' in value) {
      const interner = new Interner();
      for (const n of (value as { interned: string[] }).interned) interner.indexOf(n);
      (target as Fields)[name] = interner;
    } else (target as Fields)[name] = value;
  }
  return target;
}

const missing = (target: object, name: string) => typeof (target as Fields)[name] !== 'function';

export function installFakeStoreParts(): void {
  const define = (target: object, name: string, value: unknown) => {
    if (missing(target, name)) Object.defineProperty(target, name, { value, configurable: true, writable: true });
  };
  define(Interner.prototype, 'toParts', function (this: Interner) {
    return [serialize([...this.names])];
  });
  define(Interner.prototype, 'restore', function (this: Interner, parts: readonly Uint8Array[]) {
    const names = fieldsOf(parts) as unknown;
    if (!Array.isArray(names) || !names.every((n) => typeof n === 'string')) throw new RangeError('interner part is not a list of names');
    const indices = (this as unknown as { indices: Map<string, number> }).indices;
    this.names.length = 0;
    indices.clear();
    for (const n of names as string[]) this.indexOf(n);
  });
  define(TouchStore.prototype, 'toParts', function (this: TouchStore) {
    return toPart(this, ['idsOf', 'customers']);
  });
  define(TouchStore, 'fromParts', (parts: readonly Uint8Array[], idsOf: IdsOf, customers: Interner) => assign(new TouchStore(idsOf, customers), fieldsOf(parts)));
  define(RevenueStore.prototype, 'toParts', function (this: RevenueStore) {
    return toPart(this, ['customers']);
  });
  define(RevenueStore, 'fromParts', (parts: readonly Uint8Array[], customers: Interner) => assign(new RevenueStore(customers), fieldsOf(parts)));
  define(DailySpend.prototype, 'toParts', function (this: DailySpend) {
    return toPart(this, []);
  });
  define(DailySpend, 'fromParts', (parts: readonly Uint8Array[]) => assign(new DailySpend(), fieldsOf(parts)));
}
