/**
 * The reports' repository on both stores: the same rows from SQLite and
 * from a throwaway PostgreSQL (test/pg-server.ts) holding the same data, and
 * amounts exact past 2^53 (a float would lose the last micro).
 */
import { drizzle } from 'drizzle-orm/node-postgres';
import { migrate } from 'drizzle-orm/node-postgres/migrator';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reportRepository, type MoneyLine, type ReportRepository } from '../../src/features/reports/repository.js';
import { packagePath } from '../../src/lib/package-root.js';
import { openSqlite, type Database, type SqliteDatabase } from '../../src/store/database.js';
import type { PgSession } from '../../src/store/pg.js';
import { startPgServer, type PgServer } from '../pg-server.js';

/** 9,000,000,000,000.000001 in micros: above 2^53, odd, so no float holds it. */
const HUGE = 9_000_000_000_000_000_001n;

const ROWS: [string, unknown[]][] = [
  ["insert into campaigns (id, name, channel, start_date, tags, created_at, updated_at) values (?, ?, ?, '2026-01-01', '[]', 't', 't')", ['c2', 'Zed', 'social']],
  ["insert into campaigns (id, name, channel, start_date, tags, created_at, updated_at) values (?, ?, ?, '2026-01-01', '[]', 't', 't')", ['c1', 'Alpha', 'paid_search']],
  ["insert into plans (campaign_id, month, amount_micros, currency, revision, updated_at) values (?, ?, ?, ?, 1, 't')", ['c1', '2026-02', 1_500_000n, 'USD']],
  ["insert into plans (campaign_id, month, amount_micros, currency, revision, updated_at) values (?, ?, ?, ?, 1, 't')", ['c1', '2026-03', HUGE, 'USD']],
  // After the range asked for.
  ["insert into plans (campaign_id, month, amount_micros, currency, revision, updated_at) values (?, ?, ?, ?, 1, 't')", ['c2', '2026-04', 7_000_000n, 'USD']],
  ["insert into commitments (id, campaign_id, month, amount_micros, currency, status, updated_at) values (?, ?, ?, ?, ?, ?, 't')", ['k1', 'c1', '2026-03', 2_250_000n, 'EUR', 'open']],
  // Closed: not counted.
  ["insert into commitments (id, campaign_id, month, amount_micros, currency, status, updated_at) values (?, ?, ?, ?, ?, ?, 't')", ['k2', 'c2', '2026-03', 9_000_000n, 'USD', 'closed']],
  // Before the range.
  ["insert into commitments (id, campaign_id, month, amount_micros, currency, status, updated_at) values (?, ?, ?, ?, ?, ?, 't')", ['k3', 'c2', '2026-01', 4_000_000n, 'USD', 'open']],
];

const numbered = (text: string) => {
  let n = 0;
  return text.replace(/\?/g, () => `$${++n}`);
};

let server: PgServer;
let pool: pg.Pool;
let sqlite: SqliteDatabase;
const stores: { name: string; repository: ReportRepository }[] = [];

beforeAll(async () => {
  sqlite = openSqlite(':memory:');
  for (const [text, params] of ROWS) sqlite.sqlite.prepare(text).run(...params);
  stores.push({ name: 'sqlite', repository: reportRepository(sqlite) });

  server = await startPgServer();
  // int8 as bigint, as the app's pool reads it.
  pool = new pg.Pool({
    connectionString: server.url,
    max: 2,
    types: { getTypeParser: ((oid: number, format?: 'text' | 'binary') => (oid === 20 ? (text: string) => BigInt(text) : pg.types.getTypeParser(oid, format))) as typeof pg.types.getTypeParser },
  });
  await migrate(drizzle(pool), { migrationsFolder: packagePath('db', 'pg', 'migrations') });
  for (const [text, params] of ROWS) await pool.query(numbered(text), params.map((p) => (typeof p === 'bigint' ? p.toString() : p)));
  const session: PgSession = {
    query: (text, params) => pool.query(text, params as unknown[]),
    queryArrays: async <R extends unknown[]>(text: string, params?: readonly unknown[]) =>
      (await pool.query({ text, values: params as unknown[], rowMode: 'array' })).rows as R[],
  };
  const database = { dialect: 'postgres', pg: session, uow: null as never, ping: async () => undefined, close: async () => undefined } satisfies Database;
  stores.push({ name: 'postgres', repository: reportRepository(database) });
}, 180_000);

afterAll(async () => {
  await sqlite?.close();
  await pool?.end().catch(() => undefined);
  await server?.stop();
}, 60_000);

const sorted = (lines: MoneyLine[]) => [...lines].sort((a, b) => (a.campaignId + a.month < b.campaignId + b.month ? -1 : 1));

describe('report repository, SQLite and PostgreSQL', () => {
  it('reads the plans of the months asked for, exact past 2^53', async () => {
    for (const { name, repository } of stores) {
      const plans = sorted(await repository.plans('2026-02', '2026-03'));
      expect(plans, name).toEqual([
        { campaignId: 'c1', month: '2026-02', currency: 'USD', micros: 1_500_000n },
        { campaignId: 'c1', month: '2026-03', currency: 'USD', micros: HUGE },
      ]);
      expect(typeof plans[1]!.micros, name).toBe('bigint');
    }
  });

  it('reads only open commitments, only of those months', async () => {
    for (const { name, repository } of stores) {
      expect(await repository.openCommitments('2026-02', '2026-03'), name).toEqual([{ campaignId: 'c1', month: '2026-03', currency: 'EUR', micros: 2_250_000n }]);
      // One month, both ends inclusive: January's open commitment alone.
      expect(await repository.openCommitments('2026-01', '2026-01'), name).toEqual([{ campaignId: 'c2', month: '2026-01', currency: 'USD', micros: 4_000_000n }]);
    }
  });

  it('reads every campaign’s name and channel', async () => {
    for (const { name, repository } of stores) {
      const campaigns = (await repository.campaigns()).sort((a, b) => (a.id < b.id ? -1 : 1));
      expect(campaigns, name).toEqual([
        { id: 'c1', name: 'Alpha', channel: 'paid_search' },
        { id: 'c2', name: 'Zed', channel: 'social' },
      ]);
    }
  });
});
