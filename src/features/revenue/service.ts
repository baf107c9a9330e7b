/**
 * Revenue events: conversions (amount > 0) and refunds (amount < 0, refundOf
 * naming a conversion). Keyed by the client's id. A batch is checked against
 * the state it would leave behind (the stored events with the batch laid
 * over them), so that no batch can leave a refund of a refund, a refund of
 * another customer or currency, or refunds larger than their conversion.
 */
import type { Database } from '../../store/database.js';
import type { UnitOfWork } from '../../store/unit-of-work.js';
import { minorUnits } from '../../domain/currency.js';
import { formatAmount } from '../../domain/money.js';
import { dayOfInstant, formatDay } from '../../domain/periods.js';
import { FieldErrors } from '../../lib/errors.js';
import { flagRepeats, withRateWarnings, type BatchAnswer, type BatchCounts, type RateCoverageSource } from '../common/batch.js';
import { formatInstant } from '../../domain/instants.js';
import type { PeriodService } from '../periods/service.js';
import type { RevenueIndex } from './revenue-index.js';
import { revenueRepository, type RevenueInput, type RevenueRepository, type RevenueRow } from './repository.js';

export type { RevenueInput } from './repository.js';

export interface RevenueView {
  id: string;
  customerId: string;
  occurredAt: string;
  amount: string;
  currency: string;
  refundOf: string | null;
}

export interface RevenueFilter {
  customerId?: string | undefined;
  /** [start, end) in epoch milliseconds. */
  start?: number | undefined;
  end?: number | undefined;
  after: string | null;
  limit: number;
}

/** One event as the checks see it, stored or from the batch (`index` set). */
interface RevenueEvent {
  id: string;
  customerId: string;
  amount: bigint;
  currency: string;
  refundOf: string | null;
  index?: number;
}

const fromRow = (row: RevenueRow): RevenueEvent => ({
  id: row.id,
  customerId: row.customerId,
  amount: row.amountMicros,
  currency: row.currency,
  refundOf: row.refundOf,
});

const money = (micros: bigint, currency: string) => `${formatAmount(micros, minorUnits(currency))} ${currency}`;

/** Whether the stored row already holds the item's values. */
function sameEvent(row: RevenueRow, item: RevenueInput): boolean {
  return (
    row.customerId === item.customerId &&
    row.occurredAt === item.occurredAt &&
    row.amountMicros === item.amount &&
    row.currency === item.currency &&
    row.refundOf === (item.refundOf ?? null)
  );
}

/** What the checks read, for the write that follows them. */
interface Checked {
  stored: Map<string, RevenueRow>;
  /** The stored refunds of every conversion the batch touches. */
  refunds: Map<string, RevenueRow[]>;
}

export class RevenueService {
  private readonly repository: RevenueRepository;

  constructor(
    database: Database,
    private readonly uow: UnitOfWork,
    private readonly periods: PeriodService,
    private readonly rates: RateCoverageSource,
    private readonly index?: RevenueIndex,
  ) {
    this.repository = revenueRepository(database);
  }

  /**
   * Checks the batch, then writes it in one transaction. The reads of the
   * checks and the writes run in the same transaction (on PostgreSQL with
   * the rows read locked), so nothing written in between can make the
   * checks stale.
   */
  async ingest(items: RevenueInput[], pathOf: (i: number) => string): Promise<BatchAnswer> {
    const counts = await this.write(items, pathOf);
    // A report converts an event (a refund too) at its own UTC day.
    const rateOf = (i: number) => ({ currency: items[i]!.currency, date: formatDay(dayOfInstant(items[i]!.occurredAt)) });
    return withRateWarnings(counts, items.length, rateOf, await this.rates.coverage(), pathOf);
  }

