/**
 * The zod schemas of touchpoint ingest, and the two building blocks revenue
 * shares with it: a customer id and an instant.
 */
import { z } from 'zod';
import { parseInstant } from '../../domain/instants.js';
import { batchBody, ClientId } from '../common/schemas.js';

/** A customer id: the same pattern as every client-chosen id. */
export const CustomerId = ClientId.meta({ example: 'cust-81734' });

/** What a timestamp must be, in the words of every refusal of one. */
export const TIMESTAMP_MESSAGE =
  'must be an ISO 8601 timestamp with an offset from -12:00 to +14:00, in the years 1900 to 2999, such as 2026-03-01T10:15:00Z or 2026-03-01T12:15:00+02:00 (at most millisecond precision)';

/** An instant on input: ISO 8601 with an offset, parsed to epoch milliseconds by parseInstant, the one timestamp reader. */
export const Timestamp = z
  .string()
  .transform((text, ctx) => {
    const instant = parseInstant(text);
    if (instant === null) {
      ctx.addIssue({ code: 'custom', message: TIMESTAMP_MESSAGE });
      return z.NEVER;
    }
    return instant;
  })
  .meta({ example: '2026-03-01T10:15:00Z', format: 'date-time', description: 'ISO 8601 with an offset from -12:00 to +14:00, years 1900 to 2999; stored as the instant' });

/** An instant on output. */
export const TimestampOutput = z.string().meta({ format: 'date-time', example: '2026-03-01T10:15:00.000Z', description: 'ISO 8601 UTC, with milliseconds' });

export const TouchpointItem = z.strictObject({
  id: ClientId,
  customerId: CustomerId,
  campaignId: ClientId,
  occurredAt: Timestamp,
});

/** The body of POST /v1/touchpoints. */
export const TouchpointBatch = batchBody(TouchpointItem);
