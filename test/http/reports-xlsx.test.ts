/**
 * Every report as XLSX over HTTP (`?format=xlsx` or Accept): each workbook is
 * read back with exceljs and set against the JSON report of the same query,
 * cell by cell: amounts are numbers in the currency format holding the JSON's
 * digits, ratios and counts numbers, dates dates, and the money columns' rows,
 * summed exactly, give the totals row.
 *
 * The data (base USD; EUR 1.05 from February 1st, 1.10 from March 1st; the
 * clock says 2026-03-15 12:00 UTC): c1 (paid_search) plans 2800.00 for
 * February and 3100.00 for March, spends 100.00 a day in February and 120.00
 * a day March 1st to 15th, with 500.00 committed; c2 (email) plans 1000 EUR
 * for March, spends 200 EUR on the 10th and gets a 15.55 USD credit on the
 * 11th. Snapshots of February (as of the 14th) and March (as of the 10th).
 * Conversions: u1 touches c1 then c2 and converts for 300.00; u2 touches c2 and
 * converts for 100 EUR; u3 converts for 50.00 untouched (unattributed).
 */
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Decimal } from '../../src/domain/money.js';
import { columnKind } from '../../src/features/reports/routes.js';
import { canonicalDecimal, exactNumber, moneyFormat, XLSX_MEDIA_TYPE } from '../../src/lib/xlsx.js';
import { campaignItem, errorPaths, makeApp, parseCsv, seedCampaigns, type TestApp } from '../helper.js';

type Json = Record<string, any>;

let t: TestApp;
let marchSnapshot: string;

beforeAll(async () => {
  t = await makeApp(); // the clock says 2026-03-15T12:00:00Z
  await seedCampaigns(t, [
    campaignItem('c1', { name: 'Spring search', channel: 'paid_search' }),
    campaignItem('c2', { name: 'Newsletter', channel: 'email' }),
  ]);
  const ok = async (method: 'POST' | 'PUT', url: string, items: unknown[], role: 'ops' | 'finance' = 'ops') => {
    const res = await t.call({ method, url, role, payload: { items } });
    expect(res.statusCode, res.body).toBe(200);
  };
  await ok('PUT', '/v1/fx-rates', [
    { date: '2026-02-01', currency: 'EUR', rate: '1.05' },
    { date: '2026-03-01', currency: 'EUR', rate: '1.10' },
  ], 'finance');
  await ok('PUT', '/v1/plans', [
    { campaignId: 'c1', month: '2026-02', amount: '2800', currency: 'USD' },
    { campaignId: 'c1', month: '2026-03', amount: '3100', currency: 'USD' },
    { campaignId: 'c2', month: '2026-03', amount: '1000', currency: 'EUR' },
  ]);
  await ok('POST', '/v1/commitments', [{ id: 'io-1', campaignId: 'c1', month: '2026-03', amount: '500', currency: 'USD' }]);
  const day = (month: string, d: number) => `${month}-${String(d).padStart(2, '0')}`;
  await ok('POST', '/v1/spend', [
    ...Array.from({ length: 28 }, (_, d) => ({ campaignId: 'c1', date: day('2026-02', d + 1), amount: '100', currency: 'USD', source: 'manual' })),
    ...Array.from({ length: 15 }, (_, d) => ({ campaignId: 'c1', date: day('2026-03', d + 1), amount: '120', currency: 'USD', source: 'google_ads' })),
    { campaignId: 'c2', date: '2026-03-10', amount: '200', currency: 'EUR', source: 'manual' },
    { campaignId: 'c2', date: '2026-03-11', amount: '-15.55', currency: 'USD', source: 'manual' },
  ]);
  for (const [name, month, asOf] of [['feb-mid', '2026-02', '2026-02-14'], ['mar-10', '2026-03', '2026-03-10']] as const) {
    const res = await t.call({ method: 'POST', url: '/v1/forecasts', role: 'ops', payload: { name, month, asOf, method: 'run_rate' } });
    expect(res.statusCode, res.body).toBe(201);
    if (month === '2026-03') marchSnapshot = res.json().id;
  }
  await ok('POST', '/v1/touchpoints', [
    { id: 't1', customerId: 'u1', campaignId: 'c1', occurredAt: '2026-03-01T10:00:00Z' },
    { id: 't2', customerId: 'u1', campaignId: 'c2', occurredAt: '2026-03-03T10:00:00Z' },
    { id: 't3', customerId: 'u2', campaignId: 'c2', occurredAt: '2026-03-04T10:00:00Z' },
  ]);
  await ok('POST', '/v1/revenue', [
    { id: 'cv1', customerId: 'u1', occurredAt: '2026-03-05T10:00:00Z', amount: '300', currency: 'USD' },
    { id: 'cv2', customerId: 'u2', occurredAt: '2026-03-06T10:00:00Z', amount: '100', currency: 'EUR' },
    { id: 'cv3', customerId: 'u3', occurredAt: '2026-03-07T10:00:00Z', amount: '50', currency: 'USD' },
  ]);
});
afterAll(() => t.close());

