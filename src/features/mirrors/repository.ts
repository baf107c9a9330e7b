/**
 * Where the last mirror snapshot (format.ts) is kept, on each store.
 *
 * SQLite: a file beside the database, `<database file>.snapshot/mirrors.bin`
 * (none for `:memory:`). Not in the database: a few hundred MB of blobs
 * would swell the file and its WAL at every save, and the database file
 * stays exactly the rows. Written to a temporary file, synced, then renamed
 * over the old one (and the folder synced), so a reader finds the old
 * snapshot or the new one, never half of one, even across a crash.
 *
 * PostgreSQL: the table `mirror_snapshots` (migration 0006), shared by
 * every instance: chunk 0 the prefix (header), chunks 1.. the body in
 * pieces of at most 16 MB. Saved in a transaction of its own, outside the
 * unit of work (a snapshot is a copy of the data, not data: it moves no
 * data version and is not audited), under a transaction-level advisory
 * lock, replacing the stored one only if that is of a lower version, so
 * that when several instances save, the newest version wins. The body is
 * sent as binary parameters and read back by one binary COPY straight into
 * its buffer: never as hex text, which would double the bytes.
 */
import { mkdir, open, rename, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { Database } from '../../store/database.js';
import { BinaryCopyError, copyOutInto } from '../../store/pg.js';
import { decodeHeader, prefixLength, SnapshotUnusable, type EncodedSnapshot, type SnapshotHeader } from './format.js';

export interface StoredSnapshot {
  header: SnapshotHeader;
  /** The body's bytes; throws SnapshotUnusable if they are missing or cut short. */
  body(): Promise<Uint8Array>;
  /** Lets go of what reading held (an open file). */
  close(): Promise<void>;
}

export interface MirrorSnapshotRepository {
  /** Where snapshots are kept (for the log). */
  readonly where: string;
  /** The stored snapshot, or null if there is none; throws SnapshotUnusable if its header cannot be read. */
  read(): Promise<StoredSnapshot | null>;
  /** Stores `snapshot` in place of the stored one, unless that one's version is as high (then false). */
  save(snapshot: EncodedSnapshot): Promise<boolean>;
}

/** Body bytes per PostgreSQL row: well under the 64 MB a row should stay below (1 GB is bytea's limit). */
const PG_CHUNK_BYTES = 16 << 20;
/** The advisory lock savers take ("Spendbk2" in ASCII; the migrations take "Spendbk1"). */
const SAVE_LOCK_KEY = 0x5370656e64626b32n;

export interface SnapshotRepositoryOptions {
  /** PostgreSQL: body bytes per row (tests make several chunks of a small snapshot); 16 MB by default. */
  pgChunkBytes?: number;
}

/** The snapshot repository of `database`, or null where none is kept (`:memory:`). */
export function mirrorSnapshotRepository(database: Database, options: SnapshotRepositoryOptions = {}): MirrorSnapshotRepository | null {
  if (database.dialect === 'sqlite') {
    const { sqlite } = database;
    if (sqlite.memory || sqlite.name === '') return null;
    return fileSnapshots(`${sqlite.name}.snapshot`);
  }
  const { pg } = database;
  const transaction = pg.detachedTransaction?.bind(pg);
  if (transaction === undefined) return null;
  const chunkBytes = options.pgChunkBytes ?? PG_CHUNK_BYTES;
  return {
    where: 'the mirror_snapshots table',
    read: async () => {
      const prefix = await transaction(async (run) => (await run<{ data: Buffer }>({ text: 'select data from mirror_snapshots where chunk = 0' })).rows[0]?.data);
      if (prefix === undefined) return null;
      const header = decodeHeader(prefix);
      return {
        header,
        close: async () => undefined,
        // One repeatable-read transaction: a snapshot another instance saves meanwhile is not seen half-way.
        // One COPY in binary for the whole body, parsed straight into it: a SELECT would bring each chunk
        // as hex text (node-postgres reads every field as text), twice the bytes, then a string to decode.
        body: () =>
          transaction(async (run) => {
            await run({ text: 'set transaction isolation level repeatable read, read only' });
            const body = Buffer.allocUnsafeSlow(header.bodyBytes);
            // COPY takes no parameters; the version is a whole number checked by decodeHeader.
            const text = `copy (select data from mirror_snapshots where version = ${BigInt(header.version)} and chunk > 0 order by chunk) to stdout (format binary)`;
            let read: { rows: number; bytes: number };
            try {
              read = await copyOutInto(run, text, body);
            } catch (error) {
              if (error instanceof BinaryCopyError) throw new SnapshotUnusable(`the snapshot body cannot be read: ${error.message}`);
              throw error;
            }
            if (read.bytes !== header.bodyBytes) {
              throw new SnapshotUnusable(`the snapshot body is ${read.bytes} bytes, its header says ${header.bodyBytes} (${read.rows} chunks read: one missing, or replaced meanwhile?)`);
            }
            return body;
          }),
      };
    },
    save: (snapshot) =>
      transaction(async (run) => {
        const version = snapshot.header.version;
        await run({ text: 'select pg_advisory_xact_lock($1)', values: [SAVE_LOCK_KEY.toString()] });
        const stored = (await run<{ version: bigint }>({ text: 'select version from mirror_snapshots where chunk = 0' })).rows[0];
        if (stored !== undefined && Number(stored.version) >= version) return false;
        await run({ text: 'delete from mirror_snapshots' });
        const insert = (chunk: number, data: Uint8Array) =>
          run({ text: 'insert into mirror_snapshots (chunk, version, data) values ($1, $2, $3)', values: [chunk, version, asBuffer(data)] });
        await insert(0, snapshot.prefix);
        let chunk = 1;
        let batch: Uint8Array[] = [];
        let batchBytes = 0;
        const flush = async () => {
          if (batchBytes === 0) return;
          await insert(chunk++, batch.length === 1 ? batch[0]! : Buffer.concat(batch, batchBytes));
          batch = [];
          batchBytes = 0;
        };
        for (const segment of snapshot.body) {
          for (let at = 0; at < segment.length; at += chunkBytes) {
            const piece = segment.subarray(at, at + chunkBytes);
            if (batchBytes + piece.length > chunkBytes) await flush();
            batch.push(piece);
            batchBytes += piece.length;
          }
        }
        await flush();
        return true;
      }),
  };
}

const asBuffer = (bytes: Uint8Array): Buffer => (Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length));

