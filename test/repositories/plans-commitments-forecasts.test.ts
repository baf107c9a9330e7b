/**
 * The plan, commitment and forecast-snapshot repositories, the same checks on
 * both stores: SQLite in memory, and a throwaway PostgreSQL (test/pg-server.ts)
 * migrated with db/pg/migrations. On PostgreSQL each repository runs on one
 * client of its own (a stand-in for the unit of work's session), so that two
 * open transactions can race for the same row.
 */
import { drizzle } from 'drizzle-orm/node-postgres';
import { migrate } from 'drizzle-orm/node-postgres/migrator';
import fc from 'fast-check';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commitmentRepository, type CommitmentLine } from '../../src/features/commitments/repository.js';
import { forecastSnapshotRepository, type SnapshotRecord } from '../../src/features/forecasts/repository.js';
import { planRepository, type PlanLine } from '../../src/features/plans/repository.js';
import { packagePath } from '../../src/lib/package-root.js';
import { openSqlite, type Database, type PostgresDatabase } from '../../src/store/database.js';
import type { PgSession } from '../../src/store/pg.js';
import { startPgServer, type PgServer } from '../pg-server.js';

let server: PgServer;
const clients: pg.Client[] = [];
let dbIndex = 0;
/** The one session on the migrated database `postgres`, which the fresh databases copy (a template must have no other session). */
let admin: pg.Client;

beforeAll(async () => {
  server = await startPgServer();
  const pool = new pg.Pool({ connectionString: server.url, max: 1 });
  await migrate(drizzle(pool), { migrationsFolder: packagePath('db', 'pg', 'migrations') });
  await pool.end();
  admin = await pgClient();
}, 180_000);

afterAll(async () => {
  for (const client of clients) await client.end().catch(() => undefined);
  await server?.stop();
}, 60_000);

/** A client whose int8 columns read as bigint, as the app's session reads them. */
async function pgClient(database = 'postgres'): Promise<pg.Client> {
  const url = new URL(server.url);
  url.pathname = `/${database}`;
  const client = new pg.Client({
    connectionString: url.toString(),
    types: { getTypeParser: ((oid: number, format?: 'text' | 'binary') => (oid === 20 ? (v: string) => BigInt(v) : pg.types.getTypeParser(oid, format))) as typeof pg.types.getTypeParser },
  });
  await client.connect();
  clients.push(client);
  return client;
}

function onClient(client: pg.Client): PostgresDatabase {
  const session: PgSession = {
    query: (text, params) => client.query(text, params as unknown[]),
    queryArrays: (async (text: string, params?: readonly unknown[]) => (await client.query({ text, values: params as unknown[], rowMode: 'array' })).rows) as PgSession['queryArrays'],
  };
  return { dialect: 'postgres', pg: session } as unknown as PostgresDatabase;
}

/** A fresh PostgreSQL database (a copy of the migrated one) and two clients on it. */
async function freshPg(): Promise<[PostgresDatabase, PostgresDatabase, pg.Client, pg.Client]> {
  const name = `h14_${++dbIndex}`;
  await admin.query(`create database ${name} template postgres`);
  const a = await pgClient(name);
  const b = await pgClient(name);
  return [onClient(a), onClient(b), a, b];
}

type Store = { name: string; open(): Promise<Database>; sql(database: Database, text: string): Promise<void> };

const stores: Store[] = [
  {
    name: 'sqlite',
    open: async () => openSqlite(':memory:'),
    sql: async (database, text) => void (database.dialect === 'sqlite' && database.sqlite.exec(text)),
  },
  {
    name: 'postgres',
    open: async () => (await freshPg())[0],
    sql: async (database, text) => void (database.dialect === 'postgres' && (await database.pg.query(text))),
  },
];

const seedCampaigns = `insert into campaigns (id, name, channel, start_date, created_at, updated_at) values
  ('a', 'A', 'search', '2026-01-01', 't', 't'), ('b', 'B', 'social', '2026-01-01', 't', 't')`;

const line = (campaignId: string, month: string, amount: bigint, currency = 'USD'): PlanLine => ({ campaignId, month, amount, currency });

const record = (id: string, name: string, extra: Partial<SnapshotRecord> = {}): SnapshotRecord => ({
  id,
  name,
  fromMonth: '2026-03',
  toMonth: '2026-03',
  asOf: '2026-03-15',
  method: 'run_rate',
  groupBy: 'campaign',
  currency: 'USD',
  createdAt: '2026-03-15T12:00:00.000Z',
  createdByKeyId: null,
  createdBy: 'ops',
  report: '{"rows":[],"totals":{}}',
  ...extra,
});

