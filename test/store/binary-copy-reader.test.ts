/**
 * The reader of a binary COPY stream of one bytea column (src/store/pg.ts),
 * on its own: the stream is built here by hand, byte for byte as PostgreSQL
 * documents the format, and fed in pieces cut anywhere, as the CopyData
 * messages may cut it. Whatever the cuts, the values land end to end in the
 * target; a stream cut short, garbled or too long is refused with a
 * BinaryCopyError, and the read settles: it never waits for bytes that will
 * not come. The same through the submittable node-postgres runs (copyOutInto)
 * with a stand-in for the client.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BinaryCopyError, BinaryCopyReader, copyOutInto } from '../../src/store/pg.js';

const SIGNATURE = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1');

/** A binary COPY stream of `values`, one field each: header (signature, flags 0, extension), rows, trailer -1. */
function copyStream(values: readonly Uint8Array[], options: { extension?: Buffer; flags?: number } = {}): Buffer {
  const extension = options.extension ?? Buffer.alloc(0);
  const header = Buffer.alloc(8);
  header.writeUInt32BE(options.flags ?? 0, 0);
  header.writeUInt32BE(extension.length, 4);
  const rows = values.map((value) => {
    const framing = Buffer.alloc(6);
    framing.writeInt16BE(1, 0);
    framing.writeInt32BE(value.length, 2);
    return Buffer.concat([framing, value]);
  });
  return Buffer.concat([SIGNATURE, header, extension, ...rows, Buffer.from([0xff, 0xff])]);
}

/** `stream` cut at `cuts` (offsets, any order, repeats allowed). */
function cut(stream: Buffer, cuts: readonly number[]): Buffer[] {
  const at = [...new Set(cuts.map((c) => c % (stream.length + 1)))].sort((a, b) => a - b);
  const pieces: Buffer[] = [];
  let from = 0;
  for (const to of [...at, stream.length]) {
    pieces.push(stream.subarray(from, to));
    from = to;
  }
  return pieces;
}

/** Reads `pieces` into a target of `room` bytes: what it read, or the error it threw. */
function read(pieces: readonly Buffer[], room: number): { target: Buffer; reader: BinaryCopyReader } | { error: unknown } {
  const target = Buffer.alloc(room);
  const reader = new BinaryCopyReader(target);
  try {
    for (const piece of pieces) reader.push(piece);
    reader.finish();
    return { target, reader };
  } catch (error) {
    return { error };
  }
}

const values = fc.array(fc.uint8Array({ maxLength: 40 }), { maxLength: 6 });

describe('BinaryCopyReader', () => {
  it('lays three values end to end: 3 + 0 + 2 = 5 bytes, 3 rows', () => {
    const result = read([copyStream([Buffer.from([1, 2, 3]), Buffer.alloc(0), Buffer.from([4, 5])])], 5);
    if ('error' in result) throw result.error;
    expect([...result.target]).toEqual([1, 2, 3, 4, 5]);
    expect([result.reader.rows, result.reader.filled]).toEqual([3, 5]);
  });

  it('reads the same whatever the cuts, down to one byte per piece', () => {
    fc.assert(
      fc.property(values, fc.array(fc.nat(), { maxLength: 30 }), fc.nat(16), (list, cuts, spare) => {
        const stream = copyStream(list);
        const whole = Buffer.concat(list);
        for (const pieces of [cut(stream, cuts), [...stream].map((byte) => Buffer.from([byte]))]) {
          // Room to spare is allowed: the caller compares the bytes read with what it expects.
          const result = read(pieces, whole.length + spare);
          if ('error' in result) throw result.error;
          expect(result.target.subarray(0, whole.length).equals(whole)).toBe(true);
          expect([result.reader.rows, result.reader.filled]).toEqual([list.length, whole.length]);
        }
      }),
    );
  });

  it('skips a header extension, cut anywhere', () => {
    fc.assert(
      fc.property(values, fc.uint8Array({ minLength: 1, maxLength: 20 }), fc.array(fc.nat(), { maxLength: 10 }), (list, extension, cuts) => {
        const whole = Buffer.concat(list);
        const result = read(cut(copyStream(list, { extension: Buffer.from(extension) }), cuts), whole.length);
        if ('error' in result) throw result.error;
        expect(result.target.equals(whole)).toBe(true);
      }),
    );
  });

  it('refuses a stream cut short anywhere before its trailer, at finish', () => {
    fc.assert(
      fc.property(values, fc.nat(), fc.array(fc.nat(), { maxLength: 10 }), (list, end, cuts) => {
        const stream = copyStream(list);
        const short = stream.subarray(0, end % stream.length);
        const result = read(cut(short, cuts), Buffer.concat(list).length);
        expect('error' in result && result.error).toBeInstanceOf(BinaryCopyError);
        expect('error' in result && (result.error as Error).message).toMatch(/stopped before its end/);
      }),
    );
  });

  it('refuses more bytes than the target holds, naming the sizes', () => {
    // Two rows of 4 bytes into 6: the second ends at 8 > 6.
    const result = read([copyStream([Buffer.alloc(4, 1), Buffer.alloc(4, 2)])], 6);
    expect('error' in result && (result.error as Error).message).toBe('the COPY stream holds more than the 6 bytes expected (row 2 is 4 bytes, after 4)');
  });

  it.each([
    ['no signature', () => Buffer.concat([Buffer.from('PGCOPY\n\xff\r\n\x01', 'latin1'), copyStream([]).subarray(11)]), /signature/],
    ['OIDs in each row (flag bit 16)', () => copyStream([Buffer.from([1])], { flags: 1 << 16 }), /header flags/],
    ['two fields in a row', () => Buffer.concat([SIGNATURE, Buffer.alloc(8), Buffer.from([0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff])]), /2 fields, 1 expected/],
    ['a null value', () => Buffer.concat([SIGNATURE, Buffer.alloc(8), Buffer.from([0, 1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff])]), /row 1 of the COPY stream is null/],
    ['bytes after the trailer', () => Buffer.concat([copyStream([Buffer.from([7])]), Buffer.from([0])]), /after its trailer \(1 more bytes\)/],
  ])('refuses a stream with %s', (_name, stream, message) => {
    const result = read([stream()], 64);
    expect('error' in result && result.error).toBeInstanceOf(BinaryCopyError);
    expect('error' in result && (result.error as Error).message).toMatch(message);
  });

  it('on any bytes at all, reads or throws a BinaryCopyError, and never writes past the target', () => {
    fc.assert(
      fc.property(
        // Garbage, or a valid stream with a few bytes overwritten.
        fc.oneof(
          fc.uint8Array({ maxLength: 80 }).map((bytes) => Buffer.from(bytes)),
          fc.tuple(values, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 3 })).map(([list, edits]) => {
            const stream = copyStream(list);
            for (const [at, byte] of edits) stream[at % stream.length] = byte;
            return stream;
          }),
        ),
        fc.array(fc.nat(), { maxLength: 10 }),
        fc.nat(64),
        (stream, cuts, room) => {
          const result = read(cut(stream, cuts), room);
          if ('error' in result) expect(result.error).toBeInstanceOf(BinaryCopyError);
          else expect(result.reader.filled).toBeLessThanOrEqual(room);
        },
      ),
    );
  });
});

