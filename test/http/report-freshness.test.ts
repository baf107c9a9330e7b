/**
 * The ROI, attribution, burn and forecast reports are cached (ReportCache); ROI and attribution read
 * touchpoints, revenue and spend from memory (TableMirror). Neither may ever serve data older
 * than the database: every kind of write is followed by a report that must
 * show it, checked against the figure worked by hand, and a write by another
 * connection to the same SQLite file must be seen too (one that moves the
 * data version, as the unit of work does and any writer around the service
 * must: BUMP below).
 *
 * Data: campaigns A and B (paid_search, paid_social); customer u1 touched by
 * A on March 1st, converts for 100 USD on March 2nd.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { campaignItem, makeApp, seedCampaigns, type TestApp } from '../helper.js';

/** What a write around the service adds to its transaction so that every cache sees it. */
const BUMP = 'update data_version set version = version + 1 where id = 1';

const ROI = '/v1/reports/roi?from=2026-03-01&to=2026-03-31&model=last_touch&groupBy=campaign';

let t: TestApp;
let dir: string | null = null;
afterEach(async () => {
  await t?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = null;
});

async function ok(method: 'POST' | 'PUT', url: string, payload: Record<string, unknown>, role: 'ops' | 'finance' | 'admin' = 'admin') {
  const res = await t.call({ method, url, role, payload });
  expect(res.statusCode, res.body).toBe(200);
}

async function seed(dbPath?: string) {
  t = await makeApp(dbPath ? { dbPath } : {});
  await seedCampaigns(t, [campaignItem('A', { name: 'Search', channel: 'paid_search' }), campaignItem('B', { name: 'Social', channel: 'paid_social' })]);
  await ok('POST', '/v1/touchpoints', { items: [{ id: 't1', customerId: 'u1', campaignId: 'A', occurredAt: '2026-03-01T10:00:00Z' }] });
  await ok('POST', '/v1/revenue', { items: [{ id: 'cv1', customerId: 'u1', occurredAt: '2026-03-02T10:00:00Z', amount: '100', currency: 'USD' }] });
}

/** A spend line in USD from the manual source. */
const line = (campaignId: string, date: string, amount: string, reference?: string) => ({ campaignId, date, amount, currency: 'USD', source: 'manual', ...(reference ? { reference } : {}) });

/** Revenue per row name, as printed. */
async function revenueByName(url = ROI): Promise<Record<string, string>> {
  const res = await t.call({ method: 'GET', url });
  expect(res.statusCode, res.body).toBe(200);
  const body = res.json() as { rows: { name: string; revenue: string }[]; totals: { revenue: string } };
  return { ...Object.fromEntries(body.rows.map((row) => [row.name, row.revenue])), total: body.totals.revenue };
}

