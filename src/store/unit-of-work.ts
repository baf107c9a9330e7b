/**
 * The unit of work: the one way Spendbook writes, and the one way it knows
 * that data changed. One interface, one implementation per store
 * (sqlite-unit-of-work.ts, pg-unit-of-work.ts); docs/persistence.md tells
 * the design.
 *
 * `write(fn)` runs `fn` as one database transaction: every statement a
 * repository runs while `fn` runs (in its async context) belongs to it. The
 * transaction names the write's actor for the audit triggers and, if it
 * changed any row, adds one to the one-row `data_version` table before it
 * commits. So the version moves exactly once per committed write
 * transaction that changed data, never for one that rolled back or changed
 * nothing, whichever process or instance made it.
 *
 * Every cache keys on `version()`. A cache filled inside an open
 * transaction could keep what then rolls back, so caches do not fill (or
 * trust themselves) while `inTransaction()`.
 *
 * Writes nest: a `write` inside another joins it (a savepoint), and the
 * outermost one bumps the version once, for everything inside.
 */

/** Who a write is recorded as: the API key's id (null for the service itself) and name. */
export interface WriteActor {
  keyId: string | null;
  name: string;
}

export type Dialect = 'sqlite' | 'postgres';

/** What a cache needs to know of the data version. */
export interface DataVersionSource {
  /** The committed data version (inside a write: that transaction's view). */
  version(): Promise<number>;
  /** True inside an open write transaction (in this async context), whose writes may still roll back. */
  inTransaction(): boolean;
  /**
   * Calls `listener(before, after)` after each write of this process
   * commits and moves the version from `before` to `after` (= before + 1):
   * a cache that was current at `before`, and has applied what the write
   * changed, is current at `after`. Returns the unsubscribe function.
   */
  onCommit(listener: (before: number, after: number) => void): () => void;
}

export interface UnitOfWork extends DataVersionSource {
  readonly dialect: Dialect;
  /**
   * Runs `fn` as one transaction (joining the open one, if any) and returns
   * its value; a throw rolls everything back. Deadlocks and serialization
   * failures are retried by the store that can have them (PostgreSQL), so
   * `fn` may run more than once: it must not change anything outside the
   * database (fill caches, count into outer variables) before it returns.
   */
  write<T>(fn: () => T | Promise<T>): Promise<T>;
  /**
   * `write`, and the data version the write produced: the new version if it
   * changed data, else the current one. Inside an open transaction, whose
   * outermost write bumps the version, `version` is null.
   */
  writeVersioned<T>(fn: () => T | Promise<T>): Promise<{ value: T; version: number | null }>;
  /**
   * An audit event the triggers cannot see (a batch ingest), as the current
   * actor, in the current write: it commits or rolls back with it.
   */
  record(action: string, entity: string, entityId: string | null, before: unknown, after: unknown): Promise<void>;
}

export interface UnitOfWorkOptions {
  /** The actor of the current request, or null (the audit triggers then record none). */
  actor?: () => WriteActor | null;
  now?: () => Date;
}

/** The listeners of `onCommit`, shared by both stores. */
export class CommitListeners {
  private readonly listeners = new Set<(before: number, after: number) => void>();

  add(listener: (before: number, after: number) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  committed(version: number): void {
    for (const listener of this.listeners) listener(version - 1, version);
  }
}
