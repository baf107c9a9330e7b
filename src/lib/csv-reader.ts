/**
 * An RFC 4180 CSV reader for imported files: comma separated, fields quoted
 * with `"` (a quote inside doubled), CRLF, LF or a lone CR ending a record,
 * an optional UTF-8 byte order mark. Each record comes with the line it
 * starts on, so an error can name the line a person sees in an editor even
 * when an earlier quoted field spans several lines.
 *
 * Not csv-parse: it reports the line a record ends on, not the one it starts
 * on, and on a file whose title lines are shorter than its header (every ad
 * platform's export) it builds an error object for each record. This reader
 * is strict where a lenient one would guess: a quote inside an unquoted
 * field, text after a closing quote and an unclosed quote are errors naming
 * the line and the field.
 */

export interface CsvRecord {
  /** 1-based line of the file on which the record starts. */
  line: number;
  fields: string[];
}

export class CsvSyntaxError extends Error {
  constructor(
    readonly line: number,
    /** 1-based field number within the record. */
    readonly field: number,
    message: string,
  ) {
    super(message);
  }
}

const QUOTE = 34;
const COMMA = 44;
const CR = 13;
const LF = 10;

/** The records of `text`, in order. A blank line is a record of one empty field. */
export function* readCsvRecords(text: string): Generator<CsvRecord> {
  let at = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  const end = text.length;
  let line = 1;
  while (at < end) {
    const startLine = line;
    const fields: string[] = [];
    for (;;) {
      // One field, starting at `at`.
      if (text.charCodeAt(at) === QUOTE) {
        let value = '';
        let from = at + 1;
        for (;;) {
          const close = text.indexOf('"', from);
          if (close === -1) {
            throw new CsvSyntaxError(startLine, fields.length + 1, `field ${fields.length + 1} opens a quote that is never closed`);
          }
          value += text.slice(from, close);
          if (text.charCodeAt(close + 1) === QUOTE) {
            value += '"';
            from = close + 2;
            continue;
          }
          for (let k = at + 1; k < close; k++) {
            const c = text.charCodeAt(k);
            if (c === LF || (c === CR && text.charCodeAt(k + 1) !== LF)) line++;
          }
          at = close + 1;
          break;
        }
        fields.push(value);
        const next = text.charCodeAt(at);
        if (at < end && next !== COMMA && next !== CR && next !== LF) {
          throw new CsvSyntaxError(line, fields.length, `field ${fields.length} has text after its closing quote`);
        }
      } else {
        let k = at;
        for (; k < end; k++) {
          const c = text.charCodeAt(k);
          if (c === COMMA || c === CR || c === LF) break;
          if (c === QUOTE) {
            throw new CsvSyntaxError(line, fields.length + 1, `field ${fields.length + 1} has a quote but does not start with one: quote the whole field`);
          }
        }
        fields.push(text.slice(at, k));
        at = k;
      }
      if (at >= end) break;
      const c = text.charCodeAt(at);
      if (c === COMMA) {
        at++;
        continue;
      }
      // End of record: CRLF, LF or CR.
      at += c === CR && text.charCodeAt(at + 1) === LF ? 2 : 1;
      line++;
      break;
    }
    yield { line: startLine, fields };
  }
}
