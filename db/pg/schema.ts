/**
 * Spendbook's tables on PostgreSQL: the same tables, columns, keys, checks and
 * indexes as the SQLite schema (db/schema.ts), so that either store answers
 * every request with the same bytes. test/pg/schema.test.ts fails if a table
 * or a column exists on one side only.
 *
 * Types, and why:
 * - Money: BIGINT micros read as JavaScript bigint, never NUMERIC or a float:
 *   the same exact integers SQLite stores, summed exactly by the database (a
 *   sum over bigint is NUMERIC in PostgreSQL: read it as text).
 * - Instants of touchpoints and revenue, and the closed months' bounds: BIGINT
 *   epoch milliseconds UTC, as SQLite stores them, not timestamptz. The
 *   closed-month guards compare them directly, the app formats them the one
 *   way it already does, and no driver, session time zone or microsecond
 *   rounding stands between the stored value and the answer. Read as numbers:
 *   every millisecond instant up to the year 275760 is below 2^53.
 * - Other instants (created_at, at, ...), dates `YYYY-MM-DD`, months `YYYY-MM`,
 *   FX rates and JSON documents: TEXT, byte for byte what the app wrote (a
 *   jsonb column would reorder keys and respace the text).
 * - Row ids SQLite numbers itself: BIGINT identity ("by default", so that a
 *   copy of a SQLite database can keep its ids); small counters: INTEGER.
 * - Enumerations (role, status, action) are TEXT with no check, as in SQLite:
 *   the services validate them.
 *
 * The triggers (closed-month guards, append-only tables, the audit trail) and
 * the data_version row are the hand-written migrations in db/pg/migrations.
 * SQLite's audit_context table has no counterpart: on PostgreSQL the actor is
 * a transaction-local setting (see those migrations).
 */
import { sql } from 'drizzle-orm';
import { bigint, check, customType, index, integer, pgTable, primaryKey, text, uniqueIndex } from 'drizzle-orm/pg-core';

/** PostgreSQL's 64-bit transaction id; the app reads it only as text in its own statements. */
const xid8 = customType<{ data: string }>({ dataType: () => 'xid8' });

/**
 * PostgreSQL only (migration 0007): the transaction that last wrote the row
 * (the default at insert, a trigger at update), so that a mirror of the table
 * can read only the rows changed since its cursor (table-mirror.ts).
 */
const writtenXid = () => xid8('written_xid').notNull().default(sql`pg_current_xact_id()`);

