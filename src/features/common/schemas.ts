/**
 * The zod building blocks of the API: one source for validation, types and
 * the OpenAPI document.
 */
import { z } from 'zod';
import { isCurrencyCode } from '../../domain/currency.js';
import { MoneyFormatError, parseAmount } from '../../domain/money.js';
import { NumberLiteral } from '../../lib/json-body.js';
import { isValidDate, isValidMonth } from '../../domain/periods.js';
import { MAX_BATCH_ITEMS } from '../../plugins/batch.js';
import { MAX_LISTED_WARNINGS } from './batch.js';
import { XLSX_MEDIA_TYPE } from '../../lib/xlsx.js';

export const CHANNELS = [
  'paid_search',
  'paid_social',
  'display',
  'video',
  'email',
  'content',
  'events',
  'affiliate',
  'partner',
  'organic_search',
  'organic_social',
  'direct',
  'referral',
  'other',
] as const;
export type Channel = (typeof CHANNELS)[number];

/** What a client-chosen id may be; the batch fast paths test it directly. */
export const CLIENT_ID_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;

export const ClientId = z
  .string()
  .regex(CLIENT_ID_PATTERN, 'must be 1 to 128 characters of A-Z a-z 0-9 . _ : -')
  .meta({ example: 'cmp-spring-search' });

export const Channel = z.enum(CHANNELS);

/** A C0 or C1 control character, or DEL: tab, LF and CR among them. */
const CONTROL = /[\u0000-\u001F\u007F-\u009F]/;

/**
 * A name a person reads (a campaign's, a key's, a snapshot's): 1 to `max`
 * characters once spaces around it are trimmed. A control character at
 * either end (a tab or line break pasted from a spreadsheet) is refused by
 * name rather than trimmed, so that a stored name never differs from the
 * one sent without a word.
 */
export const DisplayName = (max: number) =>
  z
    .string()
    .superRefine((text, ctx) => {
      const at = CONTROL.test(text.charAt(0)) ? 'start' : CONTROL.test(text.charAt(text.length - 1)) ? 'end' : null;
      if (at === null) return;
      const char = at === 'start' ? text.charAt(0) : text.charAt(text.length - 1);
      const code = `U+${char.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`;
      const named = ({ '\t': 'a tab', '\n': 'a line feed', '\r': 'a carriage return' } as Record<string, string>)[char] ?? 'a control character';
      ctx.addIssue({ code: 'custom', message: `must not ${at === 'start' ? 'begin' : 'end'} with ${named} (${code}); remove it and send the name again` });
    })
    .trim()
    .min(1, 'must not be empty')
    .max(max);

export const CurrencyCode = z
  .string()
  .refine(isCurrencyCode, 'must be an ISO 4217 currency code in capitals, such as "USD"')
  .meta({ example: 'USD', pattern: '^[A-Z]{3}$' });

export const DateString = z
  .string()
  .refine(isValidDate, 'must be a calendar date YYYY-MM-DD, in the years 1900 to 2999')
  .meta({ example: '2026-03-15', format: 'date', description: 'A calendar date, years 1900 to 2999' });

export const MonthString = z
  .string()
  .refine(isValidMonth, 'must be a month YYYY-MM, in the years 1900 to 2999')
  .meta({ example: '2026-03', pattern: '^\\d{4}-\\d{2}$', description: 'A month, years 1900 to 2999' });

/**
 * A JSON number literal too long for a double, or with an exponent, as the
 * body parser hands it over (lib/json-body): only numeric inputs (money,
 * rates) take one, as its text. In the OpenAPI document it is the number
 * it is.
 */
export const JsonNumberLiteral = z.instanceof(NumberLiteral).meta({ type: 'number' } as Record<string, unknown>);

/** An amount on input: a decimal string or JSON number, plain notation, at most 12 integer and 6 fractional digits. Parsed to micros. */
export const MoneyInput = z
  .union([z.string(), z.number(), JsonNumberLiteral])
  .transform((value, ctx) => {
    try {
      return parseAmount(value instanceof NumberLiteral ? value.text : value);
    } catch (error) {
      if (!(error instanceof MoneyFormatError)) throw error;
      ctx.addIssue({ code: 'custom', message: error.message });
      return z.NEVER;
    }
  })
  .meta({
    description: 'Decimal string or JSON number in plain notation, at most 12 integer and 6 fractional digits',
    example: '1234.50',
  });

/** An amount that cannot be negative: a plan or a signed order. Spend may be negative (credits). */
export const NonNegativeMoneyInput = MoneyInput.refine((micros) => micros >= 0n, 'must not be negative');

/** An amount on output: always a decimal string. */
export const MoneyOutput = z.string().meta({ description: 'Exact decimal amount', example: '1234.50' });
export const RatioOutput = z
  .string()
  .nullable()
  .meta({ description: 'Decimal ratio to 4 places; null when its denominator is zero', example: '0.4839' });

