/**
 * `spendbook report NAME ...`: GET /v1/reports/NAME. Every `--kebab-case
 * VALUE` option the CLI does not know itself becomes a camelCase query
 * parameter (`--as-of 2026-03-15` → `asOf=2026-03-15`), so a report
 * parameter added to the service needs no change here; the service judges
 * the parameters and names a bad one. JSON is pretty-printed; CSV and XLSX
 * are streamed through as the service sends them.
 */
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import type { ApiClient } from './http.js';
import { REPORT_NAMES, UsageError } from './usage.js';

export type ReportOutput = 'json' | 'csv' | 'xlsx';

export interface ReportArgs {
  name: string;
  query: URLSearchParams;
  output: ReportOutput;
  /** Write here instead of stdout. */
  out: string | null;
  /** --url and --key, when given. */
  url?: string;
  key?: string;
  help: boolean;
}

const OUTPUTS: readonly ReportOutput[] = ['json', 'csv', 'xlsx'];
const OPTION_NAME = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;

/** `as-of` → `asOf`. */
export function camelCase(kebab: string): string {
  return kebab.replace(/-([a-z0-9])/g, (_, letter: string) => letter.toUpperCase());
}

/**
 * The report command's arguments (after `report`). `--name value` and
 * `--name=value` both work; an option with no value (the last argument, or
 * one followed by another option) is sent as `true`. Repeated options are
 * sent repeated.
 */
export function parseReportArgs(args: readonly string[]): ReportArgs {
  const query = new URLSearchParams();
  const result: ReportArgs = { name: '', query, output: 'json', out: null, help: false };
  const positionals: string[] = [];
  let explicitFormat: ReportOutput | null = null;
  const chosen: string[] = [];

  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--') {
      positionals.push(...args.slice(i + 1));
      break;
    }
    if (arg === '-h' || arg === '--help') {
      result.help = true;
      continue;
    }
    if (!arg.startsWith('--')) {
      if (arg.startsWith('-') && arg.length > 1) throw new UsageError(`unknown option ${arg}`);
      positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = eq === -1 ? arg.slice(2) : arg.slice(2, eq);
    let value: string | undefined = eq === -1 ? undefined : arg.slice(eq + 1);
    const takeValue = (): string | undefined => {
      if (value !== undefined) return value;
      const next = args[i + 1];
      if (next === undefined || next.startsWith('--')) return undefined;
      i++;
      return next;
    };
    switch (name) {
      case 'csv':
      case 'xlsx':
        if (value !== undefined) throw new UsageError(`--${name} takes no value`);
        chosen.push(`--${name}`);
        explicitFormat = name;
        break;
      case 'format': {
        value = takeValue();
        if (value === undefined || !OUTPUTS.includes(value as ReportOutput)) throw new UsageError('--format takes json, csv or xlsx');
        chosen.push('--format');
        explicitFormat = value as ReportOutput;
        break;
      }
      case 'out':
      case 'url':
      case 'key': {
        value = takeValue();
        if (value === undefined || value === '') throw new UsageError(`--${name} needs a value`);
        if (name === 'out') result.out = value;
        else result[name] = value;
        break;
      }
      default: {
        if (!OPTION_NAME.test(name)) throw new UsageError(`${arg}: a report parameter is --kebab-case, such as --as-of 2026-03-15`);
        query.append(camelCase(name), takeValue() ?? 'true');
      }
    }
  }
  if (chosen.length > 1) throw new UsageError(`give one of ${chosen.join(', ')}`);
  if (explicitFormat) result.output = explicitFormat;
  if (result.help) return result;
  if (positionals.length === 0) throw new UsageError(`report needs a NAME: ${REPORT_NAMES.join(', ')}`);
  if (positionals.length > 1) throw new UsageError(`report takes one NAME; unexpected ${positionals.slice(1).join(' ')}`);
  const name = positionals[0]!;
  if (!(REPORT_NAMES as readonly string[]).includes(name)) throw new UsageError(`${name} is not a report: ${REPORT_NAMES.join(', ')}`);
  result.name = name;
  if (result.output !== 'json') query.set('format', result.output);
  return result;
}

export interface OutputStream extends NodeJS.WritableStream {
  isTTY?: boolean;
}

export async function runReport(args: ReportArgs, client: ApiClient, stdout: OutputStream): Promise<number> {
  if (args.output === 'xlsx' && args.out === null && stdout.isTTY) {
    throw new UsageError('--xlsx writes a binary workbook: give --out FILE, or redirect stdout to a file');
  }
  const accept = args.output === 'json' ? 'application/json' : undefined;
  const response = await client.request('GET', `/v1/reports/${args.name}`, { query: args.query, ...(accept ? { accept } : {}) });
  if (args.output === 'json') {
    const text = `${JSON.stringify(await response.json(), null, 2)}\n`;
    if (args.out !== null) await pipeline(Readable.from([text]), createWriteStream(args.out));
    else await write(stdout, text);
    return 0;
  }
  if (response.body === null) return 0;
  const body = Readable.fromWeb(response.body as unknown as WebReadableStream<Uint8Array>);
  if (args.out !== null) {
    await pipeline(body, createWriteStream(args.out));
  } else {
    // Not pipeline: it would end process.stdout.
    for await (const chunk of body) await write(stdout, chunk as Buffer);
  }
  return 0;
}

async function write(stream: NodeJS.WritableStream, data: string | Buffer): Promise<void> {
  if (!stream.write(data)) await once(stream, 'drain');
}
