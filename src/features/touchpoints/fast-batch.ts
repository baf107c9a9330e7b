/**
 * The fast path of POST /v1/touchpoints (see common/fast-batch.ts for the
 * mechanism and its guarantee): the body, equal to what
 * `TouchpointBatch.parse(body)` returns, or null when it is not plainly
 * valid. Exact by construction: ids are tested with the pattern ClientId
 * and CustomerId use, campaign ids by ClientId itself (memoised: a batch
 * names few campaigns), and instants by parseInstant, the function the
 * Timestamp schema's transform calls.
 */
import type { z } from 'zod';
import { MAX_BATCH_ITEMS } from '../../plugins/batch.js';
import { fastPathValidatorCompiler, FieldJudge, isObject } from '../common/fast-batch.js';
import { CLIENT_ID_PATTERN, ClientId } from '../common/schemas.js';
import { parseInstant } from '../../domain/instants.js';
import type { TouchpointBatch } from './schemas.js';
import type { TouchpointInput } from './service.js';

const isId = (value: unknown): value is string => typeof value === 'string' && CLIENT_ID_PATTERN.test(value);

export function parseTouchpointBatchFast(body: unknown): z.output<typeof TouchpointBatch> | null {
  if (!isObject(body)) return null;
  for (const key in body) if (key !== 'items') return null;
  const items = body.items;
  if (!Array.isArray(items) || items.length < 1 || items.length > MAX_BATCH_ITEMS) return null;
  const campaignIds = new FieldJudge(ClientId);
  const out: TouchpointInput[] = new Array(items.length);
  for (let i = 0; i < items.length; i++) {
    const item: unknown = items[i];
    if (!isObject(item)) return null;
    let fields = 0;
    for (const key in item) {
      if (key !== 'id' && key !== 'customerId' && key !== 'campaignId' && key !== 'occurredAt') return null;
      fields++;
    }
    if (fields !== 4) return null;
    const { id, customerId, campaignId, occurredAt } = item;
    if (!isId(id) || !isId(customerId) || !campaignIds.accepts(campaignId) || typeof occurredAt !== 'string') return null;
    const instant = parseInstant(occurredAt);
    if (instant === null) return null;
    // zod's output: the schema's keys in the schema's order.
    out[i] = { id, customerId, campaignId, occurredAt: instant };
  }
  return { items: out };
}

/** The route's validator compiler: this fast path, then zod. */
export const touchpointValidatorCompiler = fastPathValidatorCompiler(parseTouchpointBatchFast);