export const batchBody = <T extends z.ZodType>(item: T) =>
  z.strictObject({
    items: z
      .array(item)
      .min(1, 'a batch needs at least one item')
      .max(MAX_BATCH_ITEMS)
      .meta({ description: `1 to ${MAX_BATCH_ITEMS} items, all-or-nothing` }),
  });

/** Accepted lines that deserve a word; only in an answer that has any. */
export const BatchWarnings = {
  warnings: z
    .array(z.object({ path: z.string(), message: z.string() }))
    .max(MAX_LISTED_WARNINGS)
    .optional()
    .meta({
      description: `Only when some line warns: the first ${MAX_LISTED_WARNINGS.toLocaleString('en-US')} warnings, each naming the line's field. A line in a currency with no rate on or before its date (a plan or commitment: its month's first day) is accepted, but every report that includes it answers 422 until such a rate is added.`,
    }),
  warningCount: z.number().int().min(1).optional().meta({ description: 'With warnings: how many there are in all, listed or not' }),
};

export const BatchResult = z
  .object({
    inserted: z.number().int(),
    updated: z.number().int(),
    unchanged: z.number().int(),
    ...BatchWarnings,
  })
  .meta({
    id: 'BatchResult',
    example: {
      inserted: 2,
      updated: 1,
      unchanged: 0,
      warnings: [{ path: 'items/1/currency', message: 'no JPY rate on or before 2026-03-04; reports that include this line answer 422 until one is added' }],
      warningCount: 1,
    },
  });

export const Format = z.enum(['json', 'csv']).optional().meta({ description: 'csv, or send Accept: text/csv' });

/** Reports, not lists, also come as a spreadsheet: lists stay json or csv. */
export const ReportFormat = z
  .enum(['json', 'csv', 'xlsx'])
  .optional()
  .meta({ description: `csv or xlsx, or send Accept: text/csv or ${XLSX_MEDIA_TYPE}; this parameter wins over Accept` });

export const ListQuery = {
  limit: z.coerce.number().int().min(1).max(10_000).default(100).meta({ description: 'page size, 1 to 10000' }),
  cursor: z.string().max(2000).optional().meta({ description: 'nextCursor of the previous page' }),
  format: Format,
};

export const page = <T extends z.ZodType>(item: T) =>
  z.object({
    items: z.array(item),
    nextCursor: z.string().nullable(),
  });

export const Problem = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    code: z.string(),
    instance: z.string().optional(),
    errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  })
  .loose()
  .meta({
    id: 'Problem',
    description: 'RFC 9457 problem details',
    example: {
      type: 'urn:spendbook:problem:validation-failed',
      title: 'Invalid request',
      status: 400,
      detail: 'items/3/amount: must have at most 6 decimal places',
      code: 'validation_failed',
      errors: [{ path: 'items/3/amount', message: 'must have at most 6 decimal places' }],
    },
  });

const STATUS_TEXT: Record<number, string> = {
  400: 'Invalid request: problem+json naming each bad field',
  401: 'No valid API key',
  403: 'The key’s role may not do this',
  404: 'Not found',
  409: 'Conflict with the stored state',
  413: 'Body over 64 MiB or batch over 100,000 items',
  415: 'Body is not JSON',
  422: 'Well-formed but not computable, such as a missing FX rate',
  429: 'Too many requests with this key: wait the seconds Retry-After says',
  503: 'The service cannot answer now, such as a database it cannot read',
};

/** Problem responses for exactly the given statuses. */
export function problemsOnly(...statuses: number[]) {
  return Object.fromEntries(
    statuses.map((status) => [
      status,
      { description: STATUS_TEXT[status] ?? 'Error', content: { 'application/problem+json': { schema: Problem } } },
    ]),
  );
}

/**
 * Problem responses for an authenticated route: 400, 401 and 403, and the
 * given statuses. The document adds 413/415 to routes with a body and 429
 * to every rate-limited route itself (plugins/swagger.ts).
 */
export function problems(...statuses: number[]) {
  return problemsOnly(400, 401, 403, ...statuses);
}

/** A 200 that is JSON by default and CSV on request. */
export function jsonOrCsv<T extends z.ZodType>(schema: T, description: string) {
  return {
    description,
    content: {
      'application/json': { schema },
      'text/csv': {
        schema: z.string().meta({
          description: 'RFC 4180 CSV, header row of the JSON field names',
          example: 'campaignId,name,channel,currency,planned\r\ncmp-spring-search,"Spring search, brand",paid_search,USD,3100.00\r\n',
        }),
      },
    },
  };
}

/** A report's 200: JSON by default, CSV or an XLSX workbook on request. */
export function jsonCsvOrXlsx<T extends z.ZodType>(schema: T, description: string) {
  const answer = jsonOrCsv(schema, description);
  return {
    ...answer,
    content: {
      ...answer.content,
      [XLSX_MEDIA_TYPE]: {
        schema: z.string().meta({
          format: 'binary',
          description: 'XLSX workbook, one sheet: the parameters, a blank row, the header of the JSON field names (frozen), the rows, TOTAL last; amounts as numbers in the currency format',
        }),
      },
    },
  };
}
