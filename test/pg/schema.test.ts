/**
 * The PostgreSQL schema (db/pg) against the SQLite one it mirrors: on a
 * throwaway server (test/pg-server.ts), with db/pg/migrations applied by
 * drizzle's node-postgres migrator. The same tables and columns, exact
 * money, and the triggers answering as SQLite's do: the same audit events
 * byte for byte, the same refusals with the same messages.
 */
import { existsSync } from 'node:fs';
import type Database from 'better-sqlite3';
import { drizzle } from 'drizzle-orm/node-postgres';
import { migrate } from 'drizzle-orm/node-postgres/migrator';
import { sql } from 'drizzle-orm';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as pgSchema from '../../db/pg/schema.js';
import { openDatabase, type DatabaseHandle } from '../../src/db.js';
import { packagePath } from '../../src/lib/package-root.js';
import { startPgServer, type PgServer } from '../pg-server.js';

let server: PgServer;
let pool: pg.Pool;
let sqlite: DatabaseHandle;

beforeAll(async () => {
  server = await startPgServer();
  pool = new pg.Pool({ connectionString: server.url, max: 2 });
  await migrate(drizzle(pool), { migrationsFolder: packagePath('db', 'pg', 'migrations') });
  sqlite = openDatabase(':memory:');
}, 180_000);

afterAll(async () => {
  sqlite?.close();
  await pool?.end().catch(() => undefined);
  await server?.stop();
}, 60_000);

/** SQLite's `?` placeholders as PostgreSQL's `$1, $2, ...`. */
const numbered = (text: string) => {
  let n = 0;
  return text.replace(/\?/g, () => `$${++n}`);
};

/** Runs one statement on each store (autocommit); the error message each raised, or null. */
async function onBoth(text: string, params: unknown[] = []): Promise<{ sqlite: string | null; pg: string | null; pgCode: string | null }> {
  let sqliteError: string | null = null;
  let pgError: string | null = null;
  let pgCode: string | null = null;
  try {
    sqlite.sqlite.prepare(text).run(...params);
  } catch (error) {
    sqliteError = (error as Error).message;
  }
  try {
    await pool.query(numbered(text), params);
  } catch (error) {
    pgError = (error as Error).message;
    pgCode = (error as { code?: string }).code ?? null;
  }
  return { sqlite: sqliteError, pg: pgError, pgCode };
}

// SQLite's audit_context (who is writing) is on PostgreSQL a set of transaction-local settings.
const SQLITE_ONLY = ['audit_context'];
// SQLite's rowid, which the in-memory mirrors slot touchpoints and revenue by, is on PostgreSQL a `seq`
// identity column with a unique index (migration 0004_mirror_seq.sql). And the transaction that last wrote a
// mirrored row (migration 0007_mirror_changes.sql), which lets another instance's mirror read only what changed.
const PG_ONLY_COLUMNS = ['revenue.seq', 'touchpoints.seq', 'revenue.written_xid', 'touchpoints.written_xid', 'spend.written_xid'];
const PG_ONLY_INDEXES = ['revenue_seq unique', 'touchpoints_seq unique', 'revenue_written_xid', 'touchpoints_written_xid', 'spend_written_xid'];
// The snapshot of the in-memory report tables (migration 0006_mirror_snapshots.sql) is a table on PostgreSQL,
// shared by every instance, and a file beside the database on SQLite.
const PG_ONLY_TABLES = ['mirror_snapshots'];

