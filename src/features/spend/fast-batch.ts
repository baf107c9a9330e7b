/**
 * A fast path for the body of POST /v1/spend. The zod schema (SpendBatch)
 * stays the route's schema: it is the OpenAPI document's source and it alone
 * words the errors. But running it over a 100,000-line batch costs several
 * times what writing the lines costs, so the route's validator first asks
 * this function, which either returns exactly what zod would return for a
 * valid body, or null ("not sure"), and then zod decides, errors and all.
 * The fast path can therefore never accept what zod refuses, nor word an
 * error differently; test/spend-fast-path.test.ts checks the first claim on
 * generated bodies, valid and not.
 *
 * Most of it is exact by construction: every string field (campaign id,
 * external ref, date, currency, source, reference) is judged by the field's
 * own zod schema, memoised per distinct value for the batch (a day's export
 * of 1,000 campaigns repeats 1,000 ids, one date, two currencies), and the
 * amount by parseAmount, the function MoneyInput's transform calls. What is
 * written by hand is only the shape: a plain object of known keys, with the
 * required ones present and campaignId or externalRef given.
 */
import type { z } from 'zod';
import { parseAmount } from '../../domain/money.js';
import { MAX_BATCH_ITEMS } from '../../plugins/batch.js';
import { ExternalRefSchema } from '../campaigns/schemas.js';
import { fastPathValidatorCompiler, FieldJudge, isObject } from '../common/fast-batch.js';
import { ClientId, CurrencyCode, DateString } from '../common/schemas.js';
import { Reference, Source, SpendBatch } from './schemas.js';
import type { SpendInput } from './service.js';

type SpendBatchOutput = z.output<typeof SpendBatch>;

/**
 * The parsed body, equal to what `SpendBatch.parse(body)` returns, or null
 * when the body is not plainly valid (zod then gives the verdict).
 */
export function parseSpendBatchFast(body: unknown): SpendBatchOutput | null {
  if (!isObject(body)) return null;
  for (const key in body) if (key !== 'items') return null;
  const items = body.items;
  if (!Array.isArray(items) || items.length < 1 || items.length > MAX_BATCH_ITEMS) return null;

  const campaignIds = new FieldJudge(ClientId);
  const dates = new FieldJudge(DateString);
  const currencies = new FieldJudge(CurrencyCode);
  const sources = new FieldJudge(Source);
  const references = new FieldJudge(Reference);
  const refSources = new FieldJudge(ExternalRefSchema.shape.source);
  const refIds = new FieldJudge(ExternalRefSchema.shape.id);

  const out: SpendInput[] = new Array(items.length);
  for (let i = 0; i < items.length; i++) {
    const item: unknown = items[i];
    if (!isObject(item)) return null;
    let campaignId: string | undefined;
    let externalRef: { source: string; id: string } | undefined;
    let date: string | undefined;
    let amount: bigint | undefined;
    let currency: string | undefined;
    let source: string | undefined;
    let reference: string | null | undefined;
    let hasReference = false;
    for (const key in item) {
      const value = item[key];
      switch (key) {
        case 'campaignId':
          if (!campaignIds.accepts(value)) return null;
          campaignId = value;
          break;
        case 'externalRef': {
          if (!isObject(value)) return null;
          for (const refKey in value) if (refKey !== 'source' && refKey !== 'id') return null;
          const { source: refSource, id: refId } = value;
          if (!refSources.accepts(refSource) || !refIds.accepts(refId)) return null;
          externalRef = { source: refSource, id: refId };
          break;
        }
        case 'date':
          if (!dates.accepts(value)) return null;
          date = value;
          break;
        case 'amount':
          if (typeof value !== 'string' && typeof value !== 'number') return null;
          try {
            amount = parseAmount(value);
          } catch {
            return null;
          }
          break;
        case 'currency':
          if (!currencies.accepts(value)) return null;
          currency = value;
          break;
        case 'source':
          if (!sources.accepts(value)) return null;
          source = value;
          break;
        case 'reference':
          if (value !== null && !references.accepts(value)) return null;
          reference = value as string | null;
          hasReference = true;
          break;
        default:
          return null;
      }
    }
    if (date === undefined || amount === undefined || currency === undefined || source === undefined) return null;
    if (campaignId === undefined && externalRef === undefined) return null;
    // zod's output: the schema's keys in the schema's order, the optional ones only when given.
    const line: SpendInput = {} as SpendInput;
    if (campaignId !== undefined) line.campaignId = campaignId;
    if (externalRef !== undefined) line.externalRef = externalRef;
    line.date = date;
    line.amount = amount;
    line.currency = currency;
    line.source = source;
    if (hasReference) line.reference = reference;
    out[i] = line;
  }
  return { items: out } as SpendBatchOutput;
}

/** The route's validator compiler: this fast path, then zod. */
export const spendValidatorCompiler = fastPathValidatorCompiler(parseSpendBatchFast);
