/**
 * The store a reliability file runs its server processes on, and a reader
 * that checks what they committed from outside them: a SQLite file in a temp
 * folder, or, in the suite's `postgres` project (SPENDBOOK_TEST_STORE), a
 * fresh database on the run's throwaway PostgreSQL (test/pg-db.ts).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { TEST_STORE } from '../helper.js';
import { dropPgDatabase, freshPgUrl } from '../pg-db.js';

/** Plain SQL on the store, read only, `?` placeholders on both; integers as bigint. */
export interface StoreReader {
  readonly dialect: 'sqlite' | 'postgres';
  all<R = Record<string, unknown>>(sql: string, ...params: unknown[]): Promise<R[]>;
  close(): Promise<void>;
}

export interface TestStore {
  readonly dialect: 'sqlite' | 'postgres';
  /** What the server is started on (bench/harness startServer): the file's path or the database's URL. */
  readonly target: string;
  /** Opens a reader; the server processes that wrote should be stopped first (see `settled`). */
  reader(): Promise<StoreReader>;
  /**
   * Resolves once nothing a stopped or killed server started can still
   * commit. A SQLite write dies with its process. A PostgreSQL backend whose
   * client was killed finishes the statement it runs (a COMMIT may still
   * succeed) and ends only when it next reads from the closed socket; until
   * then what it will have committed is not final.
   */
  settled(timeoutMs?: number): Promise<void>;
  /** Deletes the folder, or drops the database. */
  remove(): Promise<void>;
}

/** `name` names the temp folder (SQLite) and nothing on PostgreSQL. */
export async function testStore(name: string): Promise<TestStore> {
  const dir = mkdtempSync(join(tmpdir(), `spendbook-${name}-`));
  if (TEST_STORE === 'sqlite') {
    const path = join(dir, 'spendbook.db');
    return {
      dialect: 'sqlite',
      target: path,
      reader: async () => sqliteReader(path),
      settled: async () => undefined,
      remove: async () => rmSync(dir, { recursive: true, force: true }),
    };
  }
  rmSync(dir, { recursive: true, force: true });
  const url = await freshPgUrl();
  return {
    dialect: 'postgres',
    target: url,
    reader: () => pgReader(url),
    async settled(timeoutMs = 70_000) {
      const reader = await pgReader(url);
      try {
        const deadline = Date.now() + timeoutMs;
        for (;;) {
          // The service's connections name themselves 'spendbook' (src/store/pg.ts).
          const [row] = await reader.all<{ n: bigint }>(
            "select count(*) as n from pg_stat_activity where datname = current_database() and application_name = 'spendbook'",
          );
          if (row!.n === 0n) return;
          if (Date.now() > deadline) throw new Error(`${row!.n} connections of a stopped service still open after ${timeoutMs} ms`);
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      } finally {
        await reader.close();
      }
    },
    remove: () => dropPgDatabase(url),
  };
}

function sqliteReader(path: string): StoreReader {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  return {
    dialect: 'sqlite',
    all: async <R>(sql: string, ...params: unknown[]) => db.prepare(sql).safeIntegers(true).all(...params) as R[],
    close: async () => void db.close(),
  };
}

async function pgReader(url: string): Promise<StoreReader> {
  // int8 as bigint, numeric as its text, on this client only (pg.types is global to the process).
  const types = {
    getTypeParser: ((oid: number, format?: 'text' | 'binary') => {
      if (format !== 'binary' && oid === 20) return (value: string) => BigInt(value);
      if (format !== 'binary' && oid === 1700) return (value: string) => value;
      return pg.types.getTypeParser(oid, format);
    }) as pg.CustomTypesConfig['getTypeParser'],
  };
  const client = new pg.Client({ connectionString: url, application_name: 'spendbook-test-reader', types });
  client.on('error', () => undefined);
  await client.connect();
  await client.query('set session characteristics as transaction read only');
  const numbered = (sql: string) => {
    let n = 0;
    return sql.replace(/\?/g, () => `$${++n}`);
  };
  return {
    dialect: 'postgres',
    all: async <R>(sql: string, ...params: unknown[]) => (await client.query(numbered(sql), params)).rows as R[],
    close: () => client.end(),
  };
}
