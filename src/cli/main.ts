/**
 * `spendbook`, the command-line client of a running Spendbook service
 * (bin/spendbook.mjs runs it): argument parsing and dispatch. The commands
 * and their behaviour are documented in the usage text (src/cli/usage.ts),
 * which is what `spendbook --help` prints.
 *
 * - `spendbook import FILE --format F`: src/cli/import.ts
 * - `spendbook report NAME ...`: src/cli/report.ts
 *
 * The service is `--url` or `SPENDBOOK_URL` (default http://127.0.0.1:3000),
 * the key `--key` or `SPENDBOOK_API_KEY`. Exit status: 0 done, 1 the
 * service refused (its problem+json printed as `error: <status> <title>:
 * <detail>` and `  <path>: <message>` lines) or could not be reached, 2 a
 * usage error (its one line, and a pointer to --help: sixty lines of usage
 * text would bury the line that says what is wrong).
 */
import { readFileSync } from 'node:fs';
import { packagePath } from '../lib/package-root.js';
import { ApiClient, ApiError, ConnectionError, problemLines } from './http.js';
import { parseImportArgs, runImport } from './import.js';
import type { ProgressStream } from './progress.js';
import { parseReportArgs, runReport, type OutputStream } from './report.js';
import { DEFAULT_URL, USAGE, UsageError, usageErrorText } from './usage.js';

export interface CliIo {
  stdout: OutputStream;
  stderr: ProgressStream;
  env: Record<string, string | undefined>;
}

export function version(): string {
  const pkg = JSON.parse(readFileSync(packagePath('package.json'), 'utf8')) as { version: string };
  return pkg.version;
}

export interface Connection {
  url: string;
  key: string;
}

/** --url / SPENDBOOK_URL (default the service's own default address), --key / SPENDBOOK_API_KEY. */
export function resolveConnection(given: { url?: string; key?: string }, env: Record<string, string | undefined>): Connection {
  const url = given.url ?? (env.SPENDBOOK_URL || DEFAULT_URL);
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UsageError(`${url} is not a URL such as ${DEFAULT_URL}`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new UsageError(`${url}: the service's URL starts with http:// or https://`);
  const key = given.key ?? env.SPENDBOOK_API_KEY;
  if (!key) throw new UsageError('no API key: give --key KEY or set SPENDBOOK_API_KEY');
  return { url, key };
}

const LEADING_FLAGS = new Set(['--help', '-h', '--version', '-V']);

/** Options that may come before the command: `spendbook --url U --key K import ...`, --help, --version. */
function splitLeadingOptions(argv: readonly string[]): { leading: string[]; rest: string[] } {
  const leading: string[] = [];
  let i = 0;
  for (; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--url' || arg === '--key') {
      leading.push(arg, argv[i + 1] ?? '');
      i++;
    } else if (arg.startsWith('--url=') || arg.startsWith('--key=') || LEADING_FLAGS.has(arg)) {
      leading.push(arg);
    } else if (arg.startsWith('-')) {
      throw new UsageError(`${arg}: give the command (import or report) first, then its options`);
    } else {
      break;
    }
  }
  return { leading, rest: argv.slice(i) };
}

/** Runs the CLI; answers the exit status. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  try {
    const { leading, rest } = splitLeadingOptions(argv);
    if (leading.includes('--version') || leading.includes('-V')) {
      io.stdout.write(`spendbook ${version()}\n`);
      return 0;
    }
    if (leading.includes('--help') || leading.includes('-h') || rest[0] === 'help') {
      io.stdout.write(USAGE);
      return 0;
    }
    const command = rest[0];
    if (command === undefined) throw new UsageError('give a command: import or report');
    // Leading --url/--key go after the command's own arguments, where each command parses them.
    const args = [...rest.slice(1), ...leading];
    if (command === 'import') {
      const parsed = parseImportArgs(args);
      if (parsed.help) return help(io);
      const connection = resolveConnection(parsed, io.env);
      return await runImport(parsed, new ApiClient(connection.url, connection.key), io);
    }
    if (command === 'report') {
      const parsed = parseReportArgs(args);
      if (parsed.help) return help(io);
      const connection = resolveConnection(parsed, io.env);
      return await runReport(parsed, new ApiClient(connection.url, connection.key), io.stdout);
    }
    throw new UsageError(`unknown command ${command}: import or report`);
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr.write(usageErrorText(error.message));
      return 2;
    }
    if (error instanceof ApiError) {
      io.stderr.write(`${problemLines(error.problem).join('\n')}\n`);
      return 1;
    }
    if (error instanceof ConnectionError) {
      io.stderr.write(`error: ${error.message}\n`);
      return 1;
    }
    if (error instanceof Error && 'code' in error && typeof error.code === 'string' && error.code.startsWith('E')) {
      // A file that cannot be written (--out) and the like.
      io.stderr.write(`error: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
}

function help(io: CliIo): number {
  io.stdout.write(USAGE);
  return 0;
}
