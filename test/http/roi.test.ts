/**
 * GET /v1/reports/roi and /v1/reports/attribution over HTTP, on a small data
 * set whose every figure is worked by hand below.
 *
 * Base currency USD. EUR is 1.10 from March 1st, 1.20 from March 15th.
 * Campaigns: A (paid_search), B (paid_social), C (email), D (paid_search).
 *
 * Spend: A 400 USD on Feb 10th (outside March), 100 + 100 USD in March;
 * B 100 EUR on March 10th = 110.00; C none; D 90 USD on March 3rd.
 * March spend: A 200, B 110, C 0, D 90 = 400.
 *
 * Journeys (lookback 90 days):
 *   u1: A Mar 1 10:00, B Mar 3 10:00, C Mar 5 10:00; cv1 Mar 5 10:00, 300 USD
 *       (the touch at the conversion's instant is eligible).
 *   u2: B Mar 15 00:00; cv2 Mar 16 12:00, 100 EUR at 1.20 = 120.00.
 *   u3: no touch; cv3 Mar 20, 50 USD: (unattributed).
 *   u4: A 2025-10-01 (outside the 90 days), C Mar 24; cv4 Mar 25 00:00, 80 USD;
 *       A Mar 26 (after the conversion, not eligible).
 *   u5: A Feb 20; cv5 Feb 25, 200 USD (before March); refund r5 on Mar 5, -50 USD,
 *       split as cv5: all to A.
 * March revenue recorded: 300 + 120 + 50 + 80 - 50 = 500.00; conversions 4.
 *
 * Per model (revenue; conversions), March:
 *   first_touch     A 300-50 = 250 (1)   B 120 (1)          C 80 (1)          D 0   unattributed 50 (1)
 *   last_touch      A -50 (0)            B 120 (1)          C 300+80=380 (2)  D 0   unattributed 50 (1)
 *   linear          A 100-50 = 50 (1/3)  B 100+120=220 (4/3) C 100+80=180 (4/3) D 0  unattributed 50 (1)
 *   position_based  A 120-50 = 70 (0.4)  B 60+120=180 (1.2) C 120+80=200 (1.4) D 0   unattributed 50 (1)
 *   time_decay, halfLifeDays 2: cv1's ages 4, 2, 0 days weigh 1/4, 1/2, 1, shares 1/7, 2/7, 4/7:
 *                   A 42.857142..-50 = -7.142857.. (1/7)  B 85.714285..+120 = 205.714285.. (1+2/7)
 *                   C 171.428571..+80 = 251.428571.. (1+4/7)  unattributed 50 (1)
 *     cents by largest remainder: floors -7.15, 205.71, 251.42, 50.00 = 499.98; the two cents owed
 *     go to C (.00857) and A (.00714): -7.14, 205.71, 251.43, 50.00 = 500.00.
 *     conversions: floors 0.1428, 1.2857, 1.5714, 1 = 3.9999; the unit owed goes to A (.0000571): 0.1429.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { campaignItem, errorPaths, makeApp, parseCsv, problemOf, seedCampaigns, type TestApp } from '../helper.js';

let t: TestApp;
beforeAll(async () => {
  t = await makeApp();
  await seedCampaigns(t, [
    campaignItem('A', { name: 'Search brand', channel: 'paid_search' }),
    campaignItem('B', { name: 'Social', channel: 'paid_social' }),
    campaignItem('C', { name: 'Newsletter', channel: 'email' }),
    campaignItem('D', { name: 'Search generic', channel: 'paid_search' }),
  ]);
  const ok = async (method: 'POST' | 'PUT', url: string, items: unknown[], role: 'ops' | 'finance' = 'ops') => {
    const res = await t.call({ method, url, role, payload: { items } });
    expect(res.statusCode, res.body).toBe(200);
  };
  await ok('PUT', '/v1/fx-rates', [
    { date: '2026-03-01', currency: 'EUR', rate: '1.10' },
    { date: '2026-03-15', currency: 'EUR', rate: '1.20' },
  ], 'finance');
  const spend = (campaignId: string, date: string, amount: string, currency = 'USD') => ({ campaignId, date, amount, currency, source: 'manual' });
  await ok('POST', '/v1/spend', [
    spend('A', '2026-02-10', '400'),
    spend('A', '2026-03-02', '100'),
    spend('A', '2026-03-20', '100'),
    spend('B', '2026-03-10', '100', 'EUR'),
    spend('D', '2026-03-03', '90'),
  ]);
  const touch = (id: string, customerId: string, campaignId: string, occurredAt: string) => ({ id, customerId, campaignId, occurredAt });
  await ok('POST', '/v1/touchpoints', [
    touch('t1', 'u1', 'A', '2026-03-01T10:00:00Z'),
    touch('t2', 'u1', 'B', '2026-03-03T10:00:00Z'),
    touch('t3', 'u1', 'C', '2026-03-05T10:00:00Z'),
    touch('t4', 'u2', 'B', '2026-03-15T00:00:00Z'),
    touch('t5', 'u4', 'A', '2025-10-01T00:00:00Z'),
    touch('t6', 'u4', 'C', '2026-03-24T00:00:00Z'),
    touch('t7', 'u4', 'A', '2026-03-26T00:00:00Z'),
    touch('t8', 'u5', 'A', '2026-02-20T00:00:00Z'),
  ]);
  const revenue = (id: string, customerId: string, occurredAt: string, amount: string, currency = 'USD', refundOf?: string) => ({ id, customerId, occurredAt, amount, currency, ...(refundOf ? { refundOf } : {}) });
  await ok('POST', '/v1/revenue', [
    revenue('cv1', 'u1', '2026-03-05T10:00:00Z', '300'),
    revenue('cv2', 'u2', '2026-03-16T12:00:00Z', '100', 'EUR'),
    revenue('cv3', 'u3', '2026-03-20T08:00:00Z', '50'),
    revenue('cv4', 'u4', '2026-03-25T00:00:00Z', '80'),
    revenue('cv5', 'u5', '2026-02-25T00:00:00Z', '200'),
  ]);
  await ok('POST', '/v1/revenue', [revenue('r5', 'u5', '2026-03-05T00:00:00Z', '-50', 'USD', 'cv5')]);
});
afterAll(() => t.close());

const MARCH = 'from=2026-03-01&to=2026-03-31';
const get = (path: string, query: string, role: 'viewer' | 'ops' | 'admin' | null = 'viewer') => t.call({ method: 'GET', url: `/v1/reports/${path}?${query}`, role });

type Row = Record<string, unknown>;

/** The printed amounts of a column, summed exactly in hundredths (or ten-thousandths), must give the printed total. */
function expectColumnsAddUp(rows: Row[], totals: Row, columns: [string, number][]) {
  for (const [column, scale] of columns) {
    const units = (text: unknown) => {
      expect(String(text)).toMatch(new RegExp(`^-?\\d+\\.\\d{${scale}}$`));
      return BigInt(String(text).replace('.', ''));
    };
    const sum = rows.reduce((acc, row) => acc + units(row[column]), 0n);
    expect(sum, column).toBe(units(totals[column]));
  }
}

