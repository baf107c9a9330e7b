/**
 * The unit of work: the one way Spendbook writes, and the one way it knows
 * that data changed.
 *
 * `write(fn)` runs `fn` in a database transaction. Inside it, before `fn`,
 * it names the actor the audit triggers record (the one-row audit_context
 * table); after `fn`, if the transaction changed any row, it adds one to
 * the one-row `data_version` table, in the same transaction. So the
 * version moves exactly once per committed write transaction that changed
 * data, never for one that rolled back (the bump rolls back with it) or
 * changed nothing (a no-op upsert), whichever process made it.
 *
 * Every cache keys on `version()`: one indexed single-row read, which sees
 * the commits of every process on the database. A cache filled inside an
 * open transaction could keep what then rolls back, so caches do not fill
 * (or trust themselves) while `inTransaction()`.
 *
 * A write made around the service (the sqlite3 shell) is seen only if it
 * also runs `update data_version set version = version + 1`.
 *
 * Writes nest: a `write` inside another joins it (a savepoint), and the
 * outermost one bumps the version once, for everything inside.
 */
import type { Db, Sqlite } from '../db.js';

/** Who a write is recorded as: the API key's id (null for the service itself) and name. */
export interface WriteActor {
  keyId: string | null;
  name: string;
}

/** What a cache needs to know of the data version. */
export interface DataVersionSource {
  /** The committed data version as this connection sees it (inside a transaction: that transaction's view). */
  version(): number;
  /** True inside an open transaction, whose writes may still roll back. */
  inTransaction(): boolean;
  /**
   * Calls `listener(before, after)` after each write of this process
   * commits and moves the version from `before` to `after` (= before + 1):
   * a cache that was current at `before`, and has applied what the write
   * changed, is current at `after`. Returns the unsubscribe function.
   */
  onCommit(listener: (before: number, after: number) => void): () => void;
}

export interface UnitOfWorkOptions {
  /** The actor of the current request, or null (the audit triggers then record none). */
  actor?: () => WriteActor | null;
  now?: () => Date;
}

export class UnitOfWork implements DataVersionSource {
  private readonly listeners = new Set<(before: number, after: number) => void>();
  private readonly versionStmt;
  private readonly bumpStmt;
  private readonly changesStmt;
  private readonly setContext;
  private readonly clearContext;
  private readonly insertEvent;
  private readonly actor: () => WriteActor | null;
  private readonly now: () => Date;
  private readonly run: <T>(fn: (tx: Db) => T) => { value: T; version: number | null };

  constructor(
    private readonly db: Db,
    private readonly sqlite: Sqlite = db.$client,
    options: UnitOfWorkOptions = {},
  ) {
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
    const transaction = sqlite.transaction((fn: (tx: Db) => unknown) => {
      const actor = this.actor();
      this.setContext.run(actor?.keyId ?? null, actor?.name ?? null, this.now().toISOString());
      const before = this.changesStmt.get() as number;
      try {
        const value = fn(this.db);
        const changed = (this.changesStmt.get() as number) !== before;
        return { value, version: changed ? (this.bumpStmt.get() as number) : null };
      } finally {
        // The context row never outlives the transaction (on a throw the rollback removes it anyway).
        this.clearContext.run();
      }
    });
    this.run = transaction as unknown as typeof this.run;
  }

  version(): number {
    return this.versionStmt.get() as number;
  }

  inTransaction(): boolean {
    return this.sqlite.inTransaction;
  }

  onCommit(listener: (before: number, after: number) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Runs `fn` as one transaction (joining the open one, if any) and returns
   * its value; a throw rolls everything back. `tx` is the handle to write
   * through: the same connection on SQLite, a transaction's client on a
   * server database.
   */
  write<T>(fn: (tx: Db) => T): T {
    return this.writeVersioned(fn).value;
  }

  /**
   * `write`, and the data version the write produced: the new version if it
   * changed data, else the current one. Inside an open transaction, whose
   * outermost write bumps the version, `version` is null.
   */
  writeVersioned<T>(fn: (tx: Db) => T): { value: T; version: number | null } {
    // Nested: a savepoint in the outer transaction, whose actor stands and whose end bumps the version.
    if (this.sqlite.inTransaction) return { value: this.sqlite.transaction(() => fn(this.db))(), version: null };
    const { value, version } = this.run(fn);
    if (version === null) return { value, version: this.version() };
    for (const listener of this.listeners) listener(version - 1, version);
    return { value, version };
  }

  /**
   * An audit event the triggers cannot see (a batch ingest), as the current
   * actor, in the current write: it commits or rolls back with it.
   */
  record(action: string, entity: string, entityId: string | null, before: unknown, after: unknown): void {
    if (!this.sqlite.inTransaction) throw new Error('UnitOfWork.record belongs inside write()');
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
