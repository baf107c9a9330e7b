/**
 * The unit of work on PostgreSQL keeps the SQLite one's promises (the data
 * version moves exactly once per committed write transaction that changed a
 * row), and adds its own: retries of deadlocks and serialization failures,
 * writers side by side on a pool, migrations applied once under a lock,
 * errors answering as SQLite's. On the run's throwaway server, one fresh
 * database per test (test/pg-db.ts).
 */
import { readFileSync } from 'node:fs';
import net from 'node:net';
import Fastify from 'fastify';
import fc from 'fast-check';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { freePort } from '../../bench/ports.js';
import errorsPlugin from '../../src/plugins/errors.js';
import type { PostgresDatabase } from '../../src/store/database.js';
import { openPostgres, type PgOptions, type PgSession } from '../../src/store/pg.js';
import { readInKeyRanges } from '../../src/store/table-reads.js';
import type { WriteActor } from '../../src/store/unit-of-work.js';
import { dropPgDatabase, freshPgUrl } from '../pg-db.js';

let url: string;
let db: PostgresDatabase;
let actor: WriteActor | null;
let commits: [number, number][];
const opened: PostgresDatabase[] = [];

async function open(options: PgOptions = {}): Promise<PostgresDatabase> {
  const store = await openPostgres(url, { actor: () => actor, now: () => new Date('2026-03-01T00:00:00Z'), retryBaseMs: 1, ...options });
  opened.push(store);
  return store;
}

beforeEach(async () => {
  url = await freshPgUrl();
  actor = { keyId: 'key_1', name: 'tester' };
  db = await open();
  commits = [];
  db.uow.onCommit((before, after) => commits.push([before, after]));
});

afterEach(async () => {
  for (const store of opened.splice(0)) await store.close().catch(() => undefined);
  await dropPgDatabase(url);
});

const UPSERT_CAMPAIGN = `insert into campaigns (id, name, channel, start_date, tags, created_at, updated_at)
  values ($1, $2, 'paid_search', '2026-01-01', '[]', 'now', 'now')
  on conflict (id) do update set name = excluded.name where campaigns.name is distinct from excluded.name`;
const upsertOn = (store: PostgresDatabase) => async (id: string, name: string) => (await store.pg.query(UPSERT_CAMPAIGN, [id, name])).rowCount ?? 0;
const upsert = (id: string, name: string) => upsertOn(db)(id, name);
const count = async (text: string, params: unknown[] = []) => Number((await db.pg.query<{ n: bigint }>(text, params)).rows[0]!.n);
/** An error as the server raises it: a SQLSTATE code and a severity. */
const pgError = (code: string, message = `injected ${code}`) => Object.assign(new Error(message), { code, severity: 'ERROR' });

