/**
 * The models' shares: how much of a conversion each eligible touch earns.
 * Shares are weights, not money, so they are doubles, computed in a fixed
 * order (the same touches give the same bits). Money is split from them
 * exactly, in exact-split.ts.
 */
import { DAY_MS } from './inputs.js';

export const HEURISTIC_MODELS = ['first_touch', 'last_touch', 'linear', 'time_decay', 'position_based'] as const;
export type HeuristicModel = (typeof HEURISTIC_MODELS)[number];

export const ATTRIBUTION_MODELS = [...HEURISTIC_MODELS, 'data_driven'] as const;
export type AttributionModel = (typeof ATTRIBUTION_MODELS)[number];

export const DEFAULT_HALF_LIFE_DAYS = 7;

/** The half-life in milliseconds; fractional days are allowed (docs/reports.md). */
export function halfLifeMs(halfLifeDays: number = DEFAULT_HALF_LIFE_DAYS): number {
  if (!Number.isFinite(halfLifeDays) || halfLifeDays <= 0) {
    throw new RangeError(`halfLifeDays must be a positive number of days (got ${halfLifeDays})`);
  }
  return halfLifeDays * DAY_MS;
}

/**
 * time_decay's raw weight of a touch `ageMs` before the conversion:
 * 2^(-age / halfLife), computed as e^(-age ln2 / halfLife), which is
 * several times faster than a power of 2 here and as deterministic.
 */
export function timeDecayWeight(ageMs: number, halfLife: number): number {
  return Math.exp(-ageMs * (Math.LN2 / halfLife));
}

/**
 * Writes the shares of the touches times[start..end) (ordered, all
 * eligible for a conversion at `convertedAt`) into out[0 .. end-start).
 *
 * time_decay normalises 2^(-(T - t)/h) by the newest touch's weight first,
 * i.e. uses 2^(-(tNewest - t)/h): the same ratios, but the newest touch's
 * weight is exactly 1, so a tiny half-life cannot underflow every weight
 * to 0 (older touches may then get a share of 0, which is the model's
 * answer anyway).
 */
export function fillShares(
  model: HeuristicModel,
  times: ArrayLike<number>,
  start: number,
  end: number,
  convertedAt: number,
  halfLife: number,
  out: Float64Array,
): void {
  const n = end - start;
  if (n <= 0) return;
  switch (model) {
    case 'first_touch':
    case 'last_touch': {
      out.fill(0, 0, n);
      out[model === 'first_touch' ? 0 : n - 1] = 1;
      return;
    }
    case 'linear': {
      out.fill(1 / n, 0, n);
      return;
    }
    case 'position_based': {
      if (n <= 2) {
        out.fill(1 / n, 0, n);
        return;
      }
      out.fill(0.2 / (n - 2), 1, n - 1);
      out[0] = 0.4;
      out[n - 1] = 0.4;
      return;
    }
    case 'time_decay': {
      const newest = times[end - 1]!;
      if (newest > convertedAt) throw new RangeError('a touch after the conversion is not eligible');
      const rate = Math.LN2 / halfLife;
      let sum = 0;
      for (let i = 0; i < n; i++) {
        const weight = Math.exp(-(newest - times[start + i]!) * rate);
        out[i] = weight;
        sum += weight;
      }
      for (let i = 0; i < n; i++) out[i]! /= sum;
      return;
    }
  }
}

/**
 * The shares of a conversion's eligible touches, given their occurredAt in
 * order. A convenience over fillShares for one conversion (the report
 * loops use fillShares with a reused buffer).
 */
export function touchShares(
  model: HeuristicModel,
  occurredAt: readonly number[],
  convertedAt: number,
  halfLifeDays: number = DEFAULT_HALF_LIFE_DAYS,
): number[] {
  const out = new Float64Array(occurredAt.length);
  fillShares(model, occurredAt, 0, occurredAt.length, convertedAt, halfLifeMs(halfLifeDays), out);
  return Array.from(out);
}
