/**
 * PostgreSQL: the pool, the session the repositories run statements on, and
 * openPostgres, which migrates under a lock. The unit of work is in
 * pg-unit-of-work.ts, what errors mean in pg-errors.ts.
 *
 * The driver (node-postgres) is loaded by openPostgres only, so that a
 * SQLite-only process never loads it.
 */
import type { Client, ClientConfig, CustomTypesConfig, Pool, PoolConfig, QueryConfig, QueryResult, QueryResultRow } from 'pg';
import { packagePath } from '../lib/package-root.js';
import type { PostgresDatabase } from './database.js';
import { isPgError } from './pg-errors.js';
import { PgUnitOfWork, type PgUnitOfWorkOptions } from './pg-unit-of-work.js';

export { isPgConnectionError, isPgError, isRetryablePgError, PG_CODES } from './pg-errors.js';

export interface PgSession {
  /**
   * One statement, on the current write's transaction client, or on the pool
   * outside a write. Inside a write, the rowCount of an INSERT, UPDATE,
   * DELETE or MERGE tells the unit of work that the write changed data:
   * write changes as such statements (`insert ... returning`), not as a
   * data-modifying CTE under a SELECT, whose changes would not be counted.
   * bigint columns (int8) come back as `bigint`, numeric as exact text.
   */
  query<R extends QueryResultRow = Record<string, unknown>>(text: string, params?: readonly unknown[]): Promise<QueryResult<R>>;
  /** One statement whose rows come back as arrays (rowMode 'array'), for large reads. */
  queryArrays<R extends unknown[] = unknown[]>(text: string, params?: readonly unknown[]): Promise<R[]>;
  /**
   * `copy table (columns) from stdin` with `data` in COPY's text format, in
   * the current write (refused outside one): the rows it copied count as
   * changes. The bulk ingests' fast path: COPY writes rows in batches
   * (several to a heap page and a WAL record), an INSERT one at a time.
   * Optional: a session made for a test may leave it out, and the
   * repositories then write with their statements alone.
   */
  copyIn?(text: string, data: string): Promise<number>;
  /**
   * Runs `fn` as a transaction of its own, on a client of its own, outside
   * the unit of work whatever async context it is called from: it moves no
   * data version and names no actor. Only for what is not data (the mirror
   * snapshots, a copy of the tables). `run` takes node-postgres query
   * configs. Optional:
   * the sessions some tests build over a bare pool have none.
   */
  detachedTransaction?<T>(fn: (run: <R extends QueryResultRow = Record<string, unknown>>(query: QueryConfig) => Promise<QueryResult<R>>) => Promise<T>): Promise<T>;
  /**
   * Runs `fn`'s reads (`queryArrays`, as the session's) in one snapshot: a
   * read-only REPEATABLE READ transaction on a client of its own, so that a
   * read in several statements (a mirror's load, page by page) sees every
   * transaction wholly or not at all. Inside a write, on the write's
   * transaction (READ COMMITTED: each statement its own snapshot; only the
   * demo loader reads a table for a mirror there, alone). Optional, like
   * detachedTransaction.
   */
  readSnapshot?<T>(fn: (queryArrays: <R extends unknown[] = unknown[]>(text: string, params?: readonly unknown[]) => Promise<R[]>) => Promise<T>): Promise<T>;
}

export interface PgOptions extends PgUnitOfWorkOptions {
  /** Clients in the pool (default 10). */
  poolSize?: number;
  /** Longest wait for a connection, or for a free client of a full pool (default 5 s). */
  connectionTimeoutMs?: number;
  /** Longest a statement may run before the server cancels it (default 60 s). */
  statementTimeoutMs?: number;
  /** An idle client is closed after this long (default 30 s). */
  idleTimeoutMs?: number;
  /** Hears an idle client's connection error (the server restarted); the pool replaces the client. */
  onIdleError?: (error: Error) => void;
}

/**
 * The session-level advisory lock taken while migrating: a fixed bigint
 * ("Spendbk1" in ASCII), the same for every Spendbook instance.
 */
export const MIGRATION_LOCK_KEY = 0x5370656e64626b31n;

// int8 (oid 20) as bigint: counts, ids and micros beyond 2^53 stay exact. numeric (oid 1700) as its
// text, never a float. Set on this pool only: pg.types is global to the process, and shared.
const INT8 = 20;
const NUMERIC = 1700;

