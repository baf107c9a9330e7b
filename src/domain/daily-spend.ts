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

import { bytesOf, column, expectCount, expectParts, header, readHeader, stringList, stringListPart } from './binary-parts.js';

/** Currencies a store can tell apart: ISO 4217 has under 200. */
const MAX_CURRENCIES = 1024;
const VERSION = 1;
const MIN_INT64 = -(2n ** 63n);
const MAX_INT64 = 2n ** 63n - 1n;
/** Campaign indices times MAX_CURRENCIES stay exact doubles, and fit the parts' Int32 column. */
const MAX_CAMPAIGNS = 2 ** 31 - 1;

/**
 * One day's sums, in columns: the campaign and currency of each, its micros
 * as an int64 (a sum beyond 64 bits, which no real day reaches, kept exactly
 * aside), and an open-addressing table from (campaign, currency) to the sum.
 * Why: as a Map of bigints, 730,000 sums (two years of 1,000 campaigns) held
 * 37 MB of JS heap, which V8 lets grow to several times its live size
 * between collections; here a sum is 22 bytes (with room to grow, under 50)
 * outside the heap.
 */
class DaySums {
  campaign = new Int32Array(8);
  currency = new Uint16Array(8);
  micros = new BigInt64Array(8);
  /** Sums beyond 64 bits by index (their micros entry is 0). */
  big: Map<number, bigint> | null = null;
  size = 0;
  /** Indices + 1, 0 where free; a power of two, at most half full. */
  private table = new Int32Array(16);

  /** The index of the sum of (campaign, currency), made (at 0) if new. */
  indexOf(campaign: number, currency: number): number {
    const mask = this.table.length - 1;
    let at = slotHash(campaign, currency) & mask;
    for (;;) {
      const held = this.table[at]!;
      if (held === 0) break;
      if (this.campaign[held - 1] === campaign && this.currency[held - 1] === currency) return held - 1;
      at = (at + 1) & mask;
    }
    const index = this.size++;
    if (index === this.campaign.length) this.grow();
    this.campaign[index] = campaign;
    this.currency[index] = currency;
    this.micros[index] = 0n;
    this.table[at] = index + 1;
    if (this.size * 2 > this.table.length) this.rehash();
    return index;
  }

  sum(index: number): bigint {
    return this.big?.get(index) ?? this.micros[index]!;
  }

  set(index: number, sum: bigint): void {
    if (sum < MIN_INT64 || sum > MAX_INT64) {
      (this.big ??= new Map()).set(index, sum);
      this.micros[index] = 0n;
    } else {
      this.big?.delete(index);
      this.micros[index] = sum;
    }
  }

  private grow(): void {
    const length = this.campaign.length * 2;
    const campaign = new Int32Array(length);
    campaign.set(this.campaign);
    const currency = new Uint16Array(length);
    currency.set(this.currency);
    const micros = new BigInt64Array(length);
    micros.set(this.micros);
    this.campaign = campaign;
    this.currency = currency;
    this.micros = micros;
  }

  private rehash(size = this.table.length * 2): void {
    const table = new Int32Array(size);
    const mask = size - 1;
    for (let index = 0; index < this.size; index++) {
      let at = slotHash(this.campaign[index]!, this.currency[index]!) & mask;
      while (table[at] !== 0) at = (at + 1) & mask;
      table[at] = index + 1;
    }
    this.table = table;
  }
}

