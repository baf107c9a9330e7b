/**
 * Golden cases of the burn report, worked by hand: the arithmetic of every
 * expected number is in the comment beside it. Most go through the HTTP API
 * (campaigns, plans, commitments, FX rates and spend loaded through the real
 * endpoints); the edges of the pure calculator are pinned on computeBurn.
 *
 * Base currency USD (2 minor digits), pacing tolerance 0.10 unless a test
 * changes it. Ratios print to 4 places, amounts to cents, half-even.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { burnStatus, computeBurn, exhaustionDate, type BurnFigures } from '../src/domain/burn.js';
import { Decimal, formatFraction, fractionOf, ratio } from '../src/domain/money.js';
import { periodOfMonths } from '../src/domain/periods.js';
import { makeApp, parseCsv as readCsv, type TestApp } from './helper.js';

// ---------------------------------------------------------------- fixtures

interface Seed {
  campaigns?: { id: string; channel: string; name?: string }[];
  plans?: { campaignId: string; month: string; amount: string; currency?: string }[];
  commitments?: { id: string; campaignId: string; month: string; amount: string; currency?: string; status?: 'open' | 'closed' }[];
  rates?: { date: string; currency: string; rate: string }[];
  spend?: { campaignId: string; date: string; amount: string; currency?: string }[];
}

let current: TestApp | null = null;
afterEach(async () => {
  await current?.close();
  current = null;
});

async function send(t: TestApp, method: 'POST' | 'PUT', url: string, items: unknown[]) {
  const response = await t.call({ method, url, payload: { items } });
  expect(response.statusCode, `${method} ${url}: ${response.body}`).toBe(200);
  return response.json() as { inserted: number; updated: number; unchanged: number };
}

/** A fresh app with the seed loaded through the real endpoints. */
async function appWith(seed: Seed): Promise<TestApp> {
  const t = (current = await makeApp());
  if (seed.campaigns?.length) {
    await send(
      t,
      'POST',
      '/v1/campaigns',
      seed.campaigns.map((c) => ({ id: c.id, name: c.name ?? `Campaign ${c.id}`, channel: c.channel, startDate: '2026-01-01' })),
    );
  }
  if (seed.rates?.length) await send(t, 'PUT', '/v1/fx-rates', seed.rates);
  if (seed.plans?.length) await send(t, 'PUT', '/v1/plans', seed.plans.map((p) => ({ currency: 'USD', ...p })));
  if (seed.commitments?.length) {
    await send(t, 'POST', '/v1/commitments', seed.commitments.map((c) => ({ currency: 'USD', status: 'open', ...c })));
  }
  if (seed.spend?.length) {
    // Distinct references, so that two lines of one campaign and day are two lines.
    await send(
      t,
      'POST',
      '/v1/spend',
      seed.spend.map((s, i) => ({ currency: 'USD', source: 'manual', reference: `line-${i}`, ...s })),
    );
  }
  return t;
}

/** A report row's figures, as the burn calculator types them. */
type Figures = BurnFigures & { currency: string };
type Row = Figures & { campaignId?: string; name?: string; channel: string };
interface Report {
  report: 'burn';
  currency: string;
  groupBy: string;
  from: string;
  to: string;
  periodStart: string;
  periodEnd: string;
  asOf: string;
  rows: Row[];
  totals: Figures;
}

async function burn(t: TestApp, query: string): Promise<Report> {
  const response = await t.call({ method: 'GET', url: `/v1/reports/burn?${query}`, role: 'viewer' });
  expect(response.statusCode, response.body).toBe(200);
  expect(response.headers['content-type']).toMatch(/^application\/json/);
  return response.json() as Report;
}

function row(report: Report, campaignId: string): Row {
  const found = report.rows.find((r) => r.campaignId === campaignId);
  if (!found) throw new Error(`no row for ${campaignId} in ${JSON.stringify(report.rows.map((r) => r.campaignId))}`);
  return found;
}

const AMOUNT_COLUMNS = ['planned', 'committed', 'actual', 'remaining', 'available', 'expectedToDate'] as const;

/** Every amount column of the printed rows adds up, to the cent, to the printed total. */
function expectRowsAddUp(report: Report) {
  for (const column of AMOUNT_COLUMNS) {
    const sum = report.rows.reduce((acc, r) => acc.plus(r[column]), new Decimal(0));
    expect(sum.toFixed(2), column).toBe(report.totals[column]);
  }
}

// ------------------------------------------------- proration, 28/31/30 days

