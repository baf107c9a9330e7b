/**
 * `spendbook import FILE --format F`: streams an ad platform's export to
 * POST /v1/spend/import in parts (src/cli/split.ts), one request in flight
 * while the next part is read, and adds the answers up into one summary.
 *
 * Each part is one all-or-nothing request. A file of several parts is first
 * checked (every part with dryRun=true: parsing, campaign matching, closed
 * months), then imported for real only when every part passed, so a bad row
 * anywhere leaves nothing written. --no-check skips the check pass: parts are
 * written as they go, and when one is refused the error names the lines
 * already written. The file is read once per pass, so memory holds a chunk
 * and about two parts, whatever the file's size.
 */
import { stat } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { open } from 'node:fs/promises';
import { detectFormats, IMPORT_FORMATS, MAX_PREAMBLE_LINES, UNMATCHED, type ImportFormat, type Unmatched } from '../features/spend/import/formats.js';
import { CsvSyntaxError, readCsvRecords } from '../lib/csv-reader.js';
import { ApiError, ConnectionError, problemLines, type ApiClient } from './http.js';
import { ImportProgress, type Phase, type ProgressStream } from './progress.js';
import { readParts, SplitError, type Part } from './split.js';
import { formatSummary, ImportTally, summaryOf, type ImportAnswer, type ImportSummary } from './summary.js';
import { DEFAULT_BATCH_ROWS, MAX_BATCH_ROWS, UsageError } from './usage.js';

/** The service's own list, so that the CLI accepts exactly what the service does. */
const UNMATCHED_MODES = UNMATCHED;
type UnmatchedMode = Unmatched;

export interface ImportArgs {
  file: string;
  /** Null: read from the file's header (detectFileFormat). */
  format: ImportFormat | null;
  unmatched: UnmatchedMode | null;
  batchRows: number;
  dryRun: boolean;
  /** Check a file of several parts before writing any (not --no-check). */
  check: boolean;
  json: boolean;
  url?: string;
  key?: string;
  help: boolean;
}

/** The import command's arguments (after `import`). */
export function parseImportArgs(args: readonly string[]): ImportArgs {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...args],
      allowPositionals: true,
      strict: true,
      options: {
        format: { type: 'string' },
        unmatched: { type: 'string' },
        'batch-rows': { type: 'string' },
        'dry-run': { type: 'boolean' },
        'no-check': { type: 'boolean' },
        json: { type: 'boolean' },
        url: { type: 'string' },
        key: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  const { values, positionals } = parsed;
  const help = values.help === true;
  const base = { ...(values.url !== undefined ? { url: values.url } : {}), ...(values.key !== undefined ? { key: values.key } : {}) };
  if (help) {
    return { file: '', format: 'generic', unmatched: null, batchRows: DEFAULT_BATCH_ROWS, dryRun: false, check: true, json: false, help, ...base };
  }
  if (positionals.length !== 1) {
    throw new UsageError(positionals.length === 0 ? 'import needs a FILE' : `import takes one FILE; unexpected ${positionals.slice(1).join(' ')}`);
  }
  const format = values.format ?? null;
  if (format !== null && !(IMPORT_FORMATS as readonly string[]).includes(format)) {
    throw new UsageError(`--format ${format} is not one of ${IMPORT_FORMATS.join(', ')}`);
  }
  const unmatched = values.unmatched ?? null;
  if (unmatched !== null && !(UNMATCHED_MODES as readonly string[]).includes(unmatched)) {
    throw new UsageError(`--unmatched ${unmatched} is not one of ${UNMATCHED_MODES.join(', ')}`);
  }
  const batchText = values['batch-rows'];
  let batchRows = DEFAULT_BATCH_ROWS;
  if (batchText !== undefined) {
    batchRows = /^[0-9]+$/.test(batchText) ? Number(batchText) : NaN;
    if (!(batchRows >= 1 && batchRows <= MAX_BATCH_ROWS)) {
      throw new UsageError(`--batch-rows ${batchText}: give a whole number from 1 to ${MAX_BATCH_ROWS} (the service's limit per request)`);
    }
  }
  return {
    file: positionals[0]!,
    format: format as ImportFormat | null,
    unmatched: unmatched as UnmatchedMode | null,
    batchRows,
    dryRun: values['dry-run'] === true,
    check: values['no-check'] !== true,
    json: values.json === true,
    help,
    ...base,
  };
}

/** The query of one part's request. */
export function importQuery(args: { format: ImportFormat; unmatched: UnmatchedMode | null }, part: Pick<Part, 'firstLineParam'>, dryRun: boolean): URLSearchParams {
  const query = new URLSearchParams({ format: args.format });
  if (args.unmatched !== null) query.set('unmatched', args.unmatched);
  query.set('dryRun', String(dryRun));
  if (part.firstLineParam !== null) query.set('firstLine', String(part.firstLineParam));
  return query;
}

