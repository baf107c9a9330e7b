/** The CSV reader and the platform formats, without HTTP. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CsvSizeGuard, CsvSyntaxError, readCsvRecords } from '../../src/lib/csv-reader.js';
import { locateHeader, parseImport, platformAmount } from '../../src/features/spend/import/formats.js';

const read = (text: string) => [...readCsvRecords(text)];

describe('readCsvRecords', () => {
  it('reads quotes, doubled quotes, commas and newlines inside quotes, and names each record’s first line', () => {
    const text = '\uFEFFa,"b, c","say ""hi"""\r\n"two\r\nlines",x\nlast,,\rafter';
    expect(read(text)).toEqual([
      { line: 1, fields: ['a', 'b, c', 'say "hi"'] },
      { line: 2, fields: ['two\r\nlines', 'x'] },
      { line: 4, fields: ['last', '', ''] },
      { line: 5, fields: ['after'] },
    ]);
  });

  it('gives back what a writer wrote, with the right start lines (property)', () => {
    const field = fc.string({ unit: fc.constantFrom('a', 'b', ',', '"', '\n', '\r\n', ' ', 'é') });
    const record = fc.array(field, { minLength: 1, maxLength: 5 }).filter((r) => !(r.length === 1 && r[0] === ''));
    fc.assert(
      fc.property(fc.array(record, { minLength: 1, maxLength: 8 }), fc.constantFrom('\n', '\r\n'), (records, eol) => {
        const quote = (f: string) => (/[",\r\n]/.test(f) ? `"${f.replace(/"/g, '""')}"` : f);
        const lines = records.map((r) => r.map(quote).join(','));
        const got = read(lines.join(eol) + eol);
        expect(got.map((r) => r.fields)).toEqual(records);
        // A record starts one line after the previous one ends: 1 + the newlines before it.
        let line = 1;
        records.forEach((r, i) => {
          expect(got[i]!.line).toBe(line);
          line += 1 + (lines[i]!.match(/\r\n|\n/g)?.length ?? 0);
        });
      }),
    );
  });

  it('refuses what is not CSV, naming the line and field', () => {
    const error = (text: string) => {
      try {
        read(text);
      } catch (e) {
        return e instanceof CsvSyntaxError ? [e.line, e.field, e.message] : e;
      }
      return null;
    };
    expect(error('a,b\nc,"open\n\n')).toEqual([2, 2, 'field 2 opens a quote that is never closed']);
    expect(error('a,"b"c\n')).toEqual([1, 2, 'field 2 has text after its closing quote']);
    expect(error('ok\n12" screen,1\n')).toEqual([2, 1, 'field 1 has a quote but does not start with one: quote the whole field']);
    // U+0000, unquoted or inside a quoted field spanning lines: named on the line its record starts.
    expect(error('a,b\nc,d\u0000\n')).toEqual([2, 2, 'field 2 holds a NUL character (U+0000), which no spend export contains']);
    expect(error('a,b\n"x\ny",\n"\u0000z"\n')).toEqual([4, 1, 'field 1 holds a NUL character (U+0000), which no spend export contains']);
    expect(read('a,b\nc,d\n')).toHaveLength(2);
  });
});

describe('platform formats', () => {
  it('platform amounts: plain, grouped by thousands, -- and blank as 0; anything else is not a number', () => {
    expect(platformAmount('1,234.56')).toBe(1_234_560_000n);
    expect(platformAmount('1234.5')).toBe(1_234_500_000n);
    expect(platformAmount('-12,000')).toBe(-12_000_000_000n);
    expect(platformAmount('--')).toBe(0n);
    expect(platformAmount(' ')).toBe(0n);
    for (const bad of ['1,23.45', '12,34', '$12.00', '1.234,56', '1e3', '12.1234567']) expect(platformAmount(bad), bad).toBeNull();
  });

  it('locateHeader finds the header below the title lines, or -1', () => {
    const records = [['Campaign report'], ['March 1, 2026 - March 7, 2026'], ['Day', 'Campaign', 'Cost', 'Currency code'], ['2026-03-01', 'x', '1', 'USD']];
    expect(locateHeader('google_ads', records)).toBe(2);
    expect(locateHeader('meta', records)).toBe(-1);
    // generic: the header is the first non-blank line or nothing.
    expect(locateHeader('generic', [[''], ['date', 'campaign', 'amount', 'currency']])).toBe(1);
    expect(locateHeader('generic', [['title'], ['date', 'campaign', 'amount', 'currency']])).toBe(-1);
  });

  it('headers match trimmed and case-insensitively, in any order, other columns ignored', () => {
    const file = parseImport('linkedin', ' total spent ,Clicks,CURRENCY,campaign name,Start Date\n"1,000.10",3,GBP,Brand,2026-03-01\n');
    expect(file.errors).toEqual([]);
    expect(file.rows).toEqual([
      { line: 2, campaign: 'Brand', campaignId: null, platformId: null, date: '2026-03-01', amount: 1_000_100_000n, currency: 'GBP', source: 'linkedin', reference: null },
    ]);
  });

  it('lists at most 1,000 errors, then says it stopped', () => {
    const rows = Array.from({ length: 1500 }, () => '2026-03-01,a,oops,USD');
    const file = parseImport('generic', `date,campaignId,amount,currency\n${rows.join('\n')}\n`);
    expect(file.errors).toHaveLength(1001);
    expect(file.errors[1000]).toEqual({ path: '', message: 'stopped after 1000 errors; fix these and import again' });
  });
});

describe('CsvSizeGuard: line and field bounds checked as bytes arrive', () => {
  /** Feeds `text` in chunks of `size` bytes; the error it throws, or null. */
  function guard(text: string, size: number, maxLine = 20, maxField = 8): CsvSyntaxError | null {
    const g = new CsvSizeGuard(maxLine, maxField);
    const bytes = Buffer.from(text, 'utf8');
    try {
      for (let i = 0; i < bytes.length; i += size) g.push(bytes.subarray(i, i + size));
      return null;
    } catch (error) {
      if (error instanceof CsvSyntaxError) return error;
      throw error;
    }
  }

  it('names the line and field past a bound, however the bytes are chunked', () => {
    for (const size of [1, 3, 7, 1000]) {
      // Line 3 (after a CRLF and a lone CR) has 21 bytes: one past 20; every field of it at most 8.
      const line = guard('a,b\r\nc\rabcdefg,abcdefg,abcde\n', size);
      expect([line?.line, line?.field, line?.message]).toEqual([3, 3, "the line is longer than 20 bytes, which no ad platform's export reaches"]);
      // Field 2 of line 2 reaches 9 bytes.
      const field = guard('x\nab,123456789\n', size);
      expect([field?.line, field?.field]).toEqual([2, 2]);
      // A quoted field spanning lines is bounded as a whole, and named at the line it starts on.
      const quoted = guard('h\n"1\n2\n3\n4\n5\n"\n', size);
      expect([quoted?.line, quoted?.field, quoted?.message.endsWith('a quote is probably never closed')]).toEqual([2, 1, true]);
      // At the bounds exactly: accepted (a 20-byte line of 8-byte fields, an 8-byte quoted field with its quotes).
      expect(guard('12345678,12345678,12\r\n"123456"\n', size)).toBeNull();
    }
  });

  it('counts lines as readCsvRecords does (property): the guard never refuses a file within its bounds', () => {
    const field = fc.string({ unit: fc.constantFrom('a', ',', '"', '\n', '\r\n', '\r', 'é'), maxLength: 6 });
    fc.assert(
      fc.property(fc.array(fc.array(field, { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 6 }), fc.integer({ min: 1, max: 9 }), (records, size) => {
        const quote = (f: string) => (/[",\r\n]/.test(f) ? `"${f.replace(/"/g, '""')}"` : f);
        const text = records.map((r) => r.map(quote).join(',')).join('\n') + '\n';
        // Generous bounds: never reached, so no error, whatever the chunking.
        expect(guard(text, size, 1 << 20, 1 << 20)).toBeNull();
        // A bound of 1 byte per field: the first field of 2+ bytes is named on the line readCsvRecords gives its record.
        const err = guard(text, size, 1 << 20, 1);
        const offending = [...readCsvRecords(text)].find((r) => r.fields.some((f) => Buffer.byteLength(quote(f)) > 1));
        expect(err?.line ?? null).toBe(offending === undefined ? null : err!.line);
        if (offending && !records.some((r) => r.some((f) => /[\r\n]/.test(f)))) expect(err!.line).toBe(offending.line);
      }),
    );
  });
});