describe('PgUnitOfWork', () => {
  it('starts at version 0 on a new database, and is PostgreSQL', async () => {
    expect(await db.uow.version()).toBe(0);
    expect(db.uow.dialect).toBe('postgres');
  });

  it('bumps once per changing transaction, however many rows it changed, and returns the new version', async () => {
    expect(await db.uow.writeVersioned(() => upsert('a', 'A'))).toEqual({ value: 1, version: 1 });
    // Three rows in one transaction (1 + 1 + 1): still one step.
    expect(await db.uow.writeVersioned(async () => (await upsert('b', 'B')) + (await upsert('c', 'C')) + (await upsert('a', 'A2')))).toEqual({
      value: 3,
      version: 2,
    });
    expect(await db.uow.version()).toBe(2);
    expect(commits).toEqual([
      [0, 1],
      [1, 2],
    ]);
  });

  it('does not bump for a no-op upsert or a read', async () => {
    await db.uow.write(() => upsert('a', 'A'));
    // The same name again: the upsert's WHERE leaves the row alone, rowCount 0.
    expect(await db.uow.writeVersioned(() => upsert('a', 'A'))).toEqual({ value: 0, version: 1 });
    expect(await db.uow.write(() => count('select count(*) as n from campaigns'))).toBe(1);
    expect(await db.uow.version()).toBe(1);
    expect(commits).toEqual([[0, 1]]);
  });

  it('does not bump on rollback, and leaves nothing written', async () => {
    await expect(
      db.uow.write(async () => {
        await upsert('a', 'A');
        throw new Error('refused');
      }),
    ).rejects.toThrow('refused');
    expect(await db.uow.version()).toBe(0);
    expect(await count('select count(*) as n from campaigns')).toBe(0);
    expect(commits).toEqual([]);
  });

  it('bumps once for nested writes, at the end of the outermost, and not at all if it rolls back', async () => {
    const versions = await db.uow.writeVersioned(async () => {
      const inner = await db.uow.writeVersioned(() => upsert('a', 'A'));
      await db.uow.write(() => upsert('b', 'B'));
      // Inside, the version is not yet known, and the transaction reads its own view: still 0.
      expect(inner.version).toBeNull();
      expect(await db.uow.version()).toBe(0);
      expect(db.uow.inTransaction()).toBe(true);
      return 'done';
    });
    expect(versions).toEqual({ value: 'done', version: 1 });
    expect(db.uow.inTransaction()).toBe(false);
    await expect(
      db.uow.write(async () => {
        await db.uow.write(() => upsert('c', 'C'));
        throw new Error('outer refused');
      }),
    ).rejects.toThrow('outer refused');
    expect(await db.uow.version()).toBe(1);
    expect(await count('select count(*) as n from campaigns')).toBe(2);
    expect(commits).toEqual([[0, 1]]);
  });

  it('undoes a nested write that threw (its savepoint), keeps the rest, and does not count what it undid', async () => {
    const { version } = await db.uow.writeVersioned(async () => {
      await expect(
        db.uow.write(async () => {
          await upsert('gone', 'G');
          throw new Error('inner refused');
        }),
      ).rejects.toThrow('inner refused');
      return count('select count(*) as n from campaigns');
    });
    // Only the undone row changed: no change, no bump.
    expect(version).toBe(0);
    expect(await count('select count(*) as n from campaigns')).toBe(0);
    expect(commits).toEqual([]);
  });

  it('refuses two nested writes at once in one transaction (their savepoints would interleave)', async () => {
    await expect(db.uow.write(() => Promise.all([db.uow.write(() => upsert('a', 'A')), db.uow.write(() => upsert('b', 'B'))]))).rejects.toThrow(
      /two nested writes ran at once/,
    );
    expect(await db.uow.version()).toBe(0);
  });

  it('names the actor for the audit triggers inside the write, and leaves no actor behind', async () => {
    // One client, so the second write runs on the very session the first one set its actor on.
    const single = await open({ poolSize: 1 });
    await single.uow.write(() => upsertOn(single)('a', 'A'));
    actor = null;
    await single.uow.write(() => upsertOn(single)('a', 'A2'));
    const { rows } = await db.pg.query("select actor_key_id, actor_name, at, action from audit_events where entity = 'campaign' order by id");
    expect(rows).toEqual([
      { actor_key_id: 'key_1', actor_name: 'tester', at: '2026-03-01T00:00:00.000Z', action: 'insert' },
      // No actor: none recorded, as on SQLite; the write's time still is.
      { actor_key_id: null, actor_name: null, at: '2026-03-01T00:00:00.000Z', action: 'update' },
    ]);
  });

  it('records an ingest event only inside a write, and the event is a change', async () => {
    await expect(db.uow.record('ingest', 'spend', null, null, { inserted: 1 })).rejects.toThrow(/inside write/);
    expect((await db.uow.writeVersioned(() => db.uow.record('ingest', 'spend', null, null, { inserted: 1 }))).version).toBe(1);
    const { rows } = await db.pg.query("select at, actor_key_id, actor_name, entity_id, before, after from audit_events where action = 'ingest'");
    expect(rows).toEqual([{ at: '2026-03-01T00:00:00.000Z', actor_key_id: 'key_1', actor_name: 'tester', entity_id: null, before: null, after: '{"inserted":1}' }]);
  });

  it('sees the commits of another pool (another instance) on the same database', async () => {
    const other = await open();
    await db.uow.write(() => upsert('a', 'A'));
    expect(await other.uow.version()).toBe(1);
    // The second's write starts from the first's version: 1 -> 2.
    expect((await other.uow.writeVersioned(() => upsertOn(other)('b', 'B'))).version).toBe(2);
    expect(await db.uow.version()).toBe(2);
  });

  it('commits 10 concurrent writers, each its own transaction and its own version, 1 to 10', async () => {
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => db.uow.writeVersioned(() => upsert(`c${i}`, `C${i}`))));
    expect(results.map((r) => r.version).sort((a, b) => a! - b!)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(await count('select count(*) as n from campaigns')).toBe(10);
    // Listeners hear every step once: before = after - 1.
    expect(commits.map(([, after]) => after).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(commits.every(([before, after]) => after === before + 1)).toBe(true);
  });

  for (const code of ['40P01', '40001']) {
    it(`runs the write again after ${code}, commits once and bumps once; what the failed attempt did is gone`, async () => {
      let runs = 0;
      const result = await db.uow.writeVersioned(async () => {
        runs++;
        if (runs <= 2) {
          // The failed attempts write a row the successful one does not: it must not survive or count.
          await upsert(`lost${runs}`, 'L');
          throw pgError(code);
        }
        return upsert('kept', 'K');
      });
      expect(runs).toBe(3);
      expect(result).toEqual({ value: 1, version: 1 });
      expect((await db.pg.query('select id from campaigns')).rows).toEqual([{ id: 'kept' }]);
      expect(commits).toEqual([[0, 1]]);
    });
  }

  it('retries a statement that lost a race even if the callback caught its error, and gives up after maxAttempts', async () => {
    let runs = 0;
    const error = await db.uow
      .write(async () => {
        runs++;
        await upsert('a', 'A');
        // A real 40001 from the server, caught and turned into another error by the callback.
        await db.pg.query(`do $$ begin raise exception using errcode = 'serialization_failure', message = 'lost'; end $$`).catch(() => {
          throw new Error('wrapped');
        });
      })
      .catch((e: Error) => e);
    // maxAttempts = 5 by default: five runs, then the last error surfaces.
    expect(runs).toBe(5);
    expect((error as Error).message).toBe('wrapped');
    expect(await db.uow.version()).toBe(0);
    expect(await count('select count(*) as n from campaigns')).toBe(0);
  });

  it('does not retry other errors', async () => {
    let runs = 0;
    await expect(
      db.uow.write(() => {
        runs++;
        throw pgError('23505', 'duplicate key');
      }),
    ).rejects.toThrow('duplicate key');
    expect(runs).toBe(1);
  });

  it('survives a real deadlock: the server aborts one of two crossing writers, which runs again, and both commit', async () => {
    await db.uow.write(async () => {
      await upsert('x', 'X0');
      await upsert('y', 'Y0');
    });
    let runs = 0;
    // Neither writer goes on to its second row before both hold their first (however slow a connect
    // is on a busy machine): then each waits for the other's row, a deadlock for certain.
    let holding = 0;
    let bothHold!: () => void;
    const barrier = new Promise<void>((resolve) => (bothHold = resolve));
    const crossing = (first: string, second: string) =>
      db.uow.write(async () => {
        runs++;
        await db.pg.query('update campaigns set name = name || $2 where id = $1', [first, '+']);
        if (++holding === 2) bothHold();
        await barrier;
        await db.pg.query('select pg_sleep(0.05)');
        await db.pg.query('update campaigns set name = name || $2 where id = $1', [second, '+']);
      });
    await Promise.all([crossing('x', 'y'), crossing('y', 'x')]);
    // Two writers, one of them run twice: three runs. Seed 1 + two commits = version 3.
    expect(runs).toBe(3);
    expect(await db.uow.version()).toBe(3);
    // Each committed writer appended one '+' to each row, the aborted attempt none.
    expect((await db.pg.query('select id, name from campaigns order by id')).rows).toEqual([
      { id: 'x', name: 'X0++' },
      { id: 'y', name: 'Y0++' },
    ]);
  });

  it('destroys a client whose connection broke mid-write, surfaces the error, and writes on', async () => {
    const single = await open({ poolSize: 1 });
    const killer = new pg.Client({ connectionString: url });
    await killer.connect();
    try {
      const error = await single.uow
        .write(async () => {
          await upsertOn(single)('a', 'A');
          const { rows } = await single.pg.query<{ pid: number }>('select pg_backend_pid() as pid');
          // Killed while idle between statements: the client hears it as an 'error' event, not a query's error.
          await killer.query('select pg_terminate_backend($1)', [rows[0]!.pid]);
          await new Promise((resolve) => setTimeout(resolve, 200));
          await upsertOn(single)('b', 'B');
        })
        .catch((e: Error) => e);
      expect(error).toBeInstanceOf(Error);
      expect(await count('select count(*) as n from campaigns')).toBe(0);
      // The only client of the pool was the broken one: a write now needs a new connection, and works.
      expect((await single.uow.writeVersioned(() => upsertOn(single)('c', 'C'))).version).toBe(1);
    } finally {
      await killer.end();
    }
  });

  it('runs one COPY of a statement at a time in this process: the next starts when the one before ends', async () => {
    await db.pg.query('create table copied (k text primary key)');
    // Another session holds the key 'held' uncommitted: a COPY of it waits for that session to end.
    const holder = new pg.Client({ connectionString: url });
    await holder.connect();
    // Asked outside the holder's transaction: a transaction reads pg_stat_activity once and keeps what it read.
    const copies = () => count("select count(*) as n from pg_stat_activity where query like 'copy copied%'");
    try {
      await holder.query('begin');
      await holder.query("insert into copied values ('held')");
      const COPY = 'copy copied (k) from stdin';
      expect(await copies()).toBe(0);
      const first = db.uow.write(() => db.pg.copyIn!(COPY, 'held\n'));
      for (let i = 0; i < 1_000 && (await copies()) === 0; i++) await new Promise((resolve) => setTimeout(resolve, 10));
      expect(await copies()).toBe(1);
      let secondEnded = false;
      const second = db.uow.write(() => db.pg.copyIn!(COPY, 'free\n')).finally(() => (secondEnded = true));
      // Another statement (another table) is not queued behind it.
      await db.pg.query('create table other_copied (k text primary key)');
      expect(await db.uow.write(() => db.pg.copyIn!('copy other_copied (k) from stdin', 'free\n'))).toBe(1);
      await new Promise((resolve) => setTimeout(resolve, 300));
      // The second COPY of the statement has not reached the server: it waits for the first, which waits for the holder.
      expect(secondEnded).toBe(false);
      expect(await copies()).toBe(1);
      await holder.query('rollback');
      expect(await first).toBe(1);
      expect(await second).toBe(1);
      expect((await db.pg.query('select k from copied order by k')).rows).toEqual([{ k: 'free' }, { k: 'held' }]);
    } finally {
      await holder.end();
    }
  });

  it('reads int8 as bigint and numeric as exact text, on this pool only', async () => {
    const text = 'select 9007199254740993::int8 as big, 0.1::numeric + 0.2::numeric as n';
    // 2^53 + 1 would round to 2^53 as a number; 0.1 + 0.2 is 0.30000000000000004 as floats.
    expect((await db.pg.query(text)).rows).toEqual([{ big: 9007199254740993n, n: '0.3' }]);
    expect(await db.pg.queryArrays(text)).toEqual([[9007199254740993n, '0.3']]);
    expect(await db.uow.write(() => db.pg.queryArrays(text))).toEqual([[9007199254740993n, '0.3']]);
    // node-postgres' process-wide parsers are untouched: another client still reads int8 as text.
    const plain = new pg.Client({ connectionString: url });
    await plain.connect();
    try {
      expect((await plain.query(text)).rows).toEqual([{ big: '9007199254740993', n: '0.3' }]);
    } finally {
      await plain.end();
    }
  });

  it('runs without JIT (a mis-estimated 1 ms statement would otherwise compile for 100-200 ms), in and out of a write', async () => {
    expect(await db.pg.queryArrays('show jit')).toEqual([['off']]);
    expect(await db.uow.write(() => db.pg.queryArrays('show jit'))).toEqual([['off']]);
  });

  it('pings, and its ping fails once closed', async () => {
    const store = await open();
    await expect(store.ping()).resolves.toBeUndefined();
    await store.close();
    await expect(store.ping()).rejects.toThrow();
  });

  it('property: the version counts exactly the committed transactions that changed a row', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ id: fc.constantFrom('a', 'b', 'c'), name: fc.constantFrom('x', 'y'), fail: fc.boolean() }), { maxLength: 12 }),
        async (steps) => {
          // Each run its own ids, so runs share the database but not rows.
          const prefix = `r${run++}_`;
          const start = await db.uow.version();
          const names = new Map<string, string>();
          let expected = 0;
          for (const step of steps) {
            const changes = names.get(step.id) !== step.name;
            try {
              await db.uow.write(async () => {
                await upsert(prefix + step.id, step.name);
                if (step.fail) throw new Error('rolled back');
              });
            } catch {
              continue;
            }
            if (changes) expected++;
            names.set(step.id, step.name);
          }
          expect((await db.uow.version()) - start).toBe(expected);
        },
      ),
      { numRuns: 15 },
    );
  });
});

