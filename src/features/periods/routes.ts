import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { decodeCursor, pageOf, sendCsv, wantsCsv } from '../common/http.js';
import { jsonOrCsv, ListQuery, MonthString, page, problems } from '../common/schemas.js';

const PeriodEvent = z.object({
  action: z.enum(['close', 'reopen']),
  at: z.string(),
  by: z.string().nullable().meta({ description: 'Name of the API key that did it' }),
  reason: z.string().nullable(),
});

const Period = z
  .object({
    month: z.string(),
    status: z.enum(['closed', 'open']),
    closedAt: z.string().nullable(),
    closedBy: z.string().nullable(),
    reason: z.string().nullable().meta({ description: 'Why it was closed (the current close)' }),
    history: z.array(PeriodEvent).meta({ description: 'Every close and reopen of the month, oldest first' }),
  })
  .meta({
    id: 'Period',
    example: {
      month: '2026-02',
      status: 'closed',
      closedAt: '2026-03-05T09:30:00.000Z',
      closedBy: 'finance script',
      reason: 'February books closed',
      history: [
        { action: 'close', at: '2026-03-03T17:00:00.000Z', by: 'finance script', reason: 'February books closed' },
        { action: 'reopen', at: '2026-03-04T08:10:00.000Z', by: 'admin', reason: 'late Meta invoice INV-2291' },
        { action: 'close', at: '2026-03-05T09:30:00.000Z', by: 'finance script', reason: 'February books closed' },
      ],
    },
  });

const Reason = z
  .string({ error: (issue) => (issue.input === undefined ? 'is required: say why' : 'must be a string') })
  .trim()
  .min(1, 'must not be empty: say why')
  .max(2000);

const CLOSED_EFFECT =
  'While a month is closed, every write dated in it is refused with 409 `period_closed` naming the month (and each batch item): plans and commitments by `month`, ' +
  'spend and FX rates by `date`, touchpoints and revenue by the UTC month of `occurredAt`. A batch with one such item writes nothing. ' +
  'An FX rate dated before a closed month is refused too when it would become the rate that month converts at (no rate of that currency lies between it and the month), and the base currency cannot change while a month is closed.';

const routes: FastifyPluginAsyncZod = async (app) => {
  app.get(
    '/v1/periods',
    {
      config: { role: 'ops' },
      schema: {
        tags: ['periods'],
        summary: 'Months that were ever closed, with who closed or reopened them, when and why',
        description: 'A month never closed is open and not listed. CSV: one line per close or reopen (month, action, at, by, reason), oldest first within a month. ' + CLOSED_EFFECT,
        operationId: 'listPeriods',
        querystring: z.strictObject({
          ...ListQuery,
          from: MonthString.optional(),
          to: MonthString.optional(),
          status: z.enum(['closed', 'open']).optional(),
        }),
        response: { 200: jsonOrCsv(page(Period), 'A page of months'), ...problems() },
      },
    },
    async (request, reply) => {
      const { limit, cursor, from, to, status } = request.query;
      const after = decodeCursor(cursor, (v): v is string => typeof v === 'string');
      const result = pageOf(await app.periods.list({ limit, from, to, status, after }), limit, (p) => p.month);
      if (wantsCsv(request)) {
        const events = result.items.flatMap((period) => period.history.map((event) => ({ month: period.month, ...event })));
        return sendCsv(reply, 'periods', ['month', 'action', 'at', 'by', 'reason'], events);
      }
      return result;
    },
  );

  app.post(
    '/v1/periods/:month/close',
    {
      config: { role: 'finance' },
      schema: {
        tags: ['periods'],
        summary: 'Close a month (finance, admin; reason required)',
        description: `Only a month that has ended can be closed (422 otherwise); closing a closed month is a 409. The reason is required, as for a reopen, and kept in the month’s history. ${CLOSED_EFFECT}`,
        operationId: 'closePeriod',
        params: z.strictObject({ month: MonthString }),
        body: z.strictObject({ reason: Reason }).meta({ example: { reason: 'February books closed' } }),
        response: { 200: Period, ...problems(409, 415, 422) },
      },
    },
    async (request) => app.periods.close(request.params.month, request.principal, request.body.reason),
  );

  app.post(
    '/v1/periods/:month/reopen',
    {
      config: { role: 'admin' },
      schema: {
        tags: ['periods'],
        summary: 'Reopen a closed month (admin only, reason required)',
        description: 'The reason is kept in the month’s history with who reopened it and when. Reopening a month that is not closed is a 409.',
        operationId: 'reopenPeriod',
        params: z.strictObject({ month: MonthString }),
        body: z.strictObject({ reason: Reason }).meta({ example: { reason: 'late Meta invoice INV-2291' } }),
        response: { 200: Period, ...problems(409, 415) },
      },
    },
    async (request) => app.periods.reopen(request.params.month, request.principal, request.body.reason),
  );
};

export default routes;