async function readFully(file: FileHandle, into: Uint8Array, position: number): Promise<number> {
  let filled = 0;
  while (filled < into.length) {
    const { bytesRead } = await file.read(into, filled, into.length - filled, position + filled);
    if (bytesRead === 0) break;
    filled += bytesRead;
  }
  return filled;
}

async function writeFully(file: FileHandle, bytes: Uint8Array): Promise<void> {
  for (let done = 0; done < bytes.length; ) done += (await file.write(bytes, done, bytes.length - done)).bytesWritten;
}

/** The snapshot of the SQLite database in folder `dir`. */
export function fileSnapshots(dir: string): MirrorSnapshotRepository {
  const path = join(dir, 'mirrors.bin');

  /** The open file and its header, or null if there is none. */
  const openStored = async (): Promise<{ file: FileHandle; header: SnapshotHeader; prefixBytes: number } | null> => {
    let file: FileHandle;
    try {
      file = await open(path, 'r');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
    try {
      const first = new Uint8Array(12);
      if ((await readFully(file, first, 0)) < first.length) throw new SnapshotUnusable('the snapshot file is truncated (no header)');
      const prefix = new Uint8Array(prefixLength(first));
      if ((await readFully(file, prefix, 0)) < prefix.length) throw new SnapshotUnusable('the snapshot header is truncated');
      return { file, header: decodeHeader(prefix), prefixBytes: prefix.length };
    } catch (error) {
      await file.close();
      throw error;
    }
  };

  return {
    where: dir,
    read: async () => {
      const stored = await openStored();
      if (stored === null) return null;
      const { file, header, prefixBytes } = stored;
      return {
        header,
        close: () => file.close(),
        body: async () => {
          const { size } = await file.stat();
          if (size !== prefixBytes + header.bodyBytes) throw new SnapshotUnusable(`the snapshot file is ${size} bytes, its header says ${prefixBytes + header.bodyBytes}`);
          // Its own allocation, so that the body starts at offset 0 (parts are then 8-byte aligned).
          const body = Buffer.allocUnsafeSlow(header.bodyBytes);
          if ((await readFully(file, body, prefixBytes)) < body.length) throw new SnapshotUnusable('the snapshot file is truncated');
          return body;
        },
      };
    },
    save: async (snapshot) => {
      await mkdir(dir, { recursive: true });
      // Another process on the same file may have saved a newer one (best effort: the rename below is not conditional).
      const stored = await openStored().catch(() => null);
      await stored?.file.close();
      if (stored && stored.header.version >= snapshot.header.version) return false;
      const temporary = join(dir, `mirrors.bin.${process.pid}.tmp`);
      try {
        const file = await open(temporary, 'w');
        try {
          await writeFully(file, snapshot.prefix);
          for (const segment of snapshot.body) await writeFully(file, segment);
          await file.sync();
        } finally {
          await file.close();
        }
        await rename(temporary, path);
      } catch (error) {
        await unlink(temporary).catch(() => undefined);
        throw error;
      }
      // The rename itself must survive a crash: sync the folder's entry.
      const folder = await open(dir, 'r');
      try {
        await folder.sync();
      } finally {
        await folder.close();
      }
      return true;
    },
  };
}