  private async write(items: RevenueInput[], pathOf: (i: number) => string): Promise<BatchCounts> {
    const { counts, changed } = await this.uow.write(async () => {
      const { stored, refunds } = await this.check(items, pathOf);
      // An event is dated by the UTC month of occurredAt; one stored in a closed month cannot move out of it either.
      await this.periods.refuseClosed(items, pathOf, 'occurredAt', (item, closed) => {
        const month = closed.ofInstant(item.occurredAt);
        if (month !== null) return month;
        const before = stored.get(item.id);
        if (before === undefined || sameEvent(before, item)) return null;
        const from = closed.ofInstant(before.occurredAt);
        if (from !== null) return { month: from, message: `would move event ${item.id} out of ${from}, which is closed` };
        // A refund is split as its conversion: a conversion refunded in a closed month must stay as it is.
        for (const refund of refunds.get(item.id) ?? []) {
          const month = closed.ofInstant(refund.occurredAt);
          if (month !== null) return { month, message: `would change conversion ${item.id}, whose refund ${refund.id} is dated in ${month}, which is closed` };
        }
        return null;
      });
      const toWrite = items.filter((item) => {
        const before = stored.get(item.id);
        return !(before && sameEvent(before, item));
      });
      const { inserted, updated, changed, insertedSlots } = await this.repository.upsert(toWrite);
      const counts: BatchCounts = { inserted, updated, unchanged: items.length - inserted - updated };
      if (inserted + updated > 0) await this.uow.record('ingest', 'revenue', null, null, { ...counts, insertedRowids: insertedSlots });
      return { counts, changed };
    });
    this.index?.applied(changed);
    return counts;
  }

  /** What the checks read, or a ValidationError naming every bad item. */
  private async check(items: RevenueInput[], pathOf: (i: number) => string): Promise<Checked> {
    const errors = new FieldErrors();
    flagRepeats(items, (item) => item.id, errors, pathOf, 'id', (earlier) => `repeats the id of item ${earlier}`);
    errors.throwIfAny();

    const stored = new Map<string, RevenueRow>();
    for (const row of await this.repository.rowsOf(items.map((item) => item.id))) stored.set(row.id, row);
    const batchIndex = new Map(items.map((item, i) => [item.id, i]));
    // The other events the checks read: the conversions the batch's refunds name, and the ones its rewritten refunds named before.
    const others = new Set<string>();
    for (const item of items) {
      const refundOf = item.refundOf ?? null;
      if (refundOf !== null && !batchIndex.has(refundOf)) others.add(refundOf);
      const before = stored.get(item.id)?.refundOf ?? null;
      if (refundOf !== null && before !== null && !batchIndex.has(before)) others.add(before);
    }
    const known = new Map(stored);
    for (const row of await this.repository.rowsOf([...others])) known.set(row.id, row);
    // Each conversion's refunds in the batch, in batch order: one pass, not one per conversion.
    const batchRefundsOf = new Map<string, number[]>();
    items.forEach((item, i) => {
      const refundOf = item.refundOf ?? null;
      if (refundOf === null) return;
      const list = batchRefundsOf.get(refundOf);
      if (list) list.push(i);
      else batchRefundsOf.set(refundOf, [i]);
    });
    const batchEvent = (i: number): RevenueEvent => {
      const item = items[i]!;
      return { id: item.id, customerId: item.customerId, amount: item.amount, currency: item.currency, refundOf: item.refundOf ?? null, index: i };
    };
    /** An event as the batch would leave it. */
    const eventAfter = (id: string): RevenueEvent | undefined => {
      const i = batchIndex.get(id);
      if (i !== undefined) return batchEvent(i);
      const row = known.get(id);
      return row ? fromRow(row) : undefined;
    };

    // The events whose refunds the batch touches: the ones its refunds name,
    // the ones it rewrites, and the ones its rewritten refunds named before.
    const affected = new Set<string>();
    items.forEach((item, i) => {
      // Every rewritten event may have stored refunds: a conversion that
      // becomes a refund, changes customer or currency, or shrinks.
      affected.add(item.id);
      const refundOf = item.refundOf ?? null;
      if (refundOf === null) return;
      const before = stored.get(item.id);
      if (before?.refundOf) affected.add(before.refundOf);
      const target = batchIndex.get(refundOf);
      if (target !== undefined && target > i) {
        errors.add(`${pathOf(i)}refundOf`, `refunds item ${target}, which comes later in this batch; put the conversion first`);
        return;
      }
      const conversion = eventAfter(refundOf);
      if (!conversion) errors.add(`${pathOf(i)}refundOf`, `no conversion ${refundOf}; send the conversion first`);
      else if (conversion.refundOf !== null) errors.add(`${pathOf(i)}refundOf`, `${refundOf} is itself a refund; name the conversion it refunds`);
      else {
        if (conversion.customerId !== item.customerId) {
          errors.add(`${pathOf(i)}customerId`, `is ${item.customerId} but conversion ${refundOf} belongs to customer ${conversion.customerId}`);
        }
        if (conversion.currency !== item.currency) {
          errors.add(`${pathOf(i)}currency`, `is ${item.currency} but conversion ${refundOf} is in ${conversion.currency}`);
        }
        affected.add(refundOf);
      }
    });

    const refunds = new Map<string, RevenueRow[]>();
    for (const row of await this.repository.refundsOf([...affected])) {
      const list = refunds.get(row.refundOf!);
      if (list) list.push(row);
      else refunds.set(row.refundOf!, [row]);
    }
    for (const conversionId of affected) {
      this.checkRefundsOf(conversionId, eventAfter, refunds.get(conversionId) ?? [], batchIndex, batchRefundsOf, items, errors, pathOf);
    }
    errors.throwIfAny();
    return { stored, refunds };
  }

