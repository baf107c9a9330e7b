/**
 * Splits an import file into the parts `spendbook import` sends, one request
 * each, without ever holding the file whole.
 *
 * The lines above and including the header (an ad platform's title lines,
 * then its column names) are kept verbatim as a prefix that starts every
 * part, because the server reads each request as a file of its own. The data
 * records below are cut into parts of `batchRows` rows (blank lines ride
 * along and do not count), only at record ends: a quoted field may hold line
 * breaks, so the scanner follows RFC 4180 quoting as src/lib/csv-reader.ts
 * does. Line breaks are LF, CRLF or a lone CR; a UTF-8 byte order mark stays
 * in the prefix, where the server expects it.
 *
 * Each part knows the line of the original file on which its first record
 * starts, so the server can name original lines in its errors (`firstLine`).
 * Lines are counted as the server counts them: every line break, inside a
 * quoted field too.
 *
 * `PartSplitter` is pure and synchronous (bytes in, parts out), so it is
 * tested without files; `readParts` feeds it from a file stream.
 */
import { createReadStream } from 'node:fs';
import { locateHeader, MAX_PREAMBLE_LINES, type ImportFormat } from '../features/spend/import/formats.js';
import { CsvSizeGuard, CsvSyntaxError, readCsvRecords } from '../lib/csv-reader.js';

export interface Part {
  /** 1-based. */
  index: number;
  /** The line of the original file on which the part's first record starts. */
  firstLine: number;
  /** The last line of the original file the part holds (firstLine - 1 for a part of no records). */
  lastLine: number;
  /** Data rows: the part's records that are not blank lines. */
  rows: number;
  /** The prefix, then the part's records, byte for byte as in the file. */
  body: Buffer;
  /** The file offset just past the part: bytes of the file done once the part is sent. */
  endOffset: number;
  /**
   * What to send as `firstLine`: the original line of the first line after
   * the header in this body. Null when no header was found (the file goes
   * as it is, and the server's answer says what its header lacks).
   */
  firstLineParam: number | null;
}

export interface SplitOptions {
  format: ImportFormat;
  /** Data rows per part. */
  batchRows: number;
  /** A part is also cut once it holds this many bytes, to stay well under the server's body limit. */
  maxPartBytes?: number;
  /** A longer record is taken for a quote that never closes, and stops the import. */
  maxRecordBytes?: number;
}

export const DEFAULT_MAX_PART_BYTES = 32 * 1024 * 1024;
export const DEFAULT_MAX_RECORD_BYTES = 1024 * 1024;
/** The title lines and header are looked for in at most this many bytes. */
const MAX_PREAMBLE_BYTES = 1024 * 1024;

/** The file cannot be split: a record too long to be one. */
export class SplitError extends Error {}

const QUOTE = 34;
const COMMA = 44;
const CR = 13;
const LF = 10;

// Where the scanner stands within a record.
const FIELD_START = 0;
const UNQUOTED = 1;
const QUOTED = 2;
/** Just read a quote inside a quoted field: a doubled quote follows, or the field is closed. */
const QUOTE_IN_QUOTED = 3;

const EMPTY = Buffer.alloc(0);

export class PartSplitter {
  private readonly batchRows: number;
  private readonly maxPartBytes: number;
  private readonly maxRecordBytes: number;

  /** File offset of the chunk being scanned. */
  private offset = 0;
  /** The line at the scan position. */
  private line = 1;
  private state = FIELD_START;
  /** The previous byte was a CR: a CRLF or a lone CR, decided by the next byte. */
  private pendingCR = false;
  private recordStart = 0;
  private recordLine = 1;
  private recordHasContent = false;
  /** The line on which the last complete record ended. */
  private lastRecordEndLine = 0;

  /** Still looking for the header: the records so far, as fields. */
  private preamble: string[][] | null = [];
  private preambleBytes = 0;
  private preambleRows = 0;
  private prefix: Buffer = EMPTY;
  private headerLine: number | null = null;
  private prefixLineBreaks = 0;