describe('proration across months of 28, 31 and 30 days', () => {
  const seed: Seed = {
    campaigns: [
      { id: 'feb', channel: 'paid_search' },
      { id: 'mar', channel: 'paid_social' },
      { id: 'apr', channel: 'display' },
    ],
    plans: [
      { campaignId: 'feb', month: '2026-02', amount: '2800.00' },
      { campaignId: 'mar', month: '2026-03', amount: '3100.00' },
      { campaignId: 'apr', month: '2026-04', amount: '3000.00' },
    ],
    commitments: [
      { id: 'io-1', campaignId: 'mar', month: '2026-03', amount: '500.00' },
      { id: 'io-2', campaignId: 'mar', month: '2026-03', amount: '200.00', status: 'closed' }, // closed: not committed
    ],
    spend: [
      { campaignId: 'feb', date: '2026-02-01', amount: '700.00' },
      { campaignId: 'feb', date: '2026-02-14', amount: '700.00' },
      { campaignId: 'feb', date: '2026-02-15', amount: '300.00' }, // after asOf 02-14
      { campaignId: 'mar', date: '2026-03-01', amount: '1000.00' },
      { campaignId: 'mar', date: '2026-03-15', amount: '800.00' },
      { campaignId: 'mar', date: '2026-03-16', amount: '999.00' }, // after asOf 03-15
      { campaignId: 'apr', date: '2026-04-03', amount: '850.00' },
      { campaignId: 'apr', date: '2026-04-11', amount: '1.00' }, // after asOf 04-10
    ],
  };

  it('28 days: February 2026 as of the 14th is exactly half', async () => {
    const t = await appWith(seed);
    const report = await burn(t, 'month=2026-02&asOf=2026-02-14');
    expect(report).toMatchObject({ currency: 'USD', from: '2026-02', to: '2026-02', periodStart: '2026-02-01', periodEnd: '2026-02-28', asOf: '2026-02-14' });
    // Only "feb" has a plan, commitment or spend in February.
    expect(report.rows.map((r) => r.campaignId)).toEqual(['feb']);
    expect(row(report, 'feb')).toEqual({
      campaignId: 'feb',
      name: 'Campaign feb',
      channel: 'paid_search',
      currency: 'USD',
      planned: '2800.00',
      committed: '0.00',
      actual: '1400.00', // 700 + 700; the 300 of the 15th is after asOf
      remaining: '1400.00', // 2800 - 1400
      available: '1400.00', // 2800 - 1400 - 0
      daysElapsed: 14,
      daysInPeriod: 28,
      expectedToDate: '1400.00', // 2800 x 14 / 28
      burnRate: '0.5000', // 1400 / 2800
      pacing: '1.0000', // 1400 / 1400
      status: 'on_track',
      exhaustionDate: '2026-02-28', // 100/day: 2800 / 100 = day 28
    });
    expect(report.totals).toEqual({ ...row(report, 'feb'), campaignId: undefined, name: undefined, channel: undefined });
  });

  it('31 days: March 2026 as of the 15th', async () => {
    const t = await appWith(seed);
    const report = await burn(t, 'month=2026-03&asOf=2026-03-15');
    expect(report.rows.map((r) => r.campaignId)).toEqual(['mar']);
    expect(row(report, 'mar')).toMatchObject({
      planned: '3100.00',
      committed: '500.00', // the closed 200.00 does not count
      actual: '1800.00', // 1000 + 800; the 999 of the 16th is after asOf
      remaining: '1300.00', // 3100 - 1800
      available: '800.00', // 3100 - 1800 - 500
      daysElapsed: 15,
      daysInPeriod: 31,
      expectedToDate: '1500.00', // 3100 x 15 / 31
      burnRate: '0.5806', // 1800 / 3100 = 0.580645..
      pacing: '1.2000', // 1800 / 1500
      status: 'overpacing', // 1.2 > 1 + 0.10
      exhaustionDate: '2026-03-26', // 1800 / 15 = 120/day; 3100 / 120 = 25.83 -> day 26
    });
  });

  it('30 days: April 2026 as of the 10th', async () => {
    const t = await appWith(seed);
    const report = await burn(t, 'month=2026-04&asOf=2026-04-10');
    expect(report.rows.map((r) => r.campaignId)).toEqual(['apr']);
    expect(row(report, 'apr')).toMatchObject({
      planned: '3000.00',
      actual: '850.00', // the 1.00 of the 11th is after asOf
      remaining: '2150.00',
      available: '2150.00',
      daysElapsed: 10,
      daysInPeriod: 30,
      expectedToDate: '1000.00', // 3000 x 10 / 30
      burnRate: '0.2833', // 850 / 3000 = 0.28333..
      pacing: '0.8500', // 850 / 1000
      status: 'underpacing', // 0.85 < 1 - 0.10
      exhaustionDate: null, // 85/day: 3000 / 85 = 35.3 days > 30
    });
  });

  it('asOf before the month: nothing elapsed, nothing actual, even with spend dated in the month', async () => {
    const t = await appWith(seed);
    const report = await burn(t, 'month=2026-03&asOf=2026-02-20');
    expect(row(report, 'mar')).toMatchObject({
      planned: '3100.00',
      committed: '500.00',
      actual: '0.00',
      remaining: '3100.00',
      available: '2600.00', // 3100 - 0 - 500
      daysElapsed: 0,
      daysInPeriod: 31,
      expectedToDate: '0.00', // 3100 x 0 / 31
      burnRate: '0.0000', // 0 / 3100
      pacing: null, // 0 / 0
      status: 'on_track',
      exhaustionDate: null,
    });
  });

  it('a campaign whose only spend in the month is dated after asOf still has its row, with actual 0', async () => {
    const t = await appWith({
      campaigns: [{ id: 'late', channel: 'video' }],
      spend: [{ campaignId: 'late', date: '2026-03-20', amount: '75.00' }],
    });
    const report = await burn(t, 'month=2026-03&asOf=2026-03-15');
    expect(row(report, 'late')).toMatchObject({
      planned: '0.00',
      actual: '0.00', // the 75.00 of the 20th is after asOf
      daysElapsed: 15,
      burnRate: null, // 0 / 0
      status: null, // nothing planned, nothing spent yet: no status (unplanned needs actual spend)
    });
    // After the month it counts: 75.00 with no plan is unplanned.
    expect(row(await burn(t, 'month=2026-03&asOf=2026-04-02'), 'late')).toMatchObject({ actual: '75.00', status: 'unplanned' });
  });

  it('asOf on the first day: one day elapsed', async () => {
    const t = await appWith(seed);
    const report = await burn(t, 'month=2026-03&asOf=2026-03-01');
    expect(row(report, 'mar')).toMatchObject({
      actual: '1000.00', // spend of 03-01 counts: asOf is inclusive
      daysElapsed: 1,
      expectedToDate: '100.00', // 3100 x 1 / 31
      pacing: '10.0000', // 1000 / 100
      status: 'overpacing',
      exhaustionDate: '2026-03-04', // 1000/day: 3100 / 1000 = 3.1 -> day 4
    });
  });

  it('asOf after the month: it counts as the last day', async () => {
    const t = await appWith(seed);
    const report = await burn(t, 'month=2026-03&asOf=2026-04-20');
    expect(report.asOf).toBe('2026-04-20');
    expect(row(report, 'mar')).toMatchObject({
      actual: '2799.00', // 1000 + 800 + 999, the whole month
      remaining: '301.00', // 3100 - 2799
      available: '-199.00', // 3100 - 2799 - 500
      daysElapsed: 31,
      daysInPeriod: 31,
      expectedToDate: '3100.00', // the whole plan
      burnRate: '0.9029', // 2799 / 3100 = 0.902903..
      pacing: '0.9029',
      status: 'on_track', // 0.9029 >= 0.90
      exhaustionDate: null, // 2799 / 31 = 90.29/day; 3100 / 90.29 = 34.3 days > 31
    });
  });

  it('asOf defaults to today (the app clock says 2026-03-15)', async () => {
    const t = await appWith(seed);
    const report = await burn(t, 'month=2026-03');
    expect(report.asOf).toBe('2026-03-15');
    expect(row(report, 'mar')).toMatchObject({ actual: '1800.00', daysElapsed: 15, expectedToDate: '1500.00' });
  });
});