function typeParsers(base: CustomTypesConfig): CustomTypesConfig {
  return {
    getTypeParser: ((oid: number, format?: 'text' | 'binary') => {
      if (format !== 'binary') {
        if (oid === INT8) return (value: string) => BigInt(value);
        if (oid === NUMERIC) return (value: string) => value;
      }
      return base.getTypeParser(oid, format);
    }) as CustomTypesConfig['getTypeParser'],
  };
}

class PoolSession implements PgSession {
  constructor(private readonly pool: Pool, private readonly uow: PgUnitOfWork) {}

  query<R extends QueryResultRow = Record<string, unknown>>(text: string, params: readonly unknown[] = []): Promise<QueryResult<R>> {
    const tx = this.uow.transaction();
    const values = params as unknown[];
    return tx ? tx.run<R>({ text, values }) : this.pool.query<R>({ text, values });
  }

  async queryArrays<R extends unknown[] = unknown[]>(text: string, params: readonly unknown[] = []): Promise<R[]> {
    const tx = this.uow.transaction();
    const config = { text, values: params as unknown[], rowMode: 'array' as const };
    const result = tx ? await tx.run(config) : await this.pool.query(config);
    return result.rows as unknown as R[];
  }

  /** By COPY statement: the end of the last COPY of it started or queued in this process. */
  private readonly copies = new Map<string, Promise<void>>();

  /**
   * One COPY of a statement at a time in this process, the next queued
   * behind it: two COPYs into one table insert at the same right-hand pages
   * of its indexes (ids, slots and xids ascend) and spin on their locks. Two
   * writes COPYing 25,000 touchpoints a batch side by side cost PostgreSQL
   * 3.9 microseconds of CPU a row, one after the other 2.7, and wrote more
   * rows a second (386,000 against 352,000), while each write's parsing and
   * its commit still overlap the other's COPY. Only the COPY is queued, not
   * the write: a write waits here at most for COPYs already running, which
   * the statement timeout bounds, and none of them waits for it: a write
   * starts a COPY into a table holding no row of that table it has written
   * (the repositories' fast paths COPY before any other write to the table,
   * and again only after rolling a refused COPY back to its savepoint), so
   * no COPY of that table waits on its rows.
   */
  async copyIn(text: string, data: string): Promise<number> {
    const tx = this.uow.transaction();
    if (!tx) throw new Error('copyIn runs inside a write');
    const before = this.copies.get(text);
    let done!: () => void;
    const mine = new Promise<void>((resolve) => (done = resolve));
    this.copies.set(text, mine);
    try {
      if (before) await before;
      // The transaction's run takes a query config; node-postgres takes the submittable in its place.
      const result = await tx.run(new CopyIn(text, data) as unknown as QueryConfig);
      return result.rowCount ?? 0;
    } finally {
      done();
      if (this.copies.get(text) === mine) this.copies.delete(text);
    }
  }

  detachedTransaction<T>(fn: (run: <R extends QueryResultRow = Record<string, unknown>>(query: QueryConfig) => Promise<QueryResult<R>>) => Promise<T>): Promise<T> {
    return this.onClientOfItsOwn('begin', fn);
  }

  readSnapshot<T>(fn: (queryArrays: <R extends unknown[] = unknown[]>(text: string, params?: readonly unknown[]) => Promise<R[]>) => Promise<T>): Promise<T> {
    if (this.uow.transaction()) return fn((text, params) => this.queryArrays(text, params));
    return this.onClientOfItsOwn('begin isolation level repeatable read read only', (run) =>
      fn(async <R extends unknown[]>(text: string, params: readonly unknown[] = []) =>
        (await run({ text, values: params as unknown[], rowMode: 'array' } as QueryConfig)).rows as unknown as R[],
      ),
    );
  }

  /** `fn` in a transaction begun by `begin`, on a client taken from the pool for it, committed if it returns. */
  private async onClientOfItsOwn<T>(begin: string, fn: (run: <R extends QueryResultRow = Record<string, unknown>>(query: QueryConfig) => Promise<QueryResult<R>>) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    let broken: Error | undefined;
    try {
      await client.query(begin);
      try {
        const value = await fn((query) => client.query(query));
        await client.query('commit');
        return value;
      } catch (error) {
        await client.query('rollback').catch((rollbackError: Error) => (broken = rollbackError));
        throw error;
      }
    } finally {
      // release(error) destroys a client whose connection broke, as the unit of work does.
      client.release(broken);
    }
  }
}

/**
 * A COPY as node-postgres runs it: a "submittable" the client hands the
 * connection to (no dependency: pg-copy-streams is not installed), and a
 * thenable, so that the transaction's `run` awaits it like a query. The
 * client sets `callback` aside and wraps it (its read timeout), and calls
 * the `handle...` methods on its active query (pg/lib/client.js); those a
 * COPY does not expect do nothing here.
 */
