/**
 * Interner: ids as dense indices in first-seen order, with no JS string kept
 * per id, and its binary parts for a snapshot.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Interner } from '../../src/domain/interner.js';
import { bytes, headerWith, int32At, laidOut, withPart } from './parts.js';

/** Mostly ids from a small set (so that repeats are common), some any string at all (astral, lone surrogates, Latin-1). */
const idArb = fc.oneof(fc.constantFrom('cus-0000001', 'cus-0000002', 'a', '', 'é', 'ÿ', 'Ā', '😀', '\ud800'), fc.string({ unit: 'binary', maxLength: 6 }), fc.string({ maxLength: 4 }));

/** FNV-1a over UTF-16 code units, the interner's hash (part of its stored table's format). */
function fnv1a(id: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** The first free slot after `from` in a stored table part. */
function emptyAfter(part: Uint8Array, from: number): number {
  const table = new Int32Array(part.buffer.slice(part.byteOffset, part.byteOffset + part.byteLength));
  let at = (from + 1) % table.length;
  while (table[at] !== -1) at = (at + 1) % table.length;
  return at;
}

describe('Interner', () => {
  it('numbers ids 0, 1, 2, ... in first-seen order, keeps an index, and decodes each back (a Map as the model)', () => {
    fc.assert(
      fc.property(fc.array(idArb, { maxLength: 200 }), fc.constantFrom(2, 4, 512), (ids, tableSize) => {
        // A table of 2 or 4 starts full of collisions and grows several times.
        const interner = new Interner(tableSize);
        const model = new Map<string, number>();
        for (const id of ids) {
          if (!model.has(id)) model.set(id, model.size);
          expect(interner.indexOf(id)).toBe(model.get(id));
        }
        expect(interner.size).toBe(model.size);
        for (const [id, index] of model) {
          expect(interner.find(id)).toBe(index);
          expect(interner.nameOf(index)).toBe(id);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('finds without interning', () => {
    const interner = new Interner();
    expect(interner.find('cus-0000001')).toBeUndefined();
    expect(interner.size).toBe(0);
    expect(interner.indexOf('cus-0000001')).toBe(0);
    expect(interner.find('cus-0000002')).toBeUndefined();
    expect(interner.size).toBe(1);
    expect(() => interner.nameOf(1)).toThrow(RangeError);
  });

  it('keeps Latin-1 ids as they were when the first wider id widens the pool', () => {
    const interner = new Interner();
    // 'ÿ' is U+00FF, the last code unit a byte holds; 'Ā' is U+0100.
    expect(interner.indexOf('caféÿ')).toBe(0);
    expect(interner.indexOf('Āb')).toBe(1);
    expect(interner.indexOf('😀')).toBe(2);
    expect([0, 1, 2].map((i) => interner.nameOf(i))).toEqual(['caféÿ', 'Āb', '😀']);
    expect(interner.find('caféÿ')).toBe(0);
    // Same code units modulo 256 are still different ids: 'ā' is U+0101, 'Ă' is U+0102.
    expect(interner.find('āb')).toBeUndefined();
  });

  it('decodes an id longer than one fromCharCode chunk', () => {
    const interner = new Interner();
    const long = 'x'.repeat(20_000) + 'é';
    interner.indexOf(long);
    expect(interner.nameOf(0)).toBe(long);
  });

  it('tells apart ids whose hashes share a table slot in a table of two', () => {
    const interner = new Interner(2);
    const ids = Array.from({ length: 100 }, (_, i) => `c${i}`);
    ids.forEach((id, i) => expect(interner.indexOf(id)).toBe(i));
    ids.forEach((id, i) => expect(interner.find(id)).toBe(i));
    expect(interner.find('c100')).toBeUndefined();
  });

  it('reserve changes no index', () => {
    const interner = new Interner(2);
    interner.indexOf('a');
    interner.reserve(1000, 11_000);
    expect(interner.indexOf('b')).toBe(1);
    expect(interner.find('a')).toBe(0);
  });

  it('round-trips through its parts, from any byte offset, in place, and goes on interning after', () => {
    fc.assert(
      fc.property(fc.array(idArb, { maxLength: 60 }), fc.integer({ min: 0, max: 9 }), fc.boolean(), (ids, offset, align) => {
        const original = new Interner();
        for (const id of ids) original.indexOf(id);
        const parts = original.toParts();
        const restored = new Interner();
        restored.indexOf('something else');
        restored.restore(laidOut(parts, offset, align));
        expect(restored.size).toBe(original.size);
        for (let i = 0; i < original.size; i++) {
          expect(restored.nameOf(i)).toBe(original.nameOf(i));
          expect(restored.find(original.nameOf(i))).toBe(i);
        }
        expect(bytes(restored.toParts())).toEqual(bytes(parts));
        expect(Interner.fromParts(parts).size).toBe(original.size);
        // A new id after the restore takes the next index.
        const fresh = `new-${ids.join('').length}-${original.size}`;
        const expected = original.find(fresh) ?? original.size;
        expect(restored.indexOf(fresh)).toBe(expected);
      }),
      { numRuns: 200 },
    );
  });

  it('refuses corrupt parts with a RangeError naming the fault, and keeps its contents', () => {
    const original = new Interner();
    ['alice', 'bob', 'carol'].forEach((id) => original.indexOf(id));
    const parts = original.toParts();
    const target = new Interner();
    target.indexOf('kept');
    const refused = (corrupt: Uint8Array[], message: RegExp) => {
      expect(() => target.restore(corrupt)).toThrow(RangeError);
      expect(() => target.restore(corrupt)).toThrow(message);
      expect(target.size).toBe(1);
      expect(target.nameOf(0)).toBe('kept');
    };
    refused(parts.slice(0, 3), /3 parts, expected 4/);
    refused(withPart(parts, 0, (p) => headerWith(p, 1, 99)), /format version 99/);
    refused(withPart(parts, 0, (p) => headerWith(p, 0, 0x53484354)), /not a INTR header/);
    refused(withPart(parts, 0, (p) => headerWith(p, 2, 4)), /offsets: 16 bytes, expected 20/);
    refused(withPart(parts, 2, (p) => p.subarray(1)), /pool: 12 bytes, expected 13/);
    // alice|bob|carol: offsets 0 5 8 13; 'bob' made to end before it starts.
    refused(withPart(parts, 1, (p) => int32At(p, 2, 4)), /offset 3 runs backwards|offset 2 runs backwards/);
    refused(withPart(parts, 1, (p) => int32At(p, 3, 12)), /do not span the pool/);
    // The table: 512 slots (the default), 'alice' 'bob' 'carol' at the slots their hashes lead to.
    const slotOf = (id: string) => fnv1a(id) & 511;
    refused(withPart(parts, 0, (p) => headerWith(p, 5, 4)), /table of 4 slots cannot hold 3 ids/);
    refused(withPart(parts, 0, (p) => headerWith(p, 5, 768)), /table of 768 slots cannot hold 3 ids/);
    refused(withPart(parts, 3, (p) => p.subarray(4)), /table: 2044 bytes, expected 2048/);
    refused(withPart(parts, 3, (p) => int32At(p, slotOf('bob'), 7)), /slot \d+ holds 7, not an id index/);
    refused(withPart(parts, 3, (p) => int32At(p, emptyAfter(p, slotOf('alice')), 0)), /holds id 0 twice/);
    refused(withPart(parts, 3, (p) => int32At(p, slotOf('bob'), -1)), /holds 2 ids, the header counts 3/);
    // 'bob' moved one slot past where its hash leads, with a free slot between (its own): a lookup would miss it.
    refused(
      withPart(parts, 3, (p) => int32At(int32At(p, slotOf('bob'), -1), emptyAfter(p, slotOf('bob')), 1)),
      /id 1 is not where its hash leads/,
    );
    // The same id twice, each where its hash leads ('ab' at its slot, the second 'ab' at the next free one): refused.
    const twice = new Interner();
    twice.indexOf('ab');
    twice.indexOf('cd');
    const home = slotOf('ab');
    const table = new Int32Array(512).fill(-1);
    table[home] = 0;
    table[(home + 1) & 511] = 1;
    refused(
      withPart(withPart(twice.toParts(), 2, () => new TextEncoder().encode('abab')), 3, () => new Uint8Array(table.buffer.slice(0))),
      /ids 0 and 1 are the same id/,
    );
  });

  it('restores its table as saved: ids interned before the save keep answering after it (collisions included)', () => {
    fc.assert(
      fc.property(fc.array(idArb, { maxLength: 80 }), fc.constantFrom(2, 8, 512), (ids, tableSize) => {
        const original = new Interner(tableSize);
        for (const id of ids) original.indexOf(id);
        const restored = Interner.fromParts(laidOut(original.toParts(), 3));
        for (const id of ids) expect(restored.find(id)).toBe(original.find(id));
        // A table copied out, not a view: interning after the cut leaves the cut's table as it was.
        const parts = original.toParts();
        const saved = Array.from(parts[3]!);
        original.indexOf(`fresh-${ids.length}`);
        expect(Array.from(parts[3]!)).toEqual(saved);
      }),
      { numRuns: 200 },
    );
  });
});
