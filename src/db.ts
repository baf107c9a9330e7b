/**
 * The one factory for database handles: opens the SQLite file, sets the
 * pragmas Spendbook relies on, and applies the committed drizzle-kit
 * migrations. Tests call it with ':memory:' for a fresh migrated database.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { drizzle, type BetterSQLite3Database } from 'drizzle-orm/better-sqlite3';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import * as schema from '../db/schema.js';
import { packagePath } from './lib/package-root.js';

export type Db = BetterSQLite3Database<typeof schema> & { $client: Database.Database };
export type Sqlite = Database.Database;

// From the package root, so that the compiled code in dist/ finds them too.
export const MIGRATIONS_FOLDER = packagePath('db', 'migrations');

export interface DatabaseHandle {
  db: Db;
  sqlite: Sqlite;
  close(): void;
}

export function openDatabase(path: string): DatabaseHandle {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const sqlite = new Database(path);
  // WAL: readers never block the writer. synchronous=NORMAL is durable
  // against a killed process (the WAL is in the OS cache); only a power loss
  // can drop the last transactions.
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('busy_timeout = 5000');
  // 16 MiB of page cache (SQLite's default is 2 MiB). The reports read the
  // in-memory mirrors, not these pages, and an ingest appends at the right
  // edges of its b-trees; pages that miss come from the OS file cache. An
  // ingest fills whatever cache it is given and keeps it, so 64 MiB held
  // 48 MiB more of the service's memory for good at twice data set L.
  sqlite.pragma('cache_size = -16384');
  sqlite.pragma('temp_store = MEMORY');
  const db = drizzle(sqlite, { schema });
  migrate(db, { migrationsFolder: MIGRATIONS_FOLDER });
  return {
    db,
    sqlite,
    close: () => {
      if (sqlite.open) sqlite.close();
    },
  };
}