describe.each(stores)('on $name', (store) => {
  it('a plan line: inserted at revision 1, equal left alone, each change the next revision; history in the order written', async () => {
    const database = await store.open();
    await store.sql(database, seedCampaigns);
    const plans = planRepository(database);
    const at = '2026-03-15T12:00:00.000Z';
    const writes = [line('a', '2026-03', 12_000_000_000n), line('a', '2026-03', 12_000_000_000n), line('a', '2026-03', 12_500_250_000n), line('a', '2026-03', 12_500_250_000n, 'EUR')];
    const outcomes = [];
    for (const w of writes) {
      const written = await plans.set(w, at);
      outcomes.push(written);
      if (written.revision !== null) await plans.addRevision(w, written.revision, at, 'tester');
    }
    expect(outcomes).toEqual([
      { outcome: 'inserted', revision: 1 },
      { outcome: 'unchanged', revision: null },
      { outcome: 'updated', revision: 2 },
      { outcome: 'updated', revision: 3 }, // the currency alone changed
    ]);
    expect(await plans.list({ after: null, limit: 10 })).toEqual([
      { campaignId: 'a', month: '2026-03', amountMicros: 12_500_250_000n, currency: 'EUR', revision: 3, updatedAt: at },
    ]);
    const history = await plans.history({ campaignId: 'a', after: null, limit: 10 });
    expect(history.map((r) => [r.revision, r.amountMicros, r.currency, r.changedBy])).toEqual([
      [1, 12_000_000_000n, 'USD', 'tester'],
      [2, 12_500_250_000n, 'USD', 'tester'],
      [3, 12_500_250_000n, 'EUR', 'tester'],
    ]);
    // The cursor is the last id seen: after the first, the other two.
    expect((await plans.history({ after: history[0]!.id, limit: 10 })).map((r) => r.revision)).toEqual([2, 3]);
  });

  it('lists plans by (campaignId, month), filtered and paged by the composite cursor', async () => {
    const database = await store.open();
    await store.sql(database, seedCampaigns);
    const plans = planRepository(database);
    for (const [c, m] of [['b', '2026-01'], ['a', '2026-02'], ['a', '2026-01'], ['b', '2026-03']] as const) await plans.set(line(c, m, 1n), 't');
    const keys = async (filter: Parameters<typeof plans.list>[0]) => (await plans.list(filter)).map((p) => `${p.campaignId} ${p.month}`);
    expect(await keys({ after: null, limit: 10 })).toEqual(['a 2026-01', 'a 2026-02', 'b 2026-01', 'b 2026-03']);
    expect(await keys({ after: ['a', '2026-02'], limit: 1 })).toEqual(['b 2026-01']);
    expect(await keys({ from: '2026-02', to: '2026-03', after: null, limit: 10 })).toEqual(['a 2026-02', 'b 2026-03']);
    expect(await keys({ campaignId: 'b', after: null, limit: 10 })).toEqual(['b 2026-01', 'b 2026-03']);
  });

  it('property: after any writes of one plan line, its revision is 1 + the number of writes that changed it, and history has one row per revision', async () => {
    const database = await store.open();
    await store.sql(database, seedCampaigns);
    const plans = planRepository(database);
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(fc.bigInt({ min: 0n, max: 3n }), fc.constantFrom('USD', 'EUR')), { minLength: 1, maxLength: 8 }), async (values) => {
        const key = `${2030 + run++}-01`; // a fresh line per run
        let changes = 0;
        let last: string | null = null;
        for (const [amount, currency] of values) {
          const written = await plans.set(line('a', key, amount, currency), 't');
          if (written.revision !== null) await plans.addRevision(line('a', key, amount, currency), written.revision, 't', null);
          if (last !== `${amount} ${currency}`) changes++;
          last = `${amount} ${currency}`;
        }
        const [stored] = await plans.list({ campaignId: 'a', from: key, to: key, after: null, limit: 2 });
        expect(stored!.revision).toBe(changes);
        expect((await plans.history({ campaignId: 'a', month: key, after: null, limit: 100 })).map((r) => r.revision)).toEqual(
          Array.from({ length: changes }, (_, i) => i + 1),
        );
      }),
      { numRuns: 15 },
    );
  });

  it('a commitment: inserted, equal left alone, any field changed updated; stored months of existing ids only', async () => {
    const database = await store.open();
    await store.sql(database, seedCampaigns);
    const commitments = commitmentRepository(database);
    const io: CommitmentLine = { id: 'io-1', campaignId: 'a', month: '2026-03', amount: 5_000_000_000n, currency: 'USD', status: 'open' };
    expect(await commitments.set(io, 't1')).toBe('inserted');
    expect(await commitments.set(io, 't2')).toBe('unchanged');
    expect(await commitments.set({ ...io, status: 'closed' }, 't3')).toBe('updated');
    expect(await commitments.set({ ...io, id: 'io-0', campaignId: 'b', month: '2026-04' }, 't4')).toBe('inserted');
    expect(await commitments.lockMonths(['io-1', 'io-0', 'io-9'])).toEqual(new Map([['io-1', '2026-03'], ['io-0', '2026-04']]));
    expect(await commitments.list({ after: null, limit: 10 })).toEqual([
      { id: 'io-0', campaignId: 'b', month: '2026-04', amountMicros: 5_000_000_000n, currency: 'USD', status: 'open', updatedAt: 't4' },
      { id: 'io-1', campaignId: 'a', month: '2026-03', amountMicros: 5_000_000_000n, currency: 'USD', status: 'closed', updatedAt: 't3' },
    ]);
    expect((await commitments.list({ status: 'open', after: null, limit: 10 })).map((c) => c.id)).toEqual(['io-0']);
    expect((await commitments.list({ after: 'io-0', limit: 10 })).map((c) => c.id)).toEqual(['io-1']);
  });

  it('forecast snapshots: a taken name writes nothing; listed in the order taken, the last first; a month’s newest by asOf, then the later taken', async () => {
    const database = await store.open();
    const snapshots = forecastSnapshotRepository(database);
    // Ids sort the other way round from the order taken, so an order by id would show.
    expect(await snapshots.insert(record('fcs_c', 'first'))).toBe(true);
    expect(await snapshots.insert(record('fcs_b', 'second', { asOf: '2026-03-20' }))).toBe(true);
    expect(await snapshots.insert(record('fcs_a', 'third', { fromMonth: '2026-03', toMonth: '2026-04' }))).toBe(true);
    expect(await snapshots.insert(record('fcs_z', 'first', { asOf: '2026-03-31' }))).toBe(false);
    expect(await snapshots.byId('fcs_z')).toBeNull();
    expect(await snapshots.idByName('first')).toBe('fcs_c');
    expect(await snapshots.byId('fcs_b')).toEqual(record('fcs_b', 'second', { asOf: '2026-03-20' }));

    const all = await snapshots.list({ after: null, limit: 10 });
    expect(all.map((s) => s.id)).toEqual(['fcs_a', 'fcs_b', 'fcs_c']);
    expect((await snapshots.list({ after: all[0]!.seq, limit: 1 })).map((s) => s.id)).toEqual(['fcs_b']);
    expect((await snapshots.list({ month: '2026-04', after: null, limit: 10 })).map((s) => s.id)).toEqual(['fcs_a']);

    // fcs_b's asOf (the 20th) is later than fcs_c's (the 15th); the range fcs_a is no month's own.
    expect((await snapshots.latestOfMonth('2026-03'))?.id).toBe('fcs_b');
    // Same asOf and the same createdAt: the one taken later wins.
    await snapshots.insert(record('fcs_0', 'fourth', { asOf: '2026-03-20' }));
    expect((await snapshots.latestOfMonth('2026-03'))?.id).toBe('fcs_0');
    expect(await snapshots.latestOfMonth('2026-04')).toBeNull();
  });
});

