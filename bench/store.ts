/**
 * The database a benchmark runs on, `--db sqlite|postgres` (`BENCH_DB`):
 *
 * - sqlite: a fresh file in the run's temp folder per measured run;
 * - postgres: one throwaway server (bench/pg-server.ts) for the whole run,
 *   tuned as a deployment would be (BENCH_PG_SETTINGS), with a fresh
 *   database per measured run, stopped at the end.
 *
 * Its raw anchor is COPY ... FROM STDIN through psql (`copyFrom`): the
 * fastest way PostgreSQL takes rows, with no Spendbook code in the way.
 */
import { spawn } from 'node:child_process';
import { closeSync, openSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { openDatabase } from '../src/db.js';
import { openPostgres } from '../src/store/pg.js';
import { findPgBin, startPgServer } from './pg-server.js';

export type BenchDbKind = 'sqlite' | 'postgres';

/**
 * A benchmark server as a deployment on this machine would run it. Durable
 * as the SQLite default is: fsync, synchronous_commit and full_page_writes
 * stay on (every committed batch is on disk when its answer leaves). The rest
 * is the usual tuning for a box with RAM to spare: a buffer cache that holds
 * data set L (shared_buffers 1 GB), room for sorts and hashes of the report
 * queries (work_mem 64 MB), a WAL that does not force a checkpoint every
 * few batches of a bulk ingest (max_wal_size 8 GB, checkpoints every 15 min
 * at most), WAL buffers big enough for one large batch, and SSD costs.
 */
export const BENCH_PG_SETTINGS: Readonly<Record<string, string>> = {
  fsync: 'on',
  synchronous_commit: 'on',
  full_page_writes: 'on',
  shared_buffers: '1GB',
  effective_cache_size: '4GB',
  work_mem: '64MB',
  maintenance_work_mem: '512MB',
  max_wal_size: '8GB',
  checkpoint_timeout: '15min',
  wal_buffers: '64MB',
  random_page_cost: '1.1',
};

export interface BenchStore {
  kind: BenchDbKind;
  /** Where the databases are, for the header line. */
  where: string;
  /** A new, empty database for one measured run (a SQLite path or a postgres:// URL); migrated when asked (the service migrates its own at start). */
  fresh(name: string, options?: { migrated?: boolean }): Promise<string>;
  /** One number a query answers (count, sum), as a bigint. */
  value(target: string, sql: string): Promise<bigint>;
  close(): Promise<void>;
}

export function parseDbKind(argv: string[], env: NodeJS.ProcessEnv): BenchDbKind {
  const i = argv.indexOf('--db');
  const kind = i >= 0 ? argv[i + 1] : (env.BENCH_DB || 'sqlite');
  if (kind !== 'sqlite' && kind !== 'postgres') throw new Error(`--db / BENCH_DB must be sqlite or postgres (got ${kind})`);
  return kind;
}

export async function openBenchStore(kind: BenchDbKind, dir: string): Promise<BenchStore> {
  if (kind === 'sqlite') {
    return {
      kind,
      where: `SQLite files in ${dir}`,
      fresh: async (name) => join(dir, `${name}.db`),
      value: async (path, sql) => {
        const db = new Database(path, { readonly: true });
        try {
          return BigInt(db.prepare(sql).pluck().safeIntegers(true).get() as bigint);
        } finally {
          db.close();
        }
      },
      close: async () => undefined,
    };
  }
  const server = await startPgServer({ settings: BENCH_PG_SETTINGS });
  return {
    kind,
    where: `PostgreSQL ${await serverVersion(server.url)} at ${server.url} (${server.dir}), ${Object.entries(BENCH_PG_SETTINGS)
      .map(([name, value]) => `${name}=${value}`)
      .join(' ')}`,
    fresh: async (name, options = {}) => {
      const database = `bench_${name.replace(/[^a-z0-9_]/gi, '_')}`;
      await onServer(server.url, (client) => client.query(`drop database if exists "${database}"`).then(() => client.query(`create database "${database}"`)));
      const url = databaseUrl(server.url, database);
      if (options.migrated) await (await openPostgres(url)).close();
      return url;
    },
    value: (url, sql) =>
      onServer(url, async (client) => {
        const { rows } = await client.query<[string | number]>({ text: sql, rowMode: 'array' });
        return BigInt(rows[0]![0]);
      }),
    close: () => server.stop(),
  };
}

function databaseUrl(serverUrl: string, database: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

async function onServer<T>(url: string, run: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await run(client);
  } finally {
    await client.end();
  }
}

async function serverVersion(url: string): Promise<string> {
  return onServer(url, async (client) => (await client.query<{ server_version: string }>('show server_version')).rows[0]!.server_version);
}

/** COPY's text format: tab between fields, backslash escapes (none of the bench's values need one, but a value may). */
const copyField = (value: string | number | bigint) =>
  typeof value === 'string' ? value.replace(/[\\\t\n\r]/g, (c) => ({ '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' })[c]!) : String(value);

/** Writes rows to `file` in COPY's text format, a batch at a time (a file of 5,000,000 touchpoints is ~300 MB: never one string). */
export function writeCopyFile(file: string, batches: Iterable<(string | number | bigint)[][]>): number {
  const fd = openSync(file, 'w');
  let rows = 0;
  try {
    for (const batch of batches) {
      writeSync(fd, batch.map((row) => row.map(copyField).join('\t')).join('\n') + '\n');
      rows += batch.length;
    }
  } finally {
    closeSync(fd);
  }
  return rows;
}

/**
 * The raw anchor: `COPY table (columns) FROM STDIN` of a file written
 * beforehand, sent by psql (the server's own client, in one transaction,
 * committed durably), into the database at `url`. Timed from psql's spawn to
 * its exit: the connection (a few ms) is in it, the file's writing is not.
 * pg-copy-streams (COPY from node) is not installed; psql is the server's own.
 */
export async function copyFrom(url: string, table: string, columns: readonly string[], file: string): Promise<{ rows: number; seconds: number }> {
  const psql = join(findPgBin(), 'psql');
  const input = openSync(file, 'r');
  try {
    const started = process.hrtime.bigint();
    await new Promise<void>((resolve, reject) => {
      const child = spawn(psql, ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', url, '-c', `copy ${table} (${columns.join(', ')}) from stdin`], {
        stdio: [input, 'pipe', 'pipe'],
      });
      let text = '';
      child.stdout!.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
      child.stderr!.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
      child.once('error', reject);
      child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`psql COPY into ${table} exited with ${code}: ${text.slice(0, 2_000)}`))));
    });
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    // What landed, counted by the server (psql -q does not print it).
    const rows = Number(await onServer(url, async (client) => (await client.query<{ n: string }>(`select count(*) as n from ${table}`)).rows[0]!.n));
    return { rows, seconds };
  } finally {
    closeSync(input);
  }
}