abstract class CopyQuery implements PromiseLike<QueryResult> {
  readonly text: string;
  callback: (error: Error | null, result?: QueryResult) => void;
  private readonly done: Promise<QueryResult>;

  constructor(text: string) {
    this.text = text;
    let settle!: (error: Error | null, result?: QueryResult) => void;
    this.done = new Promise<QueryResult>((resolve, reject) => (settle = (error, result) => (error ? reject(error) : resolve(result!))));
    this.callback = settle;
  }

  then<A = QueryResult, B = never>(onfulfilled?: ((value: QueryResult) => A | PromiseLike<A>) | null, onrejected?: ((reason: unknown) => B | PromiseLike<B>) | null): PromiseLike<A | B> {
    return this.done.then(onfulfilled, onrejected);
  }

  submit(connection: { query(text: string): void }): void {
    connection.query(this.text);
  }
  /** A server error (then no readyForQuery reaches this query) or the connection's end. */
  handleError(error: Error): void {
    this.callback(error);
  }
  handleCommandComplete(_message: { text: string }): void {}
  handleRowDescription(): void {}
  handleDataRow(): void {}
  handleEmptyQuery(): void {}
  handlePortalSuspended(): void {}
}

/** A COPY ... FROM STDIN of `data` (CopyQuery); resolves with the rows copied. */
class CopyIn extends CopyQuery {
  /** Sent in pieces of this size: one CopyData message each. */
  private static readonly CHUNK = 256 * 1024;
  private copied = 0;

  constructor(text: string, private readonly data: string) {
    super(text);
  }

  handleCopyInResponse(connection: { sendCopyFromChunk(chunk: Buffer): void; endCopyFrom(): void }): void {
    const bytes = Buffer.from(this.data, 'utf8');
    for (let at = 0; at < bytes.length; at += CopyIn.CHUNK) connection.sendCopyFromChunk(bytes.subarray(at, at + CopyIn.CHUNK));
    connection.endCopyFrom();
  }
  override handleCommandComplete(message: { text: string }): void {
    // "COPY <rows>"
    this.copied = Number(message.text.slice(message.text.lastIndexOf(' ') + 1));
  }
  handleReadyForQuery(): void {
    this.callback(null, { command: 'COPY', rowCount: this.copied, oid: 0, rows: [], fields: [] });
  }
  handleCopyData(): void {}
}

/**
 * The bulk ingests' COPY of `data` in the current write, inside a savepoint:
 * the rows copied, or null when a row met a unique key that another writer
 * inserted meanwhile (23505). The savepoint is then rolled back and the
 * caller settles the batch with its upsert statement instead.
 */
export async function copyUnlessTaken(pg: PgSession, savepoint: string, text: string, data: string): Promise<number | null> {
  if (!pg.copyIn) throw new Error('this session has no COPY');
  await pg.query(`savepoint ${savepoint}`);
  let copied: number;
  try {
    copied = await pg.copyIn(text, data);
  } catch (error) {
    if (!isPgError(error) || error.code !== '23505') throw error;
    await pg.query(`rollback to savepoint ${savepoint}`);
    return null;
  }
  await pg.query(`release savepoint ${savepoint}`);
  return copied;
}

/** Runs `copy ... from stdin` with `data` on one client (the session's copyIn, and tests' own sessions); the rows copied. */
export async function copyInOn(client: { query(config: QueryConfig): unknown }, text: string, data: string): Promise<number> {
  const copy = new CopyIn(text, data);
  client.query(copy as unknown as QueryConfig);
  return (await copy).rowCount ?? 0;
}

/** A binary COPY stream that is not what was asked for (damaged, cut short, or longer than the room for it). */
export class BinaryCopyError extends Error {}

const COPY_SIGNATURE = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1');
/** Signature, flags (int32), header extension length (int32). */
const COPY_HEADER_BYTES = COPY_SIGNATURE.length + 8;

/**
 * Reads the stream of a `copy (select one bytea column ...) to stdout
 * (format binary)` straight into `target`, each row's value after the
 * previous one: no copy of the whole, no text. Fed the stream in pieces cut
 * anywhere (CopyData messages); throws BinaryCopyError at the first byte
 * that does not fit the format (a second column, a null, more bytes than
 * `target` holds, anything after the trailer), and `finish` throws if the
 * stream stopped before its trailer. The format: header (signature, flags,
 * extension), then per row an int16 field count and per field an int32
 * length and its bytes, then the trailer (field count -1).
 */
