/**
 * The CSV writer's formula guard (OWASP CSV injection): a text cell that
 * starts with `=`, `+`, `-`, `@`, tab, CR or LF gets a leading apostrophe,
 * and a number, negative ones included, stays a number.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { csvCell, toCsv } from '../src/lib/csv.js';
import { parseCsv } from './helper.js';

const FORMULA_STARTS = ['=', '+', '-', '@', '\t', '\r', '\n'];

describe('csvCell', () => {
  it('neutralises every leading character OWASP lists, line feed included', () => {
    expect(csvCell('\n=1+1')).toBe(`"'\n=1+1"`);
    expect(csvCell('\r\n@SUM(A1)')).toBe(`"'\r\n@SUM(A1)"`);
    expect(csvCell('\tcmd')).toBe(`'\tcmd`);
    expect(csvCell('=HYPERLINK("http://x","y")')).toBe(`"'=HYPERLINK(""http://x"",""y"")"`);
    expect(csvCell('plain')).toBe('plain');
    // A line feed further in is only quoted: the cell does not start a formula.
    expect(csvCell('a\n=1')).toBe('"a\n=1"');
  });

  it('leaves numbers as numbers: negative amounts, as strings or numbers', () => {
    expect(csvCell('-12.50')).toBe('-12.50');
    expect(csvCell(-3)).toBe('-3');
    expect(csvCell('-0.000001')).toBe('-0.000001');
    // Not a plain number: neutralised.
    expect(csvCell('-1+2')).toBe("'-1+2");
    expect(csvCell('+5')).toBe("'+5");
  });

  it('any text starting with a formula character reads back, through a CSV parser, as an apostrophe and the text', () => {
    fc.assert(
      fc.property(fc.constantFrom(...FORMULA_STARTS), fc.string(), (start, rest) => {
        const text = start + rest;
        fc.pre(!/^-?\d+(\.\d+)?$/.test(text));
        expect(parseCsv(toCsv(['name'], [{ name: text }]))).toEqual([['name'], [`'${text}`]]);
      }),
    );
  });

  it('any decimal string, negative ones included, is written unchanged', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(10n ** 18n), max: 10n ** 18n }), fc.nat({ max: 6 }), (micros, places) => {
        const digits = (micros < 0n ? -micros : micros).toString().padStart(places + 1, '0');
        const text = `${micros < 0n ? '-' : ''}${places ? `${digits.slice(0, -places)}.${digits.slice(-places)}` : digits}`;
        expect(csvCell(text)).toBe(text);
      }),
    );
  });
});
