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
    for (const day of this.daysIn(fromDay, toDay)) {
      for (const [key, micros] of this.days.get(day)!) {
        visit(day, this.campaigns[Math.floor(key / MAX_CURRENCIES)]!, this.currencies[key % MAX_CURRENCIES]!, micros);
      }
    }
  }

  /**
   * Per campaign, the sum over the days in [fromDay, toDay] of each day's
   * micros times `rateOf(currency, day)`, exact (in micros x the rate's
   * scale; a null rate skips the sum, the caller notes it). Sums that meet
   * the same rate on consecutive days (always, for the base currency) are
   * added as micros and multiplied once.
   */
  sumPerCampaign(fromDay: number, toDay: number, rateOf: (currency: string, day: number) => bigint | null): Map<string, bigint> {
    // Per key (campaign and currency): the micros met at the current rate, and what earlier rates converted.
    const sums = new Map<number, { rate: bigint; micros: bigint; converted: bigint }>();
    const dayRates: (bigint | null | undefined)[] = [];
    for (const day of this.daysIn(fromDay, toDay)) {
      dayRates.length = 0;
      for (const [key, micros] of this.days.get(day)!) {
        const money = key % MAX_CURRENCIES;
        let rate = dayRates[money];
        if (rate === undefined) rate = dayRates[money] = rateOf(this.currencies[money]!, day);
        if (rate === null) continue;
        const sum = sums.get(key);
        if (sum === undefined) sums.set(key, { rate, micros, converted: 0n });
        else if (sum.rate === rate) sum.micros += micros;
        else {
          sum.converted += sum.micros * sum.rate;
          sum.rate = rate;
          sum.micros = micros;
        }
      }
    }
    const perCampaign = new Map<string, bigint>();
    for (const [key, sum] of sums) {
      const campaignId = this.campaigns[Math.floor(key / MAX_CURRENCIES)]!;
      perCampaign.set(campaignId, (perCampaign.get(campaignId) ?? 0n) + sum.converted + sum.micros * sum.rate);
    }
    return perCampaign;
  }

  /** The campaigns with any sum (any line, even of zero) on a day in [fromDay, toDay]. */
  campaignsIn(fromDay: number, toDay: number): Set<string> {
    const indexes = new Set<number>();
    for (const day of this.daysIn(fromDay, toDay)) for (const key of this.days.get(day)!.keys()) indexes.add(Math.floor(key / MAX_CURRENCIES));
    return new Set([...indexes].map((index) => this.campaigns[index]!));
  }

  /** The days in [fromDay, toDay] that have sums, in ascending order. */
  private daysIn(fromDay: number, toDay: number): number[] {
    if (this.days.size <= toDay - fromDay + 1) return [...this.days.keys()].filter((d) => d >= fromDay && d <= toDay).sort((a, b) => a - b);
    const days: number[] = [];
    for (let day = fromDay; day <= toDay; day++) if (this.days.has(day)) days.push(day);
    return days;
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