  /** Bytes of the current part (or of the preamble) not yet in a part, from earlier chunks. */
  private pending: Buffer[] = [];
  /** Within the current chunk, where the bytes not yet in `pending` or a part begin. */
  private segmentStart = 0;
  private partStart = 0;
  private partLine = 1;
  private partRows = 0;
  private partsMade = 0;

  constructor(private readonly options: SplitOptions) {
    if (!Number.isInteger(options.batchRows) || options.batchRows < 1) throw new RangeError('batchRows must be a positive whole number');
    this.batchRows = options.batchRows;
    this.maxPartBytes = options.maxPartBytes ?? DEFAULT_MAX_PART_BYTES;
    this.maxRecordBytes = options.maxRecordBytes ?? DEFAULT_MAX_RECORD_BYTES;
  }

  /** Scans the next bytes of the file; answers the parts they complete. */
  push(chunk: Buffer): Part[] {
    const out: Part[] = [];
    this.segmentStart = 0;
    const length = chunk.length;
    for (let i = 0; i < length; i++) {
      const byte = chunk[i]!;
      if (this.pendingCR) {
        this.pendingCR = false;
        const outside = this.state !== QUOTED;
        this.line++;
        if (byte === LF) {
          if (outside) this.endRecord(chunk, i + 1, out);
          continue;
        }
        if (outside) this.endRecord(chunk, i, out);
      }
      switch (byte) {
        case CR:
          this.pendingCR = true;
          break;
        case LF:
          this.line++;
          if (this.state !== QUOTED) this.endRecord(chunk, i + 1, out);
          break;
        case QUOTE:
          this.recordHasContent = true;
          // A quote opens a field only at its start; elsewhere in an unquoted
          // field it is text (the server refuses the row, naming its line).
          if (this.state === FIELD_START) this.state = QUOTED;
          else if (this.state === QUOTED) this.state = QUOTE_IN_QUOTED;
          else if (this.state === QUOTE_IN_QUOTED) this.state = QUOTED;
          break;
        case COMMA:
          this.recordHasContent = true;
          if (this.state !== QUOTED) this.state = FIELD_START;
          break;
        default:
          this.recordHasContent = true;
          if (this.state !== QUOTED) this.state = UNQUOTED;
      }
    }
    if (this.segmentStart < length) this.pending.push(chunk.subarray(this.segmentStart));
    this.offset += length;
    if (this.offset - this.recordStart > this.maxRecordBytes) {
      throw new SplitError(
        `line ${this.recordLine}: a record longer than ${Math.round(this.maxRecordBytes / 1024)} KiB; ` +
          (this.state === QUOTED ? 'a quoted field is probably never closed' : 'is this a CSV file?'),
      );
    }
    if (this.preamble !== null && this.offset > MAX_PREAMBLE_BYTES) this.giveUpHeader();
    return out;
  }

  /** The end of the file: the last part (the only one for a small file; one with no rows for a header alone). */
  end(): Part[] {
    const out: Part[] = [];
    this.segmentStart = 0;
    if (this.pendingCR) {
      this.pendingCR = false;
      this.line++;
      if (this.state !== QUOTED) this.endRecord(EMPTY, 0, out);
    }
    if (this.offset > this.recordStart) {
      // A last record without a line break (or inside a quote never closed: the server names it).
      this.finishRecord(EMPTY, 0, this.line);
    }
    if (this.preamble !== null) this.giveUpHeader();
    if (this.partRows > 0 || this.partsMade === 0) out.push(this.cut(EMPTY, 0, this.offset));
    return out;
  }

  /** A record ends at chunk[at - 1] (file offset this.offset + at), its line break included. */
  private endRecord(chunk: Buffer, at: number, out: Part[]): void {
    const end = this.offset + at;
    this.finishRecord(chunk, at, this.line - 1);
    if (this.preamble !== null) return;
    if (this.partRows >= this.batchRows || (this.partRows > 0 && end - this.partStart >= this.maxPartBytes)) {
      out.push(this.cut(chunk, at, end));
    }
  }

