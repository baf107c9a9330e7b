/**
 * The zod schemas of spend ingest: the one source of the route's validation,
 * its types and the OpenAPI document. The fast path (fast-batch.ts) judges
 * each field with these same schemas.
 */
import { z } from 'zod';
import { ExternalRefSchema } from '../campaigns/schemas.js';
import { batchBody, ClientId, CurrencyCode, DateString, MoneyInput } from '../common/schemas.js';

export const Source = z
  .string()
  .regex(/^[a-z][a-z0-9_]{0,31}$/, 'must be a lower-case source name such as google_ads, meta, linkedin, invoice, manual')
  .meta({ example: 'google_ads' });

export const Reference = z
  .string()
  .min(1)
  .max(256)
  .nullable()
  .optional()
  .meta({ description: 'Invoice or line number; part of the natural key' });

export const SpendItem = z
  .strictObject({
    campaignId: ClientId.optional(),
    externalRef: ExternalRefSchema.optional(),
    date: DateString,
    amount: MoneyInput,
    currency: CurrencyCode,
    source: Source,
    reference: Reference,
  })
  .superRefine((item, ctx) => {
    if (item.campaignId === undefined && item.externalRef === undefined) {
      ctx.addIssue({ code: 'custom', path: ['campaignId'], message: 'campaignId or externalRef is required' });
    }
  });

/** The body of POST /v1/spend. */
export const SpendBatch = batchBody(SpendItem);