describe('PostgreSQL schema (db/pg) against the SQLite schema', () => {
  it('has every SQLite table with the same columns, nullability, type family and indexes', async () => {
    const db: Database.Database = sqlite.sqlite;
    const tables = (db.prepare(`select name from sqlite_master where type = 'table' and name not like 'sqlite_%' and name not like '__drizzle%' order by name`).pluck().all() as string[]);
    // The exception list names a table that exists, so it cannot hide a new one.
    for (const name of SQLITE_ONLY) expect(tables).toContain(name);
    const allPgTables = (await pool.query(`select table_name from information_schema.tables where table_schema = 'public' order by table_name`)).rows.map(
      (r: { table_name: string }) => r.table_name,
    );
    for (const name of PG_ONLY_TABLES) expect(allPgTables).toContain(name);
    const pgTables = allPgTables.filter((t: string) => !PG_ONLY_TABLES.includes(t));
    expect(pgTables).toEqual(tables.filter((t) => !SQLITE_ONLY.includes(t)));
    expect(pgTables.length).toBe(18); // 19 SQLite tables but audit_context

    const pgColumns = (
      await pool.query(`select table_name, column_name, data_type, is_nullable from information_schema.columns where table_schema = 'public'`)
    ).rows as { table_name: string; column_name: string; data_type: string; is_nullable: string }[];
    // The exception list names columns that exist, so it cannot hide another one.
    for (const name of PG_ONLY_COLUMNS) expect(pgColumns.map((c) => `${c.table_name}.${c.column_name}`)).toContain(name);
    for (const table of pgTables) {
      const want = (db.prepare(`select name, type, "notnull" from pragma_table_info(?)`).all(table) as { name: string; type: string; notnull: number }[])
        .map((c) => `${c.name} ${c.type.toLowerCase() === 'integer' ? 'integer' : 'text'}${c.notnull ? ' not null' : ''}`)
        .sort();
      const got = pgColumns
        .filter((c) => c.table_name === table && !PG_ONLY_COLUMNS.includes(`${table}.${c.column_name}`))
        .map((c) => `${c.column_name} ${['integer', 'bigint'].includes(c.data_type) ? 'integer' : c.data_type}${c.is_nullable === 'NO' ? ' not null' : ''}`)
        .sort();
      expect(got, table).toEqual(want);
    }
    // Money is BIGINT micros everywhere, never numeric or a float.
    const money = pgColumns.filter((c) => c.column_name.endsWith('_micros'));
    expect(money.length).toBe(5); // plans, plan_revisions, commitments, spend, revenue
    for (const c of money) expect(`${c.table_name}.${c.column_name} ${c.data_type}`).toBe(`${c.table_name}.${c.column_name} bigint`);

    // Indexes by name, unique or not (primary keys aside: their names differ by dialect).
    const sqliteIndexes = (
      db.prepare(`select m.name, i."unique" from sqlite_master m join pragma_index_list(m.tbl_name) i on i.name = m.name where m.type = 'index' and m.sql is not null`).all() as {
        name: string;
        unique: number;
      }[]
    )
      .map((i) => `${i.name}${i.unique ? ' unique' : ''}`)
      .sort();
    const pgIndexes = (
      await pool.query(
        `select c.relname as name, i.indisunique as unique from pg_index i join pg_class c on c.oid = i.indexrelid join pg_namespace n on n.oid = c.relnamespace
         where n.nspname = 'public' and not i.indisprimary`,
      )
    ).rows
      .map((i: { name: string; unique: boolean }) => `${i.name}${i.unique ? ' unique' : ''}`)
      .sort();
    for (const name of PG_ONLY_INDEXES) expect(pgIndexes).toContain(name);
    expect(pgIndexes.filter((name) => !PG_ONLY_INDEXES.includes(name))).toEqual(sqliteIndexes);
  });

  it('starts the data version at 0, one row', async () => {
    const rows = (await pool.query('select id, version::text as version from data_version')).rows;
    expect(rows).toEqual([{ id: 1, version: '0' }]);
  });
});

describe('money on PostgreSQL', () => {
  it('round-trips 999999999999.999999 as micros exactly, and sums twelve of them exactly', async () => {
    const db = drizzle(pool, { schema: pgSchema });
    const big = 999_999_999_999_999_999n; // 999999999999.999999 units in micros
    await db.insert(pgSchema.campaigns).values({ id: 'money', name: 'Money', channel: 'display', startDate: '2026-01-01', createdAt: 'now', updatedAt: 'now' });
    const months = Array.from({ length: 12 }, (_, i) => `2030-${String(i + 1).padStart(2, '0')}`);
    await db.insert(pgSchema.plans).values(months.map((month) => ({ campaignId: 'money', month, amountMicros: big, currency: 'USD', revision: 1, updatedAt: 'now' })));
    const [first] = await db.select().from(pgSchema.plans).where(sql`${pgSchema.plans.month} = '2030-01'`);
    expect(typeof first!.amountMicros).toBe('bigint');
    expect(first!.amountMicros).toBe(big);
    // 12 × 999,999,999,999,999,999 = 12,000,000,000,000,000,000 − 12 = 11,999,999,999,999,999,988:
    // above the bigint range, so SQL's sum is numeric, read as text (a float would print 12000000000000000000).
    const { rows } = await pool.query(`select sum(amount_micros)::text as total from plans where campaign_id = 'money'`);
    expect(rows[0].total).toBe('11999999999999999988');
    expect(BigInt(rows[0].total)).toBe(big * 12n);
  });
});