/** Per row key: [revenue, conversions]. */
const figuresBy = (rows: Row[], key: string) => Object.fromEntries(rows.map((row) => [String(row[key]), [row.revenue, row.conversions]]));

describe('GET /v1/reports/roi by campaign', () => {
  it('computes the linear model (the default) as worked by hand', async () => {
    const res = await get('roi', MARCH);
    expect(res.statusCode, res.body).toBe(200);
    const report = res.json();
    expect(report).toMatchObject({ report: 'roi', model: 'linear', currency: 'USD', groupBy: 'campaign', from: '2026-03-01', to: '2026-03-31', lookbackDays: 90, halfLifeDays: 7 });
    // Conversions 1/3, 4/3, 4/3, 0, 1 floor to 3.9999. The engine splits cv1 into 10^12 units exactly, its
    // leftover unit to the earlier touch (A: 333333333334), so A has the largest remainder and takes the unit owed.
    // A: roas 50/200, roi -150/200, cpa 200/(1/3). B: 220/110, 110/110, 110/(4/3). C and the unattributed row: no spend.
    // D: no conversions, so no cpa. Totals: 500/400, 100/400, 400/4.
    expect(report.rows).toEqual([
      { campaignId: 'A', name: 'Search brand', channel: 'paid_search', currency: 'USD', spend: '200.00', revenue: '50.00', conversions: '0.3334', roas: '0.2500', roi: '-0.7500', cpa: '600.0000' },
      { campaignId: 'B', name: 'Social', channel: 'paid_social', currency: 'USD', spend: '110.00', revenue: '220.00', conversions: '1.3333', roas: '2.0000', roi: '1.0000', cpa: '82.5000' },
      { campaignId: 'C', name: 'Newsletter', channel: 'email', currency: 'USD', spend: '0.00', revenue: '180.00', conversions: '1.3333', roas: null, roi: null, cpa: '0.0000' },
      { campaignId: 'D', name: 'Search generic', channel: 'paid_search', currency: 'USD', spend: '90.00', revenue: '0.00', conversions: '0.0000', roas: '0.0000', roi: '-1.0000', cpa: null },
      { campaignId: null, name: '(unattributed)', channel: null, currency: 'USD', spend: '0.00', revenue: '50.00', conversions: '1.0000', roas: null, roi: null, cpa: '0.0000' },
    ]);
    expect(report.totals).toEqual({ currency: 'USD', spend: '400.00', revenue: '500.00', conversions: '4.0000', roas: '1.2500', roi: '0.2500', cpa: '100.0000' });
  });

  it.each([
    ['first_touch', { A: ['250.00', '1.0000'], B: ['120.00', '1.0000'], C: ['80.00', '1.0000'], D: ['0.00', '0.0000'], null: ['50.00', '1.0000'] }],
    ['last_touch', { A: ['-50.00', '0.0000'], B: ['120.00', '1.0000'], C: ['380.00', '2.0000'], D: ['0.00', '0.0000'], null: ['50.00', '1.0000'] }],
    ['position_based', { A: ['70.00', '0.4000'], B: ['180.00', '1.2000'], C: ['200.00', '1.4000'], D: ['0.00', '0.0000'], null: ['50.00', '1.0000'] }],
    ['time_decay', { A: ['-7.14', '0.1429'], B: ['205.71', '1.2857'], C: ['251.43', '1.5714'], D: ['0.00', '0.0000'], null: ['50.00', '1.0000'] }],
  ])('computes %s as worked by hand, the refund netted from A', async (model, expected) => {
    const res = await get('roi', `${MARCH}&model=${model}&halfLifeDays=2`);
    expect(res.statusCode, res.body).toBe(200);
    const report = res.json();
    expect(figuresBy(report.rows, 'campaignId')).toEqual(expected);
    expect(report.totals).toMatchObject({ spend: '400.00', revenue: '500.00', conversions: '4.0000' });
    expectColumnsAddUp(report.rows, report.totals, [['spend', 2], ['revenue', 2], ['conversions', 4]]);
  });

  it('computes data_driven from removal effects worked by hand', async () => {
    /*
     * Converting paths: cv1 A > B > C, cv2 B, cv4 C (cv3 has no touch; the refund makes no path).
     * Non-converting: u4's A on Mar 26, after its last conversion (u5 has no touch in March).
     * start: A 2/4, B 1/4, C 1/4; A: B 1/2, null 1/2; B: C 1/2, conversion 1/2; C: conversion 1.
     * p(C) = 1, p(B) = 1, p(A) = 1/2, P = 2/4 x 1/2 + 1/4 + 1/4 = 3/4.
     * Without A: P = 1/2, RE 1/3. Without B: p(A) = 0, P = 1/4, RE 2/3.
     * Without C: p(B) = 1/2, p(A) = 1/4, P = 1/8 + 1/8 = 1/4, RE 2/3. Weights 1/5, 2/5, 2/5.
     * Attributed: cv1 300 + cv2 120 + cv4 80 + r5 -50 = 450 and 3 conversions:
     * A 90 (0.6), B 180 (1.2), C 180 (1.2); unattributed 50 (1).
     */
    const res = await get('roi', `${MARCH}&model=data_driven`);
    expect(res.statusCode, res.body).toBe(200);
    const report = res.json();
    expect(figuresBy(report.rows, 'campaignId')).toEqual({
      A: ['90.00', '0.6000'],
      B: ['180.00', '1.2000'],
      C: ['180.00', '1.2000'],
      D: ['0.00', '0.0000'],
      null: ['50.00', '1.0000'],
    });
    expect(report.totals).toMatchObject({ revenue: '500.00', conversions: '4.0000' });
  });

  it('leaves touches outside a shorter lookback out', async () => {
    // lookbackDays=3: cv1 (Mar 5 10:00) sees B (2 days before) and C, not A (4 days); cv5's A (5 days before it)
    // is out too, so its refund r5 goes to the unattributed row: -50 of revenue, no conversion.
    const res = await get('roi', `${MARCH}&lookbackDays=3`);
    const report = res.json();
    // linear: B 150+120 = 270 (1.5), C 150+80 = 230 (1.5), unattributed 50 - 50 = 0 (1), A 0.
    expect(figuresBy(report.rows, 'campaignId')).toEqual({
      A: ['0.00', '0.0000'],
      B: ['270.00', '1.5000'],
      C: ['230.00', '1.5000'],
      D: ['0.00', '0.0000'],
      null: ['0.00', '1.0000'],
    });
  });
});