const get = (url: string, headers: Record<string, string> = {}) => t.call({ method: 'GET', url, role: 'viewer', headers });

async function getJson(url: string): Promise<Json> {
  const res = await get(url);
  expect(res.statusCode, `${url}: ${res.body}`).toBe(200);
  return res.json();
}

async function workbookOf(payload: Buffer): Promise<ExcelJS.Worksheet> {
  const workbook = new ExcelJS.Workbook();
  await workbook.xlsx.load(payload as unknown as Parameters<ExcelJS.Xlsx['load']>[0]);
  expect(workbook.worksheets).toHaveLength(1);
  return workbook.worksheets[0]!;
}

/** The sheet as read back: its parameters, header, data rows and totals row, split where the panes are frozen. */
interface Sheet {
  name: string;
  parameters: Record<string, unknown>;
  header: string[];
  rows: ExcelJS.Row[];
  totals: ExcelJS.Row;
}

function layoutOf(sheet: ExcelJS.Worksheet): Sheet {
  const view = sheet.views[0] as { state: string; ySplit: number };
  expect(view.state).toBe('frozen');
  const headerRow = view.ySplit;
  const parameters: Record<string, unknown> = {};
  for (let r = 1; r < headerRow - 1; r++) parameters[String(sheet.getCell(r, 1).value)] = sheet.getCell(r, 2).value;
  expect(sheet.getRow(headerRow - 1).cellCount, 'a blank row above the header').toBe(0);
  const header = (sheet.getRow(headerRow).values as unknown[]).slice(1).map(String);
  expect(sheet.getRow(headerRow).getCell(1).font?.bold).toBe(true);
  const rows = Array.from({ length: sheet.rowCount - headerRow - 1 }, (_, i) => sheet.getRow(headerRow + 1 + i));
  const totals = sheet.getRow(sheet.rowCount);
  expect(totals.getCell(1).value).toBe('TOTAL');
  expect(totals.getCell(1).font?.bold).toBe(true);
  return { name: sheet.name, parameters, header, rows, totals };
}

/** A column's JSON value: attribution's `<model>.<field>` under `models`, and the totals row's `mape` from the report. */
function jsonValue(report: Json, record: Json, column: string, isTotals: boolean): unknown {
  const dot = column.indexOf('.');
  if (dot >= 0) return record.models?.[column.slice(0, dot)]?.[column.slice(dot + 1)];
  if (column === 'mape') return isTotals ? report.mape : undefined;
  // The unattributed row (campaignId or channel null in JSON) names itself in the sheet's group columns.
  if ((column === 'campaignId' || column === 'channel') && !isTotals && (record.campaignId === null || record.channel === null)) return '(unattributed)';
  return record[column];
}

const DECIMAL = /^-?\d+(\.\d+)?$/;

