/**
 * The unit of work on PostgreSQL (see unit-of-work.ts for the contract,
 * sqlite-unit-of-work.ts for the same steps on SQLite).
 *
 * Each outermost write takes its own client from the pool, so writes of
 * different requests run side by side, each in its own transaction; every
 * statement a repository runs through the session (pg.ts) while `fn` runs, in
 * its async context, goes to that client (AsyncLocalStorage), never the pool.
 *
 * Steps of a write:
 * 1. `BEGIN` (READ COMMITTED), or inside an open write in the same async
 *    context a savepoint that joins it;
 * 2. the actor for the audit triggers as three transaction-local settings
 *    (gone with the commit, invisible to other transactions);
 * 3. `fn()`; the session adds up the rowCount of every INSERT, UPDATE,
 *    DELETE, MERGE and COPY ... FROM (a no-op upsert counts 0);
 * 4. if that count is above 0, `data_version.version` goes up by one, as the
 *    last statement: its row lock serialises writers only at their end;
 * 5. `COMMIT`, release the client, then the `onCommit` listeners.
 *
 * A deadlock (40P01) or serialization failure (40001), from any statement or
 * the COMMIT, rolls the attempt back and runs `fn` again, after a short
 * jittered pause, up to `maxAttempts` times in all; then the error surfaces.
 * A lost connection is not retried: a COMMIT whose answer never came may
 * have committed, and running `fn` again could write twice.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Pool, PoolClient, QueryConfig, QueryResult, QueryResultRow } from 'pg';
import { isPgConnectionError, isRetryablePgError } from './pg-errors.js';
import { CommitListeners, type UnitOfWork, type UnitOfWorkOptions, type WriteActor } from './unit-of-work.js';

export interface PgUnitOfWorkOptions extends UnitOfWorkOptions {
  /** Runs of `fn` in all when deadlocks or serialization failures keep aborting it (default 5). */
  maxAttempts?: number;
  /** The first pause before a retry, doubled each time, jittered ±50%, at most 250 ms (default 10). */
  retryBaseMs?: number;
}

// COPY: the bulk ingests' `copy ... from stdin` (nothing runs a COPY ... TO through the session).
const CHANGING_COMMANDS = new Set(['INSERT', 'UPDATE', 'DELETE', 'MERGE', 'COPY']);
const SET_ACTOR =
  "select set_config('spendbook.actor_key_id', $1, true), set_config('spendbook.actor_name', $2, true), set_config('spendbook.actor_at', $3, true)";

/** One attempt of an outermost write: its client, and what its statements did. */
export class PgTransaction {
  /** Rows inserted, updated, deleted or merged by this attempt's statements. */
  changes = 0;
  /** A statement of this attempt lost a race (40P01, 40001), even if `fn` caught the error. */
  retryable = false;
  /** The connection broke: the client is destroyed, not returned to the pool. */
  broken: Error | null = null;

  constructor(readonly client: PoolClient) {}

  /** Runs one statement on the transaction's client and counts the rows it changed. */
  async run<R extends QueryResultRow>(config: QueryConfig): Promise<QueryResult<R>> {
    let result: QueryResult<R> | QueryResult<R>[];
    try {
      result = (await this.client.query<R>(config)) as QueryResult<R> | QueryResult<R>[];
    } catch (error) {
      if (isRetryablePgError(error)) this.retryable = true;
      if (isPgConnectionError(error)) this.broken ??= error as Error;
      throw error;
    }
    // Several statements in one text (no parameters) answer one result each.
    for (const one of Array.isArray(result) ? result : [result]) {
      if (CHANGING_COMMANDS.has(one.command)) this.changes += one.rowCount ?? 0;
    }
    return (Array.isArray(result) ? result[result.length - 1] : result) as QueryResult<R>;
  }
}

/** The async context of an open write: its transaction, its depth (1 = the outermost). */
interface Scope {
  tx: PgTransaction;
  depth: number;
  /** A nested write started from this level is open (savepoints must nest, not interleave). */
  childOpen: boolean;
}

type Attempt<T> = { ok: true; value: T; version: number; bumped: boolean } | { ok: false; error: unknown; retryable: boolean };

export class PgUnitOfWork implements UnitOfWork {
  readonly dialect = 'postgres' as const;
  private readonly listeners = new CommitListeners();
  private readonly scope = new AsyncLocalStorage<Scope>();
  private readonly actor: () => WriteActor | null;
  private readonly now: () => Date;
  private readonly maxAttempts: number;
  private readonly retryBaseMs: number;

  constructor(private readonly pool: Pool, options: PgUnitOfWorkOptions = {}) {
    this.actor = options.actor ?? (() => null);
    this.now = options.now ?? (() => new Date());
    this.maxAttempts = Math.max(1, options.maxAttempts ?? 5);
    this.retryBaseMs = options.retryBaseMs ?? 10;
  }

  /** The open write's transaction in this async context, if any (the session runs statements on it). */
  transaction(): PgTransaction | undefined {
    return this.scope.getStore()?.tx;
  }

