import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { CurrencyCode, problems } from '../common/schemas.js';

const SettingsSchema = z
  .object({
    baseCurrency: z.string(),
    fiscalYearStartMonth: z.number().int(),
    pacingTolerance: z.string(),
  })
  .meta({ id: 'Settings', example: { baseCurrency: 'USD', fiscalYearStartMonth: 1, pacingTolerance: '0.10' } });

const SettingsChange = z
  .strictObject({
    baseCurrency: CurrencyCode.optional(),
    fiscalYearStartMonth: z.number().int().min(1).max(12).optional(),
    pacingTolerance: z
      .string()
      .regex(/^(0(\.\d{1,4})?|1(\.0{1,4})?)$/, 'must be a decimal string from "0" to "1" with at most 4 places, such as "0.10"')
      .optional(),
  })
  .meta({ description: 'Only the fields sent change', example: { pacingTolerance: '0.15' } });

const routes: FastifyPluginAsyncZod = async (app) => {
  app.get(
    '/v1/settings',
    {
      config: { role: 'viewer' },
      schema: { tags: ['settings'], summary: 'Read the settings', operationId: 'getSettings', response: { 200: SettingsSchema, ...problems() } },
    },
    async () => app.settings.get(),
  );
  app.put(
    '/v1/settings',
    {
      config: { role: 'admin' },
      schema: {
        tags: ['settings'],
        summary: 'Change settings',
        description: 'Partial update: only the fields sent change. The base currency cannot change while FX rates exist (409).',
        operationId: 'putSettings',
        body: SettingsChange,
        response: { 200: SettingsSchema, ...problems(409, 415) },
      },
    },
    async (request) => app.settings.update(request.body),
  );
};

export default routes;
