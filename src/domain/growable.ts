/**
 * Columns that grow in place: a store's column over a resizable
 * ArrayBuffer, which reserves address space up front and commits memory
 * only as it is written, so that growing it copies nothing.
 *
 * Why: a store grown by copying into a larger array holds both while it
 * copies. At ten million touches the touch store's columns are 160 MB, and
 * their last copy held 120 MB old and 180 MB new at once: the peak of an
 * ingest. Grown in place, the column is never twice.
 *
 * A column grows by an eighth at least (resizing is cheap, but not free
 * per row). A column that is not resizable (a view over a restored
 * snapshot's bytes), or whose reservation is too small, is copied once into
 * a resizable one reserving twice what it needs, at least RESERVE_BYTES.
 *
 * The price: Node 20's V8 reads and writes an array over a resizable buffer
 * about three times slower than a plain one in a tight loop. So the loops a
 * report runs read the reading-order columns (plain arrays, made by the
 * sort), not these; with plain columns grown by copying, the ingest rate at
 * twice data set L was within the machine's noise (README, Benchmarks).
 */

export type Column = Int32Array | Uint8Array | Uint16Array | Float64Array | BigInt64Array;

/** ArrayBuffer's resizable form (ES2024; Node 20 has it, this project's TypeScript lib does not). */
interface ResizableBuffer extends ArrayBuffer {
  readonly resizable: boolean;
  readonly maxByteLength: number;
  resize(byteLength: number): void;
}
const ResizableArrayBuffer = ArrayBuffer as unknown as new (byteLength: number, options: { maxByteLength: number }) => ResizableBuffer;

/** Address space reserved by a new column at least: 256 MB (no memory until written). */
const RESERVE_BYTES = 256 << 20;

/**
 * `column` with room for `minimum` elements at least (`exact`: just that
 * many), the new elements set to `fill`; the same array, grown in place,
 * when it can be.
 */
export function grownColumn<T extends Column>(column: T, minimum: number, fill?: number | bigint, exact = false): T {
  const width = column.BYTES_PER_ELEMENT;
  const length = exact ? minimum : Math.max(minimum, Math.ceil(column.length * 1.125), 1024);
  const before = column.length;
  const buffer = column.buffer as ResizableBuffer;
  let grown: T;
  // A column this module made tracks its buffer's length: resizing the buffer grows it.
  if (buffer.resizable === true && column.byteOffset === 0 && column.byteLength === buffer.byteLength && length * width <= buffer.maxByteLength) {
    buffer.resize(length * width);
    grown = column;
  } else {
    const rab = new ResizableArrayBuffer(length * width, { maxByteLength: Math.max(2 * length * width, RESERVE_BYTES) });
    grown = new (column.constructor as new (buffer: ArrayBufferLike) => T)(rab);
    grown.set(column as never);
  }
  if (fill !== undefined && length > before) (grown as { fill(value: number | bigint, start: number): unknown }).fill(fill, before);
  return grown;
}
