/**
 * Spendbook's tables. Money is INTEGER micros (1e-6 of a unit), never REAL or
 * NUMERIC, so SQLite sums stay exact; such columns are read through
 * statements with better-sqlite3's safeIntegers (as bigint), because a
 * JavaScript number loses micros above 2^53. FX rates are exact decimal TEXT.
 * Dates are TEXT `YYYY-MM-DD`, months `YYYY-MM`, instants ISO 8601 UTC.
 */
import { sql } from 'drizzle-orm';
import { check, index, integer, primaryKey, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';

export const settings = sqliteTable(
  'settings',
  {
    id: integer('id').primaryKey(),
    baseCurrency: text('base_currency').notNull().default('USD'),
    fiscalYearStartMonth: integer('fiscal_year_start_month').notNull().default(1),
    pacingTolerance: text('pacing_tolerance').notNull().default('0.10'),
    updatedAt: text('updated_at').notNull(),
  },
  (t) => [check('settings_single_row', sql`${t.id} = 1`)],
);

export const apiKeys = sqliteTable(
  'api_keys',
  {
    id: text('id').primaryKey(),
    name: text('name').notNull(),
    role: text('role', { enum: ['admin', 'finance', 'ops', 'viewer'] }).notNull(),
    keyHash: text('key_hash').notNull(),
    prefix: text('prefix').notNull(),
    createdAt: text('created_at').notNull(),
    revokedAt: text('revoked_at'),
  },
  (t) => [uniqueIndex('api_keys_hash').on(t.keyHash)],
);

export const campaigns = sqliteTable(
  'campaigns',
  {
    id: text('id').primaryKey(),
    name: text('name').notNull(),
    channel: text('channel').notNull(),
    startDate: text('start_date').notNull(),
    endDate: text('end_date'),
    /** JSON array of strings. */
    tags: text('tags').notNull().default('[]'),
    createdAt: text('created_at').notNull(),
    updatedAt: text('updated_at').notNull(),
  },
  (t) => [index('campaigns_channel').on(t.channel), index('campaigns_name').on(t.name)],
);

export const campaignExternalRefs = sqliteTable(
  'campaign_external_refs',
  {
    source: text('source').notNull(),
    externalId: text('external_id').notNull(),
    campaignId: text('campaign_id')
      .notNull()
      .references(() => campaigns.id),
  },
  (t) => [primaryKey({ columns: [t.source, t.externalId] }), index('campaign_external_refs_campaign').on(t.campaignId)],
);

export const plans = sqliteTable(
  'plans',
  {
    campaignId: text('campaign_id')
      .notNull()
      .references(() => campaigns.id),
    month: text('month').notNull(),
    amountMicros: integer('amount_micros').notNull(),
    currency: text('currency').notNull(),
    revision: integer('revision').notNull(),
    updatedAt: text('updated_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.campaignId, t.month] }), index('plans_month').on(t.month)],
);

/** Every version a plan line ever had, revision 1 first. */
export const planRevisions = sqliteTable(
  'plan_revisions',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    campaignId: text('campaign_id').notNull(),
    month: text('month').notNull(),
    revision: integer('revision').notNull(),
    amountMicros: integer('amount_micros').notNull(),
    currency: text('currency').notNull(),
    changedAt: text('changed_at').notNull(),
    changedBy: text('changed_by'),
  },
  (t) => [uniqueIndex('plan_revisions_key').on(t.campaignId, t.month, t.revision)],
);

export const commitments = sqliteTable(
  'commitments',
  {
    id: text('id').primaryKey(),
    campaignId: text('campaign_id')
      .notNull()
      .references(() => campaigns.id),
    month: text('month').notNull(),
    amountMicros: integer('amount_micros').notNull(),
    currency: text('currency').notNull(),
    status: text('status', { enum: ['open', 'closed'] }).notNull(),
    updatedAt: text('updated_at').notNull(),
  },
  (t) => [index('commitments_month').on(t.month, t.campaignId)],
);

/**
 * Actual spend. The natural key (date, campaign, source, reference) makes a
 * re-import replace the amount; `reference` is '' when the line has none so
 * that the unique index applies (SQLite treats NULLs as distinct).
 */
export const spend = sqliteTable(
  'spend',
  {
    id: integer('id').primaryKey(),
    source: text('source').notNull(),
    campaignId: text('campaign_id').notNull(),
    date: text('date').notNull(),
    reference: text('reference').notNull().default(''),
    amountMicros: integer('amount_micros').notNull(),
    currency: text('currency').notNull(),
    /** 1 when inserted, +1 at each restatement. */
    version: integer('version').notNull(),
  },
  // One index: the natural key, date first. Lines arrive roughly in date
  // order, so its inserts land at the end of the B-tree (four times faster
  // than a campaign-first key), and it also serves every date-range read.
  (t) => [uniqueIndex('spend_natural_key_by_date').on(t.date, t.campaignId, t.source, t.reference)],
);

export const fxRates = sqliteTable(
  'fx_rates',
  {
    currency: text('currency').notNull(),
    date: text('date').notNull(),
    /** Base-currency units per 1 unit of `currency`, exact decimal text. */
    rate: text('rate').notNull(),
    updatedAt: text('updated_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.currency, t.date] })],
);

export const idempotencyKeys = sqliteTable(
  'idempotency_keys',
  {
    apiKeyId: text('api_key_id').notNull(),
    key: text('key').notNull(),
    requestHash: text('request_hash').notNull(),
    statusCode: integer('status_code').notNull(),
    responseBody: text('response_body').notNull(),
    createdAt: text('created_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.apiKeyId, t.key] })],
);

/**
 * Touchpoints: a customer met a campaign at an instant. `id` is the client's
 * id (the natural key). `occurred_at` is the instant in epoch milliseconds
 * UTC (the offset the client sent is not kept: only the instant matters to
 * attribution); the API prints it back as ISO 8601 UTC, always with
 * milliseconds (`2026-03-01T10:15:00.000Z`), like every other instant.
 */
export const touchpoints = sqliteTable(
  'touchpoints',
  {
    id: text('id').primaryKey(),
    customerId: text('customer_id').notNull(),
    campaignId: text('campaign_id').notNull(),
    occurredAt: integer('occurred_at').notNull(),
  },
  // No secondary index: attribution reads every touch once into memory
  // (TouchIndex), and an index on (customer, time) cost ingest five times
  // its speed at 5 million rows (random inserts into a B-tree larger than
  // the page cache). Listing one customer's touches scans the table.
);

/**
 * Revenue events: a conversion (amount > 0, refund_of null) or a refund of
 * one (amount < 0, refund_of = the conversion's id). Instants as in
 * touchpoints; money in INTEGER micros.
 */
export const revenue = sqliteTable(
  'revenue',
  {
    id: text('id').primaryKey(),
    customerId: text('customer_id').notNull(),
    occurredAt: integer('occurred_at').notNull(),
    amountMicros: integer('amount_micros').notNull(),
    currency: text('currency').notNull(),
    refundOf: text('refund_of'),
  },
  (t) => [index('revenue_time').on(t.occurredAt), index('revenue_refund_of').on(t.refundOf)],
);

/**
 * The months finance has closed: a row exists while the month is closed.
 * `start_ms`/`end_ms` bound the month in epoch milliseconds UTC, so the
 * triggers that guard touchpoints and revenue compare instants directly.
 * Writes dated in a closed month are refused by the services (naming each
 * batch item) and, for rows already stored, by triggers (migration 0005).
 */
export const closedMonths = sqliteTable('closed_months', {
  month: text('month').primaryKey(),
  startMs: integer('start_ms').notNull(),
  endMs: integer('end_ms').notNull(),
  closedAt: text('closed_at').notNull(),
  closedByKeyId: text('closed_by_key_id'),
  closedBy: text('closed_by'),
  reason: text('reason'),
});

/** Every close and reopen of a month, oldest first: who, when and why. Never updated or deleted. */
export const periodEvents = sqliteTable(
  'period_events',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    month: text('month').notNull(),
    action: text('action', { enum: ['close', 'reopen'] }).notNull(),
    at: text('at').notNull(),
    byKeyId: text('by_key_id'),
    by: text('by'),
    reason: text('reason'),
  },
  (t) => [index('period_events_month').on(t.month, t.id)],
);

/**
 * Saved forecasts. `report` is the forecast report as it was computed when
 * the snapshot was taken (JSON: rows and totals, amounts as decimal
 * strings), so later spend or plan changes never move it. Immutable: a
 * trigger (migration 0005) refuses every update and delete.
 */
export const forecastSnapshots = sqliteTable(
  'forecast_snapshots',
  {
    id: text('id').primaryKey(),
    name: text('name').notNull(),
    fromMonth: text('from_month').notNull(),
    toMonth: text('to_month').notNull(),
    asOf: text('as_of').notNull(),
    method: text('method').notNull(),
    groupBy: text('group_by').notNull(),
    currency: text('currency').notNull(),
    createdAt: text('created_at').notNull(),
    createdByKeyId: text('created_by_key_id'),
    createdBy: text('created_by'),
    report: text('report').notNull(),
  },
  (t) => [uniqueIndex('forecast_snapshots_name').on(t.name), index('forecast_snapshots_month').on(t.fromMonth, t.toMonth)],
);

/**
 * Who is writing, for the audit triggers: one row, set at the start of each
 * audited write transaction and removed at its end (AuditLog.transaction),
 * so a write made around the API is recorded with no actor rather than
 * with someone else's.
 */
export const auditContext = sqliteTable(
  'audit_context',
  {
    id: integer('id').primaryKey(),
    keyId: text('key_id'),
    name: text('name'),
    at: text('at').notNull(),
  },
  (t) => [check('audit_context_single_row', sql`${t.id} = 1`)],
);

/**
 * The audit trail: every change to the data, with who (API key id and name,
 * never the key), when, what and the values before and after (JSON of the
 * stored columns; amounts in micros). Written by triggers in the same
 * transaction as the change (migration 0007), and by the services for the
 * batch ingests (`ingest`: counts and the rowids of the rows inserted).
 * Append-only: a trigger refuses updates and deletes.
 */
export const auditEvents = sqliteTable(
  'audit_events',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    at: text('at').notNull(),
    actorKeyId: text('actor_key_id'),
    actorName: text('actor_name'),
    action: text('action').notNull(),
    entity: text('entity').notNull(),
    entityId: text('entity_id'),
    before: text('before'),
    after: text('after'),
  },
  (t) => [index('audit_events_entity').on(t.entity, t.entityId), index('audit_events_actor').on(t.actorKeyId), index('audit_events_at').on(t.at)],
);

/**
 * The secret that signs dashboard session cookies: random, made on the
 * first start (INSERT OR IGNORE, so several instances over one database
 * agree on it), never shown. Sessions themselves are not stored: the cookie
 * names the API key and is checked against api_keys on every request.
 */
export const dashboardSecret = sqliteTable(
  'dashboard_secret',
  {
    id: integer('id').primaryKey(),
    secret: text('secret').notNull(),
    createdAt: text('created_at').notNull(),
  },
  (t) => [check('dashboard_secret_single_row', sql`${t.id} = 1`)],
);

/**
 * The data version: one row, whose `version` goes up by one in every write
 * transaction that changed data (the unit of work, src/store). Every cache
 * (reports, the in-memory tables, settings, API keys) keys on it, so a
 * write by any process on the database is seen by every other at once.
 */
export const dataVersion = sqliteTable(
  'data_version',
  {
    id: integer('id').primaryKey(),
    version: integer('version').notNull(),
  },
  (t) => [check('data_version_single_row', sql`${t.id} = 1`)],
);
