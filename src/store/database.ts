/**
 * The database a Spendbook process runs on: SQLite (the embedded default)
 * or PostgreSQL, each with its unit of work. The repositories
 * (src/features/<name>/repository.ts) take this handle and pick their
 * dialect's implementation from `dialect`; nothing else in the app sees a
 * driver.
 */
import type { DbConfig } from '../config.js';
import { openDatabase, type Db, type Sqlite } from '../db.js';
import { SqliteUnitOfWork } from './sqlite-unit-of-work.js';
import type { UnitOfWork, UnitOfWorkOptions } from './unit-of-work.js';
import type { PgSession } from './pg.js';

export interface SqliteDatabase {
  readonly dialect: 'sqlite';
  readonly sqlite: Sqlite;
  /** drizzle over the same connection. */
  readonly db: Db;
  readonly uow: SqliteUnitOfWork;
  /** Answers if the database can be read; throws if not. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export interface PostgresDatabase {
  readonly dialect: 'postgres';
  /** Runs statements on the current write's transaction, or on the pool outside a write. */
  readonly pg: PgSession;
  readonly uow: UnitOfWork;
  ping(): Promise<void>;
  close(): Promise<void>;
}

export type Database = SqliteDatabase | PostgresDatabase;

/** Opens the SQLite file (or ':memory:'), migrated, with its unit of work. */
export function openSqlite(path: string, options: UnitOfWorkOptions = {}): SqliteDatabase {
  const handle = openDatabase(path);
  return {
    dialect: 'sqlite',
    sqlite: handle.sqlite,
    db: handle.db,
    uow: new SqliteUnitOfWork(handle.sqlite, options),
    ping: async () => void handle.sqlite.prepare('select 1').get(),
    close: async () => handle.close(),
  };
}

/** Opens the configured store, migrated; `onIdleError` hears a PostgreSQL connection that failed while idle in the pool. */
export async function openStore(config: DbConfig, options: UnitOfWorkOptions & { onIdleError?: (error: Error) => void } = {}): Promise<Database> {
  if (config.kind === 'sqlite') return openSqlite(config.path, options);
  const { openPostgres } = await import('./pg.js');
  return openPostgres(config.url, options);
}
