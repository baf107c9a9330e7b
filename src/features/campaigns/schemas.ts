/**
 * What a campaign may be, in one place: POST/PUT /v1/campaigns validate
 * their bodies with these schemas, and the spend import checks each
 * campaign it would create (unmatched=create) with the same CampaignItem,
 * so that no route can store a campaign another route cannot read.
 */
import { z } from 'zod';
import { Channel, ClientId, DateString, DisplayName } from '../common/schemas.js';

const Source = z
  .string()
  .regex(/^[a-z][a-z0-9_]{0,31}$/, 'must be a lower-case source name such as google_ads, meta, linkedin')
  .meta({ example: 'google_ads' });

export const ExternalRefSchema = z.strictObject({
  source: Source,
  id: z.string().min(1).max(256).meta({ example: '1234567890' }),
});

const CampaignFields = {
  name: DisplayName(256).meta({ example: 'Spring search, brand' }),
  channel: Channel,
  startDate: DateString,
  endDate: DateString.nullable().optional(),
  tags: z.array(z.string().min(1).max(64)).max(50).optional().meta({ example: ['brand', 'q2'] }),
  externalRefs: z.array(ExternalRefSchema).max(50).optional(),
};

/** One campaign's fields as the OpenAPI examples show them, in the body and in answers. */
export const EXAMPLE_CAMPAIGN_FIELDS = {
  name: 'Spring search, brand',
  channel: 'paid_search',
  startDate: '2026-03-01',
  endDate: '2026-05-31',
  tags: ['brand'],
  externalRefs: [{ source: 'google_ads', id: '1234567890' }],
};

export const CampaignBody = z.strictObject(CampaignFields).meta({ example: EXAMPLE_CAMPAIGN_FIELDS });
export const CampaignItem = z.strictObject({ id: ClientId, ...CampaignFields });
