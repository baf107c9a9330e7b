/** The zod schemas of revenue ingest: conversions and their refunds. */
import { z } from 'zod';
import { batchBody, ClientId, CurrencyCode, MoneyInput } from '../common/schemas.js';
import { CustomerId, Timestamp } from '../touchpoints/schemas.js';

export const RevenueItem = z
  .strictObject({
    id: ClientId,
    customerId: CustomerId,
    occurredAt: Timestamp,
    amount: MoneyInput,
    currency: CurrencyCode,
    refundOf: ClientId.nullable()
      .optional()
      .meta({ description: 'The id of the conversion this refunds; the amount is then negative' }),
  })
  .superRefine((item, ctx) => {
    const refundOf = item.refundOf ?? null;
    if (refundOf === null && item.amount <= 0n) {
      ctx.addIssue({ code: 'custom', path: ['amount'], message: 'a conversion’s amount must be greater than 0; a refund names its conversion in refundOf' });
    }
    if (refundOf !== null && item.amount >= 0n) {
      ctx.addIssue({ code: 'custom', path: ['amount'], message: 'a refund’s amount must be negative' });
    }
    if (refundOf !== null && refundOf === item.id) {
      ctx.addIssue({ code: 'custom', path: ['refundOf'], message: 'a revenue event cannot refund itself' });
    }
  });

/** The body of POST /v1/revenue. */
export const RevenueBatch = batchBody(RevenueItem);
