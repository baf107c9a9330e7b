/**
 * A report as XLSX whatever its campaigns are called: a name with U+FFFE, a
 * character XML 1.0 cannot hold, once made a workbook exceljs itself refused
 * to open, and C0 controls vanished. Each such character now reads back as
 * U+FFFD; CR and text like Excel's own `_xHHHH_` escape read back as sent.
 * (An unpaired surrogate never gets this far: the JSON body parser refuses
 * it; test/xlsx.test.ts covers it.)
 */
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { campaignItem, makeApp, seedCampaigns, type TestApp } from '../helper.js';

let t: TestApp;
beforeAll(async () => {
  t = await makeApp();
  await seedCampaigns(t, [
    campaignItem('c1', { name: 'Spring\uFFFE sale' }),
    campaignItem('c2', { name: 'Bell\u0007 and \u001F unit separator' }),
    campaignItem('c3', { name: 'Two\r\nlines _x0041_' }),
  ]);
  const plans = ['c1', 'c2', 'c3'].map((campaignId) => ({ campaignId, month: '2026-03', amount: '100', currency: 'USD' }));
  const res = await t.call({ method: 'PUT', url: '/v1/plans', role: 'ops', payload: { items: plans } });
  expect(res.statusCode, res.body).toBe(200);
});
afterAll(() => t.close());

describe('GET /v1/reports/burn?format=xlsx with such names', () => {
  it('answers a workbook that opens, each name as it was but U+FFFD for what a cell cannot hold', async () => {
    const res = await t.call({ method: 'GET', url: '/v1/reports/burn?month=2026-03&format=xlsx', role: 'viewer' });
    expect(res.statusCode).toBe(200);
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load(res.rawPayload as unknown as Parameters<ExcelJS.Xlsx['load']>[0]);
    const sheet = workbook.worksheets[0]!;
    const names: unknown[] = [];
    sheet.eachRow((row) => {
      if (['c1', 'c2', 'c3'].includes(String(row.getCell(1).value))) names.push(row.getCell(2).value);
    });
    expect(names).toEqual(['Spring\uFFFD sale', 'Bell\uFFFD and \uFFFD unit separator', 'Two\r\nlines _x0041_']);
  });
});