export class BinaryCopyReader {
  /** Bytes of `target` written so far. */
  filled = 0;
  /** Rows read so far. */
  rows = 0;
  private state: 'header' | 'extension' | 'count' | 'length' | 'field' | 'done' = 'header';
  /** The fixed-size item being gathered (header, count, length), which a piece may cut. */
  private readonly item = Buffer.alloc(COPY_HEADER_BYTES);
  private itemFilled = 0;
  /** Bytes left of the header extension or of the current field. */
  private left = 0;

  constructor(private readonly target: Buffer) {}

  push(piece: Buffer): void {
    let at = 0;
    while (at < piece.length) {
      if (this.state === 'done') throw new BinaryCopyError(`the COPY stream goes on after its trailer (${piece.length - at} more bytes)`);
      if (this.state === 'extension' || this.state === 'field') {
        const take = Math.min(this.left, piece.length - at);
        if (this.state === 'field') {
          piece.copy(this.target, this.filled, at, at + take);
          this.filled += take;
        }
        at += take;
        this.left -= take;
        if (this.left === 0) this.state = 'count';
        continue;
      }
      const need = this.state === 'header' ? COPY_HEADER_BYTES : this.state === 'count' ? 2 : 4;
      const take = Math.min(need - this.itemFilled, piece.length - at);
      piece.copy(this.item, this.itemFilled, at, at + take);
      this.itemFilled += take;
      at += take;
      if (this.itemFilled === need) {
        this.itemFilled = 0;
        this.complete();
      }
    }
  }

  /** Throws unless the stream reached its trailer. */
  finish(): void {
    if (this.state !== 'done') throw new BinaryCopyError(`the COPY stream stopped before its end (after ${this.rows} rows, ${this.filled} bytes)`);
  }

  /** A fixed-size item is in `item`: check it and move on. */
  private complete(): void {
    const item = this.item;
    switch (this.state) {
      case 'header': {
        if (!item.subarray(0, COPY_SIGNATURE.length).equals(COPY_SIGNATURE)) throw new BinaryCopyError('the COPY stream does not start with the binary format signature');
        // Bit 16: each row has an OID first (never asked for here); other high bits are critical flags this reader does not know.
        if ((item.readUInt32BE(COPY_SIGNATURE.length) & 0xffff0000) !== 0) throw new BinaryCopyError('the COPY stream has header flags this reader does not know');
        this.left = item.readUInt32BE(COPY_SIGNATURE.length + 4);
        this.state = this.left > 0 ? 'extension' : 'count';
        return;
      }
      case 'count': {
        const fields = item.readInt16BE(0);
        if (fields === -1) this.state = 'done';
        else if (fields !== 1) throw new BinaryCopyError(`a COPY row has ${fields} fields, 1 expected`);
        else this.state = 'length';
        return;
      }
      case 'length': {
        const length = item.readInt32BE(0);
        if (length < 0) throw new BinaryCopyError(`row ${this.rows + 1} of the COPY stream is null`);
        if (this.filled + length > this.target.length) throw new BinaryCopyError(`the COPY stream holds more than the ${this.target.length} bytes expected (row ${this.rows + 1} is ${length} bytes, after ${this.filled})`);
        this.rows++;
        this.left = length;
        this.state = length > 0 ? 'field' : 'count';
        return;
      }
      default:
        throw new Error(`unreachable: ${this.state}`);
    }
  }
}

/**
 * A `copy (...) to stdout (format binary)` of one bytea column as
 * node-postgres runs it (CopyQuery): the
 * values land in `target` (BinaryCopyReader); resolves with the rows read
 * once the server is done, or rejects with the stream's fault. A fault does
 * not stop the server sending: the rest is skipped, and the query settles at
 * its end as any other (bounded by the client's read timeout).
 */
class CopyOut extends CopyQuery {
  readonly reader: BinaryCopyReader;
  private fault: Error | null = null;

  constructor(text: string, target: Buffer) {
    super(text);
    this.reader = new BinaryCopyReader(target);
  }

  /** `msg.chunk` is a view of the driver's read buffer, reused after this call: copied out at once. */
  handleCopyData(message: { chunk: Buffer }): void {
    if (this.fault !== null) return;
    try {
      this.reader.push(message.chunk);
    } catch (error) {
      this.fault = error as Error;
    }
  }
  handleReadyForQuery(): void {
    if (this.fault === null) {
      try {
        this.reader.finish();
      } catch (error) {
        this.fault = error as Error;
      }
    }
    this.callback(this.fault, { command: 'COPY', rowCount: this.reader.rows, oid: 0, rows: [], fields: [] });
  }
  /** Not a COPY TO: a COPY FROM would wait for data that never comes. */
  handleCopyInResponse(connection: { sendCopyFail(message: string): void }): void {
    connection.sendCopyFail('a copy to stdout was expected');
  }
}

