/**
 * src/lib/xlsx.ts on its own: each workbook is read back with exceljs, the
 * library that wrote it, and checked cell by cell: types, values, number
 * formats, the frozen header, the parameters and the totals row.
 */
import ExcelJS from 'exceljs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalDecimal, exactNumber, moneyFormat, pagesWide, toXlsx, visibleText, type XlsxReport } from '../src/lib/xlsx.js';

const GENERATED_AT = new Date('2026-03-15T12:00:00.000Z');

/** Two campaigns in March; the second a credit (a negative amount), with a name that looks like a formula. */
const REPORT: XlsxReport = {
  title: 'burn',
  currency: 'USD',
  parameters: [
    ['report', 'burn'],
    ['from', '2026-03'],
    ['to', '2026-03'],
    ['asOf', '2026-03-15'],
    ['lookbackDays', 90],
  ],
  columns: [
    { name: 'campaignId', kind: 'text' },
    { name: 'name', kind: 'text' },
    { name: 'planned', kind: 'money' },
    { name: 'burnRate', kind: 'ratio' },
    { name: 'conversions', kind: 'count' },
    { name: 'daysElapsed', kind: 'integer' },
    { name: 'exhaustionDate', kind: 'date' },
    { name: 'final', kind: 'boolean' },
  ],
  rows: [
    { campaignId: 'c1', name: 'Spring search', planned: '1234.50', burnRate: '0.5806', conversions: '12.5000', daysElapsed: 15, exhaustionDate: '2026-03-26', final: false },
    { campaignId: 'c2', name: '=HYPERLINK("http://x")', planned: '-1000000.25', burnRate: null, conversions: '0.3333', daysElapsed: 15, exhaustionDate: null, final: true },
  ],
  totals: { planned: '-998765.75', burnRate: '-0.0012', conversions: '12.8333', daysElapsed: 15, exhaustionDate: null },
  generatedAt: GENERATED_AT,
};

async function read(buffer: Buffer): Promise<ExcelJS.Workbook> {
  const workbook = new ExcelJS.Workbook();
  await workbook.xlsx.load(buffer as unknown as Parameters<ExcelJS.Xlsx['load']>[0]);
  return workbook;
}

async function sheetOf(report: XlsxReport): Promise<ExcelJS.Worksheet> {
  const workbook = await read(await toXlsx(report));
  expect(workbook.worksheets).toHaveLength(1);
  return workbook.worksheets[0]!;
}

describe('exactNumber: a decimal string becomes a number only when a double holds it exactly', () => {
  it.each([
    ['1234.50', 1234.5],
    ['0.1000', 0.1],
    ['-0.00', 0],
    ['-12.30', -12.3],
    ['0', 0],
    ['12345678901234.56', 12345678901234.56], // 16 significant digits that a double holds
  ])('%s', (text, expected) => {
    expect(exactNumber(text)).toBe(expected);
    expect(Object.is(exactNumber(text), -0)).toBe(false);
  });

  it('refuses what a double cannot hold, and what is not a decimal', () => {
    expect(exactNumber('12345678901234567.89')).toBeNull(); // 19 significant digits
    expect(exactNumber('9007199254740993')).toBeNull(); // 2^53 + 1
    expect(exactNumber('9007199254740992')).toBe(9007199254740992); // 2^53 itself
    expect(exactNumber('999999999999.999999')).toBeNull(); // the widest amount an input takes, 18 significant digits
    for (const text of ['', 'abc', '1e5', '1.', '.5', '+1', '1,000.00', ' 1']) expect(exactNumber(text), text).toBeNull();
  });

  it('compares with the canonical form of the decimal', () => {
    expect(canonicalDecimal('1234.50')).toBe('1234.5');
    expect(canonicalDecimal('-0012.500')).toBe('-12.5');
    expect(canonicalDecimal('-0.00')).toBe('0');
    expect(canonicalDecimal('100')).toBe('100');
    expect(canonicalDecimal('100.0')).toBe('100');
  });
});

describe('moneyFormat: the currency’s minor unit of decimals and its code', () => {
  it('gives USD two decimals, JPY none, KWD three', () => {
    expect(moneyFormat('USD')).toBe('#,##0.00 "USD"');
    expect(moneyFormat('JPY')).toBe('#,##0 "JPY"');
    expect(moneyFormat('KWD')).toBe('#,##0.000 "KWD"');
  });
});

