/**
 * A mirror snapshot saved in several chunks on PostgreSQL (a small chunk
 * size, so that a few hundred bytes make several rows) reads back byte for
 * byte through the binary COPY (src/features/mirrors/repository.ts); a chunk
 * missing or longer than saved makes the read refuse the snapshot
 * (SnapshotUnusable), and so does a body under another version. On the
 * run's throwaway server, a fresh database per test (test/pg-db.ts).
 */
import fc from 'fast-check';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { encodeSnapshot, SnapshotUnusable } from '../../src/features/mirrors/format.js';
import { mirrorSnapshotRepository, type MirrorSnapshotRepository } from '../../src/features/mirrors/repository.js';
import type { PostgresDatabase } from '../../src/store/database.js';
import { openPostgres } from '../../src/store/pg.js';
import { dropPgDatabase, freshPgUrl } from '../pg-db.js';

let url: string;
let db: PostgresDatabase;

beforeEach(async () => {
  url = await freshPgUrl();
  db = await openPostgres(url);
});
afterEach(async () => {
  await db.close();
  await dropPgDatabase(url);
});

/** Statements on the test database beside the app's pool. */
async function sql<R extends pg.QueryResultRow>(text: string, values: unknown[] = []): Promise<R[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<R>(text, values)).rows;
  } finally {
    await client.end();
  }
}

/** Bytes that are not all alike: every value 0..255 and runs of zeros. */
const bytes = (n: number, seed: number) => Uint8Array.from({ length: n }, (_, i) => (i % 7 === 0 ? 0 : (i * 31 + seed) & 0xff));

const repository = (chunkBytes: number): MirrorSnapshotRepository => mirrorSnapshotRepository(db, { pgChunkBytes: chunkBytes })!;

describe('mirror snapshot body over a binary COPY', () => {
  it('a body of 2,600 bytes in chunks of 1,000 is 3 rows (1,000 + 1,000 + 600) and reads back byte for byte', async () => {
    const snapshot = await encodeSnapshot({ version: 4, fingerprints: {} }, { spend: [bytes(2_600, 1)] });
    expect(snapshot.header.bodyBytes).toBe(2_600);
    expect(await repository(1_000).save(snapshot)).toBe(true);
    const rows = await sql<{ chunk: number; length: number }>('select chunk, length(data) as length from mirror_snapshots where chunk > 0 order by chunk');
    expect(rows).toEqual([
      { chunk: 1, length: 1_000 },
      { chunk: 2, length: 1_000 },
      { chunk: 3, length: 600 },
    ]);
    const stored = (await repository(1_000).read())!;
    const body = await stored.body();
    expect(Buffer.compare(body, Buffer.from(bytes(2_600, 1)))).toBe(0);
  });

  it('any parts, any chunk size: the body read equals the body saved', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer({ min: 0, max: 900 }), { minLength: 1, maxLength: 4 }), fc.integer({ min: 64, max: 1_000 }), async (sizes, chunkBytes) => {
        const version = Number((await sql<{ v: string }>("select coalesce(max(version), 0) + 1 as v from mirror_snapshots"))[0]!.v);
        const snapshot = await encodeSnapshot({ version, fingerprints: {} }, { spend: sizes.map((size, i) => bytes(size, i)) });
        expect(await repository(chunkBytes).save(snapshot)).toBe(true);
        const body = await (await repository(chunkBytes).read())!.body();
        expect(Buffer.compare(body, Buffer.concat(snapshot.body))).toBe(0);
      }),
      { numRuns: 15 },
    );
  });

  it('a chunk missing, a chunk longer than saved, or the body under another version: SnapshotUnusable, naming the sizes', async () => {
    const snapshot = await encodeSnapshot({ version: 9, fingerprints: {} }, { spend: [bytes(2_600, 2)] });
    await repository(1_000).save(snapshot);
    const refusal = async () => {
      const error = await (await repository(1_000).read())!.body().then(() => null, (error: unknown) => error);
      expect(error).toBeInstanceOf(SnapshotUnusable);
      return (error as Error).message;
    };

    await sql('update mirror_snapshots set data = data || $1 where chunk = 2', [Buffer.from([1])]);
    // 1,000 + 1,001 + 600 = 2,601 > 2,600: refused at the third row.
    expect(await refusal()).toBe('the snapshot body cannot be read: the COPY stream holds more than the 2600 bytes expected (row 3 is 600 bytes, after 2001)');

    await sql('delete from mirror_snapshots where chunk = 2');
    // 1,000 + 600.
    expect(await refusal()).toBe('the snapshot body is 1600 bytes, its header says 2600 (2 chunks read: one missing, or replaced meanwhile?)');

    await sql('update mirror_snapshots set version = 8 where chunk > 0');
    expect(await refusal()).toBe('the snapshot body is 0 bytes, its header says 2600 (0 chunks read: one missing, or replaced meanwhile?)');
  });

  it('a snapshot replaced between the header read and the body read is refused, not mixed', async () => {
    await repository(1_000).save(await encodeSnapshot({ version: 9, fingerprints: {} }, { spend: [bytes(2_600, 3)] }));
    const stored = (await repository(1_000).read())!;
    // Another instance saves a newer one meanwhile, in chunks of the same sizes.
    expect(await repository(1_000).save(await encodeSnapshot({ version: 10, fingerprints: {} }, { spend: [bytes(2_600, 4)] }))).toBe(true);
    await expect(stored.body()).rejects.toThrow(/^the snapshot body is 0 bytes, its header says 2600/);
    // The newer one reads whole.
    expect(Buffer.compare(await (await repository(1_000).read())!.body(), Buffer.from(bytes(2_600, 4)))).toBe(0);
  });
});