describe('audit triggers on PostgreSQL', () => {
  const ACTOR = { keyId: 'key_ada', name: 'Ada "the auditor"', at: '2026-03-15T12:00:00.000Z' };
  // A name that needs JSON escaping: quotes, a backslash, a newline, a tab, a control character, non-ASCII.
  const TRICKY = 'Spring "launch" \\ 50%\nline two\ttab \u0001 café ✓';
  // Every audited table and operation; `event` says whether SQLite records one (and so must PostgreSQL).
  const STATEMENTS: [string, unknown[], event: boolean][] = [
    [`insert into settings (id, base_currency, fiscal_year_start_month, pacing_tolerance, updated_at) values (1, 'USD', 1, '0.10', 'u')`, [], false],
    [`update settings set base_currency = 'EUR', fiscal_year_start_month = 4 where id = 1`, [], true],
    [`update settings set updated_at = 'later' where id = 1`, [], false],
    [`insert into api_keys (id, name, role, key_hash, prefix, created_at) values ('k1', 'CI key', 'ops', 'hash', 'sb_ab', 'c')`, [], true],
    [`update api_keys set revoked_at = '2026-03-02T00:00:00.000Z' where id = 'k1'`, [], true],
    // The hash is not recorded, so changing it alone records nothing.
    [`update api_keys set key_hash = 'other' where id = 'k1'`, [], false],
    [`delete from api_keys where id = 'k1'`, [], true],
    [`insert into campaigns (id, name, channel, start_date, end_date, tags, created_at, updated_at) values (?, ?, 'social', '2026-03-01', null, '["a","b"]', 'c', 'u')`, ['aud', TRICKY], true],
    [`update campaigns set end_date = '2026-06-30', tags = '[]' where id = 'aud'`, [], true],
    [`insert into campaign_external_refs (source, external_id, campaign_id) values ('google', 'g-1', 'aud')`, [], true],
    [`update campaign_external_refs set external_id = 'g-2' where source = 'google'`, [], true],
    [`delete from campaign_external_refs where source = 'google'`, [], true],
    [`insert into plans (campaign_id, month, amount_micros, currency, revision, updated_at) values ('aud', '2026-04', ?, 'EUR', 1, 'u')`, [1_500_000_000n], true],
    [`update plans set amount_micros = ?, revision = 2 where campaign_id = 'aud' and month = '2026-04'`, [9_007_199_254_740_993n], true],
    [`update plans set updated_at = 'later' where campaign_id = 'aud' and month = '2026-04'`, [], false],
    [`delete from plans where campaign_id = 'aud'`, [], true],
    [`insert into commitments (id, campaign_id, month, amount_micros, currency, status, updated_at) values ('cm', 'aud', '2026-04', -1, 'USD', 'open', 'u')`, [], true],
    [`update commitments set status = 'closed' where id = 'cm'`, [], true],
    [`delete from commitments where id = 'cm'`, [], true],
    [`insert into fx_rates (currency, date, rate, updated_at) values ('EUR', '2026-04-01', '1.0850', 'u')`, [], true],
    [`update fx_rates set rate = '1.0851' where currency = 'EUR'`, [], true],
    [`delete from fx_rates where currency = 'EUR'`, [], true],
    // Spend, touchpoint and revenue inserts are recorded by the services' batch event, not by a trigger.
    [`insert into spend (source, campaign_id, date, reference, amount_micros, currency, version) values ('csv', 'aud', '2026-04-02', '', ?, 'EUR', 1)`, [-250_000n], false],
    [`update spend set amount_micros = 1, version = 2 where campaign_id = 'aud'`, [], true],
    [`delete from spend where campaign_id = 'aud'`, [], true],
    [`insert into touchpoints (id, customer_id, campaign_id, occurred_at) values ('tp', 'cu', 'aud', 1775000000000)`, [], false],
    [`update touchpoints set occurred_at = 1775000000001 where id = 'tp'`, [], true],
    [`delete from touchpoints where id = 'tp'`, [], true],
    [`insert into revenue (id, customer_id, occurred_at, amount_micros, currency, refund_of) values ('rv', 'cu', 1775000000000, 5000000, 'USD', null)`, [], false],
    [`update revenue set refund_of = 'x', amount_micros = -5000000 where id = 'rv'`, [], true],
    [`delete from revenue where id = 'rv'`, [], true],
    [`insert into forecast_snapshots (id, name, from_month, to_month, as_of, method, group_by, currency, created_at, report) values ('fs', 'Q2', '2026-04', '2026-06', '2026-04-01', 'run_rate', 'channel', 'USD', 'c', '{"rows":[]}')`, [], true],
    [`insert into period_events (month, action, at, by_key_id, by, reason) values ('2026-01', 'close', 'x', null, null, 'books done')`, [], true],
    [`delete from campaigns where id = 'aud'`, [], true],
  ];
  const COLUMNS = 'at, actor_key_id, actor_name, action, entity, entity_id, before, after';

  it('records each change as SQLite does, byte for byte, with the actor set by set_config in the transaction', async () => {
    const db = sqlite.sqlite;
    const sqliteStart = db.prepare('select coalesce(max(id), 0) from audit_events').pluck().get() as number;
    db.transaction(() => {
      db.prepare('insert or replace into audit_context (id, key_id, name, at) values (1, ?, ?, ?)').run(ACTOR.keyId, ACTOR.name, ACTOR.at);
      for (const [text, params] of STATEMENTS) db.prepare(text).run(...params);
      db.prepare('delete from audit_context').run();
    })();
    const expected = db.prepare(`select ${COLUMNS} from audit_events where id > ? order by id`).all(sqliteStart);

    const pgStart = Number((await pool.query('select coalesce(max(id), 0) as id from audit_events')).rows[0].id);
    const client = await pool.connect();
    try {
      await client.query('begin');
      await client.query(
        `select set_config('spendbook.actor_key_id', $1, true), set_config('spendbook.actor_name', $2, true), set_config('spendbook.actor_at', $3, true)`,
        [ACTOR.keyId, ACTOR.name, ACTOR.at],
      );
      for (const [text, params] of STATEMENTS) await client.query(numbered(text), params.map((p) => (typeof p === 'bigint' ? p.toString() : p)));
      await client.query('commit');
    } finally {
      client.release();
    }
    const got = (await pool.query(`select ${COLUMNS} from audit_events where id > $1 order by id`, [pgStart])).rows;

    expect(expected.length).toBe(STATEMENTS.filter(([, , event]) => event).length);
    expect(got).toEqual(expected);
    expect(new Set(got.map((e: { actor_key_id: string }) => e.actor_key_id))).toEqual(new Set(['key_ada']));
    const planUpdate = got.find((e: { entity: string; action: string }) => e.entity === 'plan' && e.action === 'update');
    // 2^53 + 1 micros: a JSON number would round it, so amounts are text.
    expect(planUpdate.after).toBe('{"campaign_id":"aud","month":"2026-04","amount_micros":"9007199254740993","currency":"EUR","revision":2}');
  });

  // Spend, touchpoints and revenue record updates and deletes with one statement trigger per statement (migration 0005),
  // over its transition tables: statements of several rows, upserts among them, must still record SQLite's events.
  const BULK: [string, unknown[]][] = [
    // Ids given: after the deletes above SQLite reuses a rowid where PostgreSQL's sequence moves on.
    [`insert into spend (id, source, campaign_id, date, reference, amount_micros, currency, version) values
      (101, 'api', 'bulk', '2026-04-01', '', 1000000, 'USD', 1), (102, 'api', 'bulk', '2026-04-02', ?, 2000000, 'USD', 1),
      (103, 'api', 'bulk', '2026-04-03', '', 3000000, 'EUR', 1), (104, 'api', 'bulk', '2026-04-04', '', 4000000, 'USD', 1),
      (105, 'api', 'bulk', '2026-04-05', '', 5, 'USD', 1)`, [TRICKY]],
    // Upsert: the first line restated, the third re-sent as it is (no event). (No new line: PostgreSQL would draw
    // an id for every proposed row, conflicting or not, which the service's own upsert avoids.)
    [`insert into spend (source, campaign_id, date, reference, amount_micros, currency, version) values
      ('api', 'bulk', '2026-04-01', '', 1500000, 'USD', 1), ('api', 'bulk', '2026-04-03', '', 3000000, 'EUR', 1)
      on conflict (date, campaign_id, source, reference) do update set amount_micros = excluded.amount_micros, version = spend.version + 1
      where spend.amount_micros <> excluded.amount_micros`, []],
    [`update spend set amount_micros = amount_micros + 1 where campaign_id = 'bulk' and date <= '2026-04-03'`, []],
    // Nothing audited changes: no events.
    [`update spend set version = version where campaign_id = 'bulk'`, []],
    [`delete from spend where campaign_id = 'bulk'`, []],
    [`insert into touchpoints (id, customer_id, campaign_id, occurred_at) values ('b1', 'cu', 'bulk', 1), ('b2', 'cu', 'bulk', 2), ('b3', ?, 'bulk', 3)`, [TRICKY]],
    [`update touchpoints set occurred_at = occurred_at + 10 where campaign_id = 'bulk' and id <> 'b2'`, []],
    [`delete from touchpoints where campaign_id = 'bulk'`, []],
    [`insert into revenue (id, customer_id, occurred_at, amount_micros, currency, refund_of) values ('br1', 'cu', 1, 7, 'USD', null), ('br2', 'cu', 2, -7, 'USD', 'br1')`, []],
    [`update revenue set amount_micros = amount_micros * 2 where id like 'br%'`, []],
    [`delete from revenue where id like 'br%'`, []],
  ];

  it('records statements of many rows (updates, upserts, deletes) as SQLite does, one event a changed row', async () => {
    const db = sqlite.sqlite;
    const sqliteStart = db.prepare('select coalesce(max(id), 0) from audit_events').pluck().get() as number;
    db.transaction(() => {
      db.prepare('insert or replace into audit_context (id, key_id, name, at) values (1, ?, ?, ?)').run(ACTOR.keyId, ACTOR.name, ACTOR.at);
      for (const [text, params] of BULK) db.prepare(text).run(...params);
      db.prepare('delete from audit_context').run();
    })();
    const expected = db.prepare(`select ${COLUMNS} from audit_events where id > ? order by id`).all(sqliteStart) as Record<string, unknown>[];

    const pgStart = Number((await pool.query('select coalesce(max(id), 0) as id from audit_events')).rows[0].id);
    const client = await pool.connect();
    try {
      await client.query('begin');
      await client.query(
        `select set_config('spendbook.actor_key_id', $1, true), set_config('spendbook.actor_name', $2, true), set_config('spendbook.actor_at', $3, true)`,
        [ACTOR.keyId, ACTOR.name, ACTOR.at],
      );
      for (const [text, params] of BULK) await client.query(numbered(text), params);
      await client.query('commit');
    } finally {
      client.release();
    }
    const got = (await pool.query(`select ${COLUMNS} from audit_events where id > $1 order by id`, [pgStart])).rows;

    // Spend: 1 upserted + 3 updated + 5 deleted; touchpoints: 2 updated + 3 deleted; revenue: 2 updated + 2 deleted.
    expect(expected.length).toBe(1 + 3 + 5 + 2 + 3 + 2 + 2);
    // Within one statement neither store promises an order of rows (PostgreSQL's follows the heap, which updates reorder):
    // the same events, statement by statement.
    const key = (e: Record<string, unknown>) => JSON.stringify([e.entity, e.action, e.entity_id, e.before, e.after]);
    expect(got.map(key).sort()).toEqual(expected.map(key).sort());
    expect(got.map((e: Record<string, unknown>) => `${e.entity} ${e.action}`)).toEqual(expected.map((e: Record<string, unknown>) => `${e.entity} ${e.action}`));
    expect(new Set(got.map((e: Record<string, unknown>) => `${e.at} ${e.actor_key_id} ${e.actor_name}`))).toEqual(new Set([`${ACTOR.at} ${ACTOR.keyId} ${ACTOR.name}`]));
  });

  it('leaves no actor behind for the next transaction on the same connection', async () => {
    const client = await pool.connect();
    try {
      await client.query('begin');
      await client.query(`select set_config('spendbook.actor_key_id', 'key_x', true), set_config('spendbook.actor_name', 'X', true), set_config('spendbook.actor_at', '2026-01-01T00:00:00.000Z', true)`);
      await client.query(`insert into campaigns (id, name, channel, start_date, tags, created_at, updated_at) values ('leak', 'with actor', 'tv', '2026-01-01', '[]', 'c', 'u')`);
      await client.query('commit');
      // The next transaction on the same session names no actor: the settings went with the commit.
      await client.query('begin');
      await client.query(`update campaigns set name = 'around the service' where id = 'leak'`);
      await client.query('commit');
    } finally {
      client.release();
    }
    const { rows } = await pool.query(`select at, actor_key_id, actor_name, after from audit_events where entity = 'campaign' and entity_id = 'leak' order by id`);
    expect(rows.length).toBe(2);
    expect(rows[0]).toMatchObject({ at: '2026-01-01T00:00:00.000Z', actor_key_id: 'key_x', actor_name: 'X' });
    expect(rows[1]).toMatchObject({ actor_key_id: null, actor_name: null });
    // No actor time either: the statement's own, ISO 8601 UTC with milliseconds, as SQLite's strftime prints it.
    expect(rows[1].at).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    expect(rows[1].at).not.toBe('2026-01-01T00:00:00.000Z');
    expect(JSON.parse(rows[1].after).name).toBe('around the service');
  });
});