export interface ImportIo {
  stdout: { write(text: string): unknown };
  stderr: ProgressStream;
  now?: () => number;
}

/** Lines of the file written for real so far. */
interface Written {
  parts: number;
  firstLine: number;
  lastLine: number;
}

/** A pass stopped: the error, the part it stopped at (when one), and what that pass had written. */
class PassFailure extends Error {
  constructor(
    readonly error: unknown,
    readonly part: Part | null,
    /** The part was sent as a dry run (or, with no part, the pass was one). */
    readonly dryRun: boolean,
    readonly written: Written | null,
  ) {
    super(error instanceof Error ? error.message : String(error));
  }
}

export async function runImport(args: ImportArgs, client: ApiClient, io: ImportIo): Promise<number> {
  const now = io.now ?? (() => performance.now());
  let size: number;
  try {
    const info = await stat(args.file);
    if (!info.isFile()) throw new Error('not a file');
    size = info.size;
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : error instanceof Error ? error.message : String(error);
    io.stderr.write(`error: cannot read ${args.file}: ${reason}\n`);
    return 1;
  }

  const format = args.format ?? (await detectFileFormat(args.file));
  const progress = new ImportProgress(io.stderr, size, now);
  const ticker = progress.isTerminal ? setInterval(() => progress.tick(), 250) : null;
  ticker?.unref();
  const split = { format, batchRows: args.batchRows };
  // For Ctrl-C: what is written, and the part the service may be writing.
  let writtenSoFar: Written | null = null;
  let inFlight: { part: Part; dryRun: boolean } | null = null;
  const onInterrupt = () => {
    progress.finish();
    const done = writtenSoFar ? `parts 1-${writtenSoFar.parts} (lines ${writtenSoFar.firstLine}-${writtenSoFar.lastLine}) were written` : 'nothing was written';
    const maybe = inFlight && !inFlight.dryRun ? `; part ${inFlight.part.index} (lines ${inFlight.part.firstLine}-${inFlight.part.lastLine}) was being sent and may have been written` : '';
    io.stderr.write(`interrupted: ${done}${maybe}. Importing the file again is safe (rows are keyed)\n`);
    process.exit(130);
  };
  process.once('SIGINT', onInterrupt);

  /** One pass over the file: every part sent with dryRun = `dryRun`, the answers added up. */
  const pass = async (phase: Phase, dryRun: boolean, shortcutSinglePart: boolean) => {
    const tally = new ImportTally();
    let single = false;
    let written: Written | null = null;
    let current: Part | null = null;
    let currentDry = dryRun;
    const parts = readParts(args.file, split);
    progress.startPhase(phase);
    try {
      let step = await parts.next();
      while (!step.done) {
        const part: Part = step.value;
        current = part;
        // Read the next part while this one is sent.
        const following = parts.next();
        following.catch(() => undefined);
        let partDry = dryRun;
        let partPhase = phase;
        if (shortcutSinglePart && part.index === 1 && (await following).done) {
          // The whole file is one part, one all-or-nothing request: nothing to check first.
          single = true;
          partDry = false;
          partPhase = 'importing';
          progress.startPhase('importing');
        }
        currentDry = partDry;
        inFlight = { part, dryRun: partDry };
        const started = now();
        const answer = await client.json<ImportAnswer>('POST', '/v1/spend/import', {
          query: importQuery({ format, unmatched: args.unmatched }, part, partDry),
          body: part.body,
          contentType: 'text/csv',
        });
        tally.add(answer);
        if (!partDry) {
          written = { parts: part.index, firstLine: (written as Written | null)?.firstLine ?? part.firstLine, lastLine: part.lastLine };
          writtenSoFar = written;
        }
        progress.partDone(partPhase, { index: part.index, firstLine: part.firstLine, lastLine: part.lastLine, answer, elapsedMs: now() - started }, part.endOffset);
        current = null;
        inFlight = null;
        step = await following;
      }
    } catch (error) {
      throw new PassFailure(error, current, currentDry, written);
    } finally {
      await parts.return(undefined).catch(() => undefined);
    }
    return { tally, single };
  };

  const started = now();
  let checkMs = 0;
  let checked = false;
  try {
    let result;
    if (args.dryRun) {
      result = await pass('checking', true, false);
    } else if (args.check) {
      result = await pass('checking', true, true);
      if (!result.single) {
        checkMs = now() - started;
        checked = true;
        result = await pass('importing', false, false);
      }
    } else {
      result = await pass('importing', false, false);
    }
    progress.finish();
    const summary: ImportSummary = summaryOf(result.tally, {
      file: args.file,
      dryRun: args.dryRun,
      checked,
      elapsedMs: now() - started,
      checkMs,
      maxRssKiB: process.resourceUsage().maxRSS,
    });
    io.stdout.write(args.json ? `${JSON.stringify(summary, null, 2)}\n` : `${formatSummary(summary).join('\n')}\n`);
    return 0;
  } catch (error) {
    progress.finish();
    if (!(error instanceof PassFailure)) throw error;
    for (const line of failureLines(error, { file: args.file, dryRun: args.dryRun })) {
      io.stderr.write(`${line}\n`);
    }
    return 1;
  } finally {
    if (ticker) clearInterval(ticker);
    process.off('SIGINT', onInterrupt);
  }
}

