/**
 * The engine's inputs, in columns rather than objects: a year of data is
 * millions of touchpoints, and typed arrays keep them compact and the hot
 * loops free of per-touch allocation. Campaigns and customers are dense
 * indices chosen by the caller (the service maps its string ids to them);
 * instants are epoch milliseconds.
 */

export const DAY_MS = 86_400_000;

/** A half-open interval of instants, [start, end), in epoch milliseconds. A report's [from, to] in whole UTC days is [from 00:00, the day after to 00:00). */
export interface TimeRange {
  readonly start: number;
  readonly end: number;
}

/**
 * Every touchpoint, grouped by customer, each customer's touches ordered by
 * occurredAt then touchpoint id (the order docs/reports.md's models read them
 * in). Customer k's touches are rows customerStart[k] .. customerStart[k+1]-1.
 */
export interface TouchTable {
  readonly customerCount: number;
  readonly campaignCount: number;
  readonly customerStart: Int32Array;
  readonly occurredAt: Float64Array;
  readonly campaign: Int32Array;
}

/**
 * Conversions and refunds, in any order. A refund is attributed as of the
 * conversion it refunds (docs/reports.md: the same touchpoints and shares), so
 * its row carries that conversion's customer and convertedAt, its own
 * amount (converted at its own date, usually negative), and isRefund = 1:
 * it moves revenue, never the conversion count.
 */
export interface ConversionTable {
  readonly customer: Int32Array;
  /** For a conversion its occurredAt; for a refund the occurredAt of the conversion it refunds. */
  readonly convertedAt: Float64Array;
  /** In base-currency attos (1e-18 units), as FxTable.toBaseAttos gives them. */
  readonly amount: readonly bigint[];
  readonly isRefund: Uint8Array;
}

export interface TouchInput {
  readonly id: string;
  readonly customer: number;
  readonly campaign: number;
  readonly occurredAt: number;
}

export interface ConversionInput {
  readonly customer: number;
  readonly convertedAt: number;
  readonly amount: bigint;
  readonly refund?: boolean;
}

function checkIndex(value: number, count: number, what: string, row: number): void {
  if (!Number.isInteger(value) || value < 0 || value >= count) {
    throw new RangeError(`${what} of row ${row} must be an index below ${count} (got ${value})`);
  }
}

function checkInstant(value: number, what: string, row: number): void {
  if (!Number.isFinite(value)) throw new RangeError(`${what} of row ${row} must be a finite epoch-millisecond instant`);
}

/**
 * Builds the table from touches in any order. Ties on occurredAt are broken
 * by id compared as JavaScript strings, which for the ASCII ids the API
 * allows is SQLite's BINARY collation: the same order `ORDER BY
 * occurred_at, id` gives. A counting sort by customer keeps this linear
 * apart from the small per-customer sorts.
 */
export function buildTouchTable(touches: readonly TouchInput[], customerCount: number, campaignCount: number): TouchTable {
  const customerStart = new Int32Array(customerCount + 1);
  touches.forEach((touch, row) => {
    checkIndex(touch.customer, customerCount, 'customer', row);
    checkIndex(touch.campaign, campaignCount, 'campaign', row);
    checkInstant(touch.occurredAt, 'occurredAt', row);
    customerStart[touch.customer + 1]! += 1;
  });
  for (let k = 0; k < customerCount; k++) customerStart[k + 1]! += customerStart[k]!;
  const fill = customerStart.slice(0, customerCount);
  const order = new Array<TouchInput>(touches.length);
  for (const touch of touches) order[fill[touch.customer]!++] = touch;
  const byTimeThenId = (a: TouchInput, b: TouchInput) =>
    a.occurredAt - b.occurredAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
  const occurredAt = new Float64Array(touches.length);
  const campaign = new Int32Array(touches.length);
  for (let k = 0; k < customerCount; k++) {
    const group = order.slice(customerStart[k], customerStart[k + 1]).sort(byTimeThenId);
    group.forEach((touch, offset) => {
      occurredAt[customerStart[k]! + offset] = touch.occurredAt;
      campaign[customerStart[k]! + offset] = touch.campaign;
    });
  }
  return { customerCount, campaignCount, customerStart, occurredAt, campaign };
}

/**
 * Builds the table from columns already sorted by (customer, occurredAt,
 * touchpoint id), as `ORDER BY` in SQL delivers them: no objects, one pass.
 * The order is checked (all but the id tie-break, which the columns no
 * longer carry), since every model silently depends on it.
 */
export function touchTableFromSortedColumns(
  columns: { readonly customer: Int32Array; readonly occurredAt: Float64Array; readonly campaign: Int32Array },
  customerCount: number,
  campaignCount: number,
): TouchTable {
  const { customer, occurredAt, campaign } = columns;
  const rows = customer.length;
  if (occurredAt.length !== rows || campaign.length !== rows) throw new RangeError('touch columns must have the same length');
  const customerStart = new Int32Array(customerCount + 1);
  for (let row = 0; row < rows; row++) {
    checkIndex(customer[row]!, customerCount, 'customer', row);
    checkIndex(campaign[row]!, campaignCount, 'campaign', row);
    checkInstant(occurredAt[row]!, 'occurredAt', row);
    if (row > 0) {
      const previous = customer[row - 1]!;
      if (customer[row]! < previous || (customer[row] === previous && occurredAt[row]! < occurredAt[row - 1]!)) {
        throw new RangeError(`touch row ${row} is out of order: rows must be sorted by customer, then occurredAt`);
      }
    }
    customerStart[customer[row]! + 1]! += 1;
  }
  for (let k = 0; k < customerCount; k++) customerStart[k + 1]! += customerStart[k]!;
  return { customerCount, campaignCount, customerStart, occurredAt, campaign };
}

export function buildConversionTable(rows: readonly ConversionInput[]): ConversionTable {
  const customer = new Int32Array(rows.length);
  const convertedAt = new Float64Array(rows.length);
  const isRefund = new Uint8Array(rows.length);
  const amount = rows.map((row, index) => {
    customer[index] = row.customer;
    convertedAt[index] = row.convertedAt;
    isRefund[index] = row.refund ? 1 : 0;
    return row.amount;
  });
  return { customer, convertedAt, amount, isRefund };
}

/** Checks a conversion table against the touch table it will be read with. */
export function checkConversions(conversions: ConversionTable, touches: TouchTable): void {
  const rows = conversions.customer.length;
  if (conversions.convertedAt.length !== rows || conversions.amount.length !== rows || conversions.isRefund.length !== rows) {
    throw new RangeError('conversion columns must have the same length');
  }
  for (let row = 0; row < rows; row++) {
    checkIndex(conversions.customer[row]!, touches.customerCount, 'customer', row);
    checkInstant(conversions.convertedAt[row]!, 'convertedAt', row);
    if (typeof conversions.amount[row] !== 'bigint') throw new RangeError(`amount of row ${row} must be a bigint of attos`);
  }
}
