/**
 * Interns strings (customer and campaign ids) as dense indices 0, 1, 2, ...
 * in first-seen order, without keeping a JS string per id.
 *
 * Why: the reports' stores share one interner for millions of customer ids.
 * A Map<string, number> with a names array costs V8 some 40-60 bytes a
 * string plus the Map's entry; here an id costs its code units in one pool
 * (one byte each while every id is Latin-1, two after the first id that is
 * not), four bytes of offset, and four to eight bytes of hash table.
 *
 * The table is open addressing (linear probing) over a power-of-two Int32Array
 * of indices, kept at most half full, keyed by FNV-1a over the code units;
 * a lookup compares the candidate's pooled code units with the string's,
 * so it makes no string. `nameOf` decodes an id back on demand.
 *
 * Binary parts (see binary-parts.ts): the pool, the offsets and the table.
 * The table is stored rather than rebuilt: rebuilding writes every id into a
 * random slot of a table of 16 MB at two million ids, a cache miss each (0.3
 * to 0.9 s). Restoring checks it instead, in passes that read memory in
 * sequence but for one array of hashes: every id is in it once, where a
 * lookup from its hash finds it, and no two ids are the same.
 */
import { bytesOf, column, expectCount, expectParts, header, readHeader } from './binary-parts.js';
import { grownColumn } from './growable.js';

const VERSION = 2;
const FREE = -1;
/** Offsets are Int32: the pool holds fewer code units than this. */
const MAX_POOL = 2 ** 31 - 1;
/** The largest table a restore accepts (a power of two; twice the most ids). */
const MAX_TABLE = 2 ** 30;