function slotHash(campaign: number, currency: number): number {
  let h = Math.imul(campaign ^ 0x9e3779b9, 0x85ebca6b);
  h = Math.imul(h ^ currency ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

export class DailySpend {
  private readonly campaigns: string[] = [];
  private readonly campaignIndex = new Map<string, number>();
  private readonly currencies: string[] = [];
  private readonly currencyIndex = new Map<string, number>();
  /** day (days since the epoch) -> its sums. */
  private readonly days = new Map<number, DaySums>();

  /** Adds `micros` to the day's sum for the campaign in that currency. */
  add(day: number, campaignId: string, currency: string, micros: bigint): void {
    let sums = this.days.get(day);
    if (sums === undefined) this.days.set(day, (sums = new DaySums()));
    const key = this.keyOf(campaignId, currency);
    const index = sums.indexOf(Math.floor(key / MAX_CURRENCIES), key % MAX_CURRENCIES);
    sums.set(index, sums.sum(index) + micros);
  }

  /** Replaces everything known of `day` with `sums` (campaign id, currency, micros). */
  replaceDay(day: number, sums: Iterable<readonly [string, string, bigint]>): void {
    this.days.delete(day);
    for (const [campaignId, currency, micros] of sums) this.add(day, campaignId, currency, micros);
  }

  /** Every sum of the days in [fromDay, toDay], day by day (in ascending order), campaigns in no set order. */
  forEach(fromDay: number, toDay: number, visit: (day: number, campaignId: string, currency: string, micros: bigint) => void): void {
    for (const day of this.daysIn(fromDay, toDay)) {
      const sums = this.days.get(day)!;
      for (let i = 0; i < sums.size; i++) visit(day, this.campaigns[sums.campaign[i]!]!, this.currencies[sums.currency[i]!]!, sums.sum(i));
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
      const daySums = this.days.get(day)!;
      for (let i = 0; i < daySums.size; i++) {
        const money = daySums.currency[i]!;
        const key = daySums.campaign[i]! * MAX_CURRENCIES + money;
        const micros = daySums.sum(i);
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
    for (const day of this.daysIn(fromDay, toDay)) {
      const sums = this.days.get(day)!;
      for (let i = 0; i < sums.size; i++) indexes.add(sums.campaign[i]!);
    }
    return new Set([...indexes].map((index) => this.campaigns[index]!));
  }

  /**
   * The sums as binary parts (see binary-parts.ts): the header (counts), the
   * campaign ids and currency codes (UTF-8 JSON), then per day (in the order
   * the store holds them) its number and where its sums end, and per sum its
   * campaign, currency and micros (a sum beyond 64 bits, which no real day
   * reaches, is written as 0 there and exactly in a last JSON part).
   */
  toParts(): Uint8Array[] {
    const dayCount = this.days.size;
    let sumCount = 0;
    for (const sums of this.days.values()) sumCount += sums.size;
    const days = new Float64Array(dayCount);
    const dayEnd = new Int32Array(dayCount);
    const campaign = new Int32Array(sumCount);
    const currency = new Uint16Array(sumCount);
    const micros = new BigInt64Array(sumCount);
    const big: [number, string][] = [];
    let d = 0;
    let i = 0;
    for (const [day, sums] of this.days) {
      for (let k = 0; k < sums.size; k++) {
        campaign[i] = sums.campaign[k]!;
        currency[i] = sums.currency[k]!;
        const sum = sums.sum(k);
        if (sum < MIN_INT64 || sum > MAX_INT64) big.push([i, sum.toString()]);
        else micros[i] = sum;
        i++;
      }
      days[d] = day;
      dayEnd[d++] = i;
    }
    return [
      header('DSPD', VERSION, [this.campaigns.length, this.currencies.length, dayCount, sumCount]),
      stringListPart(this.campaigns),
      stringListPart(this.currencies),
      bytesOf(days),
      bytesOf(dayEnd),
      bytesOf(campaign),
      bytesOf(currency),
      bytesOf(micros),
      new TextEncoder().encode(JSON.stringify(big)),
    ];
  }

  /** The sums `parts` (from toParts) hold; throws a RangeError naming what does not fit. */
  static fromParts(parts: readonly Uint8Array[]): DailySpend {
    expectParts('daily spend', parts, 9);
    const [campaignCount, currencyCount, dayCount, sumCount] = readHeader('daily spend', parts[0], 'DSPD', VERSION, 4) as [number, number, number, number];
    expectCount('daily spend campaign count', campaignCount, 0, MAX_CAMPAIGNS);
    expectCount('daily spend currency count', currencyCount, 0, MAX_CURRENCIES);
    expectCount('daily spend day count', dayCount, 0, 2 ** 31 - 1);
    expectCount('daily spend sum count', sumCount, 0, 2 ** 31 - 1);
    const store = new DailySpend();
    stringList('daily spend campaigns', parts[1], campaignCount).forEach((id, index) => {
      store.campaigns.push(id);
      store.campaignIndex.set(id, index);
    });
    stringList('daily spend currencies', parts[2], currencyCount).forEach((code, index) => {
      store.currencies.push(code);
      store.currencyIndex.set(code, index);
    });
    const days = column('daily spend days', parts[3], Float64Array, dayCount);
    const dayEnd = column('daily spend day ends', parts[4], Int32Array, dayCount);
    const campaign = column('daily spend campaign column', parts[5], Int32Array, sumCount);
    const currency = column('daily spend currency column', parts[6], Uint16Array, sumCount);
    const micros = column('daily spend micros column', parts[7], BigInt64Array, sumCount);
    const big = new Map<number, bigint>();
    let list: unknown;
    try {
      list = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(parts[8]));
    } catch {
      throw new RangeError('daily spend big sums: not UTF-8 JSON');
    }
    if (!Array.isArray(list)) throw new RangeError('daily spend big sums: not a list');
    for (const entry of list) {
      const [index, value] = Array.isArray(entry) ? (entry as unknown[]) : [];
      if (typeof index !== 'number' || !Number.isInteger(index) || index < 0 || index >= sumCount || typeof value !== 'string' || !/^-?[0-9]+$/.test(value) || big.has(index)) {
        throw new RangeError('daily spend big sums: not a list of [sum index, integer] pairs');
      }
      const sum = BigInt(value);
      if ((sum >= MIN_INT64 && sum <= MAX_INT64) || micros[index] !== 0n) throw new RangeError(`daily spend big sum ${index} fits the micros column`);
      big.set(index, sum);
    }
    let from = 0;
    for (let d = 0; d < dayCount; d++) {
      const day = days[d]!;
      const to = dayEnd[d]!;
      if (!Number.isInteger(day) || store.days.has(day)) throw new RangeError(`daily spend day ${d} (${day}) is not a distinct day number`);
      if (to < from || to > sumCount) throw new RangeError(`daily spend day ${d}: its sums end at ${to}, outside [${from}, ${sumCount}]`);
      const sums = new DaySums();
      for (let i = from; i < to; i++) {
        if (campaign[i]! < 0 || campaign[i]! >= campaignCount || currency[i]! >= currencyCount) throw new RangeError(`daily spend sum ${i}: its campaign or currency index is out of range`);
        const before = sums.size;
        const index = sums.indexOf(campaign[i]!, currency[i]!);
        if (sums.size === before) throw new RangeError(`daily spend sum ${i}: its day has that campaign and currency twice`);
        sums.set(index, big.get(i) ?? micros[i]!);
      }
      store.days.set(day, sums);
      from = to;
    }
    if (from !== sumCount) throw new RangeError(`daily spend: the days' sums end at ${from}, the header counts ${sumCount}`);
    return store;
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
