/**
 * The API's manners for writes: JSON bodies parsed with exact numbers, the
 * batch size limit (413 past 100,000 items; the 64 MiB body limit is the
 * server's bodyLimit) and Idempotency-Key replay for batch writes.
 */
import { createHash } from 'node:crypto';
import fp from 'fastify-plugin';
import { idempotencyRepository } from '../features/idempotency/repository.js';
import { InvalidJsonError, parseJsonExact } from '../lib/json-body.js';
import { ConflictError, PayloadTooLargeError, ValidationError } from '../lib/errors.js';

export const MAX_BATCH_ITEMS = 100_000;
export const MAX_BODY_BYTES = 64 * 1024 * 1024;

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The body is `{items: [...]}`: at most MAX_BATCH_ITEMS of them. */
    batch?: boolean;
    /** The route honours Idempotency-Key. */
    idempotent?: boolean;
  }
  interface FastifyRequest {
    bodyHash: string | null;
    idempotencyKey: string | null;
  }
}

const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

function decodeUtf8(bytes: Buffer): string {
  try {
    return UTF8.decode(bytes);
  } catch {
    throw new InvalidJsonError('the body is not valid UTF-8; send JSON encoded in UTF-8');
  }
}

export default fp(
  async (app) => {
    const records = idempotencyRepository(app.database);
    app.decorateRequest('bodyHash', null);
    app.decorateRequest('idempotencyKey', null);

    // Only JSON is taken: any other body type is a 415. Fastify tests the
    // regex against the type with its parameters (`; charset=utf-8`).
    app.removeContentTypeParser(['application/json', 'text/plain']);
    app.addContentTypeParser(
      /^application\/(?:[\w.-]+\+)?json(?:\s*;|$)/,
      { parseAs: 'buffer' },
      (request, body, done) => {
        try {
          // Decoded strictly: a byte sequence that is not UTF-8 is refused, not stored as U+FFFD.
          const text = decodeUtf8(body as Buffer);
          if (request.headers['idempotency-key'] !== undefined) {
            request.bodyHash = createHash('sha256').update(text, 'utf8').digest('hex');
          }
          done(null, parseJsonExact(text));
        } catch (error) {
          done(error as Error, undefined);
        }
      },
    );

    app.addHook('preValidation', async (request) => {
      if (!request.routeOptions.config?.batch) return;
      const items = (request.body as { items?: unknown } | null | undefined)?.items;
      if (Array.isArray(items) && items.length > MAX_BATCH_ITEMS) {
        throw new PayloadTooLargeError(
          `a batch holds at most ${MAX_BATCH_ITEMS.toLocaleString('en-US')} items; this one has ${items.length.toLocaleString('en-US')}: split it`,
        );
      }
    });

    // Replay: the same key and body give the first answer again; the same
    // key with another body is a conflict. Keys are scoped to the API key.
    app.addHook('preHandler', async (request, reply) => {
      const header = request.headers['idempotency-key'];
      if (header === undefined || !request.routeOptions.config?.idempotent) return;
      if (typeof header !== 'string' || !IDEMPOTENCY_KEY.test(header)) {
        throw new ValidationError([{ path: 'Idempotency-Key', message: 'must be 1 to 255 printable ASCII characters' }]);
      }
      const apiKeyId = request.principal?.keyId;
      if (!apiKeyId) return;
      const requestHash = createHash('sha256')
        .update(`${request.method} ${request.url}\n${request.bodyHash ?? ''}`)
        .digest('hex');
      const stored = await records.find(apiKeyId, header);
      if (stored) {
        if (stored.requestHash !== requestHash) {
          throw new ConflictError('idempotency_key_reused', `Idempotency-Key ${header} was used with a different request`);
        }
        return reply
          .status(stored.statusCode)
          .header('idempotent-replayed', 'true')
          .type('application/json; charset=utf-8')
          .send(stored.responseBody);
      }
      request.idempotencyKey = header;
      request.bodyHash = requestHash;
    });

    app.addHook('onSend', async (request, reply, payload) => {
      if (!request.idempotencyKey || reply.statusCode < 200 || reply.statusCode >= 300) return payload;
      if (typeof payload !== 'string') return payload;
      await records.insert(
        request.principal!.keyId,
        request.idempotencyKey,
        { requestHash: request.bodyHash!, statusCode: reply.statusCode, responseBody: payload },
        new Date().toISOString(),
      );
      return payload;
    });
  },
  { name: 'spendbook-batch', dependencies: ['spendbook-db', 'spendbook-auth'] },
);

