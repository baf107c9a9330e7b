import type { FieldErrors } from '../../lib/errors.js';

export interface BatchCounts {
  inserted: number;
  updated: number;
  unchanged: number;
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