  async version(): Promise<number> {
    const text = 'select version from data_version where id = 1';
    const tx = this.transaction();
    const { rows } = tx ? await tx.run<{ version: bigint }>({ text }) : await this.pool.query<{ version: bigint }>(text);
    if (rows.length === 0) throw new Error('the data_version row is missing (migration 0003 makes it)');
    return Number(rows[0]!.version);
  }

  inTransaction(): boolean {
    return this.scope.getStore() !== undefined;
  }

  onCommit(listener: (before: number, after: number) => void): () => void {
    return this.listeners.add(listener);
  }

  async write<T>(fn: () => T | Promise<T>): Promise<T> {
    return (await this.writeVersioned(fn)).value;
  }

  async writeVersioned<T>(fn: () => T | Promise<T>): Promise<{ value: T; version: number | null }> {
    const outer = this.scope.getStore();
    if (outer) return { value: await this.nested(outer, fn), version: null };
    for (let attempt = 1; ; attempt++) {
      const result = await this.attempt(fn);
      if (result.ok) {
        if (result.bumped) this.listeners.committed(result.version);
        return { value: result.value, version: result.version };
      }
      if (!result.retryable || attempt >= this.maxAttempts) throw result.error;
      // Jittered, so that the two sides of a deadlock do not meet again at once.
      const pause = Math.min(this.retryBaseMs * 2 ** (attempt - 1), 250) * (0.5 + Math.random());
      await new Promise((resolve) => setTimeout(resolve, pause));
    }
  }

  private async attempt<T>(fn: () => T | Promise<T>): Promise<Attempt<T>> {
    // A server that cannot be reached fails here, before anything ran: not retried, it surfaces as is.
    const client = await this.pool.connect();
    const tx = new PgTransaction(client);
    // A checked-out client has no pool listener: an error between statements (the server went away)
    // would otherwise be an unhandled 'error' event and end the process.
    const onError = (error: Error) => (tx.broken ??= error);
    client.on('error', onError);
    try {
      // Explicit, whatever the server's default_transaction_isolation: the retries cover what it may still raise.
      await tx.run({ text: 'begin isolation level read committed' });
      const actor = this.actor();
      // '' reads as no actor in the triggers (spendbook_setting); the time is always set, as on SQLite.
      await tx.run({ text: SET_ACTOR, values: [actor?.keyId ?? '', actor?.name ?? '', this.now().toISOString()] });
      const value = await this.scope.run({ tx, depth: 1, childOpen: false }, fn);
      const bumped = tx.changes > 0;
      const { rows } = await tx.run<{ version: bigint }>({
        text: bumped ? 'update data_version set version = version + 1 where id = 1 returning version' : 'select version from data_version where id = 1',
      });
      if (rows.length === 0) throw new Error('the data_version row is missing (migration 0003 makes it)');
      await tx.run({ text: 'commit' });
      return { ok: true, value, version: Number(rows[0]!.version), bumped };
    } catch (error) {
      if (!tx.broken) {
        try {
          await client.query('rollback');
        } catch (rollbackError) {
          tx.broken = rollbackError as Error;
        }
      }
      return { ok: false, error, retryable: !tx.broken && (tx.retryable || isRetryablePgError(error)) };
    } finally {
      // release(error) destroys the client: a broken connection never goes back to the pool.
      client.release(tx.broken ?? undefined);
      client.off('error', onError);
    }
  }

  private async nested<T>(outer: Scope, fn: () => T | Promise<T>): Promise<T> {
    if (outer.childOpen) throw new Error('two nested writes ran at once in one transaction: await one before starting the next');
    const savepoint = `write_${outer.depth}`;
    const { tx } = outer;
    outer.childOpen = true;
    try {
      await tx.run({ text: `savepoint ${savepoint}` });
      const changesBefore = tx.changes;
      try {
        const value = await this.scope.run({ tx, depth: outer.depth + 1, childOpen: false }, fn);
        await tx.run({ text: `release savepoint ${savepoint}` });
        return value;
      } catch (error) {
        if (!tx.broken) {
          await tx.run({ text: `rollback to savepoint ${savepoint}` });
          await tx.run({ text: `release savepoint ${savepoint}` });
          // What the savepoint held is undone: it no longer counts as a change.
          tx.changes = changesBefore;
        }
        throw error;
      }
    } finally {
      outer.childOpen = false;
    }
  }

  async record(action: string, entity: string, entityId: string | null, before: unknown, after: unknown): Promise<void> {
    const tx = this.transaction();
    if (!tx) throw new Error('UnitOfWork.record belongs inside write()');
    const actor = this.actor();
    await tx.run({
      text: 'insert into audit_events (at, actor_key_id, actor_name, action, entity, entity_id, before, after) values ($1, $2, $3, $4, $5, $6, $7, $8)',
      values: [
        this.now().toISOString(),
        actor?.keyId ?? null,
        actor?.name ?? null,
        action,
        entity,
        entityId,
        before === null ? null : JSON.stringify(before),
        after === null ? null : JSON.stringify(after),
      ],
    });
  }
}
