/**
 * Parity: the same data in both stores gives the same answers, byte for
 * byte. The demo data set (campaigns, plans, commitments, FX rates, spend,
 * touchpoints, revenue, saved forecasts, closed months) is loaded into a
 * SQLite app and a PostgreSQL app with the same clock, then every report
 * (each model, grouping and format), every list (every page) and every
 * export is asked of both and compared.
 *
 * Only what is random by design is set aside: API key ids and saved
 * forecasts' ids are made from random bytes, so each app's are replaced by
 * stable names before comparing (both are still compared in place).
 */
import { inflateRawSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/app.js';
import type { DbConfig } from '../../src/config.js';
import { loadDemo } from '../../fixtures/demo/load.js';
import { dropPgDatabase, freshPgUrl } from '../pg-db.js';

const ADMIN = 'sb_parity_admin_key_0123456789abcdef';
const NOW = new Date('2026-03-15T12:00:00Z');

interface Side {
  app: FastifyInstance;
  /** Random ids of this app, and the stable name each stands for. */
  names: Map<string, string>;
}

async function side(db: DbConfig): Promise<Side> {
  const app = await buildApp(
    { port: 0, host: '127.0.0.1', db, adminKey: ADMIN, logLevel: 'silent', rateLimit: 1_000_000 },
    { now: () => NOW, announceAdminKey: () => undefined },
  );
  const result = await loadDemo(app);
  if (!result.loaded) throw new Error(`the demo did not load: ${result.reason}`);
  const names = new Map<string, string>();
  for (const key of await app.apiKeys.list()) names.set(key.id, `<key ${key.name}>`);
  const snapshots = (await get(app, '/v1/forecasts?limit=10000')).json() as { items: { id: string; name: string }[] };
  for (const snapshot of snapshots.items) names.set(snapshot.id, `<forecast ${snapshot.name}>`);
  return { app, names };
}

function get(app: FastifyInstance, url: string) {
  return app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${ADMIN}` } });
}

/**
 * An XLSX (a ZIP file) as the text of its entries, by name: the archiver
 * stamps entries with the clock at writing, which two answers a second
 * apart do not share, and a saved forecast's random id may appear in a
 * cell. Read through the central directory, so entries written with data
 * descriptors are found too.
 */
function xlsxEntries(zip: Buffer): string {
  const end = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  if (end < 0) throw new Error('not a ZIP file');
  const entries: string[] = [];
  let at = zip.readUInt32LE(end + 16);
  for (let n = zip.readUInt16LE(end + 10); n > 0; n--) {
    const method = zip.readUInt16LE(at + 10);
    const size = zip.readUInt32LE(at + 20);
    const nameLength = zip.readUInt16LE(at + 28);
    const skip = nameLength + zip.readUInt16LE(at + 30) + zip.readUInt16LE(at + 32);
    const name = zip.toString('utf8', at + 46, at + 46 + nameLength);
    const local = zip.readUInt32LE(at + 42);
    const data = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
    const raw = zip.subarray(data, data + size);
    entries.push(`${name}\n${(method === 8 ? inflateRawSync(raw) : raw).toString('utf8')}`);
    at += 46 + skip;
  }
  return entries.sort().join('\n');
}

/** The answer as text with the app's random ids named (an XLSX as its entries' text). */
function normalized(body: Buffer, names: Map<string, string>, xlsx: boolean): string {
  let text = xlsx ? xlsxEntries(body) : body.toString('utf8');
  for (const [id, name] of names) text = text.split(id).join(name);
  return text;
}

let sqlite: Side;
let postgres: Side;
let pgUrl: string;

beforeAll(async () => {
  pgUrl = await freshPgUrl();
  [sqlite, postgres] = [await side({ kind: 'sqlite', path: ':memory:' }), await side({ kind: 'postgres', url: pgUrl })];
}, 300_000);

afterAll(async () => {
  await sqlite?.app.close();
  await postgres?.app.close();
  if (pgUrl) await dropPgDatabase(pgUrl);
});

const MODELS = ['first_touch', 'last_touch', 'linear', 'time_decay', 'position_based', 'data_driven'];
const FORMATS = ['json', 'csv', 'xlsx'];

/** Every report the demo's months can answer, in every format. */
function reportUrls(snapshotIds: string[]): string[] {
  const urls: string[] = [];
  for (const format of FORMATS) {
    for (const month of ['2026-01', '2026-02', '2026-03']) {
      for (const groupBy of ['campaign', 'channel']) {
        urls.push(`/v1/reports/burn?month=${month}&asOf=${month === '2026-03' ? '2026-03-15' : `${month}-28`}&groupBy=${groupBy}&format=${format}`);
      }
      for (const method of ['run_rate', 'trailing_7d', 'linear_trend']) {
        urls.push(`/v1/reports/forecast?month=${month}&asOf=${month}-10&method=${method}&format=${format}`);
      }
    }
    urls.push(`/v1/reports/budget-forecast-actual?from=2026-01&to=2026-03&format=${format}`);
    for (const model of MODELS) {
      for (const groupBy of ['campaign', 'channel', 'month']) urls.push(`/v1/reports/roi?from=2026-01-01&to=2026-03-31&model=${model}&groupBy=${groupBy}&format=${format}`);
    }
    urls.push(`/v1/reports/attribution?from=2026-01-01&to=2026-03-31&models=${MODELS.join(',')}&format=${format}`);
    for (const id of snapshotIds) urls.push(`/v1/reports/forecast-vs-actual?snapshot=${id}&format=${format}`);
  }
  return urls;
}

const LISTS = [
  '/v1/campaigns',
  '/v1/plans',
  '/v1/plans/history',
  '/v1/commitments',
  '/v1/fx-rates',
  '/v1/spend',
  '/v1/touchpoints',
  '/v1/revenue',
  '/v1/periods',
  '/v1/forecasts',
  '/v1/audit',
  '/v1/api-keys',
  '/v1/settings',
];

/** Every page of a list, in pages of 2,000 (the cursors are compared too). */
async function allPages(s: Side, path: string): Promise<string[]> {
  const pages: string[] = [];
  let cursor: string | null = null;
  for (let guard = 0; guard < 1_000; guard++) {
    const separator = path.includes('?') ? '&' : '?';
    const url = path === '/v1/settings' || path === '/v1/api-keys' || path === '/v1/periods' ? path : `${path}${separator}limit=2000${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
    const res = await get(s.app, url);
    pages.push(`${res.statusCode} ${normalized(res.rawPayload, s.names, false)}`);
    cursor = (res.json() as { nextCursor?: string | null }).nextCursor ?? null;
    if (!cursor) return pages;
  }
  throw new Error(`${path}: more than 1,000 pages`);
}

describe('the same data in SQLite and PostgreSQL', () => {
  it('holds the same ids of keys and saved forecasts, under the same names', () => {
    expect([...postgres.names.values()].sort()).toEqual([...sqlite.names.values()].sort());
  });

  it('gives every list, every page, byte for byte', async () => {
    for (const path of LISTS) {
      const [a, b] = [await allPages(sqlite, path), await allPages(postgres, path)];
      expect(b, path).toEqual(a);
      expect(a[0]!.startsWith('200 '), `${path}: ${a[0]!.slice(0, 300)}`).toBe(true);
    }
  });

  it('gives every report, in JSON, CSV and XLSX, byte for byte', async () => {
    const ids = [...sqlite.names.entries()].filter(([id]) => id.startsWith('fcs_'));
    const idOf = (s: Side, name: string) => [...s.names.entries()].find(([, n]) => n === name)![0];
    let compared = 0;
    for (const url of reportUrls(ids.map(([, name]) => name))) {
      const [a, b] = [await get(sqlite.app, url.replace(/<forecast [^>]*>/, (n) => idOf(sqlite, n))), await get(postgres.app, url.replace(/<forecast [^>]*>/, (n) => idOf(postgres, n)))];
      const binary = url.endsWith('format=xlsx');
      expect(a.statusCode, `${url}: ${a.body.slice(0, 300)}`).toBe(200);
      expect(`${b.statusCode} ${normalized(b.rawPayload, postgres.names, binary)}`, url).toBe(`${a.statusCode} ${normalized(a.rawPayload, sqlite.names, binary)}`);
      compared++;
    }
    // 3 formats x (3 months x (2 burn + 3 forecast) + 1 + 6 models x 3 groupings + 1 + the saved forecasts)
    expect(compared).toBe(3 * (15 + 1 + 18 + 1 + ids.length));
  });
});
