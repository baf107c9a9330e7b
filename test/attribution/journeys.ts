/**
 * Readable journeys for the attribution tests: campaigns and customers by
 * name, instants as days before a conversion, amounts as dollar strings.
 * They become the engine's compact tables here, once.
 */
import {
  type AttributionResult,
  buildConversionTable,
  buildTouchTable,
  CONVERSION_UNITS,
  type ConversionTable,
  DAY_MS,
  type TouchTable,
} from '../../src/domain/attribution/index.js';
import { attosToDecimal } from '../../src/domain/fx.js';
import { formatDecimal } from '../../src/domain/money.js';

export const DAY = DAY_MS;
/** The instant most golden conversions happen at: 2026-03-15 12:00 UTC. */
export const T = Date.UTC(2026, 2, 15, 12);
export const daysBefore = (days: number, at = T) => at - days * DAY;

export const ATTOS_PER_DOLLAR = 10n ** 18n;

/** Exact attos of a decimal dollar string ("100", "-40.5", "0.000000000000000001"). */
export function dollars(text: string): bigint {
  const match = /^(-)?(\d+)(?:\.(\d{1,18}))?$/.exec(text);
  if (!match) throw new Error(`not a dollar amount: ${text}`);
  const attos = BigInt(match[2]!) * ATTOS_PER_DOLLAR + BigInt((match[3] ?? '').padEnd(18, '0'));
  return match[1] ? -attos : attos;
}

/** Attos printed to the cent, half-even, as a report would. */
export const cents = (attos: bigint) => formatDecimal(attosToDecimal(attos), 2);

/** Conversion units printed to four decimals, as the report's `conversions`. */
export const conversionsText = (units: bigint) => formatDecimal(attosToDecimal(units * (ATTOS_PER_DOLLAR / CONVERSION_UNITS)), 4);

export interface TouchSpec {
  readonly id: string;
  readonly customer: string;
  readonly campaign: string;
  readonly at: number;
}

export interface ConversionSpec {
  readonly customer: string;
  readonly at: number;
  readonly amount: string;
  /** A refund: `at` is then the refunded conversion's instant. */
  readonly refund?: boolean;
}

export interface Journeys {
  readonly campaigns: readonly string[];
  readonly touches: readonly TouchSpec[];
  readonly conversions: readonly ConversionSpec[];
}

export interface Loaded {
  readonly touches: TouchTable;
  readonly conversions: ConversionTable;
  readonly campaigns: readonly string[];
}

export function load(journeys: Journeys): Loaded {
  const customers = [...new Set([...journeys.touches.map((t) => t.customer), ...journeys.conversions.map((c) => c.customer)])].sort();
  const customerIndex = new Map(customers.map((name, index) => [name, index]));
  const campaignIndex = new Map(journeys.campaigns.map((name, index) => [name, index]));
  const touches = buildTouchTable(
    journeys.touches.map((t) => ({ id: t.id, customer: customerIndex.get(t.customer)!, campaign: campaignIndex.get(t.campaign)!, occurredAt: t.at })),
    customers.length,
    journeys.campaigns.length,
  );
  const conversions = buildConversionTable(
    journeys.conversions.map((c) => ({
      customer: customerIndex.get(c.customer)!,
      convertedAt: c.at,
      amount: dollars(c.amount),
      refund: c.refund ?? false,
    })),
  );
  return { touches, conversions, campaigns: journeys.campaigns };
}

/** Revenue per campaign name in attos, zeros left out, plus the unattributed bucket. */
export function revenueBy(result: AttributionResult, campaigns: readonly string[]): Record<string, bigint> {
  const out: Record<string, bigint> = {};
  result.revenue.forEach((attos, index) => {
    if (attos !== 0n) out[campaigns[index]!] = attos;
  });
  if (result.unattributedRevenue !== 0n) out['(unattributed)'] = result.unattributedRevenue;
  return out;
}

/** Attributed conversions per campaign name in units, zeros left out, plus the unattributed bucket. */
export function conversionsBy(result: AttributionResult, campaigns: readonly string[]): Record<string, bigint> {
  const out: Record<string, bigint> = {};
  result.conversions.forEach((units, index) => {
    if (units !== 0n) out[campaigns[index]!] = units;
  });
  if (result.unattributedConversions !== 0n) out['(unattributed)'] = result.unattributedConversions;
  return out;
}

/** Maps every value of a record through `format`. */
export function mapValues<V, W>(record: Record<string, V>, format: (value: V) => W): Record<string, W> {
  return Object.fromEntries(Object.entries(record).map(([key, value]) => [key, format(value)]));
}

export const sum = (values: readonly bigint[]) => values.reduce((a, b) => a + b, 0n);
