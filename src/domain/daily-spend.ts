/**
 * Spend summed per (day, campaign, currency), in memory: what the ROI
 * report reads of spend. Amounts are converted at their own day's rate, so
 * the day is the coarsest grain that keeps a report exact; a year of data
 * set L is 365,000 such sums (one line per campaign per day), some 37 MB.
 *
 * Sums are exact bigint micros. A day can be added to (a batch of new
 * lines: the sums move by their amounts) or replaced wholesale (after lines
 * were restated, the day is read again from the table).
 *
 * Pure: no SQL. The service keeps it equal to the table.
 */

/** Currencies a store can tell apart: ISO 4217 has under 200. */
const MAX_CURRENCIES = 1024;

export class DailySpend {
  private readonly campaigns: string[] = [];
  private readonly campaignIndex = new Map<string, number>();
  private readonly currencies: string[] = [];
  private readonly currencyIndex = new Map<string, number>();
  /** day (days since the epoch) -> campaign index x MAX_CURRENCIES + currency index -> micros. */
  private readonly days = new Map<number, Map<number, bigint>>();

  /** Adds `micros` to the day's sum for the campaign in that currency. */
  add(day: number, campaignId: string, currency: string, micros: bigint): void {
    let sums = this.days.get(day);
    if (sums === undefined) this.days.set(day, (sums = new Map()));
    const key = this.keyOf(campaignId, currency);
    sums.set(key, (sums.get(key) ?? 0n) + micros);
  }

  /** Replaces everything known of `day` with `sums` (campaign id, currency, micros). */
  replaceDay(day: number, sums: Iterable<readonly [string, string, bigint]>): void {
    this.days.delete(day);
    for (const [campaignId, currency, micros] of sums) this.add(day, campaignId, currency, micros);
  }

  /** Every sum of the days in [fromDay, toDay], day by day (in ascending order), campaigns in no set order. */
  forEach(fromDay: number, toDay: number, visit: (day: number, campaignId: string, currency: string, micros: bigint) => void): void {
    const days = this.days.size <= toDay - fromDay + 1 ? [...this.days.keys()].filter((d) => d >= fromDay && d <= toDay).sort((a, b) => a - b) : null;
    const visitDay = (day: number) => {
      const sums = this.days.get(day);
      if (sums === undefined) return;
      for (const [key, micros] of sums) {
        visit(day, this.campaigns[Math.floor(key / MAX_CURRENCIES)]!, this.currencies[key % MAX_CURRENCIES]!, micros);
      }
    };
    if (days) days.forEach(visitDay);
    else for (let day = fromDay; day <= toDay; day++) visitDay(day);
  }

  private keyOf(campaignId: string, currency: string): number {
    let campaign = this.campaignIndex.get(campaignId);
    if (campaign === undefined) this.campaignIndex.set(campaignId, (campaign = this.campaigns.push(campaignId) - 1));
    let money = this.currencyIndex.get(currency);
    if (money === undefined) {
      if (this.currencies.length === MAX_CURRENCIES) throw new RangeError(`more than ${MAX_CURRENCIES} currencies`);
      this.currencyIndex.set(currency, (money = this.currencies.push(currency) - 1));
    }
    return campaign * MAX_CURRENCIES + money;
  }
}