/** One cell against its JSON value: the type its column's kind gives, and the same value, to the digit. */
function expectCell(cell: ExcelJS.Cell, expected: unknown, column: string, where: string) {
  const kind = columnKind(column);
  if (expected === null || expected === undefined) {
    expect(cell.type, where).toBe(ExcelJS.ValueType.Null);
    return;
  }
  if ((kind === 'money' || kind === 'ratio' || kind === 'count') && exactNumber(String(expected)) === null) {
    // More digits than a double holds: the exact decimal as text, by design (src/lib/xlsx.ts).
    expect([cell.type, cell.value], where).toEqual([ExcelJS.ValueType.String, expected]);
  } else if (kind === 'money' || kind === 'ratio' || kind === 'count') {
    expect(cell.type, where).toBe(ExcelJS.ValueType.Number);
    expect(String(cell.value), where).toBe(canonicalDecimal(String(expected)));
    expect(new Decimal(String(cell.value)).eq(String(expected)), where).toBe(true);
    expect(cell.numFmt, where).toBe({ money: moneyFormat('USD'), ratio: '0.0000', count: '#,##0.0000' }[kind]);
  } else if (kind === 'integer') {
    expect([cell.type, cell.value, cell.numFmt], where).toEqual([ExcelJS.ValueType.Number, expected, '0']);
  } else if (kind === 'date') {
    expect(cell.type, where).toBe(ExcelJS.ValueType.Date);
    expect((cell.value as Date).toISOString(), where).toBe(`${String(expected)}T00:00:00.000Z`);
    expect(cell.numFmt, where).toBe('yyyy-mm-dd');
  } else if (kind === 'boolean') {
    expect([cell.type, cell.value], where).toEqual([ExcelJS.ValueType.Boolean, expected]);
  } else {
    expect([cell.type, cell.value], where).toEqual([ExcelJS.ValueType.String, expected]);
  }
}

/**
 * The six reports, and a few groupings, with their file names: the grouping,
 * model or method, period and asOf (budget-forecast-actual's asOf is today),
 * so that no two of these downloads overwrite each other.
 */
const CASES: [string, string, string][] = [
  ['burn', '/v1/reports/burn?month=2026-03&asOf=2026-03-15', 'burn-campaign-2026-03-asof-2026-03-15'],
  ['burn by channel', '/v1/reports/burn?month=2026-03&asOf=2026-03-15&groupBy=channel', 'burn-channel-2026-03-asof-2026-03-15'],
  ['forecast', '/v1/reports/forecast?month=2026-03&asOf=2026-03-15&method=trailing_7d', 'forecast-campaign-trailing_7d-2026-03-asof-2026-03-15'],
  ['forecast-vs-actual', '/v1/reports/forecast-vs-actual?snapshot=SNAPSHOT', 'forecast-vs-actual-campaign-SNAPSHOT-2026-03'],
  ['budget-forecast-actual', '/v1/reports/budget-forecast-actual?from=2026-01&to=2026-03', 'budget-forecast-actual-run_rate-2026-01_2026-03-asof-2026-03-15'],
  ['roi', '/v1/reports/roi?from=2026-03-01&to=2026-03-31&model=linear', 'roi-campaign-linear-2026-03-01_2026-03-31-lookback-90d-halflife-7d'],
  ['roi by month', '/v1/reports/roi?from=2026-02-01&to=2026-03-31&groupBy=month', 'roi-month-linear-2026-02-01_2026-03-31-lookback-90d-halflife-7d'],
  ['attribution', '/v1/reports/attribution?from=2026-03-01&to=2026-03-31&models=linear,first_touch,time_decay', 'attribution-campaign-linear+first_touch+time_decay-2026-03-01_2026-03-31-lookback-90d-halflife-7d'],
];

it('gives every case its own file name', () => {
  expect(new Set(CASES.map(([, , filename]) => filename)).size).toBe(CASES.length);
});

const withSnapshot = (text: string) => text.replace('SNAPSHOT', marchSnapshot);

async function xlsxOf(url: string, headers: Record<string, string> = {}) {
  const res = await get(url, headers);
  expect(res.statusCode, res.body.slice(0, 300)).toBe(200);
  return { res, sheet: layoutOf(await workbookOf(res.rawPayload)) };
}

