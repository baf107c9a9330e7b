/**
 * Tests build the same app the server runs, over a fresh migrated database:
 * SQLite in memory, or, when SPENDBOOK_TEST_STORE=postgres (the suite's
 * `postgres` project), a new database on the run's throwaway PostgreSQL
 * server, dropped when the app closes.
 */
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { buildApp, type BuildOptions } from '../src/app.js';
import { DEFAULT_RATE_LIMIT, type DbConfig } from '../src/config.js';
import type { Role } from '../src/domain/roles.js';
import { dropPgDatabase, freshPgUrl } from './pg-db.js';

/** The store this test run uses. */
export const TEST_STORE: 'sqlite' | 'postgres' = process.env.SPENDBOOK_TEST_STORE === 'postgres' ? 'postgres' : 'sqlite';

export const ADMIN_KEY = 'sb_test_admin_key_0123456789abcdef';

export interface TestApp {
  app: FastifyInstance;
  keys: Record<Role, string>;
  /** inject with the given role's key (default admin). */
  call(options: InjectOptions & { role?: Role | null }): Promise<LightMyRequestResponse>;
  close(): Promise<void>;
}

/** `rateLimit`: requests per minute per key, the production default unless a test is about the limit. */
export async function makeApp(
  options: { now?: Date; dbPath?: string; rateLimit?: number; idempotency?: BuildOptions['idempotency'] } = {},
): Promise<TestApp> {
  const now = options.now ?? new Date('2026-03-15T12:00:00Z');
  const pgUrl = TEST_STORE === 'postgres' && options.dbPath === undefined ? await freshPgUrl() : null;
  const db: DbConfig = pgUrl ? { kind: 'postgres', url: pgUrl } : { kind: 'sqlite', path: options.dbPath ?? ':memory:' };
  const app = await buildApp(
    {
      port: 0,
      host: '127.0.0.1',
      db,
      adminKey: ADMIN_KEY,
      logLevel: 'silent',
      rateLimit: options.rateLimit ?? DEFAULT_RATE_LIMIT,
    },
    { now: () => now, announceAdminKey: () => undefined, ...(options.idempotency ? { idempotency: options.idempotency } : {}) },
  );
  const keys = { admin: ADMIN_KEY } as Record<Role, string>;
  for (const role of ['finance', 'ops', 'viewer'] as const) keys[role] = (await app.apiKeys.create(`test ${role}`, role)).key;
  // On PostgreSQL the report tables load after the app is ready (see services.ts): wait, as a load balancer waits for /readyz.
  for (let waited = 0; !app.readiness.mirrorsLoaded; waited += 10) {
    if (waited > 30_000) throw new Error('the report tables did not load within 30 s');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return {
    app,
    keys,
    call: ({ role = 'admin', headers, ...rest }) =>
      app.inject({
        ...rest,
        headers: { ...(role ? { authorization: `Bearer ${keys[role]}` } : {}), ...headers },
      } as InjectOptions) as Promise<LightMyRequestResponse>,
    close: async () => {
      await app.close();
      if (pgUrl) await dropPgDatabase(pgUrl);
    },
  };
}

// ---------------------------------------------------------------------------
// HTTP test helpers: problem+json checks, a snapshot of everything stored (to
// show that a refused request wrote nothing), and small seed records.

export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  instance?: string;
  errors?: { path: string; message: string }[];
  [extension: string]: unknown;
}

/**
 * Checks that `res` is an RFC 9457 problem with the given status (and code,
 * if given), with every member the API promises, and returns it.
 */
export function problemOf(res: LightMyRequestResponse, status: number, code?: string): ProblemBody {
  const where = `${res.statusCode} ${res.body.slice(0, 500)}`;
  if (res.statusCode !== status) throw new Error(`expected ${status}, got ${where}`);
  const contentType = String(res.headers['content-type'] ?? '');
  if (!contentType.startsWith('application/problem+json')) throw new Error(`expected problem+json, got ${contentType}: ${where}`);
  const body = res.json() as ProblemBody;
  for (const member of ['type', 'title', 'detail', 'code'] as const) {
    if (typeof body[member] !== 'string' || body[member] === '') throw new Error(`problem without ${member}: ${where}`);
  }
  if (body.status !== status) throw new Error(`problem.status ${body.status} differs from HTTP ${status}`);
  if (code !== undefined && body.code !== code) throw new Error(`expected code ${code}, got ${where}`);
  if (/\bat .+\.(ts|js):\d+/.test(res.body)) throw new Error(`problem leaks a stack trace: ${where}`);
  return body;
}

/** The paths named by a validation problem, sorted. */
export function errorPaths(res: LightMyRequestResponse, status = 400): string[] {
  const problem = problemOf(res, status, status === 400 ? 'validation_failed' : undefined);
  return (problem.errors ?? []).map((e) => e.path).sort();
}

