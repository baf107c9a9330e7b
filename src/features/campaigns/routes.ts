import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { itemPath } from '../common/batch.js';
import { decodeCursor, isStringArray, pageOf, sendCsv, wantsCsv } from '../common/http.js';
import { BatchResult, batchBody, Channel, ClientId, jsonOrCsv, ListQuery, page, problems } from '../common/schemas.js';
import { CampaignBody, CampaignItem, EXAMPLE_CAMPAIGN_FIELDS } from './schemas.js';


const Campaign = z
  .object({
    id: z.string(),
    name: z.string(),
    channel: Channel,
    startDate: z.string(),
    endDate: z.string().nullable(),
    tags: z.array(z.string()),
    externalRefs: z.array(z.object({ source: z.string(), id: z.string() })),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({
    id: 'Campaign',
    example: {
      id: 'cmp-spring-search',
      ...EXAMPLE_CAMPAIGN_FIELDS,
      createdAt: '2026-02-20T09:00:00.000Z',
      updatedAt: '2026-02-20T09:00:00.000Z',
    },
  });

const CAMPAIGN_COLUMNS = ['id', 'name', 'channel', 'startDate', 'endDate', 'tags', 'externalRefs', 'createdAt', 'updatedAt'];

const routes: FastifyPluginAsyncZod = async (app) => {
  app.put(
    '/v1/campaigns/:id',
    {
      config: { role: 'ops' },
      schema: {
        tags: ['campaigns'],
        summary: 'Create or replace one campaign',
        operationId: 'putCampaign',
        params: z.object({ id: ClientId }),
        body: CampaignBody,
        response: { 200: Campaign, 201: Campaign, ...problems(409, 415) },
      },
    },
    async (request, reply) => {
      const counts = await app.campaigns.upsert([{ id: request.params.id, ...request.body }], () => '');
      return reply.status(counts.inserted ? 201 : 200).send(await app.campaigns.get(request.params.id));
    },
  );

  app.post(
    '/v1/campaigns',
    {
      config: { role: 'ops', batch: true, idempotent: true },
      schema: {
        tags: ['campaigns'],
        summary: 'Upsert a batch of campaigns',
        description: 'All-or-nothing. Each item replaces the campaign with its id.',
        operationId: 'upsertCampaigns',
        body: batchBody(CampaignItem).meta({
          example: { items: [{ id: 'cmp-spring-search', name: 'Spring search, brand', channel: 'paid_search', startDate: '2026-03-01' }] },
        }),
        response: { 200: BatchResult, ...problems(409, 413, 415) },
      },
    },
    async (request) => app.campaigns.upsert(request.body.items, itemPath),
  );

  app.get(
    '/v1/campaigns',
    {
      config: { role: 'ops' },
      schema: {
        tags: ['campaigns'],
        summary: 'List campaigns',
        operationId: 'listCampaigns',
        querystring: z.strictObject({ ...ListQuery, channel: Channel.optional(), tag: z.string().max(64).optional() }),
        response: { 200: jsonOrCsv(page(Campaign), 'A page of campaigns by id'), ...problems() },
      },
    },
    async (request, reply) => {
      const { limit, cursor, channel, tag } = request.query;
      const after = decodeCursor(cursor, isStringArray(1));
      const result = pageOf(await app.campaigns.list({ limit, channel, tag, after: after?.[0] ?? null }), limit, (c) => [c.id]);
      if (wantsCsv(request)) return sendCsv(reply, 'campaigns', CAMPAIGN_COLUMNS, result.items as unknown as Record<string, unknown>[]);
      return result;
    },
  );

  app.get(
    '/v1/campaigns/:id',
    {
      config: { role: 'ops' },
      schema: {
        tags: ['campaigns'],
        summary: 'Read one campaign',
        operationId: 'getCampaign',
        params: z.object({ id: ClientId }),
        response: { 200: Campaign, ...problems(404) },
      },
    },
    async (request) => app.campaigns.get(request.params.id),
  );
};

export default routes;