/**
 * Runs `copy (select <one bytea column> ...) to stdout (format binary)` with
 * `run` (a detached transaction's, or a client's query), its values laid end
 * to end in `target`; the bytes written. Throws BinaryCopyError if the
 * stream is damaged or holds more than `target`; fewer bytes are the
 * caller's to judge.
 */
export async function copyOutInto(run: (query: QueryConfig) => unknown, text: string, target: Buffer): Promise<{ rows: number; bytes: number }> {
  const copy = new CopyOut(text, target);
  // The client takes the submittable in place of a query config (and returns it, or a promise of its end).
  await Promise.all([copy, run(copy as unknown as QueryConfig)]);
  return { rows: copy.reader.rows, bytes: copy.reader.filled };
}

/**
 * Opens the pool, applies db/pg/migrations (once, however many instances
 * start together), and returns the store with its unit of work.
 */
export async function openPostgres(url: string, options: PgOptions = {}): Promise<PostgresDatabase> {
  const { default: pg } = await import('pg');
  const statementTimeout = options.statementTimeoutMs ?? 60_000;
  const connection: ClientConfig = {
    connectionString: url,
    application_name: 'spendbook',
    connectionTimeoutMillis: options.connectionTimeoutMs ?? 5_000,
    keepAlive: true,
    types: typeParsers(pg.types),
  };
  const config: PoolConfig = {
    ...connection,
    // 10: enough for one Node process, whose writes queue at their end on the data_version row
    // anyway, while a few instances stay well under PostgreSQL's default max_connections (100).
    max: options.poolSize ?? 10,
    idleTimeoutMillis: options.idleTimeoutMs ?? 30_000,
    // The server cancels a statement running too long (57014); the client gives up a little later,
    // for a server that stopped answering at all (the connection is then destroyed).
    statement_timeout: statementTimeout,
    query_timeout: statementTimeout + 5_000,
    // A transaction left open (a request that hung mid-write) does not hold its locks for ever.
    idle_in_transaction_session_timeout: statementTimeout,
    // No JIT: the service's statements are short, and on a table not analyzed since a bulk import the
    // planner's estimates can pass jit_above_cost, when compiling costs 100-200 ms on a 1 ms query
    // (the spend mirror's catch-up did). Reports read bulk columns, which JIT does not speed up.
    options: '-c jit=off',
  };

  await migrate(new pg.Client(connection));

  const pool = new pg.Pool(config);
  // An idle client whose connection breaks (the server restarted) is dropped by the pool; without a
  // listener, its 'error' event would end the process.
  pool.on('error', (error) => options.onIdleError?.(error));
  const uow = new PgUnitOfWork(pool, options);
  return {
    dialect: 'postgres',
    pg: new PoolSession(pool, uow),
    uow,
    async ping() {
      // query_timeout per query is read by node-postgres but missing from its types.
      await pool.query({ text: 'select 1', query_timeout: 2_000 } as QueryConfig);
    },
    close: () => pool.end(),
  };
}

/**
 * Applies db/pg/migrations with drizzle's node-postgres migrator while
 * holding a session-level advisory lock on one dedicated connection: of N
 * instances starting together, one migrates and the others wait, then find
 * nothing left to apply. The lock goes with the connection if the process
 * dies mid-way. No statement timeout here: a migration may take long.
 *
 * An engine without advisory locks would take a row lock instead: `create
 * table if not exists spendbook_migration_lock (id int primary key)`, insert
 * its one row if missing (`on conflict do nothing`), then `select id from
 * spendbook_migration_lock where id = 1 for update` in a transaction held
 * open while migrating.
 *
 * Migration 0003 makes the data_version row at 0, so nothing is left to
 * create after it.
 */
async function migrate(client: Client): Promise<void> {
  // A connection error of this client while idle between statements must not end the process.
  client.on('error', () => undefined);
  await client.connect();
  try {
    const [{ drizzle }, { migrate: applyMigrations }] = await Promise.all([import('drizzle-orm/node-postgres'), import('drizzle-orm/node-postgres/migrator')]);
    await client.query('select pg_advisory_lock($1)', [MIGRATION_LOCK_KEY.toString()]);
    try {
      await applyMigrations(drizzle(client), { migrationsFolder: packagePath('db', 'pg', 'migrations') });
    } finally {
      await client.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY.toString()]);
    }
  } finally {
    await client.end();
  }
}