// ------------------------------------------------------------- zero plan

describe('a zero plan', () => {
  it('with spend is unplanned, with a null burn rate; without spend it has no status', async () => {
    const t = await appWith({
      campaigns: [
        { id: 'zero', channel: 'email' },
        { id: 'noplan', channel: 'email' },
        { id: 'idle', channel: 'email' },
      ],
      plans: [
        { campaignId: 'zero', month: '2026-03', amount: '0' },
        { campaignId: 'idle', month: '2026-03', amount: '0.00' },
      ],
      spend: [
        { campaignId: 'zero', date: '2026-03-05', amount: '250.00' },
        { campaignId: 'noplan', date: '2026-03-06', amount: '40.00' },
      ],
    });
    const report = await burn(t, 'month=2026-03&asOf=2026-03-15');
    expect(report.rows.map((r) => r.campaignId)).toEqual(['idle', 'noplan', 'zero']);
    const unplanned = {
      planned: '0.00',
      committed: '0.00',
      daysElapsed: 15,
      daysInPeriod: 31,
      expectedToDate: '0.00', // 0 x 15 / 31
      burnRate: null, // 250 / 0
      pacing: null, // 250 / 0
      status: 'unplanned',
      // A plan of nothing is used up on the first day.
      exhaustionDate: '2026-03-01',
    };
    expect(row(report, 'zero')).toMatchObject({ ...unplanned, actual: '250.00', remaining: '-250.00', available: '-250.00' });
    // Spend with no plan row at all is the same as a zero plan.
    expect(row(report, 'noplan')).toMatchObject({ ...unplanned, actual: '40.00', remaining: '-40.00', available: '-40.00' });
    expect(row(report, 'idle')).toMatchObject({
      planned: '0.00',
      actual: '0.00',
      burnRate: null,
      pacing: null,
      status: null, // planned 0 and actual 0: there is no plan to be on or off
      exhaustionDate: null,
    });
    expect(report.totals).toMatchObject({ planned: '0.00', actual: '290.00', remaining: '-290.00', burnRate: null, status: 'unplanned' });
  });
});

// --------------------------------------------------------- second currency

describe('a second currency (base USD, EUR with FX rates)', () => {
  const seed: Seed = {
    campaigns: [{ id: 'eu', channel: 'paid_social' }],
    rates: [
      { date: '2026-02-25', currency: 'EUR', rate: '1.08' },
      { date: '2026-03-10', currency: 'EUR', rate: '1.10' },
      { date: '2026-03-20', currency: 'EUR', rate: '1.20' },
    ],
    plans: [
      { campaignId: 'eu', month: '2026-03', amount: '1000.00', currency: 'EUR' },
      { campaignId: 'eu', month: '2026-04', amount: '1000.00', currency: 'EUR' },
    ],
    commitments: [{ id: 'io-eu', campaignId: 'eu', month: '2026-03', amount: '500.00', currency: 'EUR' }],
    spend: [
      { campaignId: 'eu', date: '2026-03-05', amount: '100.00', currency: 'EUR' }, // 1.08 (02-25) -> 108.00
      { campaignId: 'eu', date: '2026-03-10', amount: '100.00', currency: 'EUR' }, // 1.10 (03-10, on the day) -> 110.00
      { campaignId: 'eu', date: '2026-03-12', amount: '10.01', currency: 'EUR' }, // 1.10 -> 11.011
      { campaignId: 'eu', date: '2026-03-14', amount: '20.00', currency: 'USD' }, // base: 20.00
      { campaignId: 'eu', date: '2026-03-20', amount: '50.00', currency: 'EUR' }, // 1.20 -> 60.00, after asOf 03-15
    ],
  };

  it('converts plans at the first of the month and spend at its date, rounding once', async () => {
    const t = await appWith(seed);
    const report = await burn(t, 'month=2026-03&asOf=2026-03-15');
    expect(report.currency).toBe('USD');
    expect(row(report, 'eu')).toMatchObject({
      currency: 'USD',
      planned: '1080.00', // 1000 EUR at 03-01's rate, the 1.08 of 02-25 (not 03-10's 1.10)
      committed: '540.00', // 500 EUR x 1.08
      actual: '249.01', // 108 + 110 + 11.011 + 20 = 249.011
      remaining: '830.99', // 1080.00 - 249.01
      available: '290.99', // 1080.00 - 249.01 - 540.00
      daysElapsed: 15,
      expectedToDate: '522.58', // 1080 x 15 / 31 = 522.5806..
      burnRate: '0.2306', // 249.011 / 1080 = 0.230565..
      pacing: '0.4765', // 249.011 / 522.5806.. = 0.476502..
      status: 'underpacing',
      exhaustionDate: null, // 16.60/day: 1080 / 16.60 = 65 days > 31
    });
  });

  it('uses a rate dated later in the month for spend dated on or after it', async () => {
    const t = await appWith(seed);
    const report = await burn(t, 'month=2026-03&asOf=2026-03-31');
    expect(row(report, 'eu')).toMatchObject({
      planned: '1080.00', // unchanged: still the rate of the 1st
      actual: '309.01', // 249.011 + 50 EUR x 1.20 = 309.011
      expectedToDate: '1080.00',
      burnRate: '0.2861', // 309.011 / 1080 = 0.286121..
    });
  });

  it('takes a rate below 1e-6 sent as a JSON number', async () => {
    const t = await appWith(seed);
    const put = await t.call({
      method: 'PUT',
      url: '/v1/fx-rates',
      headers: { 'content-type': 'application/json' },
      payload: '{"items":[{"date":"2026-03-01","currency":"VND","rate":0.0000004}]}',
    });
    expect(put.statusCode, put.body).toBe(200);
    await send(t, 'POST', '/v1/spend', [{ campaignId: 'eu', date: '2026-03-02', amount: '2500000', currency: 'VND', source: 'manual' }]);
    const report = await burn(t, 'month=2026-03&asOf=2026-03-05');
    // 2,500,000 VND x 0.0000004 (03-02) + 100 EUR x 1.08 (03-05) = 1.00 + 108.00.
    expect(row(report, 'eu').actual).toBe('109.00');
  });

  it('converts the next month’s plan at that month’s first day', async () => {
    const t = await appWith(seed);
    const report = await burn(t, 'month=2026-04&asOf=2026-04-15');
    // 1000 EUR at 04-01: the newest rate on or before is 03-20's 1.20.
    expect(row(report, 'eu')).toMatchObject({ planned: '1200.00', committed: '0.00', actual: '0.00', expectedToDate: '600.00' });
  });
});

