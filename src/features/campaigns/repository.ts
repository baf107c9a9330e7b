/** The campaigns and campaign_external_refs tables. */
import type { Database } from '../../store/database.js';

export interface ExternalRefRow {
  source: string;
  id: string;
}

/** A campaign as stored: `tags` is JSON text. */
export interface CampaignRow {
  id: string;
  name: string;
  channel: string;
  startDate: string;
  endDate: string | null;
  tags: string;
  createdAt: string;
  updatedAt: string;
}

export interface CampaignRowFilter {
  ids?: readonly string[] | undefined;
  channel?: string | undefined;
  tag?: string | undefined;
  after?: string | null | undefined;
  limit: number;
}

export interface CampaignRepository {
  /**
   * Serialises campaign upserts until the write ends (PostgreSQL: a table
   * lock that only another upsert waits for; reads and the writes that
   * reference campaigns go on), so what an upsert read of ids and external
   * refs stays true until it commits. SQLite: nothing to do.
   */
  lockForUpsert(): Promise<void>;
  existingIds(ids: readonly string[]): Promise<Set<string>>;
  /** Campaigns by id, at most `limit` + 1. */
  list(filter: CampaignRowFilter): Promise<CampaignRow[]>;
  /** Each campaign's external refs, by source and id. */
  refsOf(ids: readonly string[]): Promise<Map<string, ExternalRefRow[]>>;
  /** The campaign owning each of these refs (keyed `source\0id`); missing ones are absent. */
  refOwners(refs: readonly ExternalRefRow[]): Promise<Map<string, string>>;
  /** Campaign ids by name (exact), each list by id. */
  idsByName(names: readonly string[]): Promise<Map<string, string[]>>;
  /** Inserts campaigns, in the order given. */
  insert(rows: readonly CampaignRow[]): Promise<void>;
  update(row: Omit<CampaignRow, 'createdAt'>): Promise<void>;
  deleteRef(ref: ExternalRefRow): Promise<void>;
  /** Inserts refs, in the order given. */
  insertRefs(refs: readonly (ExternalRefRow & { campaignId: string })[]): Promise<void>;
}

const COLUMNS = 'id, name, channel, start_date as "startDate", end_date as "endDate", tags, created_at as "createdAt", updated_at as "updatedAt"';
const CHUNK = 500;
const refKey = (ref: ExternalRefRow) => `${ref.source}\u0000${ref.id}`;

function chunks<T>(items: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let k = 0; k < items.length; k += CHUNK) out.push(items.slice(k, k + CHUNK));
  return out;
}

function groupRefs(rows: { campaignId: string; source: string; id: string }[]): Map<string, ExternalRefRow[]> {
  const out = new Map<string, ExternalRefRow[]>();
  for (const row of rows) {
    const list = out.get(row.campaignId);
    if (list === undefined) out.set(row.campaignId, [{ source: row.source, id: row.id }]);
    else list.push({ source: row.source, id: row.id });
  }
  return out;
}

