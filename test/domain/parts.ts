/** Test helpers for binary parts: parts laid out in one buffer as a snapshot file read back would be. */

/**
 * Copies of `parts` back to back in one buffer, the first at byte `offset`
 * (an odd offset leaves every column unaligned, so the reader must copy),
 * each part padded to 8 bytes after the first when `align` (the reader may view).
 */
export function laidOut(parts: readonly Uint8Array[], offset: number, align = false): Uint8Array[] {
  let size = offset;
  for (const part of parts) size = (align ? Math.ceil(size / 8) * 8 : size) + part.byteLength;
  const buffer = new Uint8Array(size);
  const out: Uint8Array[] = [];
  let at = offset;
  for (const part of parts) {
    if (align) at = Math.ceil(at / 8) * 8;
    buffer.set(part, at);
    out.push(buffer.subarray(at, at + part.byteLength));
    at += part.byteLength;
  }
  return out;
}

/** The parts as plain byte lists, to compare two stores' parts exactly. */
export const bytes = (parts: readonly Uint8Array[]) => parts.map((part) => Array.from(part));

/** A copy of the parts with part `index` replaced by `f` of a copy of it. */
export function withPart(parts: readonly Uint8Array[], index: number, f: (part: Uint8Array) => Uint8Array): Uint8Array[] {
  return parts.map((part, i) => (i === index ? f(part.slice()) : part.slice()));
}

/** A header part (Uint32 words) with word `word` set to `value`. */
export function headerWith(part: Uint8Array, word: number, value: number): Uint8Array {
  const copy = part.slice();
  new DataView(copy.buffer).setUint32(word * 4, value >>> 0, true);
  return copy;
}

/** Writes `value` as an Int32 at element `index` of a part holding Int32 values. */
export function int32At(part: Uint8Array, index: number, value: number): Uint8Array {
  new DataView(part.buffer, part.byteOffset).setInt32(index * 4, value, true);
  return part;
}