// ------------------------------------------------------ missing FX rates

describe('a missing FX rate', () => {
  const seed: Seed = {
    campaigns: [{ id: 'eu', channel: 'paid_social' }],
    rates: [{ date: '2026-02-25', currency: 'EUR', rate: '1.08' }],
    plans: [
      { campaignId: 'eu', month: '2026-02', amount: '1000', currency: 'EUR' }, // needs EUR on 02-01: first rate is 02-25
      { campaignId: 'eu', month: '2026-03', amount: '1000', currency: 'EUR' }, // EUR on 03-01: 1.08, fine
    ],
    commitments: [{ id: 'io-jp', campaignId: 'eu', month: '2026-03', amount: '50000', currency: 'JPY' }], // JPY on 03-01: none
    spend: [
      { campaignId: 'eu', date: '2026-02-20', amount: '10', currency: 'EUR' }, // before EUR's first rate
      { campaignId: 'eu', date: '2026-02-26', amount: '10', currency: 'EUR' }, // fine
      { campaignId: 'eu', date: '2026-03-03', amount: '10', currency: 'GBP' }, // no GBP at all
      { campaignId: 'eu', date: '2026-03-03', amount: '11', currency: 'GBP' }, // same pair: listed once
      { campaignId: 'eu', date: '2026-03-07', amount: '10', currency: 'GBP' },
    ],
  };

  it('answers 422 problem+json listing each (currency, date), and never guesses', async () => {
    const t = await appWith(seed);
    const response = await t.call({ method: 'GET', url: '/v1/reports/burn?from=2026-02&to=2026-03&asOf=2026-03-31', role: 'viewer' });
    expect(response.statusCode).toBe(422);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    const problem = response.json();
    expect(problem).toMatchObject({ status: 422, code: 'fx_rate_missing', title: expect.any(String) });
    expect(problem.missingRates).toEqual([
      { currency: 'EUR', date: '2026-02-01' },
      { currency: 'EUR', date: '2026-02-20' },
      { currency: 'GBP', date: '2026-03-03' },
      { currency: 'GBP', date: '2026-03-07' },
      { currency: 'JPY', date: '2026-03-01' },
    ]);
    expect(problem.detail).toContain('no GBP rate on or before 2026-03-03');
    // The currency names the missing rate, as a batch's warning says it; no "FX rate on or before GBP".
    expect(problem.detail).toBe(
      'no EUR rate on or before 2026-02-01, no EUR rate on or before 2026-02-20, no GBP rate on or before 2026-03-03, ' +
        'no GBP rate on or before 2026-03-07, no JPY rate on or before 2026-03-01; add them with PUT /v1/fx-rates',
    );
    expect(JSON.stringify(problem)).not.toMatch(/at .*\.ts:\d+/); // no stack trace

    // The CSV form fails the same way rather than print a partial table.
    const csv = await t.call({ method: 'GET', url: '/v1/reports/burn?from=2026-02&to=2026-03&asOf=2026-03-31&format=csv', role: 'viewer' });
    expect(csv.statusCode).toBe(422);
    expect(csv.json().missingRates).toHaveLength(5);
  });

  it('names only what is still missing as rates are added, and then answers', async () => {
    const t = await appWith(seed);
    // A GBP rate of 03-05 covers 03-07 but not 03-03; a January EUR rate covers 02-01 and 02-20.
    await send(t, 'PUT', '/v1/fx-rates', [
      { date: '2026-03-05', currency: 'GBP', rate: '1.25' },
      { date: '2026-01-15', currency: 'EUR', rate: '1.05' },
    ]);
    const response = await t.call({ method: 'GET', url: '/v1/reports/burn?from=2026-02&to=2026-03&asOf=2026-03-31', role: 'viewer' });
    expect(response.statusCode).toBe(422);
    expect(response.json().missingRates).toEqual([
      { currency: 'GBP', date: '2026-03-03' },
      { currency: 'JPY', date: '2026-03-01' },
    ]);

    await send(t, 'PUT', '/v1/fx-rates', [
      { date: '2026-03-01', currency: 'GBP', rate: '1.26' },
      { date: '2026-03-01', currency: 'JPY', rate: '0.0067' },
    ]);
    const report = await burn(t, 'from=2026-02&to=2026-03&asOf=2026-03-31');
    expect(row(report, 'eu')).toMatchObject({
      // Feb: 1000 EUR x 1.05 (01-15) = 1050; Mar: 1000 EUR x 1.08 (02-25) = 1080.
      planned: '2130.00',
      // 50000 JPY x 0.0067 = 335.
      committed: '335.00',
      // EUR 10 x 1.05 + 10 x 1.08 = 21.30; GBP (10 + 11) x 1.26 (03-01) + 10 x 1.25 (03-05) = 26.46 + 12.50.
      actual: '60.26',
      daysInPeriod: 59, // 28 + 31
    });
  });
});