/** A stand-in for node-postgres's client: hands the submittable the messages a server would send, then ReadyForQuery. */
function fakeClient(pieces: readonly Buffer[], serverError?: Error) {
  const sent: string[] = [];
  const run = (query: unknown) => {
    const copy = query as {
      submit(connection: { query(text: string): void }): void;
      handleCopyData(message: { chunk: Buffer }): void;
      handleCommandComplete(message: { text: string }): void;
      handleReadyForQuery(): void;
      handleError(error: Error): void;
    };
    copy.submit({ query: (text) => void sent.push(text) });
    setImmediate(() => {
      for (const piece of pieces) {
        // The driver's read buffer is reused after the call: the reader must have copied the bytes out.
        const chunk = Buffer.from(piece);
        copy.handleCopyData({ chunk });
        chunk.fill(0xee);
      }
      if (serverError) return copy.handleError(serverError);
      copy.handleCommandComplete({ text: `COPY ${pieces.length}` });
      copy.handleReadyForQuery();
    });
    return copy;
  };
  return { run, sent };
}

describe('copyOutInto', () => {
  const TEXT = 'copy (select data from t order by k) to stdout (format binary)';

  it('sends the statement and resolves with the rows and bytes once the server is ready again', async () => {
    const stream = copyStream([Buffer.from('abc'), Buffer.from('de')]);
    const { run, sent } = fakeClient(cut(stream, [3, 20, 21, 27]));
    const target = Buffer.alloc(5);
    expect(await copyOutInto(run, TEXT, target)).toEqual({ rows: 2, bytes: 5 });
    expect(target.toString()).toBe('abcde');
    expect(sent).toEqual([TEXT]);
  });

  it('rejects a stream cut short, garbled or too long once the server is done, never waiting for more', async () => {
    const stream = copyStream([Buffer.from('abc'), Buffer.from('de')]);
    const garbled = Buffer.from(stream);
    garbled[19] = 0x7f; // the first row's field count: 0x7f01 fields
    await expect(copyOutInto(fakeClient([stream.subarray(0, stream.length - 2)]).run, TEXT, Buffer.alloc(5))).rejects.toThrow(/stopped before its end \(after 2 rows, 5 bytes\)/);
    await expect(copyOutInto(fakeClient([garbled]).run, TEXT, Buffer.alloc(5))).rejects.toThrow(/a COPY row has 32513 fields, 1 expected/);
    await expect(copyOutInto(fakeClient([stream]).run, TEXT, Buffer.alloc(4))).rejects.toBeInstanceOf(BinaryCopyError);
  });

  it('rejects with the server\'s error (no ReadyForQuery reaches the query then)', async () => {
    const failure = new Error('canceling statement due to statement timeout');
    await expect(copyOutInto(fakeClient([copyStream([]).subarray(0, 5)], failure).run, TEXT, Buffer.alloc(0))).rejects.toBe(failure);
  });
});
