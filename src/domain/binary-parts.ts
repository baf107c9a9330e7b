/**
 * Binary parts: how the in-memory report stores (Interner, TouchStore,
 * RevenueStore, DailySpend) hand their contents to a snapshot and take them
 * back, so that a restart restores them instead of reading every row again.
 *
 * A store's parts are a list of byte arrays: a header first (a Uint32Array:
 * the store's tag, the format version, then the store's counts), then its
 * columns, each a Uint8Array view over the column's own buffer (no copy).
 * Reading takes parts that start at any byte offset (a file read into one
 * buffer): an aligned part is viewed in place, an unaligned one is copied.
 *
 * Anything that does not fit (a missing part, a wrong length, another tag or
 * version) throws a RangeError naming it: the caller then loads the rows.
 * Little-endian only: a big-endian machine reads the tag byte-swapped and
 * refuses the parts, which is the safe outcome.
 *
 * Pure: no I/O.
 */

type TypedArray = Int32Array | Uint32Array | Uint16Array | Uint8Array | Float64Array | BigInt64Array;
type TypedArrayOf<T extends TypedArray> = {
  new (length: number): T;
  new (buffer: ArrayBufferLike, byteOffset: number, length: number): T;
  readonly BYTES_PER_ELEMENT: number;
};

/** The bytes of `column` (a view, not a copy). */
export function bytesOf(column: TypedArray): Uint8Array {
  return new Uint8Array(column.buffer, column.byteOffset, column.byteLength);
}

/** A header part: the tag (four ASCII letters), the format version, then `fields`. */
export function header(tag: string, version: number, fields: readonly number[]): Uint8Array {
  return bytesOf(Uint32Array.from([tagCode(tag), version, ...fields]));
}

/** A tag's four letters as one little-endian word. */
function tagCode(tag: string): number {
  if (tag.length !== 4) throw new Error('a tag is four letters');
  return (tag.charCodeAt(0) | (tag.charCodeAt(1) << 8) | (tag.charCodeAt(2) << 16) | (tag.charCodeAt(3) << 24)) >>> 0;
}

/** Reads a header part written by `header` with the same tag and version; returns its `count` fields. */
export function readHeader(what: string, part: Uint8Array | undefined, tag: string, version: number, count: number): number[] {
  if (part === undefined) throw new RangeError(`${what}: the header part is missing`);
  if (part.byteLength !== (2 + count) * 4) throw new RangeError(`${what}: the header is ${part.byteLength} bytes, not ${(2 + count) * 4}`);
  const words = column(`${what} header`, part, Uint32Array, 2 + count);
  if (words[0] !== tagCode(tag)) throw new RangeError(`${what}: the header is not a ${tag} header`);
  if (words[1] !== version) throw new RangeError(`${what}: format version ${words[1]}, this build reads version ${version}`);
  return Array.from(words.subarray(2));
}

/**
 * The part as a `type` column of exactly `length` elements: a view when the
 * part is aligned for the type, else a copy.
 */
export function column<T extends TypedArray>(what: string, part: Uint8Array | undefined, type: TypedArrayOf<T>, length: number): T {
  if (part === undefined) throw new RangeError(`${what}: the part is missing`);
  const bytes = length * type.BYTES_PER_ELEMENT;
  if (part.byteLength !== bytes) throw new RangeError(`${what}: ${part.byteLength} bytes, expected ${bytes} (${length} values)`);
  if (part.byteOffset % type.BYTES_PER_ELEMENT === 0) return new type(part.buffer, part.byteOffset, length);
  const copy = new type(length);
  bytesOf(copy).set(part);
  return copy;
}

/** Throws unless the list holds exactly `count` parts. */
export function expectParts(what: string, parts: readonly Uint8Array[], count: number): void {
  if (parts.length !== count) throw new RangeError(`${what}: ${parts.length} parts, expected ${count}`);
}

/** Throws unless the header field is a whole number in [min, max]. */
export function expectCount(what: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) throw new RangeError(`${what} is ${value}, outside [${min}, ${max}]`);
}

/** A list of strings as a part (UTF-8 JSON): for the few names a store keeps as strings (currencies, campaigns). */
export function stringListPart(list: readonly string[]): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(list));
}

/** The `count` distinct strings of a part from stringListPart. */
export function stringList(what: string, part: Uint8Array | undefined, count: number): string[] {
  if (part === undefined) throw new RangeError(`${what}: the part is missing`);
  let list: unknown;
  try {
    list = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(part));
  } catch {
    throw new RangeError(`${what}: not UTF-8 JSON`);
  }
  if (!Array.isArray(list) || list.length !== count || !list.every((item) => typeof item === 'string')) throw new RangeError(`${what}: not a list of ${count} strings`);
  if (new Set(list).size !== count) throw new RangeError(`${what}: a string appears twice`);
  return list as string[];
}
