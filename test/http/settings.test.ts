/** GET/PUT /v1/settings: defaults, partial updates, refusals that change nothing. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { errorPaths, makeApp, problemOf, snapshot, type TestApp } from '../helper.js';

let t: TestApp;
beforeEach(async () => {
  t = await makeApp();
});
afterEach(() => t.close());

const get = async () => (await t.call({ method: 'GET', url: '/v1/settings', role: 'viewer' })).json();
const put = (payload: unknown) => t.call({ method: 'PUT', url: '/v1/settings', payload: payload as object });

describe('GET /v1/settings', () => {
  it('answers the defaults on a fresh database, to every role', async () => {
    for (const role of ['viewer', 'ops', 'finance', 'admin'] as const) {
      const res = await t.call({ method: 'GET', url: '/v1/settings', role });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({ baseCurrency: 'USD', fiscalYearStartMonth: 1, pacingTolerance: '0.10' });
    }
  });
});

describe('PUT /v1/settings', () => {
  it('changes only the fields sent, and keeps them', async () => {
    const res = await put({ pacingTolerance: '0.15' });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toEqual({ baseCurrency: 'USD', fiscalYearStartMonth: 1, pacingTolerance: '0.15' });
    expect((await put({ fiscalYearStartMonth: 4, baseCurrency: 'EUR' })).json()).toEqual({
      baseCurrency: 'EUR',
      fiscalYearStartMonth: 4,
      pacingTolerance: '0.15',
    });
    expect(await get()).toEqual({ baseCurrency: 'EUR', fiscalYearStartMonth: 4, pacingTolerance: '0.15' });
    expect((await put({})).json()).toEqual({ baseCurrency: 'EUR', fiscalYearStartMonth: 4, pacingTolerance: '0.15' });
  });

  it('accepts the edges of each field', async () => {
    for (const change of [{ fiscalYearStartMonth: 1 }, { fiscalYearStartMonth: 12 }, { pacingTolerance: '0' }, { pacingTolerance: '1' }, { pacingTolerance: '0.0001' }]) {
      expect((await put(change)).statusCode).toBe(200);
    }
  });

  it('is for admin only', async () => {
    for (const role of ['finance', 'ops', 'viewer'] as const) {
      problemOf(await t.call({ method: 'PUT', url: '/v1/settings', role, payload: { pacingTolerance: '0.2' } }), 403, 'forbidden');
    }
    expect((await get()).pacingTolerance).toBe('0.10');
  });

  describe('refuses bad input with a 400 naming the field, changing nothing', () => {
    let before: string;
    beforeEach(async () => {
      before = await snapshot(t.app);
    });
    afterEach(async () => {
      expect(await snapshot(t.app)).toBe(before);
      expect(await get()).toEqual({ baseCurrency: 'USD', fiscalYearStartMonth: 1, pacingTolerance: '0.10' });
    });

    it.each([
      [{ baseCurrency: 'usd' }, 'baseCurrency'],
      [{ baseCurrency: 'XXX' }, 'baseCurrency'],
      [{ baseCurrency: 'EURO' }, 'baseCurrency'],
      [{ baseCurrency: 978 }, 'baseCurrency'],
      [{ fiscalYearStartMonth: 0 }, 'fiscalYearStartMonth'],
      [{ fiscalYearStartMonth: 13 }, 'fiscalYearStartMonth'],
      [{ fiscalYearStartMonth: 1.5 }, 'fiscalYearStartMonth'],
      [{ fiscalYearStartMonth: '4' }, 'fiscalYearStartMonth'],
      [{ pacingTolerance: 0.1 }, 'pacingTolerance'],
      [{ pacingTolerance: '1.5' }, 'pacingTolerance'],
      [{ pacingTolerance: '-0.1' }, 'pacingTolerance'],
      [{ pacingTolerance: '0.12345' }, 'pacingTolerance'],
      [{ pacingTolerance: '1e-1' }, 'pacingTolerance'],
      [{ timezone: 'UTC' }, 'timezone'],
    ])('%j', async (change, path) => {
      expect(errorPaths(await put(change))).toEqual([path]);
    });

    it('every bad field at once', async () => {
      expect(errorPaths(await put({ baseCurrency: 'usd', fiscalYearStartMonth: 13, pacingTolerance: 2 }))).toEqual([
        'baseCurrency',
        'fiscalYearStartMonth',
        'pacingTolerance',
      ]);
    });

    it('a body that is not an object, or not JSON', async () => {
      problemOf(await t.call({ method: 'PUT', url: '/v1/settings', payload: '[1]', headers: { 'content-type': 'application/json' } }), 400);
      problemOf(await t.call({ method: 'PUT', url: '/v1/settings', payload: 'baseCurrency=EUR', headers: { 'content-type': 'application/json' } }), 400, 'invalid_json');
      problemOf(await t.call({ method: 'PUT', url: '/v1/settings', payload: '{"baseCurrency":"EUR"}', headers: { 'content-type': 'text/plain' } }), 415);
      problemOf(await t.call({ method: 'PUT', url: '/v1/settings' }), 400);
    });
  });

  it('refuses to change the base currency while FX rates exist (409)', async () => {
    const rates = await t.call({ method: 'PUT', url: '/v1/fx-rates', payload: { items: [{ date: '2026-03-01', currency: 'EUR', rate: '1.08' }] } });
    expect(rates.statusCode).toBe(200);
    const before = await snapshot(t.app);
    problemOf(await put({ baseCurrency: 'EUR' }), 409, 'base_currency_has_rates');
    expect(await snapshot(t.app)).toBe(before);
    // Sending the current base currency is not a change.
    expect((await put({ baseCurrency: 'USD', pacingTolerance: '0.2' })).statusCode).toBe(200);
  });
});
