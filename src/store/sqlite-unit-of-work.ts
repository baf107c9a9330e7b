/**
 * The unit of work on SQLite (see unit-of-work.ts for the contract).
 *
 * better-sqlite3 is synchronous and Spendbook holds one connection, so a
 * transaction is safe only while nothing else runs on that connection:
 * another request's read would see the open transaction's uncommitted rows.
 * The write's callback is async (the interface is shared with PostgreSQL),
 * but every SQLite repository method resolves at once, so awaiting it only
 * runs microtasks, and no other request (an I/O callback, a macrotask) can
 * start before the transaction ends. That rule is checked, not assumed: a
 * callback that lets the event loop turn (a timer, real I/O) is rolled back
 * with an error, and a write that starts in another async context while one
 * is open is refused.
 *
 * Steps of a write:
 * 1. `BEGIN IMMEDIATE` (or, inside an open write in the same async context,
 *    a savepoint that joins it);
 * 2. the actor for the audit triggers goes into the one-row audit_context
 *    table, emptied again before the commit (only one transaction is ever
 *    open on the connection, so the row is never shared);
 * 3. `fn()`;
 * 4. if the transaction changed any row (`total_changes()` moved: an insert,
 *    update or delete, triggers' included; a no-op upsert does not move it),
 *    `data_version.version` goes up by one, still in the transaction;
 * 5. `COMMIT`, then the `onCommit` listeners hear `(before, after)`.
 *
 * A write made around the service (the sqlite3 shell) is seen only if it
 * also runs `update data_version set version = version + 1 where id = 1`.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Sqlite } from '../db.js';
import { CommitListeners, type UnitOfWork, type UnitOfWorkOptions, type WriteActor } from './unit-of-work.js';

export class SqliteUnitOfWork implements UnitOfWork {
  readonly dialect = 'sqlite' as const;
  private readonly listeners = new CommitListeners();
  /** The open write's depth (1 = the outermost) in the async context that opened it. */
  private readonly scope = new AsyncLocalStorage<{ depth: number }>();
  private open = false;
  private readonly versionStmt;
  private readonly bumpStmt;
  private readonly changesStmt;
  private readonly setContext;
  private readonly clearContext;
  private readonly insertEvent;
  private readonly actor: () => WriteActor | null;
  private readonly now: () => Date;

  constructor(private readonly sqlite: Sqlite, options: UnitOfWorkOptions = {}) {
    this.actor = options.actor ?? (() => null);
    this.now = options.now ?? (() => new Date());
    this.versionStmt = sqlite.prepare('select version from data_version where id = 1').pluck();
    this.bumpStmt = sqlite.prepare('update data_version set version = version + 1 where id = 1 returning version').pluck();
    // Rows inserted, updated or deleted by this connection so far, triggers' included; a no-op upsert adds nothing.
    this.changesStmt = sqlite.prepare('select total_changes()').pluck();
    this.setContext = sqlite.prepare('insert or replace into audit_context (id, key_id, name, at) values (1, ?, ?, ?)');
    this.clearContext = sqlite.prepare('delete from audit_context');
    this.insertEvent = sqlite.prepare(
      'insert into audit_events (at, actor_key_id, actor_name, action, entity, entity_id, before, after) values (?, ?, ?, ?, ?, ?, ?, ?)',
    );
  }

  /** The committed version, read synchronously (SQLite only; the caches use `version()`). */
  versionNow(): number {
    return this.versionStmt.get() as number;
  }

  version(): Promise<number> {
    return Promise.resolve(this.versionNow());
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
    if (outer) return { value: await this.nested(outer.depth, fn), version: null };
    if (this.open) throw new Error('a SQLite write started while another one was open: a write callback let the event loop turn');
    // Fails at once if the connection is somehow inside a transaction already (a write around the unit of work).
    this.sqlite.exec('begin immediate');
    this.open = true;
    let turned = false;
    const tick = setImmediate(() => (turned = true));
    let version: number | null = null;
    let value: T;
    try {
      const actor = this.actor();
      this.setContext.run(actor?.keyId ?? null, actor?.name ?? null, this.now().toISOString());
      const before = this.changesStmt.get() as number;
      value = await this.scope.run({ depth: 1 }, fn);
      if (turned) throw new Error('a SQLite write callback let the event loop turn: other requests could have read its uncommitted rows');
      if ((this.changesStmt.get() as number) !== before) version = this.bumpStmt.get() as number;
      this.clearContext.run();
      this.sqlite.exec('commit');
    } catch (error) {
      if (this.sqlite.inTransaction) this.sqlite.exec('rollback');
      throw error;
    } finally {
      clearImmediate(tick);
      this.open = false;
    }
    if (version === null) return { value, version: this.versionNow() };
    this.listeners.committed(version);
    return { value, version };
  }

  private async nested<T>(depth: number, fn: () => T | Promise<T>): Promise<T> {
    const savepoint = `write_${depth}`;
    this.sqlite.exec(`savepoint ${savepoint}`);
    try {
      const value = await this.scope.run({ depth: depth + 1 }, fn);
      this.sqlite.exec(`release ${savepoint}`);
      return value;
    } catch (error) {
      this.sqlite.exec(`rollback to ${savepoint}`);
      this.sqlite.exec(`release ${savepoint}`);
      throw error;
    }
  }

  async record(action: string, entity: string, entityId: string | null, before: unknown, after: unknown): Promise<void> {
    if (!this.inTransaction()) throw new Error('UnitOfWork.record belongs inside write()');
    const actor = this.actor();
    this.insertEvent.run(
      this.now().toISOString(),
      actor?.keyId ?? null,
      actor?.name ?? null,
      action,
      entity,
      entityId,
      before === null ? null : JSON.stringify(before),
      after === null ? null : JSON.stringify(after),
    );
  }
}
