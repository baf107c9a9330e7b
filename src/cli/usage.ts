/** The CLI's usage text (`spendbook --help`) and its usage error (exit status 2). */

export class UsageError extends Error {}

export const DEFAULT_URL = 'http://127.0.0.1:3000';
export const DEFAULT_BATCH_ROWS = 50_000;
/** The service's limit on the data rows of one import request. */
export const MAX_BATCH_ROWS = 100_000;

/** The reports the service serves (GET /v1/reports/NAME); a test holds this list to the service's routes. */
export const REPORT_NAMES = ['burn', 'forecast', 'forecast-vs-actual', 'budget-forecast-actual', 'roi', 'attribution'] as const;

/** What a usage error prints: its one line, and where the whole usage text is. */
export function usageErrorText(message: string): string {
  return `spendbook: ${message}\nRun spendbook --help for usage.\n`;
}

export const USAGE = `spendbook: the command-line client of a running Spendbook service

Usage:
  spendbook import FILE [--format FORMAT] [--unmatched MODE] [--batch-rows N]
                        [--dry-run] [--no-check] [--json]
  spendbook report NAME [--PARAMETER VALUE ...] [--csv | --xlsx | --format F]
                        [--out FILE]
  spendbook --help | --version

Connection (every command):
  --url URL          the service; default $SPENDBOOK_URL, else ${DEFAULT_URL}
  --key KEY          an API key; default $SPENDBOOK_API_KEY (import needs the
                     ops role or above, report the viewer role or above)

spendbook import FILE: loads an ad platform's CSV export into spend
(POST /v1/spend/import).
  --format FORMAT    google_ads | meta | linkedin | generic; when not given,
                     read from the file's header (an error names the
                     choices when the header fits none, or several)
  --unmatched MODE   rows whose campaign matches none: reject (the service's
                     default), skip, or create the campaign
  --batch-rows N     data rows per request, 1 to ${MAX_BATCH_ROWS} (default ${DEFAULT_BATCH_ROWS})
  --dry-run          check everything (parsing, campaigns, closed months) and
                     write nothing; the summary says what would be inserted,
                     updated and created
  --no-check         do not check a file of several parts before writing it
  --json             print the summary as JSON

  The file is streamed, never held whole: the lines above and including the
  header are sent at the top of every part, followed by at most N data rows
  (a part ends only at the end of a record), with the part's first line so
  that errors name lines of the file. One request at a time is in flight.
  Each part is all-or-nothing. A file that fits one part is one request. A
  file of several parts is first checked part by part (dry run, nothing
  written), and written only when every part passes; the first part refused
  stops the import with nothing written. With --no-check the parts are
  written as they go, and when a later part is refused the earlier parts
  stay written: the error says which lines were written. Importing again
  after a fix is safe: a re-sent row is unchanged, a restated one replaced.

  Progress goes to stderr: a bar on a terminal (phase, share of the file
  sent, rows, rows/s), else a line per part. The summary goes to stdout:
  rows, inserted, updated, unchanged, skipped (the first few named), created
  campaigns, totals per currency, elapsed seconds, rows/s, peak memory.

spendbook report NAME: prints a report (GET /v1/reports/NAME).
  NAME               \${REPORT_NAMES.slice(0, 3).join(' | ')} |
                     \${REPORT_NAMES.slice(3).join(' | ')}
  --PARAMETER VALUE  any other --kebab-case option becomes a camelCase query
                     parameter: --month 2026-03, --from 2026-01 --to 2026-03,
                     --as-of 2026-03-15, --group-by channel, --model linear,
                     --models first_touch,linear, --method run_rate,
                     --snapshot ID, --lookback-days 30
  --csv, --xlsx      CSV or an XLSX workbook instead of JSON (pretty printed);
  --format F         or json | csv | xlsx
  --out FILE         write to FILE instead of stdout (--xlsx needs it when
                     stdout is a terminal)

Exit status: 0 done; 1 the service refused the request (its message, and each
field error, on stderr) or could not be reached; 2 a usage error.

Examples:
  export SPENDBOOK_URL=http://127.0.0.1:3000 SPENDBOOK_API_KEY=sb_...
  spendbook import campaign-report.csv --format google_ads
  spendbook import spend.csv --format generic --dry-run
  spendbook report burn --month 2026-03 --csv > burn-2026-03.csv
  spendbook report roi --from 2026-01-01 --to 2026-03-31 --model linear
  spendbook report burn --month 2026-03 --xlsx --out burn-2026-03.xlsx
`;