describe('closed-month guards and append-only tables on PostgreSQL', () => {
  // 2026-02 in epoch ms UTC: 2026-02-01T00:00Z = 1769904000000, 2026-03-01T00:00Z = 1772323200000.
  const FEB_START = Date.UTC(2026, 1, 1);
  const MAR_START = Date.UTC(2026, 2, 1);
  // 2025-11: a closed month whose refunds matter below.
  const NOV_START = Date.UTC(2025, 10, 1);
  const DEC_START = Date.UTC(2025, 11, 1);

  it('knows its epoch bounds', () => {
    expect([FEB_START, MAR_START]).toEqual([1769904000000, 1772323200000]);
  });

  it('refuses what SQLite refuses, with the same message, and allows what it allows', async () => {
    const setup: [string, unknown[]][] = [
      [`insert into campaigns (id, name, channel, start_date, tags, created_at, updated_at) values ('g', 'G', 'tv', '2025-01-01', '[]', 'c', 'u')`, []],
      [`insert into plans (campaign_id, month, amount_micros, currency, revision, updated_at) values ('g', '2026-02', 1, 'USD', 1, 'u'), ('g', '2026-04', 1, 'USD', 1, 'u')`, []],
      [`insert into commitments (id, campaign_id, month, amount_micros, currency, status, updated_at) values ('c1', 'g', '2026-02', 5, 'USD', 'open', 'u')`, []],
      [`insert into fx_rates (currency, date, rate, updated_at) values ('EUR', '2026-02-10', '1.1', 'u')`, []],
      [`insert into spend (source, campaign_id, date, reference, amount_micros, currency, version) values ('api', 'g', '2026-02-10', 'r', 7, 'USD', 1)`, []],
      [`insert into touchpoints (id, customer_id, campaign_id, occurred_at) values ('t-jan', 'cu', 'g', ?), ('t-apr', 'cu', 'g', ?)`, [Date.UTC(2026, 0, 20), Date.UTC(2026, 3, 2)]],
      // A conversion in 2025-10 refunded in 2025-11, and one in 2025-11 refunded in 2026-02.
      [`insert into revenue (id, customer_id, occurred_at, amount_micros, currency, refund_of) values ('conv-oct', 'cu', ?, 100, 'USD', null), ('ref-nov', 'cu', ?, -40, 'USD', 'conv-oct'),
        ('conv-nov', 'cu', ?, 100, 'USD', null), ('ref-feb', 'cu', ?, -10, 'USD', 'conv-nov'), ('conv-apr', 'cu', ?, 100, 'USD', null)`,
        [Date.UTC(2025, 9, 5), Date.UTC(2025, 10, 5), Date.UTC(2025, 10, 6), Date.UTC(2026, 1, 6), Date.UTC(2026, 3, 6)]],
      [`insert into period_events (month, action, at, by_key_id, by, reason) values ('2025-11', 'close', 'x', null, null, 'done')`, []],
      [`insert into forecast_snapshots (id, name, from_month, to_month, as_of, method, group_by, currency, created_at, report) values ('s', 'S', '2026-01', '2026-03', '2026-01-10', 'run_rate', 'campaign', 'USD', 'c', '{}')`, []],
      [`insert into closed_months (month, start_ms, end_ms, closed_at) values ('2026-02', ?, ?, 'x'), ('2025-11', ?, ?, 'x')`, [FEB_START, MAR_START, NOV_START, DEC_START]],
    ];
    for (const [text, params] of setup) expect(await onBoth(text, params), text).toEqual({ sqlite: null, pg: null, pgCode: null });

    const cases: [string, unknown[], string | null][] = [
      [`insert into plans (campaign_id, month, amount_micros, currency, revision, updated_at) values ('g', '2026-02', 2, 'USD', 1, 'u') on conflict do nothing`, [], 'period_closed:2026-02:plans'],
      [`update plans set amount_micros = 3 where campaign_id = 'g' and month = '2026-02'`, [], 'period_closed:2026-02:plans'],
      [`update plans set month = '2026-02' where campaign_id = 'g' and month = '2026-04'`, [], 'period_closed:2026-02:plans'],
      [`delete from plans where month = '2026-02'`, [], 'period_closed:2026-02:plans'],
      [`update plans set amount_micros = 3 where campaign_id = 'g' and month = '2026-04'`, [], null],
      [`insert into commitments (id, campaign_id, month, amount_micros, currency, status, updated_at) values ('c2', 'g', '2026-02', 5, 'USD', 'open', 'u')`, [], 'period_closed:2026-02:commitments'],
      [`update commitments set status = 'closed' where id = 'c1'`, [], 'period_closed:2026-02:commitments'],
      [`delete from commitments where id = 'c1'`, [], 'period_closed:2026-02:commitments'],
      [`insert into fx_rates (currency, date, rate, updated_at) values ('GBP', '2026-02-11', '1.3', 'u')`, [], 'period_closed:2026-02:fx_rates'],
      [`update fx_rates set date = '2026-05-01' where currency = 'EUR'`, [], 'period_closed:2026-02:fx_rates'],
      [`insert into fx_rates (currency, date, rate, updated_at) values ('GBP', '2026-05-11', '1.3', 'u')`, [], null],
      // Spend inserts are the services' to refuse (see the migrations): allowed here on both.
      [`insert into spend (source, campaign_id, date, reference, amount_micros, currency, version) values ('api', 'g', '2026-02-11', 'r', 7, 'USD', 1)`, [], null],
      [`update spend set amount_micros = 8 where reference = 'r' and date = '2026-02-10'`, [], 'period_closed:2026-02:spend'],
      [`delete from spend where date = '2026-02-10'`, [], 'period_closed:2026-02:spend'],
      // Touchpoints: nothing before the end of the latest closed month (2026-02) changes.
      [`update touchpoints set campaign_id = 'h' where id = 't-jan'`, [], 'period_closed:2026-02:touchpoints'],
      [`update touchpoints set occurred_at = ? where id = 't-apr'`, [Date.UTC(2026, 1, 27)], 'period_closed:2026-02:touchpoints'],
      [`delete from touchpoints where id = 't-jan'`, [], 'period_closed:2026-02:touchpoints'],
      [`update touchpoints set campaign_id = 'h' where id = 't-apr'`, [], null],
      // Revenue: its own month closed, or a refund of it dated in a closed month.
      [`update revenue set amount_micros = 99 where id = 'ref-nov'`, [], 'period_closed:2025-11:revenue'],
      [`update revenue set amount_micros = 99 where id = 'conv-oct'`, [], 'period_closed:2025-11:revenue'],
      // Both apply: dated in 2025-11, refunded in 2026-02. SQLite's order of triggers decides the name.
      [`delete from revenue where id = 'conv-nov'`, [], 'period_closed:2026-02:revenue'],
      [`update revenue set occurred_at = ? where id = 'conv-apr'`, [Date.UTC(2026, 1, 3)], 'period_closed:2026-02:revenue'],
      [`update revenue set amount_micros = 101 where id = 'conv-apr'`, [], null],
      // Append-only tables.
      [`update forecast_snapshots set name = 'T'`, [], 'snapshot_immutable:forecast_snapshots'],
      [`delete from forecast_snapshots`, [], 'snapshot_immutable:forecast_snapshots'],
      [`update period_events set reason = 'r'`, [], 'history_immutable:period_events'],
      [`delete from period_events`, [], 'history_immutable:period_events'],
      [`insert into plan_revisions (campaign_id, month, revision, amount_micros, currency, changed_at) values ('g', '2026-04', 1, 1, 'USD', 'x')`, [], null],
      [`update plan_revisions set amount_micros = 2`, [], 'history_immutable:plan_revisions'],
      [`delete from plan_revisions`, [], 'history_immutable:plan_revisions'],
      [`update audit_events set actor_name = 'someone else'`, [], 'history_immutable:audit_events'],
      [`delete from audit_events`, [], 'history_immutable:audit_events'],
      // Reopening the month lifts the guard.
      [`delete from closed_months where month = '2026-02'`, [], null],
      [`update plans set amount_micros = 4 where campaign_id = 'g' and month = '2026-02'`, [], null],
    ];
    for (const [text, params, message] of cases) {
      const result = await onBoth(text, params);
      expect(result, text).toEqual({ sqlite: message, pg: message, pgCode: message ? '23000' : null });
    }
  });

  it('gives a message the app maps to 409 period_closed', async () => {
    await pool.query(`insert into closed_months (month, start_ms, end_ms, closed_at) values ('2026-02', $1, $2, 'x') on conflict do nothing`, [FEB_START, MAR_START]);
    const error = await pool.query(`delete from plans where month = '2026-02'`).then(
      () => null,
      (e: Error & { code?: string }) => e,
    );
    // The pattern src/plugins/errors.ts reads from SQLite's trigger message.
    expect(error?.code).toBe('23000');
    expect(/^period_closed:(\d{4}-\d{2}):(\w+)$/.exec(error!.message)?.slice(1)).toEqual(['2026-02', 'plans']);
  });

  it('refuses TRUNCATE of the append-only and the audited tables (it skips row triggers)', async () => {
    for (const [table, message] of [
      ['spend', 'truncate_refused:spend'],
      ['plans', 'truncate_refused:plans'],
      ['touchpoints', 'truncate_refused:touchpoints'],
      ['settings', 'truncate_refused:settings'],
      ['audit_events', 'history_immutable:audit_events'],
      ['period_events', 'history_immutable:period_events'],
      ['plan_revisions', 'history_immutable:plan_revisions'],
      ['forecast_snapshots', 'snapshot_immutable:forecast_snapshots'],
    ]) {
      await expect(pool.query(`truncate ${table}`), table).rejects.toThrow(message);
    }
    expect(Number((await pool.query('select count(*) from audit_events')).rows[0].count)).toBeGreaterThan(0);
    expect(Number((await pool.query('select count(*) from spend')).rows[0].count)).toBeGreaterThan(0);
  });
});

describe('the throwaway server', () => {
  it('stops and removes its folder', async () => {
    await pool.end();
    const { dir, url } = server;
    expect(existsSync(dir)).toBe(true);
    await server.stop();
    expect(existsSync(dir)).toBe(false);
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
    await expect(client.connect()).rejects.toThrow();
  });
});
