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

/**
 * The records of `text`, in order. A blank line is a record of one empty
 * field. A field holding U+0000 is an error naming it: no export has one (it
 * is a binary file's byte), PostgreSQL cannot hold it in text, and a name
 * with an invisible character in it would match no campaign, on either store.
 */
export function* readCsvRecords(text: string): Generator<CsvRecord> {
  let at = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  const end = text.length;
  let line = 1;
  // Found once for the whole text: the records before it pay nothing.
  const nul = text.indexOf('\u0000', at);
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
    if (nul !== -1 && nul < at) {
      const field = fields.findIndex((value) => value.includes('\u0000')) + 1;
      throw new CsvSyntaxError(startLine, field, `field ${field} holds a NUL character (U+0000), which no spend export contains`);
    }
    yield { line: startLine, fields };
  }
}

/**
 * Bounds on what a CSV file may hold, in bytes. An ad platform's spend
 * export has lines of a few hundred bytes: a date, a campaign name (Google
 * Ads, Meta and LinkedIn cap names at a few hundred characters), ids,
 * numbers, and at most a few dozen columns; its longest field is a name or a
 * URL (browsers and the platforms stop at a few thousand characters). A line
 * of 64 KiB or a field of 16 KiB is ten times anything a real export
 * reaches, so a file past them is not an export (a binary file, a quote never
 * closed, or an attempt to make the server build one huge string), and is
 * refused as its bytes arrive, naming the line, before it is held whole.
 */
export const MAX_LINE_BYTES = 64 * 1024;
export const MAX_FIELD_BYTES = 16 * 1024;

// Where the guard stands within a record (as the reader above reads it).
const FIELD_START = 0;
const UNQUOTED = 1;
const QUOTED = 2;
/** Just read a quote inside a quoted field: a doubled quote follows, or the field is closed. */
const QUOTE_IN_QUOTED = 3;

/**
 * Checks the bounds above over a file's bytes as they stream in, chunk by
 * chunk, holding nothing: `push` throws a CsvSyntaxError naming the line
 * (counted as readCsvRecords counts them) and the field as soon as a line
 * or a field grows past its bound. A quoted field may span lines; it is
 * bounded as a whole, each of its lines as a line.
 */
export class CsvSizeGuard {
  private line = 1;
  private lineBytes = 0;
  private field = 1;
  private fieldLine = 1;
  private fieldBytes = 0;
  private state = FIELD_START;
  /** The previous byte was a CR: an LF right after it is the same line break. */
  private pendingCR = false;

  constructor(
    private readonly maxLineBytes = MAX_LINE_BYTES,
    private readonly maxFieldBytes = MAX_FIELD_BYTES,
  ) {}

  push(chunk: Uint8Array): void {
    const length = chunk.length;
    for (let i = 0; i < length; i++) {
      const byte = chunk[i]!;
      if (this.pendingCR) {
        this.pendingCR = false;
        if (byte === LF) continue;
      }
      if (byte === CR || byte === LF) {
        this.pendingCR = byte === CR;
        this.line++;
        this.lineBytes = 0;
        if (this.state === QUOTED) {
          this.fieldBytes++;
        } else {
          this.state = FIELD_START;
          this.field = 1;
          this.fieldBytes = 0;
          this.fieldLine = this.line;
        }
        continue;
      }
      this.lineBytes++;
      if (byte === COMMA && this.state !== QUOTED) {
        this.state = FIELD_START;
        this.field++;
        this.fieldBytes = 0;
        this.fieldLine = this.line;
      } else {
        this.fieldBytes++;
        if (byte === QUOTE) {
          if (this.state === FIELD_START) this.state = QUOTED;
          else if (this.state === QUOTED) this.state = QUOTE_IN_QUOTED;
          else if (this.state === QUOTE_IN_QUOTED) this.state = QUOTED;
        } else if (this.state !== QUOTED) {
          this.state = UNQUOTED;
        }
      }
      if (this.lineBytes > this.maxLineBytes) {
        throw new CsvSyntaxError(this.line, this.field, `the line is longer than ${sizeText(this.maxLineBytes)}, which no ad platform's export reaches`);
      }
      if (this.fieldBytes > this.maxFieldBytes) {
        const why = this.state === QUOTED ? ': a quote is probably never closed' : '';
        throw new CsvSyntaxError(this.fieldLine, this.field, `field ${this.field} is longer than ${sizeText(this.maxFieldBytes)}, which no ad platform's export reaches${why}`);
      }
    }
  }
}

const sizeText = (bytes: number) => (bytes % 1024 === 0 ? `${bytes / 1024} KiB` : `${bytes} bytes`);