describe.each(CASES)('GET %s as XLSX', (_name, rawUrl, filename) => {
  it('answers a workbook named as the CSV, .xlsx, with the CSV’s header', async () => {
    const url = withSnapshot(rawUrl);
    const { res, sheet } = await xlsxOf(`${url}&format=xlsx`);
    expect(res.headers['content-type']).toBe(XLSX_MEDIA_TYPE);
    expect(res.headers['content-disposition']).toBe(`attachment; filename="${withSnapshot(filename)}.xlsx"`);
    expect(res.rawPayload.subarray(0, 2).toString('latin1')).toBe('PK'); // a zip
    const csv = await get(`${url}&format=csv`);
    expect(sheet.header).toEqual(parseCsv(csv.body)[0]);
  });

  it('holds the JSON report’s values cell by cell, typed by column, rows then totals', async () => {
    const url = withSnapshot(rawUrl);
    const report = await getJson(url);
    const { sheet } = await xlsxOf(`${url}&format=xlsx`);
    expect(sheet.rows).toHaveLength(report.rows.length);
    sheet.rows.forEach((row, r) => {
      sheet.header.forEach((column, c) => expectCell(row.getCell(c + 1), jsonValue(report, report.rows[r], column, false), column, `row ${r} ${column}`));
    });
    sheet.header.forEach((column, c) => {
      if (c > 0) expectCell(sheet.totals.getCell(c + 1), jsonValue(report, report.totals, column, true), column, `totals ${column}`);
    });
  });

  it('types every column whose JSON values are decimals as a number: none falls to text', async () => {
    const url = withSnapshot(rawUrl);
    const report = await getJson(url);
    const { sheet } = await xlsxOf(`${url}&format=xlsx`);
    const records: [Json, boolean][] = [...report.rows.map((row: Json) => [row, false] as [Json, boolean]), [report.totals, true]];
    for (const column of sheet.header) {
      const decimals = records.map(([record, isTotals]) => jsonValue(report, record, column, isTotals)).filter((v) => typeof v === 'string' && DECIMAL.test(v));
      if (decimals.length > 0) expect(columnKind(column), `${column} holds ${String(decimals[0])}`).not.toBe('text');
    }
  });

  it('adds up: the rows of each money and count column, summed exactly, give the totals cell', async () => {
    const url = withSnapshot(rawUrl);
    const { sheet } = await xlsxOf(`${url}&format=xlsx`);
    // cpa is spend / conversions per row: it does not add up, nor do ratios.
    const additive = sheet.header.map((column, c) => [column, c + 1] as const).filter(([column]) => ['money', 'count'].includes(columnKind(column)) && !column.endsWith('cpa'));
    expect(additive.length).toBeGreaterThan(0);
    for (const [column, c] of additive) {
      const total = sheet.totals.getCell(c);
      const cells = sheet.rows.map((row) => row.getCell(c)).filter((cell) => cell.type !== ExcelJS.ValueType.Null);
      if (total.type === ExcelJS.ValueType.Null) {
        expect(cells, column).toEqual([]);
        continue;
      }
      for (const cell of [...cells, total]) expect(cell.type, column).toBe(ExcelJS.ValueType.Number);
      const sum = cells.reduce((acc, cell) => acc.plus(String(cell.value)), new Decimal(0));
      expect(sum.eq(String(total.value)), `${column}: ${sum.toString()} vs ${String(total.value)}`).toBe(true);
    }
  });
});

describe('XLSX: the parameters on the sheet', () => {
  it('names the burn report’s period, asOf, grouping, currency and when it was generated', async () => {
    const { sheet } = await xlsxOf('/v1/reports/burn?month=2026-03&asOf=2026-03-15&format=xlsx');
    expect(sheet.name).toBe('burn');
    expect(sheet.parameters).toEqual({
      report: 'burn',
      currency: 'USD',
      groupBy: 'campaign',
      from: '2026-03',
      to: '2026-03',
      periodStart: new Date('2026-03-01T00:00:00Z'), // date cells, as exhaustionDate is
      periodEnd: new Date('2026-03-31T00:00:00Z'),
      asOf: new Date('2026-03-15T00:00:00Z'),
      generatedAt: '2026-03-15T12:00:00.000Z', // the app's clock: an instant, ISO text
    });
  });

  it('names the models of ROI and attribution, and the snapshot of forecast-vs-actual', async () => {
    const roi = (await xlsxOf('/v1/reports/roi?from=2026-03-01&to=2026-03-31&model=time_decay&format=xlsx')).sheet.parameters;
    expect(roi).toMatchObject({ report: 'roi', from: new Date('2026-03-01T00:00:00Z'), to: new Date('2026-03-31T00:00:00Z'), model: 'time_decay', lookbackDays: 90, halfLifeDays: 7, groupBy: 'campaign' });
    const attribution = (await xlsxOf('/v1/reports/attribution?from=2026-03-01&to=2026-03-31&models=last_touch,linear&format=xlsx')).sheet.parameters;
    expect(attribution).toMatchObject({ report: 'attribution', models: 'last_touch,linear' });
    const fva = (await xlsxOf(`/v1/reports/forecast-vs-actual?snapshot=${marchSnapshot}&format=xlsx`)).sheet.parameters;
    expect(fva).toMatchObject({ report: 'forecast_vs_actual', 'snapshot.id': marchSnapshot, 'snapshot.name': 'mar-10', 'snapshot.asOf': new Date('2026-03-10T00:00:00Z'), 'snapshot.method': 'run_rate', periodStart: new Date('2026-03-01T00:00:00Z') });
    const forecast = (await xlsxOf('/v1/reports/forecast?month=2026-03&asOf=2026-03-15&method=linear_trend&format=xlsx')).sheet.parameters;
    expect(forecast).toMatchObject({ method: 'linear_trend', asOf: new Date('2026-03-15T00:00:00Z') });
  });
});