describe('GET /v1/reports/roi by channel and by month', () => {
  it('groups by channel, the unattributed row last', async () => {
    // linear: paid_search = A + D: spend 290, revenue 50, conversions 1/3: roas 50/290 = 0.1724, roi -240/290 = -0.8276, cpa 870.
    // Conversions 4/3, 1/3, 4/3, 1 floor to 3.9999: the unit owed goes to paid_search, whose A holds cv1's leftover unit.
    const report = (await get('roi', `${MARCH}&groupBy=channel`)).json();
    expect(report.rows).toEqual([
      { channel: 'email', currency: 'USD', spend: '0.00', revenue: '180.00', conversions: '1.3333', roas: null, roi: null, cpa: '0.0000' },
      { channel: 'paid_search', currency: 'USD', spend: '290.00', revenue: '50.00', conversions: '0.3334', roas: '0.1724', roi: '-0.8276', cpa: '870.0000' },
      { channel: 'paid_social', currency: 'USD', spend: '110.00', revenue: '220.00', conversions: '1.3333', roas: '2.0000', roi: '1.0000', cpa: '82.5000' },
      { channel: null, currency: 'USD', spend: '0.00', revenue: '50.00', conversions: '1.0000', roas: null, roi: null, cpa: '0.0000' },
    ]);
    expect(report.totals).toMatchObject({ spend: '400.00', revenue: '500.00', conversions: '4.0000' });
  });

  it('groups by month: what was spent and recorded in each, the refund in its own month', async () => {
    // February: spend A 400, cv5 200 (1). March: spend 400, revenue 500 (4).
    // Totals: 800, 700, 5: roas 0.875, roi -0.125, cpa 160.
    const report = (await get('roi', 'from=2026-02-01&to=2026-03-31&groupBy=month&model=first_touch')).json();
    expect(report.rows).toEqual([
      { month: '2026-02', currency: 'USD', spend: '400.00', revenue: '200.00', conversions: '1.0000', roas: '0.5000', roi: '-0.5000', cpa: '400.0000' },
      { month: '2026-03', currency: 'USD', spend: '400.00', revenue: '500.00', conversions: '4.0000', roas: '1.2500', roi: '0.2500', cpa: '100.0000' },
    ]);
    expect(report.totals).toEqual({ currency: 'USD', spend: '800.00', revenue: '700.00', conversions: '5.0000', roas: '0.8750', roi: '-0.1250', cpa: '160.0000' });
  });

  it('answers CSV with the JSON fields and the TOTAL row last', async () => {
    const res = await get('roi', `${MARCH}&format=csv`);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/csv/);
    const rows = parseCsv(res.body);
    expect(rows[0]).toEqual(['campaignId', 'name', 'channel', 'currency', 'spend', 'revenue', 'conversions', 'roas', 'roi', 'cpa']);
    // The unattributed row names itself in its group columns (null in JSON): an empty cell read as a nameless campaign.
    expect(rows[5]).toEqual(['(unattributed)', '(unattributed)', '(unattributed)', 'USD', '0.00', '50.00', '1.0000', '', '', '0.0000']);
    expect(rows[6]).toEqual(['TOTAL', '', '', 'USD', '400.00', '500.00', '4.0000', '1.2500', '0.2500', '100.0000']);
    expect(rows).toHaveLength(7);
  });
});