describe('toXlsx', () => {
  it('puts the parameters on top, one a row, generatedAt last, then a blank row', async () => {
    const sheet = await sheetOf(REPORT);
    expect(sheet.name).toBe('burn');
    const parameters = [1, 2, 3, 4, 5, 6].map((r) => [sheet.getCell(r, 1).value, sheet.getCell(r, 2).value]);
    expect(parameters).toEqual([
      ['report', 'burn'],
      ['from', '2026-03'],
      ['to', '2026-03'],
      ['asOf', '2026-03-15'],
      ['lookbackDays', 90],
      ['generatedAt', '2026-03-15T12:00:00.000Z'],
    ]);
    expect(sheet.getCell(2, 2).type).toBe(ExcelJS.ValueType.String); // a month is text, as the JSON has it
    expect(sheet.getCell(5, 2).type).toBe(ExcelJS.ValueType.Number);
    expect(sheet.getRow(7).cellCount).toBe(0);
  });

  it('writes the header of the JSON field names in bold, freezes the panes below it and filters the data rows', async () => {
    const sheet = await sheetOf(REPORT);
    const header = sheet.getRow(8);
    expect(header.values).toEqual([undefined, 'campaignId', 'name', 'planned', 'burnRate', 'conversions', 'daysElapsed', 'exhaustionDate', 'final']);
    expect(header.getCell(1).font?.bold).toBe(true);
    expect(sheet.views).toEqual([expect.objectContaining({ state: 'frozen', ySplit: 8, topLeftCell: 'A9' })]);
    expect(sheet.autoFilter).toBe('A8:H10'); // header and the two rows, not the totals
  });

  it('types every cell by its column’s kind, with its number format', async () => {
    const sheet = await sheetOf(REPORT);
    const row = sheet.getRow(9);
    const cell = (column: number) => row.getCell(column);

    expect([cell(1).type, cell(1).value]).toEqual([ExcelJS.ValueType.String, 'c1']);
    expect([cell(3).type, cell(3).value, cell(3).numFmt]).toEqual([ExcelJS.ValueType.Number, 1234.5, '#,##0.00 "USD"']);
    expect([cell(4).type, cell(4).value, cell(4).numFmt]).toEqual([ExcelJS.ValueType.Number, 0.5806, '0.0000']);
    expect([cell(5).type, cell(5).value, cell(5).numFmt]).toEqual([ExcelJS.ValueType.Number, 12.5, '#,##0.0000']);
    expect([cell(6).type, cell(6).value, cell(6).numFmt]).toEqual([ExcelJS.ValueType.Number, 15, '0']);
    expect([cell(7).type, cell(7).value, cell(7).numFmt]).toEqual([ExcelJS.ValueType.Date, new Date('2026-03-26T00:00:00.000Z'), 'yyyy-mm-dd']);
    expect([cell(8).type, cell(8).value]).toEqual([ExcelJS.ValueType.Boolean, false]);
  });

  it('writes a negative amount as a negative number (the format shows its minus), null as an empty cell', async () => {
    const sheet = await sheetOf(REPORT);
    const row = sheet.getRow(10);
    expect([row.getCell(3).type, row.getCell(3).value, row.getCell(3).numFmt]).toEqual([ExcelJS.ValueType.Number, -1000000.25, '#,##0.00 "USD"']);
    expect(moneyFormat('USD')).not.toContain(';'); // one section: negatives are the same format with a minus
    expect(row.getCell(4).type).toBe(ExcelJS.ValueType.Null);
    expect(row.getCell(7).type).toBe(ExcelJS.ValueType.Null);
  });

  it('writes text that looks like a formula as a plain string, never a formula, with no apostrophe', async () => {
    const sheet = await sheetOf(REPORT);
    const cell = sheet.getCell(10, 2);
    expect(cell.type).toBe(ExcelJS.ValueType.String);
    expect(cell.value).toBe('=HYPERLINK("http://x")');
    expect(cell.formula).toBeUndefined();
  });

  it('ends with the totals row, bold, TOTAL in the first column', async () => {
    const sheet = await sheetOf(REPORT);
    expect(sheet.rowCount).toBe(11);
    const totals = sheet.getRow(11);
    expect([totals.getCell(1).type, totals.getCell(1).value]).toEqual([ExcelJS.ValueType.String, 'TOTAL']);
    expect(totals.getCell(1).font?.bold).toBe(true);
    expect(totals.getCell(3).font?.bold).toBe(true);
    expect([totals.getCell(3).value, totals.getCell(4).value, totals.getCell(5).value]).toEqual([-998765.75, -0.0012, 12.8333]);
    expect(totals.getCell(2).type).toBe(ExcelJS.ValueType.Null); // no name on the totals
  });

  it('keeps an amount a double cannot hold exactly as a text cell of the exact decimal', async () => {
    const huge = '12345678901234567.89';
    const sheet = await sheetOf({ ...REPORT, rows: [{ ...REPORT.rows[0], planned: huge }], totals: { planned: huge } });
    for (const cell of [sheet.getCell(9, 3), sheet.getCell(10, 3)]) {
      expect(cell.type).toBe(ExcelJS.ValueType.String);
      expect(cell.value).toBe(huge);
    }
  });

  it('formats money in yen with no decimals, in dinars with three', async () => {
    const yen = await sheetOf({ ...REPORT, currency: 'JPY', rows: [{ ...REPORT.rows[0], planned: '150000' }], totals: { planned: '150000' } });
    expect([yen.getCell(9, 3).value, yen.getCell(9, 3).numFmt]).toEqual([150000, '#,##0 "JPY"']);
    const dinar = await sheetOf({ ...REPORT, currency: 'KWD', rows: [{ ...REPORT.rows[0], planned: '12.345' }], totals: { planned: '12.345' } });
    expect([dinar.getCell(9, 3).value, dinar.getCell(9, 3).numFmt]).toEqual([12.345, '#,##0.000 "KWD"']);
  });

  it('writes the same day for a date whatever the machine’s time zone', async () => {
    const zone = process.env.TZ;
    try {
      for (const tz of ['Pacific/Kiritimati', 'Pacific/Pago_Pago', 'UTC']) {
        process.env.TZ = tz;
        const sheet = await sheetOf(REPORT);
        const value = sheet.getCell(9, 7).value as Date;
        expect(value.toISOString(), tz).toBe('2026-03-26T00:00:00.000Z');
      }
    } finally {
      if (zone === undefined) delete process.env.TZ;
      else process.env.TZ = zone;
    }
  });

  it('gives every column a width that shows its widest value', async () => {
    const sheet = await sheetOf(REPORT);
    expect(sheet.getColumn(2).width).toBeGreaterThanOrEqual('=HYPERLINK("http://x")'.length);
    expect(sheet.getColumn(3).width).toBeGreaterThanOrEqual('-1,000,000.25 USD'.length);
    for (let c = 1; c <= 8; c++) expect(sheet.getColumn(c).width, `column ${c}`).toBeLessThanOrEqual(48);
  });

  it('names the sheet as Excel allows', async () => {
    const sheet = await sheetOf({ ...REPORT, title: 'a/b:c*d?[e]-and-a-title-longer-than-thirty-one' });
    expect(sheet.name).toBe('a-b-c-d--e--and-a-title-longer-');
  });
});