describe('XLSX: parameters typed as the columns of the same name', () => {
  /** The parameter cells by label, as exceljs reads them back. */
  async function parameterCells(url: string): Promise<Record<string, ExcelJS.Cell>> {
    const res = await get(url);
    expect(res.statusCode, res.body.slice(0, 300)).toBe(200);
    const sheet = await workbookOf(res.rawPayload);
    const headerRow = (sheet.views[0] as { ySplit: number }).ySplit;
    const cells: Record<string, ExcelJS.Cell> = {};
    for (let r = 1; r < headerRow - 1; r++) cells[String(sheet.getCell(r, 1).value)] = sheet.getCell(r, 2);
    return cells;
  }

  it('makes days date cells, and leaves months (YYYY-MM) and instants as text', async () => {
    const burn = await parameterCells('/v1/reports/burn?month=2026-03&asOf=2026-03-15&format=xlsx');
    for (const label of ['periodStart', 'periodEnd', 'asOf']) {
      expect(burn[label]!.type, label).toBe(ExcelJS.ValueType.Date);
      expect(burn[label]!.numFmt, label).toBe('yyyy-mm-dd');
    }
    expect((burn.asOf!.value as Date).toISOString()).toBe('2026-03-15T00:00:00.000Z'); // the day itself, no zone shift
    // A month is a group's name, not a day: text, as the month column is.
    expect([burn.from!.type, burn.from!.value]).toEqual([ExcelJS.ValueType.String, '2026-03']);
    expect([burn.generatedAt!.type, burn.generatedAt!.value]).toEqual([ExcelJS.ValueType.String, '2026-03-15T12:00:00.000Z']);

    const roi = await parameterCells('/v1/reports/roi?from=2026-03-01&to=2026-03-31&format=xlsx');
    expect([roi.from!.type, (roi.from!.value as Date).toISOString()]).toEqual([ExcelJS.ValueType.Date, '2026-03-01T00:00:00.000Z']);
    expect([roi.lookbackDays!.type, roi.lookbackDays!.value, roi.lookbackDays!.numFmt]).toEqual([ExcelJS.ValueType.Number, 90, '0']);
    expect([roi.halfLifeDays!.type, roi.halfLifeDays!.value]).toEqual([ExcelJS.ValueType.Number, 7]);
  });

  it('makes mape a number in the ratio format, actualThrough a date, final a boolean', async () => {
    const url = `/v1/reports/forecast-vs-actual?snapshot=${marchSnapshot}`;
    const report = await getJson(url);
    expect(report.mape).toMatch(/^\d+\.\d{4}$/); // the seed makes one: c1 and c2 both spent
    const fva = await parameterCells(`${url}&format=xlsx`);
    expect([fva.mape!.type, String(fva.mape!.value), fva.mape!.numFmt]).toEqual([ExcelJS.ValueType.Number, canonicalDecimal(report.mape), '0.0000']);
    expect([fva.actualThrough!.type, (fva.actualThrough!.value as Date).toISOString()]).toEqual([ExcelJS.ValueType.Date, `${report.actualThrough}T00:00:00.000Z`]);
    expect([fva.final!.type, fva.final!.value]).toEqual([ExcelJS.ValueType.Boolean, report.final]);
    expect(fva['snapshot.asOf']!.type).toBe(ExcelJS.ValueType.Date);
    expect([fva['snapshot.createdAt']!.type, fva['snapshot.createdAt']!.value]).toEqual([ExcelJS.ValueType.String, report.snapshot.createdAt]);

    const bfa = await parameterCells('/v1/reports/budget-forecast-actual?from=2026-01&to=2026-03&format=xlsx');
    expect([bfa.asOf!.type, (bfa.asOf!.value as Date).toISOString()]).toEqual([ExcelJS.ValueType.Date, '2026-03-15T00:00:00.000Z']);
    const bfaJson = await getJson('/v1/reports/budget-forecast-actual?from=2026-01&to=2026-03');
    if (bfaJson.mape === null) expect(bfa.mape!.type).toBe(ExcelJS.ValueType.Null);
    else expect([bfa.mape!.type, String(bfa.mape!.value)]).toEqual([ExcelJS.ValueType.Number, canonicalDecimal(bfaJson.mape)]);
  });
});