// ---------------------------------------------------- every status, 0.10

describe('status, with the pacing tolerance 0.10', () => {
  // April 2026 (30 days) as of the 15th: expectedToDate is half the plan, 500.00 of 1000.00.
  const cases = [
    // id, actual, burnRate, pacing, status, exhaustionDate (at actual / 15 per day)
    { id: 's1-on-track', actual: '500.00', burnRate: '0.5000', pacing: '1.0000', status: 'on_track', exhaustionDate: '2026-04-30' }, // 1000 / (500/15) = 30
    { id: 's2-edge-high', actual: '550.00', burnRate: '0.5500', pacing: '1.1000', status: 'on_track', exhaustionDate: '2026-04-28' }, // 1.10 is not > 1.10; 27.3 -> 28
    { id: 's3-overpacing', actual: '560.00', burnRate: '0.5600', pacing: '1.1200', status: 'overpacing', exhaustionDate: '2026-04-27' }, // 26.8 -> 27
    { id: 's4-edge-low', actual: '450.00', burnRate: '0.4500', pacing: '0.9000', status: 'on_track', exhaustionDate: null }, // 0.90 is not < 0.90; 33.3 days
    // 449.99 / 500 = 0.89998: prints as 0.9000, but the status uses the exact ratio.
    { id: 's5-underpacing', actual: '449.99', burnRate: '0.4500', pacing: '0.9000', status: 'underpacing', exhaustionDate: null },
    { id: 's6-over-budget', actual: '1200.00', burnRate: '1.2000', pacing: '2.4000', status: 'over_budget', exhaustionDate: '2026-04-13' }, // before overpacing; 12.5 -> 13
    { id: 's7-exactly-plan', actual: '1000.00', burnRate: '1.0000', pacing: '2.0000', status: 'overpacing', exhaustionDate: '2026-04-15' }, // 1000 is not > 1000; day 15
    { id: 's8-no-spend', actual: '0.00', burnRate: '0.0000', pacing: '0.0000', status: 'underpacing', exhaustionDate: null },
  ] as const;
  const seed: Seed = {
    campaigns: [...cases.map((c) => ({ id: c.id, channel: 'video' })), { id: 's9-unplanned', channel: 'video' }],
    plans: cases.map((c) => ({ campaignId: c.id, month: '2026-04', amount: '1000.00' })),
    spend: [
      ...cases.filter((c) => c.actual !== '0.00').map((c) => ({ campaignId: c.id, date: '2026-04-02', amount: c.actual })),
      { campaignId: 's9-unplanned', date: '2026-04-02', amount: '10.00' },
    ],
  };

  it('gives each status, the first that holds', async () => {
    const t = await appWith(seed);
    const report = await burn(t, 'month=2026-04&asOf=2026-04-15');
    for (const c of cases) {
      expect(row(report, c.id), c.id).toMatchObject({
        planned: '1000.00',
        actual: c.actual,
        expectedToDate: '500.00',
        burnRate: c.burnRate,
        pacing: c.pacing,
        status: c.status,
        exhaustionDate: c.exhaustionDate,
      });
    }
    expect(row(report, 's9-unplanned')).toMatchObject({ planned: '0.00', actual: '10.00', status: 'unplanned', burnRate: null, pacing: null });
    expect(report.totals).toMatchObject({
      planned: '8000.00', // 8 x 1000
      actual: '4719.99', // 500 + 550 + 560 + 450 + 449.99 + 1200 + 1000 + 0 + 10
      expectedToDate: '4000.00',
      remaining: '3280.01',
      burnRate: '0.5900', // 4719.99 / 8000 = 0.58999875
      pacing: '1.1800', // 4719.99 / 4000 = 1.1799975
      status: 'overpacing',
      exhaustionDate: '2026-04-26', // 314.67/day: 8000 / 314.67 = 25.4 -> day 26
    });
    expectRowsAddUp(report);
  });

  it('follows the pacingTolerance setting', async () => {
    const t = await appWith(seed);
    const put = await t.call({ method: 'PUT', url: '/v1/settings', payload: { pacingTolerance: '0.25' } });
    expect(put.statusCode, put.body).toBe(200);
    const report = await burn(t, 'month=2026-04&asOf=2026-04-15');
    // Within 0.75..1.25 now: 1.12 and 0.89998 are on track; 2.0 is still overpacing.
    expect(row(report, 's3-overpacing').status).toBe('on_track');
    expect(row(report, 's5-underpacing').status).toBe('on_track');
    expect(row(report, 's7-exactly-plan').status).toBe('overpacing');
    expect(row(report, 's8-no-spend').status).toBe('underpacing');
    expect(row(report, 's6-over-budget').status).toBe('over_budget');
  });
});

// -------------------------------------------------------- range of months