export function campaignRepository(database: Database): CampaignRepository {
  if (database.dialect === 'sqlite') {
    const { sqlite } = database;
    /**
     * One prepared primary-key probe per distinct id: a batch of spend names
     * up to 1,000 campaigns, and an IN query rebuilt per 500 ids took about
     * 6 ms a batch against under 1 ms this way (npm run bench).
     */
    const exists = sqlite.prepare('select 1 from campaigns where id = ?').pluck();
    // The writes, prepared once: preparing per call cost more than the writes themselves for a batch of 20,000 campaigns.
    const insert = sqlite.prepare(
      'insert into campaigns (id, name, channel, start_date, end_date, tags, created_at, updated_at) values (?, ?, ?, ?, ?, ?, ?, ?)',
    );
    const update = sqlite.prepare('update campaigns set name = ?, channel = ?, start_date = ?, end_date = ?, tags = ?, updated_at = ? where id = ?');
    const deleteRef = sqlite.prepare('delete from campaign_external_refs where source = ? and external_id = ?');
    const insertRef = sqlite.prepare('insert into campaign_external_refs (source, external_id, campaign_id) values (?, ?, ?)');
    const marks = (n: number) => new Array<string>(n).fill('?').join(', ');
    return {
      lockForUpsert: async () => undefined,
      existingIds: async (ids) => {
        const out = new Set<string>();
        for (const id of ids) if (exists.get(id) !== undefined) out.add(id);
        return out;
      },
      list: async (filter) => {
        const { where, params } = listFilter(filter, 'sqlite', () => '?');
        return sqlite.prepare(`select ${COLUMNS} from campaigns ${where} order by id limit ?`).all(...params, filter.limit + 1) as CampaignRow[];
      },
      refsOf: async (ids) => {
        const rows: { campaignId: string; source: string; id: string }[] = [];
        for (const chunk of chunks(ids)) {
          rows.push(
            ...(sqlite
              .prepare(
                `select campaign_id as campaignId, source, external_id as id from campaign_external_refs where campaign_id in (${marks(chunk.length)}) order by source, external_id`,
              )
              .all(...chunk) as typeof rows),
          );
        }
        return groupRefs(rows);
      },
      refOwners: async (refs) => {
        const bySource = new Map<string, string[]>();
        // Pushed, not spread into a new array per ref: that copy made a batch quadratic (20,000 refs, 11-16 s).
        for (const ref of refs) {
          const list = bySource.get(ref.source);
          if (list === undefined) bySource.set(ref.source, [ref.id]);
          else list.push(ref.id);
        }
        const out = new Map<string, string>();
        for (const [source, ids] of bySource) {
          for (const chunk of chunks([...new Set(ids)])) {
            const rows = sqlite
              .prepare(`select external_id, campaign_id from campaign_external_refs where source = ? and external_id in (${marks(chunk.length)})`)
              .raw(true)
              .all(source, ...chunk) as [string, string][];
            for (const [id, campaignId] of rows) out.set(refKey({ source, id }), campaignId);
          }
        }
        return out;
      },
      idsByName: async (names) => {
        const out = new Map<string, string[]>();
        for (const chunk of chunks([...new Set(names)])) {
          const rows = sqlite.prepare(`select id, name from campaigns where name in (${marks(chunk.length)}) order by id`).raw(true).all(...chunk) as [string, string][];
          for (const [id, name] of rows) {
            const list = out.get(name);
            if (list === undefined) out.set(name, [id]);
            else list.push(id);
          }
        }
        return out;
      },
      insert: async (rows) => {
        for (const r of rows) insert.run(r.id, r.name, r.channel, r.startDate, r.endDate, r.tags, r.createdAt, r.updatedAt);
      },
      update: async (r) => void update.run(r.name, r.channel, r.startDate, r.endDate, r.tags, r.updatedAt, r.id),
      deleteRef: async (ref) => void deleteRef.run(ref.source, ref.id),
      insertRefs: async (refs) => {
        for (const ref of refs) insertRef.run(ref.source, ref.id, ref.campaignId);
      },
    };
  }
  const { pg } = database;
  return {
    // SHARE ROW EXCLUSIVE conflicts with itself and with the ROW EXCLUSIVE of
    // any insert, update or delete of campaigns, but not with reads nor with
    // the foreign-key checks (ROW SHARE) of plans, commitments and spend.
    lockForUpsert: async () => void (await pg.query('lock table campaigns in share row exclusive mode')),
    existingIds: async (ids) => {
      if (ids.length === 0) return new Set();
      const { rows } = await pg.query<{ id: string }>('select id from campaigns where id = any($1::text[])', [ids]);
      return new Set(rows.map((row) => row.id));
    },
    list: async (filter) => {
      let n = 0;
      const { where, params } = listFilter(filter, 'postgres', () => `$${++n}`);
      return (await pg.query<CampaignRow>(`select ${COLUMNS} from campaigns ${where} order by id limit $${++n}`, [...params, filter.limit + 1])).rows;
    },
    refsOf: async (ids) => {
      if (ids.length === 0) return new Map();
      const { rows } = await pg.query<{ campaignId: string; source: string; id: string }>(
        'select campaign_id as "campaignId", source, external_id as id from campaign_external_refs where campaign_id = any($1::text[]) order by source, external_id',
        [ids],
      );
      return groupRefs(rows);
    },
    refOwners: async (refs) => {
      if (refs.length === 0) return new Map();
      const rows = await pg.queryArrays<[string, string, string]>(
        `select r.source, r.external_id, r.campaign_id from campaign_external_refs r
         join (select distinct * from unnest($1::text[], $2::text[]) as t(source, external_id)) t using (source, external_id)`,
        [refs.map((ref) => ref.source), refs.map((ref) => ref.id)],
      );
      return new Map(rows.map(([source, id, campaignId]) => [refKey({ source, id }), campaignId]));
    },
    idsByName: async (names) => {
      const out = new Map<string, string[]>();
      if (names.length === 0) return out;
      const rows = await pg.queryArrays<[string, string]>('select id, name from campaigns where name = any($1::text[]) order by id', [[...new Set(names)]]);
      for (const [id, name] of rows) {
        const list = out.get(name);
        if (list === undefined) out.set(name, [id]);
        else list.push(id);
      }
      return out;
    },
    // One statement per batch; ORDER BY the ordinality inserts (and so audits) in the order given, as SQLite does.
    insert: async (rows) => {
      if (rows.length === 0) return;
      await pg.query(
        `insert into campaigns (id, name, channel, start_date, end_date, tags, created_at, updated_at)
         select id, name, channel, start_date, end_date, tags, created_at, updated_at
         from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[])
           with ordinality as t(id, name, channel, start_date, end_date, tags, created_at, updated_at, ord)
         order by ord`,
        [
          rows.map((r) => r.id),
          rows.map((r) => r.name),
          rows.map((r) => r.channel),
          rows.map((r) => r.startDate),
          rows.map((r) => r.endDate),
          rows.map((r) => r.tags),
          rows.map((r) => r.createdAt),
          rows.map((r) => r.updatedAt),
        ],
      );
    },
    update: async (r) =>
      void (await pg.query('update campaigns set name = $1, channel = $2, start_date = $3, end_date = $4, tags = $5, updated_at = $6 where id = $7', [
        r.name,
        r.channel,
        r.startDate,
        r.endDate,
        r.tags,
        r.updatedAt,
        r.id,
      ])),
    deleteRef: async (ref) => void (await pg.query('delete from campaign_external_refs where source = $1 and external_id = $2', [ref.source, ref.id])),
    insertRefs: async (refs) => {
      if (refs.length === 0) return;
      await pg.query(
        `insert into campaign_external_refs (source, external_id, campaign_id)
         select source, external_id, campaign_id from unnest($1::text[], $2::text[], $3::text[]) with ordinality as t(source, external_id, campaign_id, ord)
         order by ord`,
        [refs.map((r) => r.source), refs.map((r) => r.id), refs.map((r) => r.campaignId)],
      );
    },
  };
}

/** The where clause of `list`, with the dialect's placeholders. */
function listFilter(filter: CampaignRowFilter, dialect: 'sqlite' | 'postgres', next: () => string): { where: string; params: unknown[] } {
  const where: string[] = [];
  const params: unknown[] = [];
  if (filter.ids) {
    if (dialect === 'postgres') (where.push(`id = any(${next()}::text[])`), params.push(filter.ids));
    else (where.push(`id in (${filter.ids.map(() => next()).join(', ')})`), params.push(...filter.ids));
  }
  if (filter.channel) (where.push(`channel = ${next()}`), params.push(filter.channel));
  if (filter.tag) {
    // tags is a JSON array of strings, stored as text on both stores.
    where.push(
      dialect === 'postgres'
        ? `exists (select 1 from json_array_elements_text(tags::json) as v(value) where v.value = ${next()})`
        : `exists (select 1 from json_each(tags) where value = ${next()})`,
    );
    params.push(filter.tag);
  }
  if (filter.after) (where.push(`id > ${next()}`), params.push(filter.after));
  return { where: where.length ? 'where ' + where.join(' and ') : '', params };
}