describe.each(CASES)('GET %s as XLSX, printed', (_name, rawUrl) => {
  it('prints landscape, fitted to as few pages wide as stay readable, header row and group columns on every page, footer naming report and page', async () => {
    const url = withSnapshot(rawUrl);
    const res = await get(`${url}&format=xlsx`);
    const sheet = await workbookOf(res.rawPayload);
    const headerRow = (sheet.views[0] as { ySplit: number }).ySplit;
    const header = (sheet.getRow(headerRow).values as unknown[]).slice(1).map(String);
    // campaignId, name, channel by campaign; the one group column otherwise.
    const groupColumns = header.findIndex((name) => !['campaignId', 'name', 'channel', 'month'].includes(name));
    expect(groupColumns).toBe(header[0] === 'campaignId' ? 3 : 1);
    // One page wide up to 16 figure columns; attribution's six models (31 figure columns) print two pages wide.
    const figureColumns = header.length - groupColumns;
    expect(sheet.pageSetup).toMatchObject({
      orientation: 'landscape',
      fitToPage: true,
      fitToWidth: figureColumns <= 16 ? 1 : Math.ceil(figureColumns / 16),
      fitToHeight: 0,
      printTitlesRow: `${headerRow}:${headerRow}`,
      printTitlesColumn: groupColumns === 3 ? 'A:C' : 'A:A',
    });
    const footer = sheet.headerFooter.oddFooter ?? '';
    expect(footer).toMatch(/&RPage &P of &N$/);
    const report = await getJson(url);
    expect(footer.startsWith(`&L${report.report}: `), footer).toBe(true);
    // The footer names what the file name does: the grouping, model or method, and the period.
    for (const value of [report.groupBy, report.model, report.method, report.asOf].filter((v) => v !== undefined)) expect(footer).toContain(String(value));
  });
});

describe('file names, CSV and XLSX alike', () => {
  it('never gives two downloads of different reports one name: burn by campaign and by channel, two asOf, two lookbacks', async () => {
    const urls = [
      '/v1/reports/burn?month=2026-03&asOf=2026-03-15',
      '/v1/reports/burn?month=2026-03&asOf=2026-03-15&groupBy=channel',
      '/v1/reports/burn?month=2026-03&asOf=2026-03-10',
      '/v1/reports/roi?month=2026-03&lookbackDays=30',
      '/v1/reports/roi?month=2026-03&lookbackDays=60',
      '/v1/reports/roi?month=2026-03&halfLifeDays=0.5',
      '/v1/reports/forecast?month=2026-03&asOf=2026-03-15&groupBy=channel',
    ];
    const names: string[] = [];
    for (const url of urls) {
      const csv = await get(`${url}&format=csv`);
      const xlsx = await get(`${url}&format=xlsx`);
      const csvName = /filename="(.+)\.csv"$/.exec(String(csv.headers['content-disposition']))?.[1];
      const xlsxName = /filename="(.+)\.xlsx"$/.exec(String(xlsx.headers['content-disposition']))?.[1];
      expect(csvName, url).toBeTruthy();
      expect(xlsxName, url).toBe(csvName); // one function names both
      expect(csvName, url).toMatch(/^[A-Za-z0-9._+-]+$/);
      names.push(csvName!);
    }
    expect(names).toEqual([
      'burn-campaign-2026-03-asof-2026-03-15',
      'burn-channel-2026-03-asof-2026-03-15',
      'burn-campaign-2026-03-asof-2026-03-10',
      'roi-campaign-linear-2026-03-01_2026-03-31-lookback-30d-halflife-7d',
      'roi-campaign-linear-2026-03-01_2026-03-31-lookback-60d-halflife-7d',
      'roi-campaign-linear-2026-03-01_2026-03-31-lookback-90d-halflife-0.5d',
      'forecast-channel-run_rate-2026-03-asof-2026-03-15',
    ]);
  });
});

