import type { RateCoverage } from '../../domain/fx.js';
import type { FieldError, FieldErrors } from '../../lib/errors.js';

export interface BatchCounts {
  inserted: number;
  updated: number;
  unchanged: number;
}

/**
 * A batch's answer: its counts, and what was accepted but deserves a word.
 * `warnings` and `warningCount` are there only when some line warns (so a
 * clean batch answers as it always has): the first MAX_LISTED_WARNINGS
 * warnings, and how many there were in all.
 */
export interface BatchAnswer extends BatchCounts {
  warnings?: FieldError[];
  warningCount?: number;
}

/** The most warnings an answer lists: a 100,000-line batch in a currency with no rate would otherwise answer megabytes of them. */
export const MAX_LISTED_WARNINGS = 1000;

/** Where a report converts a line: in what currency, at what date (a plan or commitment: its month's first day). */
export interface LineRate {
  currency: string;
  date: string;
}

/** What the batch services ask of the FX rates (FxRateService). */
export interface RateCoverageSource {
  coverage(): Promise<RateCoverage>;
}

/**
 * `counts` with a warning for each line no rate can convert yet: a report
 * that includes it answers 422 until a rate on or before its date is added.
 * `rateOf` gives null for a line no report reads (a closed commitment).
 */
export function withRateWarnings(
  counts: BatchCounts,
  lines: number,
  rateOf: (i: number) => LineRate | null,
  coverage: RateCoverage,
  pathOf: (i: number) => string,
): BatchAnswer {
  const warnings: FieldError[] = [];
  let warningCount = 0;
  for (let i = 0; i < lines; i++) {
    const line = rateOf(i);
    if (line === null || coverage.converts(line.currency, line.date)) continue;
    if (++warningCount <= MAX_LISTED_WARNINGS) {
      warnings.push({
        path: `${pathOf(i)}currency`,
        message: `no ${line.currency} rate on or before ${line.date}; reports that include this line answer 422 until one is added`,
      });
    }
  }
  return warningCount === 0 ? counts : { ...counts, warnings, warningCount };
}

/** The path prefix of batch item i in error paths: `items/412/`. */
export const itemPath = (index: number) => `items/${index}/`;

/**
 * Flags every item whose natural key repeats an earlier item's: within one
 * batch a repeat is refused rather than one of the two silently winning.
 */
export function flagRepeats<T>(
  items: readonly T[],
  keyOf: (item: T) => string,
  errors: FieldErrors,
  pathOf: (index: number) => string,
  field: string,
  message: (earlier: number) => string,
): void {
  const seen = new Map<string, number>();
  items.forEach((item, i) => {
    const key = keyOf(item);
    const earlier = seen.get(key);
    if (earlier !== undefined) errors.add(`${pathOf(i)}${field}`, message(earlier));
    seen.set(key, i);
  });
}

/** Flags every item whose campaignId names no campaign. */
export function flagUnknownCampaigns(
  items: readonly { campaignId: string }[],
  known: ReadonlySet<string>,
  errors: FieldErrors,
  pathOf: (index: number) => string,
): void {
  items.forEach((item, i) => {
    if (!known.has(item.campaignId)) errors.add(`${pathOf(i)}campaignId`, `no campaign ${item.campaignId}; create it first`);
  });
}