/** Every row of every table (including idempotency records), as text: equal snapshots mean nothing was written. */
export async function snapshot(app: FastifyInstance): Promise<string> {
  const out: Record<string, unknown[]> = {};
  const database = app.database;
  if (database.dialect === 'sqlite') {
    const tables = database.sqlite
      .prepare("select name from sqlite_master where type = 'table' and name not like 'sqlite_%' and name not like '__drizzle%' order by name")
      .pluck()
      .all() as string[];
    for (const table of tables) out[table] = database.sqlite.prepare(`select * from "${table}" order by rowid`).safeIntegers(true).all();
  } else {
    const tables = await database.pg.query<{ name: string }>(
      // mirror_snapshots is a copy of the other tables (src/features/mirrors), saved when writes pause, not data.
      "select table_name as name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE' and table_name <> 'mirror_snapshots' order by table_name",
    );
    // No rowid: rows in the order of their text, which is deterministic for equal contents.
    for (const { name } of tables.rows) out[name] = (await database.pg.query(`select * from "${name}" t order by t::text`)).rows;
  }
  return JSON.stringify(out, (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value));
}

/** Every row of one table, columns as stored (snake_case; bigints as bigint), in no particular order. */
export async function tableRows(app: FastifyInstance, table: string): Promise<Record<string, unknown>[]> {
  const database = app.database;
  if (database.dialect === 'sqlite') return database.sqlite.prepare(`select * from "${table}"`).safeIntegers(true).all() as Record<string, unknown>[];
  return (await database.pg.query(`select * from "${table}"`)).rows;
}

/**
 * Plain SQL around the API, on either store, for tests of what the database
 * itself guarantees (triggers, append-only tables): `?` placeholders, which
 * become `$1, $2, ...` on PostgreSQL. Errors are the driver's own, with the
 * trigger's message (the same text on both stores).
 */
export interface RawSql {
  /** Runs a statement; the rows it changed. */
  run(sql: string, ...params: unknown[]): Promise<number>;
  /** The rows of a query, columns as stored (bigints as bigint). */
  all(sql: string, ...params: unknown[]): Promise<Record<string, unknown>[]>;
  /** The first column of the first row (null if none). */
  value(sql: string, ...params: unknown[]): Promise<unknown>;
}

export function rawSql(app: FastifyInstance): RawSql {
  const database = app.database;
  if (database.dialect === 'sqlite') {
    const { sqlite } = database;
    return {
      run: async (sql, ...params) => sqlite.prepare(sql).run(...params).changes,
      all: async (sql, ...params) => sqlite.prepare(sql).safeIntegers(true).all(...params) as Record<string, unknown>[],
      value: async (sql, ...params) => (sqlite.prepare(sql).safeIntegers(true).raw(true).get(...params) as unknown[] | undefined)?.[0] ?? null,
    };
  }
  const { pg } = database;
  const numbered = (sql: string) => {
    let n = 0;
    return sql.replace(/\?/g, () => `$${++n}`);
  };
  return {
    run: async (sql, ...params) => (await pg.query(numbered(sql), params)).rowCount ?? 0,
    all: async (sql, ...params) => (await pg.query(numbered(sql), params)).rows,
    value: async (sql, ...params) => (await pg.queryArrays(numbered(sql), params))[0]?.[0] ?? null,
  };
}

/** Rows in one table. */
export async function countRows(app: FastifyInstance, table: string): Promise<number> {
  const database = app.database;
  if (database.dialect === 'sqlite') return database.sqlite.prepare(`select count(*) from "${table}"`).pluck().get() as number;
  return Number((await database.pg.query<{ n: bigint }>(`select count(*) as n from "${table}"`)).rows[0]!.n);
}

export function campaignItem(id: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { id, name: `Campaign ${id}`, channel: 'paid_search', startDate: '2026-01-01', ...extra };
}

/** Creates campaigns through the API (as ops) and fails loudly if that does not work. */
export async function seedCampaigns(t: TestApp, items: Record<string, unknown>[]): Promise<void> {
  const res = await t.call({ method: 'POST', url: '/v1/campaigns', role: 'ops', payload: { items } });
  if (res.statusCode !== 200) throw new Error(`seeding campaigns failed: ${res.statusCode} ${res.body}`);
}

/** A JSON body of n copies of `item` with `key` numbered, built as text (fast for 100,001 items). */
export function bigBatchBody(n: number, makeItem: (i: number) => unknown): string {
  const parts: string[] = new Array(n);
  for (let i = 0; i < n; i++) parts[i] = JSON.stringify(makeItem(i));
  return `{"items":[${parts.join(',')}]}`;
}

/** Parses RFC 4180 CSV as this API writes it (CRLF, quoted cells). */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') (cell += '"'), i++;
      else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') row.push(cell), (cell = '');
    else if (ch === '\r' && text[i + 1] === '\n') {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
      i++;
    } else cell += ch;
  }
  if (cell !== '' || row.length > 0) row.push(cell), rows.push(row);
  return rows;
}