describe('cached reports are never stale', () => {
  it('serves a repeated report from the cache while nothing changes', async () => {
    await seed();
    const first = await t.call({ method: 'GET', url: ROI });
    const misses = t.app.reportCache.misses;
    const hits = t.app.reportCache.hits;
    const second = await t.call({ method: 'GET', url: ROI });
    expect(second.body).toBe(first.body);
    expect(t.app.reportCache.hits).toBe(hits + 1);
    expect(t.app.reportCache.misses).toBe(misses);
    // A re-sent batch changes nothing, so the cached report stays.
    await ok('POST', '/v1/touchpoints', { items: [{ id: 't1', customerId: 'u1', campaignId: 'A', occurredAt: '2026-03-01T10:00:00Z' }] });
    await t.call({ method: 'GET', url: ROI });
    expect(t.app.reportCache.misses).toBe(misses);
  });

  it('shows a new touchpoint, a moved one, and a refused batch changes nothing', async () => {
    await seed();
    expect(await revenueByName()).toMatchObject({ Search: '100.00', total: '100.00' });
    // A later touch by B, before the conversion: last touch moves to B.
    await ok('POST', '/v1/touchpoints', { items: [{ id: 't2', customerId: 'u1', campaignId: 'B', occurredAt: '2026-03-01T12:00:00Z' }] });
    // (A row with neither spend nor revenue is not printed.)
    expect(await revenueByName()).toEqual({ Social: '100.00', '(unattributed)': '0.00', total: '100.00' });
    // t2 restated to after the conversion: not eligible, back to A.
    await ok('POST', '/v1/touchpoints', { items: [{ id: 't2', customerId: 'u1', campaignId: 'B', occurredAt: '2026-03-03T12:00:00Z' }] });
    expect(await revenueByName()).toEqual({ Search: '100.00', '(unattributed)': '0.00', total: '100.00' });
    // A batch with one bad item writes nothing, and the report does not move.
    const bad = await t.call({
      method: 'POST',
      url: '/v1/touchpoints',
      payload: { items: [{ id: 't3', customerId: 'u1', campaignId: 'B', occurredAt: '2026-03-01T11:00:00Z' }, { id: 't4', customerId: 'u1', campaignId: 'nope', occurredAt: '2026-03-01T11:00:00Z' }] },
    });
    expect(bad.statusCode).toBe(400);
    expect(await revenueByName()).toEqual({ Search: '100.00', '(unattributed)': '0.00', total: '100.00' });
  });

  it('shows new revenue, a refund, spend, a rename and a new FX rate', async () => {
    await seed();
    await ok('POST', '/v1/revenue', { items: [{ id: 'cv2', customerId: 'u1', occurredAt: '2026-03-04T10:00:00Z', amount: '50', currency: 'USD' }] });
    expect(await revenueByName()).toMatchObject({ Search: '150.00', total: '150.00' });
    await ok('POST', '/v1/revenue', { items: [{ id: 'rf1', customerId: 'u1', occurredAt: '2026-03-05T10:00:00Z', amount: '-30', currency: 'USD', refundOf: 'cv1' }] });
    expect(await revenueByName()).toMatchObject({ Search: '120.00', total: '120.00' });

    await ok('POST', '/v1/spend', { items: [{ campaignId: 'A', date: '2026-03-03', amount: '60', currency: 'USD', source: 'manual' }] });
    const res = await t.call({ method: 'GET', url: ROI });
    const row = (res.json() as { rows: { name: string; spend: string; roas: string }[] }).rows.find((r) => r.name === 'Search')!;
    expect(row).toMatchObject({ spend: '60.00', roas: '2.0000' });

    await ok('PUT', '/v1/campaigns/A', { name: 'Search brand', channel: 'paid_search', startDate: '2026-01-01' });
    expect(await revenueByName()).toMatchObject({ 'Search brand': '120.00' });

    // EUR revenue needs a rate: refused until one exists, then converted at it.
    await ok('PUT', '/v1/fx-rates', { items: [{ date: '2026-03-01', currency: 'EUR', rate: '1.10' }] });
    await ok('POST', '/v1/revenue', { items: [{ id: 'cv3', customerId: 'u1', occurredAt: '2026-03-06T10:00:00Z', amount: '10', currency: 'EUR' }] });
    expect(await revenueByName()).toMatchObject({ 'Search brand': '131.00' });
    await ok('PUT', '/v1/fx-rates', { items: [{ date: '2026-03-06', currency: 'EUR', rate: '1.20' }] });
    expect(await revenueByName()).toMatchObject({ 'Search brand': '132.00', total: '132.00' });
  });

  it('sees what another connection wrote to the same file', async () => {
    dir = mkdtempSync(join(tmpdir(), 'spendbook-fresh-'));
    const path = join(dir, 'spendbook.db');
    await seed(path);
    expect(await revenueByName()).toEqual({ Search: '100.00', '(unattributed)': '0.00', total: '100.00' });
    // Another process (here: another connection) adds a later touch by B and a conversion.
    const other = new Database(path);
    other.exec('begin');
    other.prepare('insert into touchpoints (id, customer_id, campaign_id, occurred_at) values (?, ?, ?, ?)').run('t9', 'u1', 'B', Date.parse('2026-03-01T12:00:00Z'));
    // ... a conversion of a customer this process never saw, and a spend line.
    other.prepare('insert into revenue (id, customer_id, occurred_at, amount_micros, currency) values (?, ?, ?, ?, ?)').run('cv9', 'u9', Date.parse('2026-03-09T00:00:00Z'), 7_000_000, 'USD');
    other.prepare(`insert into spend (source, campaign_id, date, reference, amount_micros, currency, version) values ('manual', 'B', '2026-03-09', '', 25000000, 'USD', 1)`).run();
    other.prepare(BUMP).run();
    other.exec('commit');
    other.close();
    expect(await revenueByName()).toEqual({ Social: '100.00', '(unattributed)': '7.00', total: '107.00' });
    const res = await t.call({ method: 'GET', url: ROI });
    expect((res.json() as { totals: { spend: string } }).totals.spend).toBe('25.00');
  });

  it('shows restated spend, in a batch with new lines or alone, and new lines added to a day', async () => {
    await seed();
    const spendTotal = async () => {
      const res = await t.call({ method: 'GET', url: ROI });
      expect(res.statusCode, res.body).toBe(200);
      return (res.json() as { totals: { spend: string } }).totals.spend;
    };
    await ok('POST', '/v1/spend', { items: [line('A', '2026-03-03', '60'), line('B', '2026-03-03', '40')] });
    expect(await spendTotal()).toBe('100.00');
    // A second line on the same day and campaign (another reference) adds to it: 100 + 5.
    await ok('POST', '/v1/spend', { items: [line('A', '2026-03-03', '5', 'inv-2')] });
    expect(await spendTotal()).toBe('105.00');
    // Restated alone: A's first line 60 -> 10, so 10 + 40 + 5.
    await ok('POST', '/v1/spend', { items: [line('A', '2026-03-03', '10')] });
    expect(await spendTotal()).toBe('55.00');
    // Restated beside a new line: B 40 -> 1, and A on March 4th 2: 10 + 1 + 5 + 2.
    await ok('POST', '/v1/spend', { items: [line('B', '2026-03-03', '1'), line('A', '2026-03-04', '2')] });
    expect(await spendTotal()).toBe('18.00');
    // Re-sent unchanged: nothing moves.
    await ok('POST', '/v1/spend', { items: [line('B', '2026-03-03', '1')] });
    expect(await spendTotal()).toBe('18.00');
  });

  it('burn and forecast: cached while nothing changes, fresh after a plan, spend, a restatement or another connection', async () => {
    dir = mkdtempSync(join(tmpdir(), 'spendbook-fresh-'));
    await seed(join(dir, 'spendbook.db'));
    const BURN = '/v1/reports/burn?month=2026-03&asOf=2026-03-10';
    const FORECAST = '/v1/reports/forecast?month=2026-03&asOf=2026-03-10&method=run_rate';
    const totals = async (url: string) => {
      const res = await t.call({ method: 'GET', url });
      expect(res.statusCode, res.body).toBe(200);
      return (res.json() as { totals: Record<string, unknown> }).totals;
    };
    await ok('PUT', '/v1/plans', { items: [{ campaignId: 'A', month: '2026-03', amount: '3100', currency: 'USD' }] });
    await ok('POST', '/v1/spend', { items: [line('A', '2026-03-01', '100')] });
    expect(await totals(BURN)).toMatchObject({ planned: '3100.00', actual: '100.00' });
    expect(await totals(FORECAST)).toMatchObject({ actualToDate: '100.00', forecast: '310.00' }); // 100 x 31 / 10
    const hits = t.app.reportCache.hits;
    await totals(BURN);
    await totals(FORECAST);
    expect(t.app.reportCache.hits).toBe(hits + 2);
    // A new plan, a new line, a restated line: each shows at once.
    await ok('PUT', '/v1/plans', { items: [{ campaignId: 'A', month: '2026-03', amount: '3000', currency: 'USD' }] });
    expect(await totals(BURN)).toMatchObject({ planned: '3000.00' });
    await ok('POST', '/v1/spend', { items: [line('A', '2026-03-02', '50')] });
    expect(await totals(FORECAST)).toMatchObject({ actualToDate: '150.00', forecast: '465.00' }); // 150 x 31 / 10
    await ok('POST', '/v1/spend', { items: [line('A', '2026-03-01', '130')] });
    expect(await totals(BURN)).toMatchObject({ actual: '180.00' });
    expect(await totals(FORECAST)).toMatchObject({ actualToDate: '180.00', forecast: '558.00' }); // 180 x 31 / 10
    // Another connection adds 20.00 on March 3rd.
    const other = new Database(join(dir, 'spendbook.db'));
    other.transaction(() => {
      other.prepare(`insert into spend (source, campaign_id, date, reference, amount_micros, currency, version) values ('manual', 'B', '2026-03-03', '', 20000000, 'USD', 1)`).run();
      other.prepare(BUMP).run();
    })();
    other.close();
    expect(await totals(BURN)).toMatchObject({ actual: '200.00' });
    expect(await totals(FORECAST)).toMatchObject({ actualToDate: '200.00', forecast: '620.00' }); // 200 x 31 / 10
  });
});
