import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { decodeCursor, pageOf, sendCsv, wantsCsv } from '../common/http.js';
import { formatInstant, parseInstant } from '../../domain/instants.js';
import { isValidDate, parseDay } from '../../domain/periods.js';
import { jsonOrCsv, ListQuery, page, problems } from '../common/schemas.js';

export const AUDITED_ENTITIES = [
  'settings',
  'api_key',
  'campaign',
  'campaign_external_ref',
  'plan',
  'commitment',
  'fx_rate',
  'spend',
  'touchpoint',
  'revenue',
  'period',
  'forecast_snapshot',
] as const;

const AUDIT_ACTIONS = ['insert', 'update', 'delete', 'ingest', 'close', 'reopen'] as const;

const DAY_MS = 86_400_000;

/** A date (its first instant, UTC) or an ISO 8601 instant with an offset, as the instant the stored `at` values are compared with. */
const Instant = z
  .string()
  .transform((text, ctx) => {
    const ms = isValidDate(text) ? parseDay(text) * DAY_MS : parseInstant(text);
    if (ms === null) {
      ctx.addIssue({ code: 'custom', message: 'must be a date YYYY-MM-DD or an ISO 8601 instant with an offset from -12:00 to +14:00, in the years 1900 to 2999, such as 2026-03-16T09:30:00Z' });
      return z.NEVER;
    }
    return formatInstant(ms);
  })
  .meta({ example: '2026-03-16T09:30:00Z' });

const AuditEvent = z
  .object({
    id: z.number().int(),
    at: z.string(),
    actor: z.object({ keyId: z.string().nullable(), name: z.string().nullable() }).meta({ description: 'The API key that wrote (id and name, never the key); null for a write made around the API or by the service itself' }),
    action: z.string().meta({ description: AUDIT_ACTIONS.join(', ') }),
    entity: z.string().meta({ description: AUDITED_ENTITIES.join(', ') }),
    entityId: z.string().nullable().meta({ description: 'The changed record’s natural key; null for a batch ingest' }),
    before: z.record(z.string(), z.unknown()).nullable(),
    after: z.record(z.string(), z.unknown()).nullable(),
  })
  .meta({
    id: 'AuditEvent',
    example: {
      id: 7,
      at: '2026-03-02T09:14:03.120Z',
      actor: { keyId: 'key_1f2e3d4c5b6a7980', name: 'ops loader' },
      action: 'update',
      entity: 'plan',
      entityId: 'cmp-spring-search 2026-03',
      before: { campaignId: 'cmp-spring-search', month: '2026-03', amount: '12000.00', currency: 'USD', revision: 1 },
      after: { campaignId: 'cmp-spring-search', month: '2026-03', amount: '12500.00', currency: 'USD', revision: 2 },
    },
  });

const routes: FastifyPluginAsyncZod = async (app) => {
  app.get(
    '/v1/audit',
    {
      config: { role: 'finance' },
      schema: {
        tags: ['audit'],
        summary: 'The audit trail: who changed what, when, from what to what (finance, admin)',
        description:
          'Oldest first. Every insert, update and delete of settings, API keys, campaigns, plans, commitments, FX rates, spend, touchpoints and revenue, every close and reopen, every forecast snapshot, ' +
          'recorded in the same transaction as the change. The batch ingests of spend, touchpoints and revenue are one `ingest` event per batch (counts and the ids of the rows inserted); a restated or changed row is an `update` with before and after. ' +
          '`actor` matches a key id or name; `from` (inclusive) and `to` (exclusive) are UTC dates or instants. CSV: before and after as JSON text.',
        operationId: 'listAuditEvents',
        querystring: z.strictObject({
          ...ListQuery,
          entity: z.enum(AUDITED_ENTITIES).optional(),
          entityId: z.string().min(1).max(300).optional(),
          actor: z.string().min(1).max(200).optional(),
          action: z.enum(AUDIT_ACTIONS).optional(),
          from: Instant.optional(),
          to: Instant.optional(),
        }),
        response: { 200: jsonOrCsv(page(AuditEvent), 'A page of audit events'), ...problems() },
      },
    },
    async (request, reply) => {
      const { limit, cursor, format: _format, ...filter } = request.query;
      const after = decodeCursor(cursor, (v): v is number => Number.isSafeInteger(v));
      const result = pageOf(await app.audit.list({ ...filter, after, limit }), limit, (event) => event.id);
      if (wantsCsv(request)) {
        const rows = result.items.map((e) => ({
          id: e.id,
          at: e.at,
          actorKeyId: e.actor.keyId,
          actorName: e.actor.name,
          action: e.action,
          entity: e.entity,
          entityId: e.entityId,
          before: e.before === null ? null : JSON.stringify(e.before),
          after: e.after === null ? null : JSON.stringify(e.after),
        }));
        return sendCsv(reply, 'audit', ['id', 'at', 'actorKeyId', 'actorName', 'action', 'entity', 'entityId', 'before', 'after'], rows);
      }
      return result;
    },
  );
};

export default routes;