  /**
   * The refunds of one conversion, after the batch: of the same customer and
   * currency as the conversion, and adding up to no more than its amount.
   * Batch refunds are counted in batch order after the stored ones, and the
   * first that goes past the conversion's amount is named.
   */
  private checkRefundsOf(
    conversionId: string,
    eventAfter: (id: string) => RevenueEvent | undefined,
    storedRefundsOf: readonly RevenueRow[],
    batchIndex: Map<string, number>,
    batchRefundsOf: Map<string, number[]>,
    items: RevenueInput[],
    errors: FieldErrors,
    pathOf: (i: number) => string,
  ): void {
    const conversion = eventAfter(conversionId);
    if (!conversion || conversion.refundOf !== null) {
      // A refund of it that stays stored is now a refund of a refund or of nothing.
      const orphans = storedRefundsOf.filter((row) => !batchIndex.has(row.id));
      if (conversion?.index !== undefined && orphans.length > 0) {
        errors.add(`${pathOf(conversion.index)}refundOf`, `${conversionId} has refunds (${orphans.map((r) => r.id).join(', ')}); it cannot become a refund`);
      }
      return;
    }
    const storedRefunds = storedRefundsOf.filter((row) => !batchIndex.has(row.id)).map(fromRow);
    const batchRefunds: RevenueEvent[] = (batchRefundsOf.get(conversionId) ?? []).map((i) => ({ ...fromInput(items[i]!), index: i }));
    if (conversion.index !== undefined) {
      for (const refund of storedRefunds) {
        if (refund.customerId !== conversion.customerId) {
          errors.add(`${pathOf(conversion.index)}customerId`, `conversion ${conversionId} has refund ${refund.id} of customer ${refund.customerId}`);
        }
        if (refund.currency !== conversion.currency) {
          errors.add(`${pathOf(conversion.index)}currency`, `conversion ${conversionId} has refund ${refund.id} in ${refund.currency}`);
        }
      }
    }
    let refunded = storedRefunds.reduce((sum, refund) => sum - refund.amount, 0n);
    if (refunded > conversion.amount) {
      if (conversion.index !== undefined) {
        errors.add(`${pathOf(conversion.index)}amount`, `is less than the ${money(refunded, conversion.currency)} already refunded`);
      }
      return;
    }
    for (const refund of batchRefunds) {
      const left = conversion.amount - refunded;
      refunded -= refund.amount;
      if (refunded > conversion.amount) {
        errors.add(
          `${pathOf(refund.index!)}amount`,
          `refunds ${money(-refund.amount, conversion.currency)} but only ${money(left, conversion.currency)} of conversion ${conversionId} is left to refund`,
        );
      }
    }
  }

  async list(filter: RevenueFilter): Promise<RevenueView[]> {
    const rows = await this.repository.list({ ...filter, limit: filter.limit + 1 });
    return rows.map((row) => ({
      id: row.id,
      customerId: row.customerId,
      occurredAt: formatInstant(row.occurredAt),
      amount: formatAmount(row.amountMicros, minorUnits(row.currency)),
      currency: row.currency,
      refundOf: row.refundOf,
    }));
  }
}

function fromInput(item: RevenueInput): RevenueEvent {
  return { id: item.id, customerId: item.customerId, amount: item.amount, currency: item.currency, refundOf: item.refundOf ?? null };
}
