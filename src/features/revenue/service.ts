/**
 * Revenue events: conversions (amount > 0) and refunds (amount < 0, refundOf
 * naming a conversion). Keyed by the client's id. A batch is checked against
 * the state it would leave behind (the stored events with the batch laid
 * over them), so that no batch can leave a refund of a refund, a refund of
 * another customer or currency, or refunds larger than their conversion.
 */
import type { Sqlite } from '../../db.js';
import type { UnitOfWork } from '../../store/unit-of-work.js';
import { minorUnits } from '../../domain/currency.js';
import { formatAmount } from '../../domain/money.js';
import { dayOfInstant, formatDay } from '../../domain/periods.js';
import { FieldErrors } from '../../lib/errors.js';
import { flagRepeats, withRateWarnings, type BatchAnswer, type BatchCounts, type RateCoverageSource } from '../common/batch.js';
import { formatInstant } from '../../domain/instants.js';
import type { PeriodService } from '../periods/service.js';
import type { RevenueIndex, RevenueRowChange } from './revenue-index.js';

export interface RevenueInput {
  id: string;
  customerId: string;
  /** Epoch milliseconds. */
  occurredAt: number;
  amount: bigint;
  currency: string;
  refundOf?: string | null | undefined;
}

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

interface RevenueRow {
  id: string;
  customer_id: string;
  occurred_at: bigint;
  amount_micros: bigint;
  currency: string;
  refund_of: string | null;
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
  customerId: row.customer_id,
  amount: row.amount_micros,
  currency: row.currency,
  refundOf: row.refund_of,
});

const money = (micros: bigint, currency: string) => `${formatAmount(micros, minorUnits(currency))} ${currency}`;

/** Whether the stored row already holds the item's values. */
function sameEvent(row: RevenueRow, item: RevenueInput): boolean {
  return (
    row.customer_id === item.customerId &&
    row.occurred_at === BigInt(item.occurredAt) &&
    row.amount_micros === item.amount &&
    row.currency === item.currency &&
    row.refund_of === (item.refundOf ?? null)
  );
}

export class RevenueService {
  private readonly selectStmt;
  private readonly refundsOfStmt;
  private readonly upsertStmt;

  constructor(
    private readonly sqlite: Sqlite, private readonly uow: UnitOfWork,
    private readonly periods: PeriodService,
    private readonly rates: RateCoverageSource,
    private readonly index?: RevenueIndex,
  ) {
    this.selectStmt = sqlite.prepare('select * from revenue where id = ?').safeIntegers(true);
    this.refundsOfStmt = sqlite.prepare('select * from revenue where refund_of = ?').safeIntegers(true);
    this.upsertStmt = sqlite.prepare(
      `insert into revenue (id, customer_id, occurred_at, amount_micros, currency, refund_of) values (?, ?, ?, ?, ?, ?)
       on conflict (id) do update set customer_id = excluded.customer_id, occurred_at = excluded.occurred_at,
         amount_micros = excluded.amount_micros, currency = excluded.currency, refund_of = excluded.refund_of
       returning rowid`,
    ).pluck();
  }

  /**
   * Checks the batch, then writes it in one transaction. The reads of the
   * checks and the writes run in the same transaction, so nothing written
   * in between can make the checks stale.
   */
  ingest(items: RevenueInput[], pathOf: (i: number) => string): BatchAnswer {
    const counts = this.write(items, pathOf);
    // A report converts an event (a refund too) at its own UTC day.
    const rateOf = (i: number) => ({ currency: items[i]!.currency, date: formatDay(dayOfInstant(items[i]!.occurredAt)) });
    return withRateWarnings(counts, items.length, rateOf, this.rates.coverage(), pathOf);
  }