describe('any text makes a workbook that opens', () => {
  it('writes each character a cell cannot hold as U+FFFD, and keeps the rest', () => {
    expect(visibleText('a\u0001b\u0000c\u001fd\u007fe')).toBe('a\uFFFDb\uFFFDc\uFFFDd\uFFFDe');
    expect(visibleText('x\uFFFEy\uFFFFz')).toBe('x\uFFFDy\uFFFDz');
    expect(visibleText('lone \uD800 and \uDC00, pair \uD83D\uDE00')).toBe('lone \uFFFD and \uFFFD, pair \uD83D\uDE00');
    expect(visibleText('tab\tLF\nCR\r, C1 \u0085, é, 中')).toBe('tab\tLF\nCR\r, C1 \u0085, é, 中');
  });

  it('reads back a campaign named with U+FFFE, controls, CR and Excel-escape lookalikes as documented', async () => {
    const names = ['Spring\uFFFE', 'tab\there\u0001\u0002', 'line\r\nbreak\rCR', '_x0041_ stays, _x005F_ too', 'half \uD800 pair'];
    const sheet = await sheetOf({ ...REPORT, rows: names.map((name, i) => ({ campaignId: `c${i}`, name })) });
    expect(names.map((_, i) => sheet.getCell(9 + i, 2).value)).toEqual([
      'Spring\uFFFD',
      'tab\there\uFFFD\uFFFD',
      'line\r\nbreak\rCR',
      '_x0041_ stays, _x005F_ too',
      'half \uFFFD pair',
    ]);
  });

  // Units that find what breaks a workbook: every C0 control, DEL, the two non-characters, both halves of a
  // surrogate pair alone, Excel's escape and its lookalikes, and any code point at all.
  const unit = fc.oneof(
    fc.integer({ min: 0, max: 0x20 }).map((code) => String.fromCharCode(code)),
    fc.constantFrom('\u007f', '\uFFFE', '\uFFFF', '\uD800', '\uDBFF', '\uDC00', '\uDFFF', '_', 'x', '_x0041_', '_x000D_', '_x005f_', '_X0041_', '\r\n'),
    fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
  );
  const text = fc.string({ unit, maxLength: 12 });

  it('property: every string, as campaign id, name or parameter, reads back as visibleText of itself', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(text, text), { minLength: 1, maxLength: 4 }), text, text, async (rows, label, value) => {
        const report: XlsxReport = {
          ...REPORT,
          parameters: [[label, value], ['report', 'burn']],
          rows: rows.map(([campaignId, name]) => ({ campaignId, name })),
          totals: {},
        };
        const workbook = await read(await toXlsx(report));
        const sheet = workbook.worksheets[0]!;
        const shown = visibleText;
        expect([sheet.getCell(1, 1).value, sheet.getCell(1, 2).value]).toEqual([shown(label), shown(value)]);
        // Rows 1-3 the parameters (generatedAt last), 4 blank, 5 the header, the rows from 6.
        rows.forEach(([campaignId, name], i) => {
          expect([sheet.getCell(6 + i, 1).value, sheet.getCell(6 + i, 2).value]).toEqual([shown(campaignId), shown(name)]);
        });
      }),
      { numRuns: 300 },
    );
  });
});