describe('GET /v1/reports/attribution', () => {
  it('puts the models side by side, spend once per row, in the order asked', async () => {
    const res = await get('attribution', `${MARCH}&models=last_touch,first_touch,data_driven`);
    expect(res.statusCode, res.body).toBe(200);
    const report = res.json();
    expect(report.models).toEqual(['last_touch', 'first_touch', 'data_driven']);
    const a = report.rows[0];
    expect(a).toEqual({
      campaignId: 'A',
      name: 'Search brand',
      channel: 'paid_search',
      currency: 'USD',
      spend: '200.00',
      models: {
        last_touch: { revenue: '-50.00', conversions: '0.0000', roas: '-0.2500', roi: '-1.2500', cpa: null },
        first_touch: { revenue: '250.00', conversions: '1.0000', roas: '1.2500', roi: '0.2500', cpa: '200.0000' },
        data_driven: { revenue: '90.00', conversions: '0.6000', roas: '0.4500', roi: '-0.5500', cpa: '333.3333' },
      },
    });
    expect(report.totals.spend).toBe('400.00');
    for (const model of report.models) {
      expect(report.totals.models[model]).toEqual({ revenue: '500.00', conversions: '4.0000', roas: '1.2500', roi: '0.2500', cpa: '100.0000' });
      const rows = report.rows.map((row: Row & { models: Record<string, Row> }) => ({ spend: row.spend, ...row.models[model] }));
      expectColumnsAddUp(rows, { spend: report.totals.spend, ...report.totals.models[model] }, [['spend', 2], ['revenue', 2], ['conversions', 4]]);
    }
  });

  it('gives every model the same figures as /v1/reports/roi', async () => {
    const all = (await get('attribution', `${MARCH}&groupBy=channel&halfLifeDays=2`)).json();
    expect(all.models).toEqual(['first_touch', 'last_touch', 'linear', 'time_decay', 'position_based', 'data_driven']);
    for (const model of all.models) {
      const single = (await get('roi', `${MARCH}&groupBy=channel&halfLifeDays=2&model=${model}`)).json();
      const { spend: _spend, ...totals } = single.totals;
      delete totals.currency;
      expect(all.totals.models[model], model).toEqual(totals);
      single.rows.forEach((row: Row, i: number) => {
        const { currency: _c, channel: _ch, spend, ...figures } = row;
        expect(all.rows[i].spend).toBe(spend);
        expect(all.rows[i].models[model], `${model} ${String(row.channel)}`).toEqual(figures);
      });
    }
  });

  it('answers CSV with <model>.<field> columns and the TOTAL row last', async () => {
    const res = await get('attribution', `${MARCH}&models=linear,first_touch&groupBy=channel&format=csv`);
    expect(res.statusCode).toBe(200);
    const rows = parseCsv(res.body);
    expect(rows[0]).toEqual([
      'channel', 'currency', 'spend',
      'linear.revenue', 'linear.conversions', 'linear.roas', 'linear.roi', 'linear.cpa',
      'first_touch.revenue', 'first_touch.conversions', 'first_touch.roas', 'first_touch.roi', 'first_touch.cpa',
    ]);
    expect(rows[2]).toEqual(['paid_search', 'USD', '290.00', '50.00', '0.3334', '0.1724', '-0.8276', '870.0000', '250.00', '1.0000', '0.8621', '-0.1379', '290.0000']);
    expect(rows.at(-2)![0]).toBe('(unattributed)'); // by channel too
    expect(rows.at(-1)).toEqual(['TOTAL', 'USD', '400.00', '500.00', '4.0000', '1.2500', '0.2500', '100.0000', '500.00', '4.0000', '1.2500', '0.2500', '100.0000']);
    expect(rows).toHaveLength(6);
  });
});

