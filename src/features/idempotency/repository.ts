/**
 * Idempotency records: the first answer to a batch write sent with an
 * Idempotency-Key, per API key, shared by every instance on the database.
 */
import type { Database } from '../../store/database.js';

export interface IdempotencyRecord {
  requestHash: string;
  statusCode: number;
  responseBody: string;
}

export interface IdempotencyRepository {
  find(apiKeyId: string, key: string): Promise<IdempotencyRecord | null>;
  /**
   * Stores the answer unless the key is taken; true if stored. Inside the
   * write whose answer it is, the record commits or rolls back with the
   * write, and a second writer racing on the same key waits for the first
   * (the primary key) and then finds the key taken.
   */
  insert(apiKeyId: string, key: string, record: IdempotencyRecord, at: string): Promise<boolean>;
}

export function idempotencyRepository(database: Database): IdempotencyRepository {
  if (database.dialect === 'sqlite') {
    const { sqlite } = database;
    const find = sqlite.prepare('select request_hash, status_code, response_body from idempotency_keys where api_key_id = ? and key = ?');
    const insert = sqlite.prepare(
      'insert into idempotency_keys (api_key_id, key, request_hash, status_code, response_body, created_at) values (?, ?, ?, ?, ?, ?) on conflict do nothing',
    );
    return {
      find: async (apiKeyId, key) => {
        const row = find.get(apiKeyId, key) as { request_hash: string; status_code: number; response_body: string } | undefined;
        return row ? { requestHash: row.request_hash, statusCode: row.status_code, responseBody: row.response_body } : null;
      },
      insert: async (apiKeyId, key, record, at) => insert.run(apiKeyId, key, record.requestHash, record.statusCode, record.responseBody, at).changes === 1,
    };
  }
  const { pg } = database;
  return {
    find: async (apiKeyId, key) => {
      const { rows } = await pg.query<{ request_hash: string; status_code: number; response_body: string }>(
        'select request_hash, status_code, response_body from idempotency_keys where api_key_id = $1 and key = $2',
        [apiKeyId, key],
      );
      const row = rows[0];
      return row ? { requestHash: row.request_hash, statusCode: row.status_code, responseBody: row.response_body } : null;
    },
    insert: async (apiKeyId, key, record, at) =>
      (
        await pg.query(
          'insert into idempotency_keys (api_key_id, key, request_hash, status_code, response_body, created_at) values ($1, $2, $3, $4, $5, $6) on conflict do nothing',
          [apiKeyId, key, record.requestHash, record.statusCode, record.responseBody, at],
        )
      ).rowCount === 1,
  };
}