describe('on postgres, two writers at once', () => {
  it('set the same plan line: the second waits for the first, then makes revision 2 (or leaves an equal line alone), never a key violation', async () => {
    const [first, second, a, b] = await freshPg();
    await first.pg.query(seedCampaigns);
    const plansA = planRepository(first);
    const plansB = planRepository(second);
    await a.query('begin');
    await b.query('begin');
    expect(await plansA.set(line('a', '2026-03', 100n), 'ta')).toEqual({ outcome: 'inserted', revision: 1 });
    const waiting = plansB.set(line('a', '2026-03', 200n), 'tb'); // blocks on A's uncommitted row
    const equal = (async () => {
      await waiting;
      return plansB.set(line('a', '2026-03', 200n), 'tb');
    })();
    await a.query('commit');
    expect(await waiting).toEqual({ outcome: 'updated', revision: 2 });
    expect(await equal).toEqual({ outcome: 'unchanged', revision: null });
    await b.query('commit');
    expect(await plansA.list({ after: null, limit: 10 })).toMatchObject([{ amountMicros: 200n, revision: 2, updatedAt: 'tb' }]);
  });

  it('insert the same commitment: the second counts an update, not an insert', async () => {
    const [first, second, a, b] = await freshPg();
    await first.pg.query(seedCampaigns);
    const io: CommitmentLine = { id: 'io-1', campaignId: 'a', month: '2026-03', amount: 1n, currency: 'USD', status: 'open' };
    await a.query('begin');
    await b.query('begin');
    expect(await commitmentRepository(first).set(io, 'ta')).toBe('inserted');
    const waiting = commitmentRepository(second).set({ ...io, amount: 2n }, 'tb');
    await a.query('commit');
    expect(await waiting).toBe('updated');
    await b.query('commit');
  });

  it('take a snapshot of the same name: the second is refused, and writes nothing', async () => {
    const [first, second, a, b] = await freshPg();
    await a.query('begin');
    await b.query('begin');
    expect(await forecastSnapshotRepository(first).insert(record('fcs_1', 'same'))).toBe(true);
    const waiting = forecastSnapshotRepository(second).insert(record('fcs_2', 'same'));
    await a.query('commit');
    expect(await waiting).toBe(false);
    await b.query('commit');
    expect((await forecastSnapshotRepository(first).list({ after: null, limit: 10 })).map((s) => s.id)).toEqual(['fcs_1']);
  });
});
