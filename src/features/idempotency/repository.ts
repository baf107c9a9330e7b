/**
 * Idempotency records: the first answer to a batch write sent with an
 * Idempotency-Key, per API key, shared by every instance on the database.
 *
 * A record is first a claim: `status_code` 0 (never an HTTP status) and, in
 * `response_body`, a token only its claimer knows. Each step is one
 * statement in its own autocommit, outside the write it guards, so a claim
 * is visible to every instance at once and no write's rollback undoes it.
 * Completing or releasing a claim names the token: a claimer whose claim was
 * taken over (it was presumed dead) changes nothing.
 */
import type { Database } from '../../store/database.js';

/** `status_code` of a claim whose answer is still to come. */
export const PENDING = 0;

export interface IdempotencyRecord {
  requestHash: string;
  /** PENDING while claimed, then the HTTP status of the answer. */
  statusCode: number;
  /** The answer; while PENDING, the claimer's token. */
  responseBody: string;
  /** When the key was claimed (ISO 8601 UTC). */
  createdAt: string;
}

export interface IdempotencyRepository {
  find(apiKeyId: string, key: string): Promise<IdempotencyRecord | null>;
  /** Claims a free key; true if this call claimed it, false if a record exists. */
  claim(apiKeyId: string, key: string, requestHash: string, token: string, at: string): Promise<boolean>;
  /** Takes over a claim for the same request made before `staleBefore` (its claimer presumed dead); true if taken. */
  takeOver(apiKeyId: string, key: string, requestHash: string, token: string, at: string, staleBefore: string): Promise<boolean>;
  /** Stores the answer in the claim `token` holds; false if the claim is no longer this token's. */
  complete(apiKeyId: string, key: string, token: string, statusCode: number, responseBody: string): Promise<boolean>;
  /** Gives the claim back (the request failed), so that a retry can claim the key again. */
  release(apiKeyId: string, key: string, token: string): Promise<boolean>;
}

const FIND = 'select request_hash, status_code, response_body, created_at from idempotency_keys where api_key_id = ? and key = ?';
const CLAIM = `insert into idempotency_keys (api_key_id, key, request_hash, status_code, response_body, created_at) values (?, ?, ?, ${PENDING}, ?, ?) on conflict do nothing`;
const TAKE_OVER = `update idempotency_keys set response_body = ?, created_at = ? where api_key_id = ? and key = ? and request_hash = ? and status_code = ${PENDING} and created_at < ?`;
const COMPLETE = `update idempotency_keys set status_code = ?, response_body = ? where api_key_id = ? and key = ? and status_code = ${PENDING} and response_body = ?`;
const RELEASE = `delete from idempotency_keys where api_key_id = ? and key = ? and status_code = ${PENDING} and response_body = ?`;

interface Row {
  request_hash: string;
  status_code: number;
  response_body: string;
  created_at: string;
}

const toRecord = (row: Row | undefined): IdempotencyRecord | null =>
  row ? { requestHash: row.request_hash, statusCode: Number(row.status_code), responseBody: row.response_body, createdAt: row.created_at } : null;

/** `?` placeholders as PostgreSQL's `$1, $2, ...`. */
const numbered = (sql: string) => {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
};

export function idempotencyRepository(database: Database): IdempotencyRepository {
  if (database.dialect === 'sqlite') {
    const { sqlite } = database;
    const find = sqlite.prepare(FIND);
    const claim = sqlite.prepare(CLAIM);
    const takeOver = sqlite.prepare(TAKE_OVER);
    const complete = sqlite.prepare(COMPLETE);
    const release = sqlite.prepare(RELEASE);
    return {
      find: async (apiKeyId, key) => toRecord(find.get(apiKeyId, key) as Row | undefined),
      claim: async (apiKeyId, key, requestHash, token, at) => claim.run(apiKeyId, key, requestHash, token, at).changes === 1,
      takeOver: async (apiKeyId, key, requestHash, token, at, staleBefore) =>
        takeOver.run(token, at, apiKeyId, key, requestHash, staleBefore).changes === 1,
      complete: async (apiKeyId, key, token, statusCode, responseBody) => complete.run(statusCode, responseBody, apiKeyId, key, token).changes === 1,
      release: async (apiKeyId, key, token) => release.run(apiKeyId, key, token).changes === 1,
    };
  }
  const { pg } = database;
  const changed = async (sql: string, params: unknown[]) => ((await pg.query(sql, params)).rowCount ?? 0) === 1;
  const [find, claim, takeOver, complete, release] = [FIND, CLAIM, TAKE_OVER, COMPLETE, RELEASE].map(numbered) as [string, string, string, string, string];
  return {
    find: async (apiKeyId, key) => toRecord((await pg.query<Row>(find, [apiKeyId, key])).rows[0]),
    claim: (apiKeyId, key, requestHash, token, at) => changed(claim, [apiKeyId, key, requestHash, token, at]),
    takeOver: (apiKeyId, key, requestHash, token, at, staleBefore) => changed(takeOver, [token, at, apiKeyId, key, requestHash, staleBefore]),
    complete: (apiKeyId, key, token, statusCode, responseBody) => changed(complete, [statusCode, responseBody, apiKeyId, key, token]),
    release: (apiKeyId, key, token) => changed(release, [apiKeyId, key, token]),
  };
}
