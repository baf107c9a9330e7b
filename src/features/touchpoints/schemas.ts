/**
 * The zod schemas of touchpoint ingest, and the two building blocks revenue
 * shares with it: a customer id and an instant.
 */
import { z } from 'zod';
import { batchBody, ClientId } from '../shared/schemas.js';

/** A customer id: the same pattern as every client-chosen id. */
export const CustomerId = ClientId.meta({ example: 'cust-81734' });

const INSTANT = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?(Z|([+-])(\d{2}):(\d{2}))$/;

/**
 * The instant an ISO 8601 timestamp names, in epoch milliseconds, or null
 * when the text is not a real calendar instant with an offset. Seconds are
 * optional; fractions go to the millisecond (what is stored), never beyond,
 * so that no digit the client sent is silently dropped.
 */
export function parseInstant(text: string): number | null {
  const m = INSTANT.exec(text);
  if (!m) return null;
  const [year, month, day, hour, minute] = [1, 2, 3, 4, 5].map((i) => Number(m[i]));
  const second = Number(m[6] ?? '0');
  const millis = Number((m[7] ?? '').padEnd(3, '0'));
  const offsetHours = Number(m[10] ?? '0');
  const offsetMinutes = Number(m[11] ?? '0');
  const daysInMonth = new Date(Date.UTC(year!, month!, 0)).getUTCDate();
  if (year! < 1900 || month! < 1 || month! > 12 || day! < 1 || day! > daysInMonth) return null;
  if (hour! > 23 || minute! > 59 || second > 59 || offsetHours > 23 || offsetMinutes > 59) return null;
  const offsetMs = (m[9] === '-' ? -1 : 1) * (offsetHours * 60 + offsetMinutes) * 60_000;
  return Date.UTC(year!, month! - 1, day!, hour!, minute!, second, millis) - offsetMs;
}

/** An instant on output: ISO 8601 UTC, always with milliseconds. */
export const formatInstant = (epochMs: number): string => new Date(epochMs).toISOString();

/** An instant on input: ISO 8601 with an offset, parsed to epoch milliseconds. */
export const Timestamp = z
  .string()
  .transform((text, ctx) => {
    const instant = parseInstant(text);
    if (instant === null) {
      ctx.addIssue({
        code: 'custom',
        message: 'must be an ISO 8601 timestamp with an offset, such as 2026-03-01T10:15:00Z or 2026-03-01T12:15:00+02:00 (at most millisecond precision)',
      });
      return z.NEVER;
    }
    return instant;
  })
  .meta({ example: '2026-03-01T10:15:00Z', format: 'date-time', description: 'ISO 8601 with an offset; stored as the instant' });

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