describe('XLSX negotiation', () => {
  const BURN = '/v1/reports/burn?month=2026-03&asOf=2026-03-15';

  it('answers XLSX for Accept: the XLSX media type, the same cells as ?format=xlsx', async () => {
    const viaAccept = await xlsxOf(BURN, { accept: XLSX_MEDIA_TYPE });
    const viaQuery = await xlsxOf(`${BURN}&format=xlsx`);
    expect(viaAccept.res.headers['content-type']).toBe(XLSX_MEDIA_TYPE);
    const values = (sheet: Sheet) => [...sheet.rows, sheet.totals].map((row) => row.values);
    expect(values(viaAccept.sheet)).toEqual(values(viaQuery.sheet));
    expect(viaAccept.sheet.parameters).toEqual(viaQuery.sheet.parameters);
  });

  it('answers /v1/reports/<report>.csv and .xlsx as ?format=csv and ?format=xlsx do, whatever Accept says, and refuses format there', async () => {
    for (const [, rawUrl] of CASES) {
      const [path, query] = withSnapshot(rawUrl).split('?') as [string, string];
      const csv = await get(`${path}.csv?${query}`, { accept: 'application/json' });
      const viaFormat = await get(`${path}?${query}&format=csv`);
      expect(csv.statusCode, csv.body.slice(0, 200)).toBe(200);
      expect([csv.headers['content-type'], csv.headers['content-disposition'], csv.body]).toEqual([viaFormat.headers['content-type'], viaFormat.headers['content-disposition'], viaFormat.body]);
      const xlsx = await xlsxOf(`${path}.xlsx?${query}`);
      const xlsxViaFormat = await xlsxOf(`${path}?${query}&format=xlsx`);
      expect(xlsx.res.headers['content-disposition']).toBe(xlsxViaFormat.res.headers['content-disposition']);
      expect([...xlsx.sheet.rows, xlsx.sheet.totals].map((row) => row.values)).toEqual([...xlsxViaFormat.sheet.rows, xlsxViaFormat.sheet.totals].map((row) => row.values));
    }
    expect(errorPaths(await get('/v1/reports/burn.csv?month=2026-03&format=json'))).toEqual(['format']);
  });

  it('lets ?format win over Accept, and JSON first in Accept win over the rest', async () => {
    expect((await get(`${BURN}&format=csv`, { accept: XLSX_MEDIA_TYPE })).headers['content-type']).toMatch(/^text\/csv/);
    expect((await get(`${BURN}&format=json`, { accept: XLSX_MEDIA_TYPE })).headers['content-type']).toMatch(/^application\/json/);
    expect((await get(`${BURN}&format=xlsx`, { accept: 'text/csv' })).headers['content-type']).toBe(XLSX_MEDIA_TYPE);
    expect((await get(BURN, { accept: `application/json, ${XLSX_MEDIA_TYPE}` })).headers['content-type']).toMatch(/^application\/json/);
    expect((await get(BURN, { accept: `text/csv, ${XLSX_MEDIA_TYPE}` })).headers['content-type']).toMatch(/^text\/csv/);
    expect((await get(BURN, { accept: `${XLSX_MEDIA_TYPE}, text/csv` })).headers['content-type']).toBe(XLSX_MEDIA_TYPE);
    expect((await get(BURN)).headers['content-type']).toMatch(/^application\/json/);
  });

  it('refuses a format it does not know, naming format', async () => {
    expect(errorPaths(await get(`${BURN}&format=pdf`))).toEqual(['format']);
    expect(errorPaths(await get('/v1/reports/roi?from=2026-03-01&to=2026-03-31&format=xls'))).toEqual(['format']);
  });

  it('keeps lists to JSON and CSV: xlsx is for reports', async () => {
    expect(errorPaths(await t.call({ method: 'GET', url: '/v1/campaigns?format=xlsx', role: 'ops' }))).toEqual(['format']);
  });
});