describe('print setup', () => {
  async function sheetOf(report: XlsxReport): Promise<ExcelJS.Worksheet> {
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load((await toXlsx(report)) as unknown as Parameters<ExcelJS.Xlsx['load']>[0]);
    return workbook.worksheets[0]!;
  }

  it('prints landscape, one page wide, header row and the group columns on every page', async () => {
    // 5 parameters + generatedAt on rows 1-6, a blank row 7: the header is row 8.
    const sheet = await sheetOf({ ...REPORT, titleColumns: 2, caption: 'burn: groupBy campaign' });
    expect(sheet.pageSetup).toMatchObject({ orientation: 'landscape', fitToPage: true, fitToWidth: 1, fitToHeight: 0, printTitlesRow: '8:8', printTitlesColumn: 'A:B' });
    expect(sheet.headerFooter.oddFooter).toBe('&Lburn: groupBy campaign&RPage &P of &N');
  });

  it('spreads a wide sheet over pages wide of at most 16 figure columns, each repeating the group columns', () => {
    // burn by campaign: 16 columns, 3 of them the group: 13 figures, one page.
    expect(pagesWide(16, 3)).toBe(1);
    // 16 figures still fit one page; 17 need two.
    expect([pagesWide(19, 3), pagesWide(20, 3)]).toEqual([1, 2]);
    // attribution by campaign, six models: 3 group + currency + spend + 6 x 5 = 35 columns, 32 figures: two pages.
    expect(pagesWide(35, 3)).toBe(2);
    expect(pagesWide(1, 1)).toBe(1);
  });

  it('repeats the first column when told of none, and doubles an & in the caption so it prints as one', async () => {
    const sheet = await sheetOf({ ...REPORT, caption: 'R&D spend\nQ1' });
    expect(sheet.pageSetup.printTitlesColumn).toBe('A:A');
    expect(sheet.headerFooter.oddFooter).toBe('&LR&&D spend Q1&RPage &P of &N');
  });

  it('types a parameter given a kind as a column of that kind: a day a date, a ratio a number', async () => {
    const sheet = await sheetOf({ ...REPORT, parameters: [['asOf', '2026-03-15', 'date'], ['from', '2026-03', 'date'], ['mape', '0.1170', 'ratio'], ['note', '0.1170']] });
    expect([sheet.getCell(1, 2).type, (sheet.getCell(1, 2).value as Date).toISOString(), sheet.getCell(1, 2).numFmt]).toEqual([ExcelJS.ValueType.Date, '2026-03-15T00:00:00.000Z', 'yyyy-mm-dd']);
    expect([sheet.getCell(2, 2).type, sheet.getCell(2, 2).value]).toEqual([ExcelJS.ValueType.String, '2026-03']); // a month: no day to make a date of
    expect([sheet.getCell(3, 2).type, sheet.getCell(3, 2).value, sheet.getCell(3, 2).numFmt]).toEqual([ExcelJS.ValueType.Number, 0.117, '0.0000']);
    expect([sheet.getCell(4, 2).type, sheet.getCell(4, 2).value]).toEqual([ExcelJS.ValueType.String, '0.1170']); // no kind: text as given
  });
});