describe('a range of months (from/to)', () => {
  const seed: Seed = {
    campaigns: [{ id: 'r', channel: 'video' }],
    plans: [
      { campaignId: 'r', month: '2026-01', amount: '500.00' }, // outside
      { campaignId: 'r', month: '2026-02', amount: '2800.00' },
      { campaignId: 'r', month: '2026-03', amount: '3100.00' },
      { campaignId: 'r', month: '2026-04', amount: '3000.00' },
      { campaignId: 'r', month: '2026-05', amount: '999.00' }, // outside
    ],
    commitments: [
      { id: 'c-feb', campaignId: 'r', month: '2026-02', amount: '100.00' },
      { id: 'c-apr', campaignId: 'r', month: '2026-04', amount: '200.00' },
      { id: 'c-may', campaignId: 'r', month: '2026-05', amount: '300.00' }, // outside
    ],
    spend: [
      { campaignId: 'r', date: '2026-01-31', amount: '100.00' }, // before the range
      { campaignId: 'r', date: '2026-02-10', amount: '2000.00' },
      { campaignId: 'r', date: '2026-03-15', amount: '1000.00' },
      { campaignId: 'r', date: '2026-03-16', amount: '500.00' },
      { campaignId: 'r', date: '2026-04-30', amount: '200.00' },
      { campaignId: 'r', date: '2026-05-01', amount: '400.00' }, // after the range
    ],
  };

  it('prorates over the whole range: Feb+Mar+Apr = 89 days, 43 elapsed on 03-15', async () => {
    const t = await appWith(seed);
    const report = await burn(t, 'from=2026-02&to=2026-04&asOf=2026-03-15');
    expect(report).toMatchObject({ from: '2026-02', to: '2026-04', periodStart: '2026-02-01', periodEnd: '2026-04-30' });
    expect(row(report, 'r')).toMatchObject({
      planned: '8900.00', // 2800 + 3100 + 3000
      committed: '300.00', // 100 + 200
      actual: '3000.00', // 2000 + 1000
      remaining: '5900.00',
      available: '5600.00',
      daysElapsed: 43, // 28 + 15
      daysInPeriod: 89,
      expectedToDate: '4300.00', // 8900 x 43 / 89 = 100 x 43
      burnRate: '0.3371', // 3000 / 8900 = 0.337078..
      pacing: '0.6977', // 3000 / 4300 = 0.697674..
      status: 'underpacing',
      exhaustionDate: null, // 69.77/day: 8900 / 69.77 = 127.6 days > 89
    });
  });

  it('after the range counts all of it, and nothing outside it', async () => {
    const t = await appWith(seed);
    const report = await burn(t, 'from=2026-02&to=2026-04&asOf=2026-06-01');
    expect(row(report, 'r')).toMatchObject({
      actual: '3700.00', // 2000 + 1000 + 500 + 200
      daysElapsed: 89,
      expectedToDate: '8900.00',
      burnRate: '0.4157', // 3700 / 8900 = 0.415730..
      pacing: '0.4157',
    });
  });

  it('a one-month range is the month', async () => {
    const t = await appWith(seed);
    expect(await burn(t, 'from=2026-03&to=2026-03&asOf=2026-03-15')).toEqual({
      ...(await burn(t, 'month=2026-03&asOf=2026-03-15')),
    });
  });

  it('refuses a period that is not one', async () => {
    const t = await appWith(seed);
    for (const query of ['from=2026-02', 'to=2026-04', 'month=2026-03&from=2026-02&to=2026-04', 'from=2026-04&to=2026-02', 'month=2026-13', '']) {
      const response = await t.call({ method: 'GET', url: `/v1/reports/burn?${query}`, role: 'viewer' });
      expect(response.statusCode, query).toBe(400);
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    }
  });
});

// ------------------------------------------------------------ by channel

describe('groupBy=channel', () => {
  it('adds up the campaigns of each channel', async () => {
    const t = await appWith({
      campaigns: [
        { id: 'a1', channel: 'paid_search' },
        { id: 'a2', channel: 'paid_search' },
        { id: 'b1', channel: 'email' },
      ],
      plans: [
        { campaignId: 'a1', month: '2026-03', amount: '1000.00' },
        { campaignId: 'a2', month: '2026-03', amount: '500.00' },
        { campaignId: 'b1', month: '2026-03', amount: '300.00' },
      ],
      commitments: [{ id: 'io-b1', campaignId: 'b1', month: '2026-03', amount: '50.00' }],
      spend: [
        { campaignId: 'a1', date: '2026-03-03', amount: '300.00' },
        { campaignId: 'a2', date: '2026-03-04', amount: '200.00' },
      ],
    });
    const report = await burn(t, 'month=2026-03&asOf=2026-03-31&groupBy=channel');
    expect(report.groupBy).toBe('channel');
    expect(report.rows.map((r) => r.channel)).toEqual(['email', 'paid_search']);
    expect(report.rows[0]).toEqual({
      channel: 'email',
      currency: 'USD',
      planned: '300.00',
      committed: '50.00',
      actual: '0.00',
      remaining: '300.00',
      available: '250.00',
      daysElapsed: 31,
      daysInPeriod: 31,
      expectedToDate: '300.00',
      burnRate: '0.0000',
      pacing: '0.0000',
      status: 'underpacing',
      exhaustionDate: null,
    });
    expect(report.rows[1]).toMatchObject({
      channel: 'paid_search',
      planned: '1500.00', // 1000 + 500
      actual: '500.00', // 300 + 200
      remaining: '1000.00',
      available: '1000.00',
      burnRate: '0.3333', // 500 / 1500
      pacing: '0.3333',
      status: 'underpacing',
    });
    expect(report.rows[1]).not.toHaveProperty('campaignId');
    expect(report.totals).toMatchObject({ planned: '1800.00', committed: '50.00', actual: '500.00', remaining: '1300.00', available: '1250.00' });
    expectRowsAddUp(report);
  });
});

// ----------------------------------------- rows add up to the printed total

describe('printed rows add up to the printed total', () => {
  it('gives the owed cent to the largest remainder', async () => {
    const t = await appWith({
      campaigns: [
        { id: 'r1', channel: 'display' },
        { id: 'r2', channel: 'display' },
        { id: 'r3', channel: 'display' },
      ],
      plans: ['r1', 'r2', 'r3'].map((id) => ({ campaignId: id, month: '2026-03', amount: '10.00' })),
      spend: ['r1', 'r2', 'r3'].map((id) => ({ campaignId: id, date: '2026-03-01', amount: '0.005' })),
    });
    const report = await burn(t, 'month=2026-03&asOf=2026-03-01');
    // expectedToDate: 10 x 1 / 31 = 0.32258.. each; total 30/31 = 0.9677.. -> 0.97.
    // Each floors to 0.32 (0.96); the cent owed goes to the first of equal remainders.
    expect(report.rows.map((r) => r.expectedToDate)).toEqual(['0.33', '0.32', '0.32']);
    expect(report.totals.expectedToDate).toBe('0.97');
    // actual: 0.005 each; total 0.015 -> 0.02 (half-even). Floors 0.00; two cents owed.
    expect(report.rows.map((r) => r.actual)).toEqual(['0.01', '0.01', '0.00']);
    expect(report.totals.actual).toBe('0.02');
    // remaining follows the printed columns: 10.00 - 0.01, 10.00 - 0.01, 10.00 - 0.00; total 30.00 - 0.02.
    expect(report.rows.map((r) => r.remaining)).toEqual(['9.99', '9.99', '10.00']);
    expect(report.totals.remaining).toBe('29.98');
    // Ratios use the exact amounts: 0.005 / 10 = 0.0005 for all three.
    expect(report.rows.map((r) => r.burnRate)).toEqual(['0.0005', '0.0005', '0.0005']);
    expectRowsAddUp(report);
  });
});

