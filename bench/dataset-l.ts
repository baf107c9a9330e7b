/**
 * docs/performance.md's data set "L", generated from a seed: 1,000 campaigns, two
 * years of daily spend (730,000 lines), 1,000,000 customers, 5,000,000
 * touchpoints and 500,000 conversions (plus refunds of some of them), with
 * the EUR rate of every day. `scale` shrinks every count but the days and
 * campaigns, for quick runs and tests.
 *
 * The data arrive day by day, as a tracking pipeline would send them: each
 * day's touchpoints go to uniformly random customers (so a customer's
 * journey is a few touches spread over the two years) and to campaigns
 * chosen with a long tail (a few campaigns reach most people); each day's
 * conversions mostly come from customers touched in the last 30 days (so
 * they have eligible touches), the rest from anyone (so some go to
 * `(unattributed)`). About 2% of conversions are refunded 1 to 30 days
 * later, half in full and half in part, in the conversion's currency.
 *
 * Every amount is generated as integer cents, so the expected totals are
 * exact bigint sums of what was sent.
 */
import { mulberry32 } from '../fixtures/prng.js';
import { campaignId } from './data.js';

export interface DatasetSize {
  campaigns: number;
  days: number;
  customers: number;
  touchpoints: number;
  conversions: number;
}

export const DATASET_L: DatasetSize = { campaigns: 1_000, days: 730, customers: 1_000_000, touchpoints: 5_000_000, conversions: 500_000 };

/** The first day of the data: two years, 2025 and 2026, so that "one year" is a calendar year with a full lookback before it. */
export const L_FIRST_DAY = Date.UTC(2025, 0, 1);
const DAY_MS = 86_400_000;

export function scaled(scale: number): DatasetSize {
  const { campaigns, days, customers, touchpoints, conversions } = DATASET_L;
  const s = (n: number) => Math.max(1, Math.round(n * scale));
  return { campaigns, days, customers: s(customers), touchpoints: s(touchpoints), conversions: s(conversions) };
}

export interface WireTouchpoint {
  id: string;
  customerId: string;
  campaignId: string;
  occurredAt: string;
}

export interface WireRevenue {
  id: string;
  customerId: string;
  occurredAt: string;
  amount: string;
  currency: string;
  refundOf?: string;
}

export interface WireFxRate {
  date: string;
  currency: string;
  rate: string;
}

export interface DayOfData {
  day: number;
  touchpoints: WireTouchpoint[];
  /** Conversions, then the refunds dated this day. */
  revenue: WireRevenue[];
}

export const customerId = (index: number) => `cus-${String(index).padStart(7, '0')}`;
const cents = (value: number) => `${Math.floor(value / 100)}.${String(value % 100).padStart(2, '0')}`;
const share = (total: number, days: number, day: number) => Math.floor(((day + 1) * total) / days) - Math.floor((day * total) / days);

/** One EUR rate per day (USD per EUR), four decimals, drifting around 1.08. */
export function fxRates(size: DatasetSize, seed = 7): WireFxRate[] {
  const random = mulberry32(seed);
  let rate = 10_800;
  return Array.from({ length: size.days }, (_, day) => {
    rate = Math.min(11_500, Math.max(10_200, rate + Math.round((random() - 0.5) * 40)));
    return { date: new Date(L_FIRST_DAY + day * DAY_MS).toISOString().slice(0, 10), currency: 'EUR', rate: `1.${String(rate - 10_000).padStart(4, '0')}` };
  });
}

/** The days, in order. */
export function* days(size: DatasetSize, seed = 11): Generator<DayOfData> {
  const random = mulberry32(seed);
  const int = (n: number) => Math.floor(random() * n);
  // The long tail: campaign floor(C * u^3) reaches the first campaigns far more often.
  const campaignOf = () => Math.floor(size.campaigns * random() ** 3);
  const recent: Int32Array[] = [];
  const pendingRefunds = new Map<number, WireRevenue[]>();
  let touchSeq = 0;
  let conversionSeq = 0;
  let refundSeq = 0;
  for (let day = 0; day < size.days; day++) {
    const dayStart = L_FIRST_DAY + day * DAY_MS;
    const touchCount = share(size.touchpoints, size.days, day);
    const touchedToday = new Int32Array(touchCount);
    const touchpoints: WireTouchpoint[] = new Array(touchCount);
    for (let i = 0; i < touchCount; i++) {
      const customer = int(size.customers);
      touchedToday[i] = customer;
      touchpoints[i] = {
        id: `tp-${String(touchSeq++).padStart(8, '0')}`,
        customerId: customerId(customer),
        campaignId: campaignId(campaignOf()),
        occurredAt: new Date(dayStart + int(DAY_MS)).toISOString(),
      };
    }
    recent.push(touchedToday);
    if (recent.length > 30) recent.shift();

    const revenue: WireRevenue[] = [];
    const conversionCount = share(size.conversions, size.days, day);
    for (let i = 0; i < conversionCount; i++) {
      const pool = recent[int(recent.length)]!;
      const customer = random() < 0.95 && pool.length > 0 ? pool[int(pool.length)]! : int(size.customers);
      const currency = random() < 0.15 ? 'EUR' : 'USD';
      const amountCents = 1_000 + int(199_000);
      const conversion: WireRevenue = {
        id: `cv-${String(conversionSeq++).padStart(7, '0')}`,
        customerId: customerId(customer),
        occurredAt: new Date(dayStart + int(DAY_MS)).toISOString(),
        amount: cents(amountCents),
        currency,
      };
      revenue.push(conversion);
      if (random() < 0.02) {
        const refundDay = day + 1 + int(30);
        const refundCents = random() < 0.5 ? amountCents : 1 + int(amountCents - 1);
        const list = pendingRefunds.get(refundDay) ?? [];
        list.push({
          id: `rf-${String(refundSeq++).padStart(6, '0')}`,
          customerId: conversion.customerId,
          occurredAt: new Date(L_FIRST_DAY + refundDay * DAY_MS + int(DAY_MS)).toISOString(),
          amount: `-${cents(refundCents)}`,
          currency,
          refundOf: conversion.id,
        });
        pendingRefunds.set(refundDay, list);
      }
    }
    for (const refund of pendingRefunds.get(day) ?? []) revenue.push(refund);
    pendingRefunds.delete(day);
    yield { day, touchpoints, revenue };
  }
}