/** A batch's rows, each the table's columns in order. */
export type RawBatch = (string | number | bigint)[][];

/**
 * The physical anchor of an ingest: `batches` written into `table` of a fresh
 * migrated database of `store`, with nothing of Spendbook in the way. SQLite:
 * better-sqlite3 alone, one prepared single-row INSERT a row, one transaction
 * a batch, only the writes timed (each batch is made before its clock starts).
 * PostgreSQL: the rows written to a COPY file first, then psql's COPY of it
 * (`copyFrom`). The rows the database holds afterwards, and the seconds.
 */
export async function rawIngest(
  store: BenchStore,
  dir: string,
  table: string,
  columns: readonly string[],
  batches: Iterable<RawBatch>,
): Promise<{ rows: number; seconds: number }> {
  const target = await store.fresh(`raw_${table}`, { migrated: true });
  if (store.kind === 'postgres') {
    const file = join(dir, `${table}.copy`);
    try {
      writeCopyFile(file, batches);
      return await copyFrom(target, table, columns, file);
    } finally {
      rmSync(file, { force: true });
    }
  }
  const handle = openDatabase(target);
  try {
    const insert = handle.sqlite.prepare(`insert into ${table} (${columns.join(', ')}) values (${columns.map(() => '?').join(', ')})`);
    const write = handle.sqlite.transaction((rows: RawBatch) => {
      for (const row of rows) insert.run(row);
    });
    let seconds = 0;
    for (const rows of batches) {
      const started = process.hrtime.bigint();
      write(rows);
      seconds += Number(process.hrtime.bigint() - started) / 1e9;
    }
    return { rows: Number(await store.value(target, `select count(*) from ${table}`)), seconds };
  } finally {
    handle.close();
  }
}