// ------------------------------------------------------------------- CSV

/** The report's CSV, read with the tests' RFC 4180 reader; it must end with CRLF. */
function parseCsv(text: string): string[][] {
  expect(text.endsWith('\r\n'), 'the CSV ends with CRLF').toBe(true);
  return readCsv(text);
}

describe('the CSV form', () => {
  const seed: Seed = {
    campaigns: [
      { id: 'c1', channel: 'paid_search', name: 'Search, "brand"' },
      { id: 'c2', channel: 'email', name: '=1+1' },
      { id: 'c3', channel: 'email', name: 'Newsletter' },
    ],
    plans: [
      { campaignId: 'c1', month: '2026-03', amount: '1000.00' },
      { campaignId: 'c2', month: '2026-03', amount: '333.33' },
      { campaignId: 'c3', month: '2026-03', amount: '0.01' },
    ],
    commitments: [{ id: 'io', campaignId: 'c1', month: '2026-03', amount: '99.99' }],
    spend: [
      { campaignId: 'c1', date: '2026-03-02', amount: '123.456' },
      { campaignId: 'c2', date: '2026-03-03', amount: '0.125' },
      { campaignId: 'c3', date: '2026-03-04', amount: '400.004' },
    ],
  };
  const header = [
    'campaignId', 'name', 'channel', 'currency', 'planned', 'committed', 'actual', 'remaining', 'available',
    'daysElapsed', 'daysInPeriod', 'expectedToDate', 'burnRate', 'pacing', 'status', 'exhaustionDate',
  ];

  it('has the JSON field names as header, a row per campaign, TOTAL last, and rows that add up', async () => {
    const t = await appWith(seed);
    const json = await burn(t, 'month=2026-03&asOf=2026-03-10');
    const response = await t.call({ method: 'GET', url: '/v1/reports/burn?month=2026-03&asOf=2026-03-10&format=csv', role: 'viewer' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^text\/csv/);
    const [head, ...body] = parseCsv(response.body);
    expect(head).toEqual(header);
    expect(body).toHaveLength(4);
    const total = body.at(-1)!;
    expect(total[0]).toBe('TOTAL');
    expect(body.slice(0, -1).map((r) => r[0])).toEqual(['c1', 'c2', 'c3']);
    // Quoting and formula neutralisation of the names.
    expect(body[0]![1]).toBe('Search, "brand"');
    expect(body[1]![1]).toBe("'=1+1");

    // Cells are the JSON values (null as empty), rows and totals alike.
    const cellOf = (value: unknown) => (value === null ? '' : String(value));
    json.rows.forEach((r, i) => {
      header.slice(3).forEach((column, j) => expect(body[i]![j + 3], `${r.campaignId}.${column}`).toBe(cellOf(r[column as keyof Row])));
    });
    header.slice(3).forEach((column, j) => expect(total[j + 3], `TOTAL.${column}`).toBe(cellOf(json.totals[column as keyof Figures])));

    // Worked: actual 123.456 + 0.125 + 400.004 = 523.585 -> 523.58 (half-even: 8 is even).
    // Floors 123.45 + 0.12 + 400.00 = 523.57; one cent owed to the largest remainder,
    // .006 (c1) over .005 (c2) and .004 (c3).
    expect(body.slice(0, 3).map((r) => r[header.indexOf('actual')])).toEqual(['123.46', '0.12', '400.00']);
    expect(total[header.indexOf('actual')]).toBe('523.58');
    // expectedToDate at 10/31: 322.5806.. + 107.5258.. + 0.003225.. = 430.1096.. -> 430.11.
    // Floors 322.58 + 107.52 + 0.00 = 430.10; the cent owed goes to c2, whose remainder .0058
    // beats c3's .0032 and c1's .0006.
    expect(body.slice(0, 3).map((r) => r[header.indexOf('expectedToDate')])).toEqual(['322.58', '107.53', '0.00']);
    expect(total[header.indexOf('expectedToDate')]).toBe('430.11');

    for (const column of AMOUNT_COLUMNS) {
      const index = header.indexOf(column);
      const sum = body.slice(0, -1).reduce((acc, r) => acc.plus(r[index]!), new Decimal(0));
      expect(sum.toFixed(2), column).toBe(total[index]);
    }
  });

  it('is also given for Accept: text/csv, and by channel with TOTAL in the channel column', async () => {
    const t = await appWith(seed);
    const response = await t.call({
      method: 'GET',
      url: '/v1/reports/burn?month=2026-03&asOf=2026-03-10&groupBy=channel',
      headers: { accept: 'text/csv' },
      role: 'viewer',
    });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^text\/csv/);
    const [head, ...body] = parseCsv(response.body);
    expect(head).toEqual(['channel', ...header.slice(3)]);
    expect(body.map((r) => r[0])).toEqual(['email', 'paid_search', 'TOTAL']);
    // planned: email 333.33 + 0.01 = 333.34; paid_search 1000.00; total 1333.34.
    expect(body.map((r) => r[head!.indexOf('planned')])).toEqual(['333.34', '1000.00', '1333.34']);
  });
});

// ---------------------------------------------------- the pure calculator