  private finishRecord(chunk: Buffer, at: number, endLine: number): void {
    const hasContent = this.recordHasContent;
    const startLine = this.recordLine;
    this.lastRecordEndLine = endLine;
    this.state = FIELD_START;
    this.recordStart = this.offset + at;
    this.recordLine = this.line;
    this.recordHasContent = false;
    if (this.preamble !== null) this.lookForHeader(chunk, at, startLine, hasContent);
    else if (hasContent) this.partRows++;
  }

  /** After each record at the top of the file: is it the header? */
  private lookForHeader(chunk: Buffer, at: number, recordLine: number, hasContent: boolean): void {
    const preamble = this.preamble!;
    // The preamble so far, in one buffer (it is small: at most MAX_PREAMBLE_LINES records).
    const bytes = Buffer.concat([...this.pending, chunk.subarray(this.segmentStart, at)]);
    this.pending = [bytes];
    this.segmentStart = at;
    preamble.push(fieldsOf(bytes.subarray(this.preambleBytes).toString('utf8')));
    this.preambleBytes = bytes.length;
    if (hasContent) this.preambleRows++;
    // locateHeader reads the records in order, so it finds the header when the header is the newest record.
    if (locateHeader(this.options.format, preamble) === preamble.length - 1) {
      this.prefix = bytes;
      this.headerLine = recordLine;
      this.prefixLineBreaks = this.line - 1;
      this.preamble = null;
      this.pending = [];
      this.partStart = this.offset + at;
      this.partLine = this.line;
      this.partRows = 0;
    } else if (preamble.length >= MAX_PREAMBLE_LINES) {
      this.giveUpHeader();
    }
  }

  /** No header at the top: the file goes as it is, its first records in the first part, for the server to explain. */
  private giveUpHeader(): void {
    if (this.preamble === null) return;
    this.preamble = null;
    this.partRows = this.preambleRows;
  }

  /** The part that ends at file offset `end`, chunk[at - 1] being its last byte. */
  private cut(chunk: Buffer, at: number, end: number): Part {
    const body = Buffer.concat([this.prefix, ...this.pending, chunk.subarray(this.segmentStart, at)]);
    const part: Part = {
      index: ++this.partsMade,
      firstLine: this.partLine,
      lastLine: this.lastRecordEndLine,
      rows: this.partRows,
      body,
      endOffset: end,
      // The server maps the line after the header in each body to firstLine; with
      // a header on one line that is simply the part's first line.
      firstLineParam: this.headerLine === null ? null : this.partLine - this.prefixLineBreaks + this.headerLine,
    };
    this.pending = [];
    this.segmentStart = at;
    this.partStart = end;
    this.partLine = this.line;
    this.partRows = 0;
    return part;
  }
}

/** A record's fields, for finding the header; a line that is not valid CSV is no header. */
function fieldsOf(record: string): string[] {
  try {
    for (const { fields } of readCsvRecords(record)) return fields;
  } catch (error) {
    if (!(error instanceof CsvSyntaxError)) throw error;
  }
  return [record];
}

/** The parts of the file at `path`, read as a stream: at most a chunk and a part in memory. */
export async function* readParts(path: string, options: SplitOptions): AsyncGenerator<Part, void, undefined> {
  const splitter = new PartSplitter(options);
  // The service's own bounds on lines and fields, checked here so that the error names the file's line, not a part's.
  const guard = new CsvSizeGuard();
  const stream = createReadStream(path, { highWaterMark: 1024 * 1024 });
  try {
    for await (const chunk of stream) {
      try {
        guard.push(chunk as Buffer);
      } catch (error) {
        if (!(error instanceof CsvSyntaxError)) throw error;
        throw new SplitError(`line ${error.line}: ${error.message}`);
      }
      yield* splitter.push(chunk as Buffer);
    }
    yield* splitter.end();
  } finally {
    stream.destroy();
  }
}