  private write(items: RevenueInput[], pathOf: (i: number) => string): BatchCounts {
    const changed: RevenueRowChange[] = [];
    const counts = this.uow.write(() => {
      const stored = this.check(items, pathOf);
      // An event is dated by the UTC month of occurredAt; one stored in a closed month cannot move out of it either.
      this.periods.refuseClosed(items, pathOf, 'occurredAt', (item, closed) => {
        const month = closed.ofInstant(item.occurredAt);
        if (month !== null) return month;
        const before = stored.get(item.id);
        if (before === undefined || sameEvent(before, item)) return null;
        const from = closed.ofInstant(Number(before.occurred_at));
        if (from !== null) return { month: from, message: `would move event ${item.id} out of ${from}, which is closed` };
        // A refund is split as its conversion: a conversion refunded in a closed month must stay as it is.
        for (const refund of this.refundsOfStmt.all(item.id) as RevenueRow[]) {
          const month = closed.ofInstant(Number(refund.occurred_at));
          if (month !== null) return { month, message: `would change conversion ${item.id}, whose refund ${refund.id} is dated in ${month}, which is closed` };
        }
        return null;
      });
      const counts: BatchCounts = { inserted: 0, updated: 0, unchanged: 0 };
      // New rows take rowids above the highest, one after another: the batch's are firstInserted..lastInserted.
      let firstInserted: number | null = null;
      let lastInserted: number | null = null;
      items.forEach((item) => {
        const before = stored.get(item.id);
        const refundOf = item.refundOf ?? null;
        if (before && sameEvent(before, item)) {
          counts.unchanged++;
          return;
        }
        const rowid = this.upsertStmt.get(item.id, item.customerId, item.occurredAt, item.amount, item.currency, refundOf) as number;
        changed.push([rowid, item.customerId, item.occurredAt, item.amount, item.currency, refundOf]);
        if (before) {
          counts.updated++;
        } else {
          counts.inserted++;
          firstInserted ??= rowid;
          lastInserted = rowid;
        }
      });
      if (counts.inserted + counts.updated > 0) this.uow.record('ingest', 'revenue', null, null, { ...counts, insertedRowids: firstInserted === null ? null : [firstInserted, lastInserted] });
      return counts;
    });
    this.index?.applied(changed);
    return counts;
  }

  /** The stored rows of the batch's ids, or a ValidationError naming every bad item. */
  private check(items: RevenueInput[], pathOf: (i: number) => string): Map<string, RevenueRow> {
    const errors = new FieldErrors();
    flagRepeats(items, (item) => item.id, errors, pathOf, 'id', (earlier) => `repeats the id of item ${earlier}`);
    errors.throwIfAny();

    const stored = new Map<string, RevenueRow>();
    for (const item of items) {
      const row = this.selectStmt.get(item.id) as RevenueRow | undefined;
      if (row) stored.set(item.id, row);
    }
    const batchIndex = new Map(items.map((item, i) => [item.id, i]));
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
      const row = this.selectStmt.get(id) as RevenueRow | undefined;
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
      if (before?.refund_of) affected.add(before.refund_of);
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

    for (const conversionId of affected) this.checkRefundsOf(conversionId, eventAfter, batchIndex, batchRefundsOf, items, errors, pathOf);
    errors.throwIfAny();
    return stored;
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
    batchIndex: Map<string, number>,
    batchRefundsOf: Map<string, number[]>,
    items: RevenueInput[],
    errors: FieldErrors,
    pathOf: (i: number) => string,
  ): void {
    const conversion = eventAfter(conversionId);
    if (!conversion || conversion.refundOf !== null) {
      // A refund of it that stays stored is now a refund of a refund or of nothing.
      const orphans = (this.refundsOfStmt.all(conversionId) as RevenueRow[]).filter((row) => !batchIndex.has(row.id));
      if (conversion?.index !== undefined && orphans.length > 0) {
        errors.add(`${pathOf(conversion.index)}refundOf`, `${conversionId} has refunds (${orphans.map((r) => r.id).join(', ')}); it cannot become a refund`);
      }
      return;
    }
    const storedRefunds = (this.refundsOfStmt.all(conversionId) as RevenueRow[]).filter((row) => !batchIndex.has(row.id)).map(fromRow);
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

  list(filter: RevenueFilter): RevenueView[] {
    const where: string[] = [];
    const params: unknown[] = [];
    if (filter.customerId) (where.push('customer_id = ?'), params.push(filter.customerId));
    if (filter.start !== undefined) (where.push('occurred_at >= ?'), params.push(filter.start));
    if (filter.end !== undefined) (where.push('occurred_at < ?'), params.push(filter.end));
    if (filter.after !== null) (where.push('id > ?'), params.push(filter.after));
    const sql = `select * from revenue ${where.length ? 'where ' + where.join(' and ') : ''} order by id limit ?`;
    const rows = this.sqlite.prepare(sql).safeIntegers(true).all(...params, filter.limit + 1) as RevenueRow[];
    return rows.map((row) => ({
      id: row.id,
      customerId: row.customer_id,
      occurredAt: formatInstant(Number(row.occurred_at)),
      amount: formatAmount(row.amount_micros, minorUnits(row.currency)),
      currency: row.currency,
      refundOf: row.refund_of,
    }));
  }
}

function fromInput(item: RevenueInput): RevenueEvent {
  return { id: item.id, customerId: item.customerId, amount: item.amount, currency: item.currency, refundOf: item.refundOf ?? null };
}
