/**
 * The API's manners for writes: JSON bodies parsed with exact numbers, the
 * batch size limit (413 past 100,000 items; the 64 MiB body limit is the
 * server's bodyLimit) and Idempotency-Key replay for batch writes.
 */
import { createHash, randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { idempotencyRepository, PENDING } from '../features/idempotency/repository.js';
import { InvalidJsonError, parseJsonExact } from '../lib/json-body.js';
import { ConflictError, PayloadTooLargeError, ValidationError } from '../lib/errors.js';

export const MAX_BATCH_ITEMS = 100_000;
export const MAX_BODY_BYTES = 64 * 1024 * 1024;

export interface IdempotencyTiming {
  /** How long a request waits for another one running under the same key and body before answering 409 (default 30 s). */
  waitMs?: number;
  /**
   * A claim this old is presumed left by a process that died mid-request,
   * and the next request with the same body takes it over (default 2
   * minutes: longer than the largest batch takes to write).
   */
  staleMs?: number;
}

export const IDEMPOTENCY_WAIT_MS = 30_000;
export const IDEMPOTENCY_STALE_MS = 120_000;

/** An Idempotency-Key this request claimed; the token proves the claim is still its own. */
interface Claim {
  apiKeyId: string;
  key: string;
  token: string;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The body is `{items: [...]}`: at most MAX_BATCH_ITEMS of them. */
    batch?: boolean;
    /** The route honours Idempotency-Key. */
    idempotent?: boolean;
  }
  interface FastifyRequest {
    bodyHash: string | null;
    /** The Idempotency-Key this request holds, to complete with its answer or give back. */
    idempotencyClaim: Claim | null;
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

export default fp<IdempotencyTiming>(
  async (app, { waitMs = IDEMPOTENCY_WAIT_MS, staleMs = IDEMPOTENCY_STALE_MS }) => {
    const records = idempotencyRepository(app.database);
    app.decorateRequest('bodyHash', null);
    app.decorateRequest('idempotencyClaim', null);

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
    // The key is claimed before the write, by one statement every instance
    // sees at once, so that of requests racing on a key only one writes; the
    // others wait for its answer and replay it.
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
      const token = randomUUID();
      const deadline = Date.now() + waitMs;
      for (let round = 0; ; round++) {
        const now = Date.now();
        if (await records.claim(apiKeyId, header, requestHash, token, new Date(now).toISOString())) break;
        const stored = await records.find(apiKeyId, header);
        // No record (given back between the two statements): look again, as for a claim in progress.
        let staleAt = now + staleMs;
        if (stored) {
          if (stored.requestHash !== requestHash) {
            throw new ConflictError('idempotency_key_reused', `Idempotency-Key ${header} was used with a different request`);
          }
          if (stored.statusCode !== PENDING) {
            return reply
              .status(stored.statusCode)
              .header('idempotent-replayed', 'true')
              .type('application/json; charset=utf-8')
              .send(stored.responseBody);
          }
          staleAt = Date.parse(stored.createdAt) + staleMs;
          if (now >= staleAt) {
            const staleBefore = new Date(now - staleMs).toISOString();
            if (await records.takeOver(apiKeyId, header, requestHash, token, new Date(now).toISOString(), staleBefore)) break;
          }
        }
        if (now >= deadline) {
          const seconds = Math.max(1, Math.ceil((staleAt - now) / 1000));
          reply.header('retry-after', String(seconds));
          throw new ConflictError(
            'idempotency_key_in_progress',
            `a request with Idempotency-Key ${header} and this body is still being processed; retry in ${seconds} seconds for its answer`,
          );
        }
        // 10, 20, 40, 80, then 100 ms between looks, never past the deadline.
        await sleep(Math.max(1, Math.min(100, 10 * 2 ** round, deadline - now)));
      }
      request.idempotencyClaim = { apiKeyId, key: header, token };
    });

    // The claim ends with the answer: a success is kept for replay, anything
    // else gives the key back so that the client can retry under it. A claim
    // that cannot be ended (the database went away) is taken over once stale.
    const settle = async (request: FastifyRequest, statusCode: number, payload: unknown) => {
      const claim = request.idempotencyClaim;
      if (!claim) return;
      request.idempotencyClaim = null;
      try {
        if (statusCode >= 200 && statusCode < 300 && typeof payload === 'string') {
          await records.complete(claim.apiKeyId, claim.key, claim.token, statusCode, payload);
        } else {
          await records.release(claim.apiKeyId, claim.key, claim.token);
        }
      } catch (error) {
        request.log.warn({ err: error, idempotencyKey: claim.key }, 'an Idempotency-Key claim could not be settled; it is taken over once stale');
      }
    };
    app.addHook('onSend', async (request, reply, payload) => {
      await settle(request, reply.statusCode, payload);
      return payload;
    });
    // An answer that left without onSend (a hijacked reply) still gives its claim back.
    app.addHook('onResponse', async (request) => settle(request, 0, undefined));
  },
  { name: 'spendbook-batch', dependencies: ['spendbook-db', 'spendbook-auth'] },
);