describe('computeBurn and its parts, directly', () => {
  const march = periodOfMonths('2026-03', '2026-03');
  const options = (asOf: string) => ({ period: march, asOf, tolerance: new Decimal('0.10'), scale: 2 });
  /** A decimal amount as exact attos, what computeBurn takes. */
  const attos = (amount: string) => BigInt(new Decimal(amount).times('1e18').toFixed(0));
  /** A campaign's cell in March. */
  const input = (campaignId: string, planned: string, actual: string, committed = '0') => ({
    campaignId,
    month: '2026-03',
    planned: attos(planned),
    actual: attos(actual),
    committed: attos(committed),
  });

  it('prorates a plan that does not divide evenly', () => {
    const { rows } = computeBurn([input('a', '1000', '300')], options('2026-03-10'));
    expect(rows[0]).toMatchObject({
      key: 'a',
      expectedToDate: '322.58', // 1000 x 10 / 31 = 322.5806..
      pacing: '0.9300', // 300 / 322.5806.. = 0.93
      status: 'on_track',
      exhaustionDate: null, // 30/day: 1000 / 30 = 33.3 days > 31
    });
  });

  it('rounds half-even at the edge only', () => {
    // 0.125 + 0.125 = 0.25 exactly: rows 0.12 (tie to even) would sum to 0.24,
    // so one row takes the owed cent.
    const { rows, totals } = computeBurn([input('a', '0', '0.125'), input('b', '0', '0.125')], options('2026-03-31'));
    expect(rows.map((r) => r.actual)).toEqual(['0.13', '0.12']);
    expect(totals.actual).toBe('0.25');
    // A single 0.125 is 0.12; a single 0.135 is 0.14.
    expect(computeBurn([input('a', '0', '0.125')], options('2026-03-31')).totals.actual).toBe('0.12');
    expect(computeBurn([input('a', '0', '0.135')], options('2026-03-31')).totals.actual).toBe('0.14');
  });

  it('prints JPY with no decimals and KWD with three', () => {
    const yen = computeBurn([input('a', '31000', '10000')], { ...options('2026-03-10'), scale: 0 });
    expect(yen.totals).toMatchObject({ planned: '31000', actual: '10000', expectedToDate: '10000', pacing: '1.0000' });
    const kwd = computeBurn([input('a', '100', '1.2345')], { ...options('2026-03-10'), scale: 3 });
    // 100 x 10 / 31 = 32.2580..; 1.2345 -> 1.234 (half-even, 4 is even).
    expect(kwd.totals).toMatchObject({ planned: '100.000', actual: '1.234', expectedToDate: '32.258', remaining: '98.766' });
  });

  it('of no rows has zero totals', () => {
    const { rows, totals } = computeBurn([], options('2026-03-15'));
    expect(rows).toEqual([]);
    expect(totals).toEqual({
      planned: '0.00',
      committed: '0.00',
      actual: '0.00',
      remaining: '0.00',
      available: '0.00',
      daysElapsed: 15,
      daysInPeriod: 31,
      expectedToDate: '0.00',
      burnRate: null,
      pacing: null,
      // Nothing planned, nothing spent: no status (issue 14 item 12; it read on_track).
      status: null,
      exhaustionDate: null,
    });
  });

  it('decides status at the tolerance boundaries on exact values', () => {
    const tolerance = fractionOf('0.10');
    const s = (planned: string, actual: string, pacing: string | null) =>
      burnStatus(attos(planned), attos(actual), pacing === null ? null : fractionOf(pacing), tolerance);
    expect(s('0', '1', null)).toBe('unplanned');
    expect(s('0', '-1', null)).toBe('unplanned'); // a credit with no plan is off plan too
    expect(s('0', '0', null)).toBeNull(); // nothing planned, nothing spent: no track to be on
    expect(s('100', '100.01', '0.5')).toBe('over_budget'); // over budget wins over pacing
    expect(s('100', '100', '1.1000000001')).toBe('overpacing');
    expect(s('100', '50', '1.1')).toBe('on_track');
    expect(s('100', '50', '0.9')).toBe('on_track');
    expect(s('100', '50', '0.8999999999')).toBe('underpacing');
    expect(s('100', '0', null)).toBe('on_track'); // nothing elapsed: no pacing to judge
  });

  it('finds the exhaustion date at the period-to-date daily rate', () => {
    const e = (planned: string, actual: string, daysElapsed: number) =>
      exhaustionDate(attos(planned), attos(actual), daysElapsed, march);
    expect(e('3100', '1800', 15)).toBe('2026-03-26'); // 120/day: 25.83 -> 26
    expect(e('3100', '100', 1)).toBe('2026-03-31'); // 100/day: exactly 31
    expect(e('3100', '99.99', 1)).toBeNull(); // 31.0003 days
    expect(e('100', '500', 10)).toBe('2026-03-02'); // 50/day: day 2, already past
    expect(e('100', '0', 10)).toBeNull(); // nothing spent, never runs out
    expect(e('100', '-5', 10)).toBeNull(); // net credits, never runs out
    expect(e('100', '50', 0)).toBeNull(); // nothing elapsed, no rate
  });

  it('prints a tiny net credit as zero, not as a negative zero', () => {
    // actual -0.000001 against a plan of 100: burnRate -0.00000001, pacing -0.0000000207: both 0.0000.
    const { totals } = computeBurn([input('a', '100', '-0.000001')], options('2026-03-15'));
    expect(totals).toMatchObject({ actual: '0.00', remaining: '100.00', burnRate: '0.0000', pacing: '0.0000', status: 'underpacing' });
  });

  it('gives null, never Infinity or NaN, for a ratio over zero', () => {
    expect(ratio(new Decimal('5'), new Decimal('0'))).toBeNull();
    expect(ratio(new Decimal('0'), new Decimal('0'))).toBeNull();
    expect(ratio(new Decimal('2'), new Decimal('3'))).toBe('0.6667');
    expect(ratio(new Decimal('1'), new Decimal('8'))).toBe('0.1250');
    // The exact fraction form that computeBurn prints its ratios with.
    expect(formatFraction(5n, 0n, 4)).toBeNull();
    expect(formatFraction(2n, 3n, 4)).toBe('0.6667');
    expect(formatFraction(1n, 8n, 4)).toBe('0.1250');
    expect(formatFraction(-2n, 3n, 4)).toBe('-0.6667');
    expect(formatFraction(2n, -3n, 4)).toBe('-0.6667');
  });
});