export const settings = pgTable(
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

export const apiKeys = pgTable(
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

export const campaigns = pgTable(
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

export const campaignExternalRefs = pgTable(
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

export const plans = pgTable(
  'plans',
  {
    campaignId: text('campaign_id')
      .notNull()
      .references(() => campaigns.id),
    month: text('month').notNull(),
    amountMicros: bigint('amount_micros', { mode: 'bigint' }).notNull(),
    currency: text('currency').notNull(),
    revision: integer('revision').notNull(),
    updatedAt: text('updated_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.campaignId, t.month] }), index('plans_month').on(t.month)],
);

/** Every version a plan line ever had, revision 1 first. */
export const planRevisions = pgTable(
  'plan_revisions',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedByDefaultAsIdentity(),
    campaignId: text('campaign_id').notNull(),
    month: text('month').notNull(),
    revision: integer('revision').notNull(),
    amountMicros: bigint('amount_micros', { mode: 'bigint' }).notNull(),
    currency: text('currency').notNull(),
    changedAt: text('changed_at').notNull(),
    changedBy: text('changed_by'),
  },
  (t) => [uniqueIndex('plan_revisions_key').on(t.campaignId, t.month, t.revision)],
);

export const commitments = pgTable(
  'commitments',
  {
    id: text('id').primaryKey(),
    campaignId: text('campaign_id')
      .notNull()
      .references(() => campaigns.id),
    month: text('month').notNull(),
    amountMicros: bigint('amount_micros', { mode: 'bigint' }).notNull(),
    currency: text('currency').notNull(),
    status: text('status', { enum: ['open', 'closed'] }).notNull(),
    updatedAt: text('updated_at').notNull(),
  },
  (t) => [index('commitments_month').on(t.month, t.campaignId)],
);

/**
 * Actual spend, keyed by (date, campaign, source, reference); `reference` is
 * '' when the line has none, as in SQLite, so the two stores agree on what a
 * re-import replaces (PostgreSQL too treats NULLs as distinct in a unique index).
 */
export const spend = pgTable(
  'spend',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedByDefaultAsIdentity(),
    source: text('source').notNull(),
    campaignId: text('campaign_id').notNull(),
    date: text('date').notNull(),
    reference: text('reference').notNull().default(''),
    amountMicros: bigint('amount_micros', { mode: 'bigint' }).notNull(),
    currency: text('currency').notNull(),
    /** 1 when inserted, +1 at each restatement. */
    version: integer('version').notNull(),
    writtenXid: writtenXid(),
  },
  (t) => [uniqueIndex('spend_natural_key_by_date').on(t.date, t.campaignId, t.source, t.reference), index('spend_written_xid').on(t.writtenXid)],
);

export const fxRates = pgTable(
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

export const idempotencyKeys = pgTable(
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

/** Touchpoints; `occurred_at` in epoch milliseconds UTC (see the top of this file). No secondary index, as in SQLite. */
export const touchpoints = pgTable(
  'touchpoints',
  {
    id: text('id').primaryKey(),
    customerId: text('customer_id').notNull(),
    campaignId: text('campaign_id').notNull(),
    occurredAt: bigint('occurred_at', { mode: 'number' }).notNull(),
    /** PostgreSQL only (migration 0004): the row's slot in the in-memory mirror, as SQLite's rowid is. */
    seq: bigint('seq', { mode: 'bigint' }).generatedAlwaysAsIdentity().notNull(),
    writtenXid: writtenXid(),
  },
  (t) => [uniqueIndex('touchpoints_seq').on(t.seq), index('touchpoints_written_xid').on(t.writtenXid)],
);

/** Revenue events: conversions (amount > 0) and refunds (amount < 0, refund_of = the conversion). */
export const revenue = pgTable(
  'revenue',
  {
    id: text('id').primaryKey(),
    customerId: text('customer_id').notNull(),
    occurredAt: bigint('occurred_at', { mode: 'number' }).notNull(),
    amountMicros: bigint('amount_micros', { mode: 'bigint' }).notNull(),
    currency: text('currency').notNull(),
    refundOf: text('refund_of'),
    /** PostgreSQL only (migration 0004): the row's slot in the in-memory mirror, as SQLite's rowid is. */
    seq: bigint('seq', { mode: 'bigint' }).generatedAlwaysAsIdentity().notNull(),
    writtenXid: writtenXid(),
  },
  (t) => [
    index('revenue_time').on(t.occurredAt),
    index('revenue_refund_of').on(t.refundOf),
    uniqueIndex('revenue_seq').on(t.seq),
    index('revenue_written_xid').on(t.writtenXid),
  ],
);

/** The months finance has closed; `start_ms`/`end_ms` bound the month in epoch milliseconds UTC, for the guards. */
export const closedMonths = pgTable('closed_months', {
  month: text('month').primaryKey(),
  startMs: bigint('start_ms', { mode: 'number' }).notNull(),
  endMs: bigint('end_ms', { mode: 'number' }).notNull(),
  closedAt: text('closed_at').notNull(),
  closedByKeyId: text('closed_by_key_id'),
  closedBy: text('closed_by'),
  reason: text('reason'),
});

/** Every close and reopen of a month, oldest first. Never updated or deleted (a trigger refuses). */
export const periodEvents = pgTable(
  'period_events',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedByDefaultAsIdentity(),
    month: text('month').notNull(),
    action: text('action', { enum: ['close', 'reopen'] }).notNull(),
    at: text('at').notNull(),
    byKeyId: text('by_key_id'),
    by: text('by'),
    reason: text('reason'),
  },
  (t) => [index('period_events_month').on(t.month, t.id)],
);

/** Saved forecasts; `report` is JSON text. Immutable (a trigger refuses every update and delete). */
export const forecastSnapshots = pgTable(
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
 * The audit trail, written by triggers in the same transaction as the change
 * (actor from the transaction-local settings spendbook.actor_key_id,
 * spendbook.actor_name and spendbook.actor_at) and by the services for batch
 * ingests. Append-only: a trigger refuses updates, deletes and TRUNCATE.
 */
export const auditEvents = pgTable(
  'audit_events',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedByDefaultAsIdentity(),
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

/** The secret that signs dashboard session cookies (one row, made on the first start). */
export const dashboardSecret = pgTable(
  'dashboard_secret',
  {
    id: integer('id').primaryKey(),
    secret: text('secret').notNull(),
    createdAt: text('created_at').notNull(),
  },
  (t) => [check('dashboard_secret_single_row', sql`${t.id} = 1`)],
);

/**
 * The data version: one row (made at 0 by a migration), whose `version` goes
 * up by one in every write transaction that changed data. BIGINT like
 * SQLite's 64-bit integer, read as a number (2^53 writes is out of reach).
 */
export const dataVersion = pgTable(
  'data_version',
  {
    id: integer('id').primaryKey(),
    version: bigint('version', { mode: 'number' }).notNull(),
  },
  (t) => [check('data_version_single_row', sql`${t.id} = 1`)],
);

const bytea = customType<{ data: Buffer }>({ dataType: () => 'bytea' });

/**
 * PostgreSQL only (migration 0006): the last snapshot of the in-memory report
 * tables, shared by every instance. Not data but a copy of the tables at a
 * data version (src/features/mirrors/repository.ts): chunk 0 is the header,
 * chunks 1.. the body, each under 64 MB.
 */
export const mirrorSnapshots = pgTable('mirror_snapshots', {
  chunk: integer('chunk').primaryKey(),
  version: bigint('version', { mode: 'number' }).notNull(),
  data: bytea('data').notNull(),
});