/** FNV-1a over the code units of `name` (a 32-bit word). */
function hashString(name: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

function hashUnits(pool: Uint8Array | Uint16Array, from: number, to: number): number {
  let h = 0x811c9dc5;
  for (let i = from; i < to; i++) h = Math.imul(h ^ pool[i]!, 0x01000193);
  return h >>> 0;
}

export class Interner {
  /** Every id's code units, back to back. */
  private pool: Uint8Array | Uint16Array = new Uint8Array(1024);
  private poolLength = 0;
  /** Id i is pool[offsets[i], offsets[i + 1]). */
  private offsets: Int32Array = new Int32Array(257);
  private count = 0;
  /** Indices, FREE where empty; its length is a power of two. */
  private table: Int32Array;

  /** @param tableSize The first hash table's size (a power of two), small only to test collisions. */
  constructor(tableSize = 512) {
    if (!Number.isInteger(Math.log2(tableSize)) || tableSize < 2) throw new RangeError('tableSize must be a power of two');
    this.table = new Int32Array(tableSize).fill(FREE);
  }

  /** The index of `name`, interning it if new. */
  indexOf(name: string): number {
    const hash = hashString(name);
    const mask = this.table.length - 1;
    let at = hash & mask;
    for (;;) {
      const index = this.table[at]!;
      if (index === FREE) break;
      if (this.equals(index, name)) return index;
      at = (at + 1) & mask;
    }
    const index = this.append(name);
    this.table[at] = index;
    // At most half full: a miss then probes two slots on average.
    if (this.count * 2 > this.table.length) this.rehash(this.table.length * 2);
    return index;
  }

  /** The index of a known name, or undefined (does not intern). */
  find(name: string): number | undefined {
    const mask = this.table.length - 1;
    let at = hashString(name) & mask;
    for (;;) {
      const index = this.table[at]!;
      if (index === FREE) return undefined;
      if (this.equals(index, name)) return index;
      at = (at + 1) & mask;
    }
  }

  /** The id at `index` (a new string each call). */
  nameOf(index: number): string {
    if (!Number.isInteger(index) || index < 0 || index >= this.count) throw new RangeError(`no name has index ${index}`);
    const from = this.offsets[index]!;
    const to = this.offsets[index + 1]!;
    // fromCharCode takes its code units as arguments: in chunks, so that a long id does not overflow the stack.
    let name = '';
    for (let at = from; at < to; at += 8192) name += String.fromCharCode(...this.pool.subarray(at, Math.min(to, at + 8192)));
    return name;
  }

  get size(): number {
    return this.count;
  }

  /**
   * Makes room for `names` ids of `codeUnits` code units in all, so that a
   * load that knows its sizes allocates once.
   */
  reserve(names: number, codeUnits: number): void {
    if (this.offsets.length < names + 1) this.offsets = grownColumn(this.offsets, names + 1, undefined, true);
    if (this.pool.length < codeUnits) this.pool = grownColumn(this.pool, codeUnits, undefined, true);
    let size = this.table.length;
    while (names * 2 > size) size *= 2;
    if (size > this.table.length) this.rehash(size);
  }

  /**
   * The interner as binary parts: a header (the count, the pool's length, its
   * code unit width, the table's size), the offsets, the pool and the table.
   * The offsets and the pool are views over the live arrays (a new id writes
   * past them, or moves them); the table is a copy, as a new id writes into it.
   */
  toParts(): Uint8Array[] {
    const wide = this.pool instanceof Uint16Array ? 1 : 0;
    return [
      header('INTR', VERSION, [this.count, this.poolLength, wide, this.table.length]),
      bytesOf(this.offsets.subarray(0, this.count + 1)),
      bytesOf(this.pool.subarray(0, this.poolLength)),
      bytesOf(this.table.slice()),
    ];
  }

  /** An interner holding what `parts` (from toParts) hold. */
  static fromParts(parts: readonly Uint8Array[]): Interner {
    const interner = new Interner();
    interner.restore(parts);
    return interner;
  }

  /**
   * Replaces this interner's contents with `parts` (from toParts), in place:
   * the stores that share it see the restored ids. Throws a RangeError, and
   * changes nothing, if the parts are not a valid interner. Aligned parts are
   * viewed, not copied: the interner owns their bytes from then on.
   */
  restore(parts: readonly Uint8Array[]): void {
    expectParts('interner', parts, 4);
    const [count, poolLength, wide, tableSize] = readHeader('interner', parts[0], 'INTR', VERSION, 4) as [number, number, number, number];
    expectCount('interner count', count, 0, MAX_POOL - 1);
    expectCount('interner pool length', poolLength, 0, MAX_POOL);
    expectCount('interner code unit width flag', wide, 0, 1);
    expectCount('interner table size', tableSize, 2, MAX_TABLE);
    // At most half full, as indexOf keeps it: a lookup then always meets a free slot.
    if (!Number.isInteger(Math.log2(tableSize)) || count * 2 > tableSize) throw new RangeError(`interner table of ${tableSize} slots cannot hold ${count} ids (a power of two, at most half full)`);
    const offsets = column('interner offsets', parts[1], Int32Array, count + 1);
    const pool = wide ? column('interner pool', parts[2], Uint16Array, poolLength) : column('interner pool', parts[2], Uint8Array, poolLength);
    const table = column('interner table', parts[3], Int32Array, tableSize);
    if (offsets[0] !== 0 || offsets[count] !== poolLength) throw new RangeError('interner offsets do not span the pool');
    for (let i = 0; i < count; i++) if (offsets[i + 1]! < offsets[i]!) throw new RangeError(`interner offset ${i + 1} runs backwards`);
    checkTable(pool, offsets, count, table);
    this.pool = pool;
    this.poolLength = poolLength;
    this.offsets = offsets;
    this.count = count;
    this.table = table;
  }

  /** Whether id `index` is `name`, compared code unit by code unit. */
  private equals(index: number, name: string): boolean {
    const from = this.offsets[index]!;
    if (this.offsets[index + 1]! - from !== name.length) return false;
    const pool = this.pool;
    for (let i = 0; i < name.length; i++) if (pool[from + i] !== name.charCodeAt(i)) return false;
    return true;
  }

  private append(name: string): number {
    const length = name.length;
    if (this.poolLength + length > MAX_POOL) throw new RangeError('the interner pool is full');
    let wide = this.pool instanceof Uint16Array;
    if (!wide) {
      for (let i = 0; i < length; i++) {
        if (name.charCodeAt(i) > 0xff) {
          wide = true;
          break;
        }
      }
      // The first id beyond Latin-1 widens the whole pool once.
      if (wide) this.pool = Uint16Array.from(this.pool);
    }
    if (this.poolLength + length > this.pool.length) this.pool = grownColumn(this.pool, this.poolLength + length);
    if (this.count + 2 > this.offsets.length) this.offsets = grownColumn(this.offsets, this.count + 2);
    const pool = this.pool;
    const from = this.poolLength;
    for (let i = 0; i < length; i++) pool[from + i] = name.charCodeAt(i);
    this.poolLength += length;
    const index = this.count++;
    this.offsets[this.count] = this.poolLength;
    return index;
  }

  private rehash(size: number): void {
    const table = new Int32Array(size).fill(FREE);
    const mask = size - 1;
    for (let index = 0; index < this.count; index++) {
      let at = hashUnits(this.pool, this.offsets[index]!, this.offsets[index + 1]!) & mask;
      while (table[at] !== FREE) at = (at + 1) & mask;
      table[at] = index;
    }
    this.table = table;
  }
}

/**
 * Throws unless `table` holds each of the `count` ids exactly once, each
 * where a lookup from its hash finds it (no free slot between its hash's
 * slot and its own), and no two of them are the same id. The ids are hashed
 * in index order (the pool read in sequence), then the table is read in
 * order; only the hashes are read at random (4 bytes an id).
 */
function checkTable(pool: Uint8Array | Uint16Array, offsets: Int32Array, count: number, table: Int32Array): void {
  const hashes = new Int32Array(count);
  for (let index = 0; index < count; index++) hashes[index] = hashUnits(pool, offsets[index]!, offsets[index + 1]!);
  const seen = new Uint8Array(count);
  const size = table.length;
  const mask = size - 1;
  // Start just after a free slot (at most half are taken), so that no run of taken slots is met in two pieces.
  let first = 0;
  while (table[first] !== FREE) first++;
  let held = 0;
  let runStart = -1;
  for (let k = 1; k <= size; k++) {
    const at = (first + k) & mask;
    const index = table[at]!;
    if (index === FREE) {
      runStart = -1;
      continue;
    }
    if (!(index >= 0 && index < count)) throw new RangeError(`interner table slot ${at} holds ${index}, not an id index`);
    if (seen[index] === 1) throw new RangeError(`interner table holds id ${index} twice`);
    seen[index] = 1;
    held++;
    if (runStart === -1) runStart = at;
    const hash = hashes[index]!;
    // A lookup walks up from hash & mask to the first free slot: that walk must pass this slot.
    if ((((hash & mask) - runStart) & mask) > ((at - runStart) & mask)) throw new RangeError(`interner id ${index} is not where its hash leads`);
    // The same id twice would have the same hash and lie in the same run, the later one after the earlier.
    for (let before = runStart; before !== at; before = (before + 1) & mask) {
      const other = table[before]!;
      if (hashes[other] === hash && sameUnits(pool, offsets, other, index)) throw new RangeError(`interner ids ${Math.min(other, index)} and ${Math.max(other, index)} are the same id`);
    }
  }
  if (held !== count) throw new RangeError(`interner table holds ${held} ids, the header counts ${count}`);
}

function sameUnits(pool: Uint8Array | Uint16Array, offsets: Int32Array, a: number, b: number): boolean {
  const length = offsets[a + 1]! - offsets[a]!;
  if (offsets[b + 1]! - offsets[b]! !== length) return false;
  for (let i = 0; i < length; i++) if (pool[offsets[a]! + i] !== pool[offsets[b]! + i]) return false;
  return true;
}