function failureLines(failure: PassFailure, context: { file: string; dryRun: boolean }): string[] {
  const { error, part, written } = failure;
  const lines: string[] = [];
  if (error instanceof ApiError) lines.push(...problemLines(error.problem));
  else if (error instanceof ConnectionError) lines.push(`error: ${error.message}`);
  else if (error instanceof SplitError) lines.push(`error: ${context.file}: ${error.message}`);
  else lines.push(`error: ${error instanceof Error ? error.message : String(error)}`);

  const where = part ? `part ${part.index} (lines ${part.firstLine}-${part.lastLine})` : 'the rest of the file';
  const nothing = context.dryRun ? 'dry run: nothing was written' : 'nothing was written';
  const before = written ? `parts 1-${written.parts} (lines ${written.firstLine}-${written.lastLine}) were written; ` : '';
  if (part === null) {
    lines.push(written ? `${before}nothing after line ${written.lastLine} was written` : nothing);
  } else if (error instanceof ConnectionError) {
    lines.push(
      failure.dryRun
        ? `${where} was not checked; ${nothing}`
        : `${before}${where} got no answer: it may or may not have been written. Importing the file again is safe (rows are keyed)`,
    );
  } else if (failure.dryRun) {
    lines.push(`${where} was refused by the check; ${nothing}`);
  } else if (written === null) {
    lines.push(`${where} was refused; ${nothing}`);
  } else {
    lines.push(`${before}${where} was refused, and nothing from it on was written. Fix the file and import it again: rows already written come back unchanged`);
  }
  return lines;
}

/** The bytes read from the top of a file to find its header: 30 title lines and a header fit many times over. */
const DETECT_BYTES = 256 * 1024;

/**
 * The format of the file at `path`, from its header, with the header
 * knowledge of the import itself (detectFormats): a UsageError naming the
 * choices when the header fits none of the formats, or several.
 */
export async function detectFileFormat(path: string): Promise<ImportFormat> {
  const handle = await open(path, 'r');
  let text: string;
  try {
    const buffer = Buffer.alloc(DETECT_BYTES);
    const { bytesRead } = await handle.read(buffer, 0, DETECT_BYTES, 0);
    text = buffer.subarray(0, bytesRead).toString('utf8');
  } finally {
    await handle.close();
  }
  const formats = detectFormats(topRecords(text, bytesReadWhole(text)));
  const choose = `give --format ${IMPORT_FORMATS.join(' | ')}`;
  if (formats.length === 1) return formats[0]!;
  if (formats.length === 0) {
    throw new UsageError(`${path}: its header is not one of a ${IMPORT_FORMATS.join(', ')} file's (see README "Importing spend"); ${choose}`);
  }
  throw new UsageError(`${path}: its header fits ${formats.join(' and ')}; give --format ${formats.join(' or ')}`);
}

/** Whether `text` ends at a line break (the read took the whole file, or stopped at one). */
function bytesReadWhole(text: string): boolean {
  return text.length < DETECT_BYTES || /[\r\n]$/.test(text);
}

/** The first records of `text` (at most MAX_PREAMBLE_LINES), stopping before one the read may have cut or that is not valid CSV. */
function topRecords(text: string, whole: boolean): string[][] {
  // A record cut by the end of the read is left out: it could look like a header it is not.
  const end = whole ? text.length : Math.max(text.lastIndexOf('\n'), text.lastIndexOf('\r')) + 1;
  const records: string[][] = [];
  try {
    for (const { fields } of readCsvRecords(text.slice(0, end))) {
      records.push(fields);
      if (records.length >= MAX_PREAMBLE_LINES) break;
    }
  } catch (error) {
    if (!(error instanceof CsvSyntaxError)) throw error;
  }
  return records;
}
