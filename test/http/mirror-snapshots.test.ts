/**
 * Report table snapshots (src/features/mirrors): an app saves its mirrors
 * once writes pause; a second app on the same database (a SQLite file, or
 * the same PostgreSQL database) restores them instead of reading the rows,
 * and answers every report byte for byte as the first. A snapshot that no
 * longer matches (a write since) or that is damaged is not used: the rows
 * are read, and the reports are still right.
 */
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { ConfigError, DEFAULT_RATE_LIMIT, loadConfig, type DbConfig } from '../../src/config.js';
import { encodeSnapshot } from '../../src/features/mirrors/format.js';
import { mirrorSnapshotRepository } from '../../src/features/mirrors/repository.js';
import { openSqlite } from '../../src/store/database.js';
import { ADMIN_KEY, campaignItem, TEST_STORE } from '../helper.js';
import { dropPgDatabase, freshPgUrl } from '../pg-db.js';


const NOW = new Date('2026-04-02T12:00:00Z');
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

/** A fresh database both apps of a test share: a SQLite file in a temporary folder, or a PostgreSQL database. */
async function freshDb(): Promise<DbConfig> {
  if (TEST_STORE === 'postgres') {
    const url = await freshPgUrl();
    cleanups.push(() => dropPgDatabase(url));
    return { kind: 'postgres', url };
  }
  const dir = await mkdtemp(join(tmpdir(), 'spendbook-snapshots-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return { kind: 'sqlite', path: join(dir, 'spendbook.db') };
}

interface Started {
  app: FastifyInstance;
  logs: string[];
  call(method: 'GET' | 'POST' | 'PUT', url: string, items?: unknown[]): Promise<{ statusCode: number; body: string }>;
  close(): Promise<void>;
}

async function start(db: DbConfig, snapshotQuietMs = 50): Promise<Started> {
  const logs: string[] = [];
  const app = await buildApp(
    { port: 0, host: '127.0.0.1', db, adminKey: ADMIN_KEY, logLevel: 'info', rateLimit: DEFAULT_RATE_LIMIT, snapshotQuietMs },
    { now: () => NOW, announceAdminKey: () => undefined, logStream: { write: (line) => void logs.push(line) } },
  );
  await app.ready();
  let closed = false;
  const close = async () => {
    if (!closed) await app.close();
    closed = true;
  };
  cleanups.push(close);
  for (let waited = 0; !app.readiness.mirrorsLoaded || app.mirrorSnapshots.outcome === null; waited += 10) {
    if (waited > 30_000) throw new Error('the report tables did not load within 30 s');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return {
    app,
    logs,
    close,
    call: (method, url, items) =>
      app.inject({ method, url, headers: { authorization: `Bearer ${ADMIN_KEY}` }, ...(items ? { payload: { items } } : {}) }),
  };
}

async function ok(s: Started, method: 'POST' | 'PUT', url: string, items: unknown[]): Promise<void> {
  const res = await s.call(method, url, items);
  expect(res.statusCode, res.body).toBe(200);
}

/** A small history: spend in two currencies, journeys with ties, a refund. */
async function seed(s: Started): Promise<void> {
  await ok(s, 'POST', '/v1/campaigns', [campaignItem('A', { channel: 'paid_search' }), campaignItem('B', { channel: 'paid_social' }), campaignItem('C', { channel: 'email' })]);
  await ok(s, 'PUT', '/v1/fx-rates', [{ date: '2026-03-01', currency: 'EUR', rate: '1.10' }]);
  const spend = (campaignId: string, date: string, amount: string, currency = 'USD') => ({ campaignId, date, amount, currency, source: 'manual' });
  await ok(s, 'POST', '/v1/spend', [spend('A', '2026-03-02', '100'), spend('A', '2026-03-20', '100.50'), spend('B', '2026-03-10', '100', 'EUR'), spend('C', '2026-03-03', '90')]);
  const touch = (id: string, customerId: string, campaignId: string, occurredAt: string) => ({ id, customerId, campaignId, occurredAt });
  await ok(s, 'POST', '/v1/touchpoints', [
    touch('t1', 'u1', 'A', '2026-03-01T10:00:00Z'),
    touch('t2', 'u1', 'B', '2026-03-03T10:00:00Z'),
    // A tie with t2 (same customer, same instant): broken by touchpoint id.
    touch('t0', 'u1', 'C', '2026-03-03T10:00:00Z'),
    touch('t4', 'u2', 'B', '2026-03-15T00:00:00Z'),
    touch('t5', 'u4', 'C', '2026-03-24T00:00:00Z'),
  ]);
  const revenue = (id: string, customerId: string, occurredAt: string, amount: string, currency = 'USD', refundOf?: string) => ({ id, customerId, occurredAt, amount, currency, ...(refundOf ? { refundOf } : {}) });
  await ok(s, 'POST', '/v1/revenue', [
    revenue('cv1', 'u1', '2026-03-05T10:00:00Z', '300'),
    revenue('cv2', 'u2', '2026-03-16T12:00:00Z', '100', 'EUR'),
    revenue('cv3', 'u3', '2026-03-20T08:00:00Z', '50'),
    revenue('cv4', 'u4', '2026-03-25T00:00:00Z', '80'),
    revenue('r1', 'u1', '2026-03-06T00:00:00Z', '-40', 'USD', 'cv1'),
  ]);
}

const MARCH = 'from=2026-03-01&to=2026-03-31';
const REPORTS = [
  `/v1/reports/roi?${MARCH}`,
  `/v1/reports/roi?${MARCH}&model=data_driven`,
  `/v1/reports/roi?${MARCH}&groupBy=channel&model=time_decay&halfLifeDays=2`,
  `/v1/reports/roi?from=2026-02-01&to=2026-03-31&groupBy=month&model=first_touch`,
  `/v1/reports/roi?${MARCH}&format=csv`,
  `/v1/reports/attribution?${MARCH}&models=linear,first_touch,last_touch,position_based,time_decay,data_driven`,
  '/v1/reports/burn?month=2026-03&asOf=2026-03-31',
  '/v1/reports/burn?month=2026-03&asOf=2026-03-31&format=csv',
];

async function reports(s: Started): Promise<string[]> {
  const out: string[] = [];
  for (const url of REPORTS) {
    const res = await s.call('GET', url);
    expect(res.statusCode, `${url}: ${res.body}`).toBe(200);
    out.push(res.body);
  }
  return out;
}

/** Waits until the app has saved a snapshot of the database as it is now. */
async function saved(s: Started): Promise<number> {
  for (let waited = 0; ; waited += 20) {
    const version = await s.app.uow.version();
    if (s.app.mirrorSnapshots.lastVersion === version && s.app.mirrorSnapshots.saves > 0) return version;
    if (waited > 20_000) throw new Error(`no snapshot saved at version ${version} within 20 s`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const loads = (s: Started) => [s.app.touchIndex.lastLoad, s.app.revenueIndex.lastLoad, s.app.spendIndex.lastLoad];

/** Changes the stored snapshot's bytes: `edit` gets the body (SQLite: the whole file) and returns the new bytes. */
async function damage(db: DbConfig, edit: (bytes: Buffer) => Buffer): Promise<void> {
  if (db.kind === 'sqlite') {
    const file = join(`${db.path}.snapshot`, 'mirrors.bin');
    await writeFile(file, edit(await readFile(file)));
    return;
  }
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  try {
    const { rows } = await client.query<{ chunk: number; data: Buffer }>('select chunk, data from mirror_snapshots where chunk = (select max(chunk) from mirror_snapshots)');
    await client.query('update mirror_snapshots set data = $2 where chunk = $1', [rows[0]!.chunk, edit(rows[0]!.data)]);
  } finally {
    await client.end();
  }
}

describe('report table snapshots', () => {
  it('a second app on the same database restores the tables from the first app\'s snapshot and answers every report alike', async () => {
    const db = await freshDb();
    const first = await start(db);
    // Nothing stored yet: the rows are read, and that is logged once with the reason.
    expect(first.app.mirrorSnapshots.outcome).toMatchObject({ restored: false });
    expect(first.logs.filter((line) => line.includes('no usable snapshot'))).toHaveLength(1);
    expect(loads(first)).toEqual(['rows', 'rows', 'rows']);
    await seed(first);
    const version = await saved(first);
    const expected = await reports(first);
    if (db.kind === 'sqlite') expect((await stat(join(`${db.path}.snapshot`, 'mirrors.bin'))).size).toBeGreaterThan(0);

    // The first app is still running: on PostgreSQL the snapshot is shared by every instance.
    const second = await start(db);
    expect(second.app.mirrorSnapshots.outcome).toEqual({ restored: true, version });
    expect(loads(second)).toEqual(['snapshot', 'snapshot', 'snapshot']);
    expect(await reports(second)).toEqual(expected);
    // Answered from the restored stores: none was loaded from the rows since.
    expect(loads(second)).toEqual(['snapshot', 'snapshot', 'snapshot']);
    expect(second.logs.some((line) => line.includes('no usable snapshot'))).toBe(false);

    // A write through the second app moves its mirrors along as usual, and the reports follow it.
    await ok(second, 'POST', '/v1/revenue', [{ id: 'cv5', customerId: 'u2', occurredAt: '2026-03-18T00:00:00Z', amount: '10', currency: 'USD' }]);
    const roi = JSON.parse((await second.call('GET', `/v1/reports/roi?${MARCH}&model=last_touch`)).body);
    // Revenue recorded in March: 300 - 40 + 110 (100 EUR at 1.10) + 50 + 80 + 10 = 510.
    expect(roi.totals.revenue).toBe('510.00');
  });

  it('after a write since the snapshot, the next start reads the rows (SQLite) or restores and catches up (PostgreSQL), and answers right', async () => {
    const db = await freshDb();
    const first = await start(db);
    await seed(first);
    const version = await saved(first);
    await first.close();
    // Snapshots off: this app writes without saving a new one.
    const writer = await start(db, 0);
    await ok(writer, 'POST', '/v1/touchpoints', [{ id: 't9', customerId: 'u3', campaignId: 'A', occurredAt: '2026-03-19T00:00:00Z' }]);
    const expected = await reports(writer);
    await writer.close();

    const next = await start(db);
    if (db.kind === 'sqlite') {
      expect(next.app.mirrorSnapshots.outcome).toEqual({ restored: false, reason: `the snapshot is of data version ${version}, the database is at ${version + 1}` });
      expect(next.logs.filter((line) => line.includes('no usable snapshot'))).toHaveLength(1);
      expect(loads(next)).toEqual(['rows', 'rows', 'rows']);
    } else {
      // The snapshot carries each table's change cursor: the stores are restored one version behind and read only what changed since.
      expect(next.app.mirrorSnapshots.outcome).toEqual({ restored: true, version, behind: 1 });
      expect(loads(next)).toEqual(['snapshot', 'snapshot', 'snapshot']);
    }
    expect(await reports(next)).toEqual(expected);
    if (db.kind === 'postgres') {
      // The touch written since came in by the catch-up, not by a load of the table.
      expect(next.app.touchIndex.fullLoads).toBe(0);
      expect(next.app.touchIndex.catchUps).toBeGreaterThan(0);
    }
  });

  // PostgreSQL only: a SQLite snapshot has no change cursors (it is used only at the exact version), so the sqlite project skips it.
  it.runIf(TEST_STORE === 'postgres')('a snapshot behind the database whose cursor is ahead of the server (another server\'s) is not used: the rows are read', async () => {
    const db = await freshDb();
    if (db.kind !== 'postgres') return;
    const first = await start(db);
    await seed(first);
    await saved(first);
    await first.close();
    // Rewrite the stored header as another server's would read: a touchpoints cursor far ahead of this server's transaction ids.
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      const prefix = (await client.query<{ data: Buffer }>('select data from mirror_snapshots where chunk = 0')).rows[0]!.data;
      const length = prefix.readUInt32LE(8);
      const header = JSON.parse(prefix.subarray(12, 12 + length).toString('utf8')) as { cursors?: Record<string, string> };
      expect(Object.keys(header.cursors ?? {}).sort()).toEqual(['revenue', 'spend', 'touchpoints']);
      header.cursors!.touchpoints = '9000000000000';
      const json = Buffer.from(JSON.stringify(header), 'utf8');
      const rewritten = Buffer.alloc(12 + json.length + ((8 - ((12 + json.length) % 8)) % 8));
      prefix.copy(rewritten, 0, 0, 8);
      rewritten.writeUInt32LE(json.length, 8);
      json.copy(rewritten, 12);
      await client.query('update mirror_snapshots set data = $1 where chunk = 0', [rewritten]);
    } finally {
      await client.end();
    }
    // A write since the snapshot (snapshots off in this app), so that the restore would have to catch up.
    const writer = await start(db, 0);
    await ok(writer, 'POST', '/v1/touchpoints', [{ id: 't9', customerId: 'u3', campaignId: 'A', occurredAt: '2026-03-19T00:00:00Z' }]);
    const expected = await reports(writer);
    await writer.close();

    const next = await start(db);
    const outcome = next.app.mirrorSnapshots.outcome!;
    expect(outcome.restored).toBe(false);
    expect(outcome.restored === false ? outcome.reason : '').toMatch(/^the snapshot's touchpoints cursor 9000000000000 is ahead of the database's/);
    expect(loads(next)).toEqual(['rows', 'rows', 'rows']);
    expect(await reports(next)).toEqual(expected);
  });

  it.each([
    ['cut short', (bytes: Buffer) => bytes.subarray(0, bytes.length - 9)],
    ['with a byte changed', (bytes: Buffer) => Buffer.from(bytes.map((b, i) => (i === bytes.length - 20 ? b ^ 0x40 : b)))],
    ['replaced by garbage', (bytes: Buffer) => Buffer.alloc(bytes.length, 0x5a)],
  ])('a snapshot %s is not used: the rows are read, no crash', async (_name, edit) => {
    const db = await freshDb();
    const first = await start(db);
    await seed(first);
    await saved(first);
    const expected = await reports(first);
    await first.close();
    await damage(db, edit);

    const next = await start(db);
    const outcome = next.app.mirrorSnapshots.outcome!;
    expect(outcome.restored).toBe(false);
    expect(outcome.restored === false && outcome.reason).toMatch(/checksum|truncated|bytes, its header says|missing|not a snapshot|longer/);
    expect(loads(next)).toEqual(['rows', 'rows', 'rows']);
    expect(await reports(next)).toEqual(expected);
  });

  it('a store refusing its parts (they pass their checksums) makes every table read its rows', async () => {
    const db = await freshDb();
    const first = await start(db);
    await seed(first);
    await saved(first);
    const expected = await reports(first);
    // The same label (version, fingerprints) over parts no store can read.
    const repository = mirrorSnapshotRepository(first.app.database)!;
    const stored = (await repository.read())!;
    const { version, fingerprints } = stored.header;
    await stored.close();
    const bogus = await encodeSnapshot({ version, fingerprints }, {
      customers: [new Uint8Array(16)],
      touchpoints: [new Uint8Array([1, 2, 3])],
      revenue: [new Uint8Array(8)],
      spend: [new Uint8Array(8)],
    });
    await first.close();
    if (db.kind === 'sqlite') await rm(`${db.path}.snapshot`, { recursive: true });
    else {
      const client = new pg.Client({ connectionString: db.url });
      await client.connect();
      await client.query('delete from mirror_snapshots');
      await client.end();
    }
    const owner = await start(db, 0);
    expect(await mirrorSnapshotRepository(owner.app.database)!.save(bogus)).toBe(true);
    await owner.close();

    const next = await start(db);
    const outcome = next.app.mirrorSnapshots.outcome!;
    expect(outcome.restored === false && outcome.reason).toMatch(/^a store refused its snapshot parts/);
    expect(loads(next)).toEqual(['rows', 'rows', 'rows']);
    expect(await reports(next)).toEqual(expected);
  });

  it('keeps the snapshot of the highest version when several are saved', async () => {
    const db = await freshDb();
    const s = await start(db, 0);
    const repository = mirrorSnapshotRepository(s.app.database)!;
    const at = (version: number) => encodeSnapshot({ version, fingerprints: {} }, { spend: [new Uint8Array([version])] });
    expect(await repository.save(await at(5))).toBe(true);
    expect(await repository.save(await at(3))).toBe(false);
    expect(await repository.save(await at(5))).toBe(false);
    expect((await repository.read())!.header.version).toBe(5);
    expect(await repository.save(await at(7))).toBe(true);
    const stored = (await repository.read())!;
    expect(stored.header.version).toBe(7);
    expect([...(await stored.body()).subarray(0, 1)]).toEqual([7]);
    await stored.close();
  });
});

describe('SPENDBOOK_SNAPSHOT_QUIET_MS', () => {
  it('defaults to 10 s, takes 0 (off), and refuses anything but whole milliseconds up to a day, naming the variable', () => {
    expect(loadConfig({}).snapshotQuietMs).toBe(10_000);
    expect(loadConfig({ SPENDBOOK_SNAPSHOT_QUIET_MS: '0' }).snapshotQuietMs).toBe(0);
    expect(loadConfig({ SPENDBOOK_SNAPSHOT_QUIET_MS: '86400000' }).snapshotQuietMs).toBe(86_400_000);
    for (const bad of ['-1', '1e3', '2.5', 'soon', '86400001']) {
      expect(() => loadConfig({ SPENDBOOK_SNAPSHOT_QUIET_MS: bad }), bad).toThrow(ConfigError);
      expect(() => loadConfig({ SPENDBOOK_SNAPSHOT_QUIET_MS: bad }), bad).toThrow(/SPENDBOOK_SNAPSHOT_QUIET_MS/);
    }
  });

  it('keeps no snapshot for an in-memory SQLite database, and a file beside a database file', async () => {
    const memory = openSqlite(':memory:');
    expect(mirrorSnapshotRepository(memory)).toBeNull();
    await memory.close();
    const dir = await mkdtemp(join(tmpdir(), 'spendbook-snapshots-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const file = openSqlite(join(dir, 'x.db'));
    expect(mirrorSnapshotRepository(file)!.where).toBe(join(dir, 'x.db.snapshot'));
    await file.close();
  });
});