describe('parameters and roles', () => {
  it.each([
    ['roi', `${MARCH}&model=last_click`, ['model']],
    ['roi', `${MARCH}&lookbackDays=-1`, ['lookbackDays']],
    ['roi', `${MARCH}&lookbackDays=0`, ['lookbackDays']],
    ['roi', `${MARCH}&lookbackDays=1.5`, ['lookbackDays']],
    ['roi', `${MARCH}&lookbackDays=3651`, ['lookbackDays']],
    ['roi', `${MARCH}&halfLifeDays=0`, ['halfLifeDays']],
    ['roi', `${MARCH}&halfLifeDays=abc`, ['halfLifeDays']],
    ['roi', `${MARCH}&halfLifeDays=1e-320`, ['halfLifeDays']],
    ['roi', 'from=2026-04-01&to=2026-03-31', ['from']],
    ['roi', 'from=2023-01-01&to=2026-03-31', ['to']],
    ['roi', 'to=2026-03-31', ['from']],
    ['roi', 'from=2026-02-30&to=2026-03-31', ['from']],
    ['roi', `${MARCH}&groupBy=week`, ['groupBy']],
    ['roi', `${MARCH}&format=pdf`, ['format']],
    ['attribution', `${MARCH}&models=linear,last_click`, ['models']],
    ['attribution', `${MARCH}&models=`, ['models']],
    ['attribution', 'from=2026-04-01&to=2026-03-31', ['from']],
  ])('/v1/reports/%s refuses %s with a 400', async (path, query, paths) => {
    expect(errorPaths(await get(path, query))).toEqual(paths);
  });

  it('takes fractional half-lives and a three-year range', async () => {
    expect((await get('roi', `${MARCH}&model=time_decay&halfLifeDays=0.5`)).statusCode).toBe(200);
    expect((await get('roi', 'from=2023-04-01&to=2026-03-31')).statusCode).toBe(200);
  });

  it('lets a viewer read, and refuses a request without a key', async () => {
    for (const path of ['roi', 'attribution']) {
      expect((await get(path, MARCH, 'viewer')).statusCode).toBe(200);
      problemOf(await get(path, MARCH, null), 401);
    }
  });
});

// Last: it adds data the figures above do not expect.
describe('a missing FX rate', () => {
  it('is a 422 naming each missing (currency, date), for spend and for revenue', async () => {
    const ok = async (url: string, items: unknown[]) => expect((await t.call({ method: 'POST', url, role: 'ops', payload: { items } })).statusCode).toBe(200);
    await ok('/v1/spend', [{ campaignId: 'A', date: '2026-03-27', amount: '1000', currency: 'JPY', source: 'manual' }]);
    await ok('/v1/revenue', [{ id: 'cv9', customerId: 'u9', occurredAt: '2026-03-28T23:59:00Z', amount: '10', currency: 'GBP' }]);
    for (const path of ['roi', 'attribution']) {
      const problem = problemOf(await get(path, MARCH), 422, 'fx_rate_missing');
      expect(problem.missingRates).toEqual([
        { currency: 'GBP', date: '2026-03-28' },
        { currency: 'JPY', date: '2026-03-27' },
      ]);
    }
  });
});