/** The migrations drizzle-kit's journal lists (0000_init, then the hand-written ones). */
const MIGRATIONS = BigInt(
  (JSON.parse(readFileSync(new URL('../../db/pg/migrations/meta/_journal.json', import.meta.url), 'utf8')) as { entries: unknown[] }).entries.length,
);

describe('openPostgres migrations', () => {
  it('migrates once when three instances start together on an empty database', async () => {
    const empty = await freshPgUrl({ migrated: false });
    const stores: PostgresDatabase[] = [];
    try {
      stores.push(...(await Promise.all([openPostgres(empty), openPostgres(empty), openPostgres(empty)])));
      const { rows } = await stores[0]!.pg.query<{ n: bigint; hashes: bigint }>('select count(*) as n, count(distinct hash) as hashes from drizzle.__drizzle_migrations');
      // Every migration of the journal, each applied once.
      expect(rows).toEqual([{ n: MIGRATIONS, hashes: MIGRATIONS }]);
      expect(await stores[0]!.uow.version()).toBe(0);
      // Opening again applies nothing.
      stores.push(await openPostgres(empty));
      expect((await stores[3]!.pg.query('select count(*) as n from drizzle.__drizzle_migrations')).rows).toEqual([{ n: MIGRATIONS }]);
    } finally {
      for (const store of stores) await store.close();
      await dropPgDatabase(empty);
    }
  });

  it('fails fast, with a connection error, when no server listens', async () => {
    const port = await freePort();
    const started = Date.now();
    await expect(openPostgres(`postgres://postgres@127.0.0.1:${port}/none`)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});

describe('PostgreSQL errors answer as SQLite ones', () => {
  async function answer(error: () => Promise<unknown>) {
    const app = Fastify();
    await app.register(errorsPlugin);
    app.get('/x', async () => {
      await error();
      return 'no error';
    });
    const response = await app.inject({ method: 'GET', url: '/x' });
    await app.close();
    return {
      status: response.statusCode,
      type: response.headers['content-type'],
      retryAfter: response.headers['retry-after'],
      body: response.json() as Record<string, unknown>,
    };
  }

  it('a closed-month trigger (23000) is the 409 period_closed problem', async () => {
    await db.uow.write(async () => {
      await upsert('g', 'G');
      await db.pg.query(`insert into plans (campaign_id, month, amount_micros, currency, revision, updated_at) values ('g', '2026-02', 1, 'USD', 1, 'u')`);
      await db.pg.query(`insert into closed_months (month, start_ms, end_ms, closed_at) values ('2026-02', $1, $2, 'x')`, [Date.UTC(2026, 1, 1), Date.UTC(2026, 2, 1)]);
    });
    const got = await answer(() => db.uow.write(() => db.pg.query(`delete from plans where month = '2026-02'`)));
    expect(got.status).toBe(409);
    expect(got.type).toMatch(/^application\/problem\+json/);
    expect(got.body).toMatchObject({ code: 'period_closed', months: ['2026-02'] });
    expect(got.body.detail).toMatch(/^month 2026-02 is closed: a row of plans stored in 2026-02 would change/);
  });

  it('a bigint overflow (22003) is the 422 amount_out_of_range problem', async () => {
    // 2^63 - 1 is int8's largest; one more overflows.
    const got = await answer(() => db.pg.query('select 9223372036854775807::int8 + 1'));
    expect(got).toMatchObject({ status: 422, body: { code: 'amount_out_of_range' } });
    const sum = await answer(() => db.pg.query('select sum(x)::int8 from (values (9223372036854775807::numeric), (1)) v(x)'));
    expect(sum).toMatchObject({ status: 422, body: { code: 'amount_out_of_range' } });
  });

  it('an unreachable database, or a connection the server ended, is the 503 unavailable problem', async () => {
    const port = await freePort();
    const refused = await answer(async () => {
      const client = new pg.Client({ connectionString: `postgres://postgres@127.0.0.1:${port}/x`, connectionTimeoutMillis: 2_000 });
      await client.connect();
    });
    expect(refused).toMatchObject({ status: 503, body: { code: 'unavailable', detail: 'the database is not reachable; try again in a moment' } });

    // A server that accepts the connection and never answers: the client's connection timeout ('timeout expired').
    const silent = net.createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const silentPort = (silent.address() as net.AddressInfo).port;
      const timedOut = await answer(async () => {
        const client = new pg.Client({ connectionString: `postgres://postgres@127.0.0.1:${silentPort}/x`, connectionTimeoutMillis: 300 });
        await client.connect();
      });
      expect(timedOut).toMatchObject({ status: 503, body: { code: 'unavailable' } });
    } finally {
      silent.close();
    }

    const terminated = await answer(() => db.uow.write(() => db.pg.query('select pg_terminate_backend(pg_backend_pid())')));
    expect(terminated).toMatchObject({ status: 503, body: { code: 'unavailable' } });
    // And the store still works after it.
    expect((await db.uow.writeVersioned(() => upsert('after', 'A'))).version).toBe(1);
  });

  it('a deadlock that outlasts every retry is a 503 write_conflict with Retry-After, and wrote nothing', async () => {
    let runs = 0;
    const got = await answer(() =>
      db.uow.write(async () => {
        runs++;
        await upsert(`lost${runs}`, 'L');
        throw pgError('40P01', 'deadlock detected');
      }),
    );
    // The unit of work's five attempts, then the answer.
    expect(runs).toBe(5);
    expect(got).toMatchObject({ status: 503, retryAfter: '1', body: { code: 'write_conflict' } });
    expect(await count('select count(*) as n from campaigns')).toBe(0);
  });

  it('other server errors stay 500s, whose text does not reach the client', async () => {
    const got = await answer(() => db.pg.query('select * from no_such_table'));
    expect(got).toMatchObject({ status: 500, body: { code: 'internal_error' } });
    expect(JSON.stringify(got.body)).not.toMatch(/no_such_table/);
  });
});

describe('reading a table page by page for a mirror (readInKeyRanges)', () => {
  const SELECT = 'select k, batch from t where k > $1 order by k limit $2';

  /** Rows 1..6 of batch a; another client's batch b (keys 0 and 100, drawn on both sides of the first page's end) committed after the first page. */
  async function readWithCommitBetweenPages(session: (hook: () => Promise<void>) => PgSession): Promise<string[]> {
    await db.pg.query('create table t (k bigint primary key, batch text not null)');
    await db.pg.query("insert into t select k, 'a' from generate_series(1, 6) k");
    const other = new pg.Client({ connectionString: url });
    await other.connect();
    try {
      await other.query('begin');
      await other.query("insert into t values (0, 'b'), (100, 'b')");
      let committed = false;
      const read: string[] = [];
      await readInKeyRanges(
        session(async () => {
          if (!committed) await other.query('commit');
          committed = true;
        }),
        SELECT,
        ([k, batch]) => read.push(`${batch}${k}`),
        3,
      );
      return read;
    } finally {
      await other.end();
    }
  }

  /** The app's session, with `hook` run after each page's statement. */
  const hooked = (hook: () => Promise<void>): PgSession => ({
    query: (text, params) => db.pg.query(text, params),
    queryArrays: (text, params) => db.pg.queryArrays(text, params),
    readSnapshot: (fn) =>
      db.pg.readSnapshot!((queryArrays) =>
        fn(async <R extends unknown[]>(text: string, params?: readonly unknown[]) => {
          const rows = await queryArrays<R>(text, params);
          await hook();
          return rows;
        }),
      ),
  });

  it('reads every page in one snapshot: a batch committed between two pages is read wholly or not at all', async () => {
    // The snapshot is taken at the first page, before b committed: b is not read at all.
    expect(await readWithCommitBetweenPages(hooked)).toEqual(['a1', 'a2', 'a3', 'a4', 'a5', 'a6']);
  });

  it('(why) page by page in separate snapshots, the same commit is read in part: its key above the first page, not the one below', async () => {
    const separate = (hook: () => Promise<void>): PgSession => ({
      query: (text, params) => db.pg.query(text, params),
      queryArrays: async <R extends unknown[]>(text: string, params?: readonly unknown[]) => {
        const rows = await db.pg.queryArrays<R>(text, params);
        await hook();
        return rows;
      },
    });
    expect(await readWithCommitBetweenPages(separate)).toEqual(['a1', 'a2', 'a3', 'a4', 'a5', 'a6', 'b100']);
  });

  it('inside a write, reads on the write transaction (its own uncommitted rows too)', async () => {
    await db.pg.query('create table t (k bigint primary key, batch text not null)');
    const read = await db.uow.write(async () => {
      await db.pg.query("insert into t select k, 'w' from generate_series(1, 5) k");
      const rows: string[] = [];
      await readInKeyRanges(db.pg, SELECT, ([k, batch]) => rows.push(`${batch}${k}`), 2);
      return rows;
    });
    expect(read).toEqual(['w1', 'w2', 'w3', 'w4', 'w5']);
  });
});
