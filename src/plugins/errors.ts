/**
 * One handler turns every error into RFC 9457 problem+json with a stable
 * `code`. Client mistakes are 4xx naming the field; anything unexpected is a
 * 500 logged with the request id, and its text never reaches the client.
 */
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import fp from 'fastify-plugin';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { AppError, PeriodClosedError, ValidationError, type FieldError } from '../lib/errors.js';
import { InvalidJsonError, NulInBodyError } from '../lib/json-body.js';
import { nulFields } from '../lib/nul-text.js';
import { isPgConnectionError, isPgError, isRetryablePgError, PG_CODES } from '../store/pg-errors.js';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json; charset=utf-8';

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  instance?: string;
  errors?: FieldError[];
  [extension: string]: unknown;
}

function problemType(code: string): string {
  return `urn:spendbook:problem:${code.replace(/_/g, '-')}`;
}

export function problemOf(error: AppError, instance?: string): Problem {
  return {
    type: problemType(error.code),
    title: error.title,
    status: error.status,
    detail: error.message,
    code: error.code,
    ...(instance ? { instance } : {}),
    ...error.extra,
  };
}

/** Fastify's own client errors, given stable codes of ours. */
const FASTIFY_CLIENT_ERRORS: Record<string, { status: number; code: string; title: string; detail?: string }> = {
  FST_ERR_CTP_BODY_TOO_LARGE: { status: 413, code: 'payload_too_large', title: 'Payload too large', detail: 'the body is larger than 64 MiB' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { status: 415, code: 'unsupported_media_type', title: 'Unsupported media type', detail: 'send the body as application/json' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { status: 400, code: 'invalid_json', title: 'Malformed JSON body', detail: 'the request body is empty; send a JSON document' },
  FST_ERR_CTP_INVALID_JSON_BODY: { status: 400, code: 'invalid_json', title: 'Malformed JSON body' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { status: 400, code: 'bad_request', title: 'Bad request' },
  FST_ERR_CTP_INVALID_TYPE: { status: 400, code: 'bad_request', title: 'Bad request' },
};

function toFieldPath(instancePath: string, context: string | undefined): string {
  const path = instancePath.replace(/^\//, '');
  if (path) return path;
  return context === 'body' || !context ? '' : context;
}

function toAppError(error: FastifyError & { validationContext?: string }): AppError {
  if (error instanceof AppError) return error;
  if (hasZodFastifySchemaValidationErrors(error)) {
    const errors = error.validation.flatMap((issue) => {
      const path = toFieldPath(issue.instancePath, error.validationContext);
      // An unknown field is named by its own path, not its parent's: `items/0/extra`, or `sort` for a query parameter.
      const keys = (issue.params as { keys?: unknown }).keys;
      if (issue.keyword === 'unrecognized_keys' && Array.isArray(keys)) {
        const parent = issue.instancePath.replace(/^\//, '');
        return keys.map((key) => ({ path: parent ? `${parent}/${String(key)}` : String(key), message: 'is not a known field' }));
      }
      return [{ path, message: issue.message }];
    });
    const first = errors[0]!;
    return new AppError(
      400,
      'validation_failed',
      'Invalid request',
      errors.length === 1 ? `${first.path || error.validationContext || 'request'}: ${first.message}` : `${errors.length} fields are invalid; see errors`,
      { errors },
    );
  }
  const known = error.code ? FASTIFY_CLIENT_ERRORS[error.code] : undefined;
  if (known) return new AppError(known.status, known.code, known.title, known.detail ?? error.message);
  const status = error.statusCode ?? 500;
  if (status >= 400 && status < 500) {
    return new AppError(status, 'bad_request', 'Bad request', error.message);
  }
  // A trigger of migration 0005 (on PostgreSQL, 0001, raising SQLSTATE 23000 with the same text) refused a
  // change to a row in a closed month: `period_closed:<month>:<table>`.
  const pg = isPgError(error);
  const triggerRefusal = error.code === 'SQLITE_CONSTRAINT_TRIGGER' || (pg && error.code === PG_CODES.integrityConstraint);
  const closed = triggerRefusal ? /^period_closed:(\d{4}-\d{2}):(\w+)$/.exec(error.message) : null;
  if (closed) return new PeriodClosedError([closed[1]!], [], 0, `a row of ${closed[2]} stored in ${closed[1]} would change`);
  // SQLite's "integer overflow"; PostgreSQL's "bigint out of range" or "numeric field overflow".
  if (/integer overflow/i.test(error.message) || (pg && error.code === PG_CODES.numericOutOfRange)) {
    return new AppError(422, 'amount_out_of_range', 'Unprocessable request', 'the amounts involved add up to more than Spendbook can total exactly (about 9.2 trillion units)');
  }
  if (isPgConnectionError(error)) {
    return new AppError(503, 'unavailable', 'Service unavailable', 'the database is not reachable; try again in a moment');
  }
  // The unit of work retries deadlocks and serialization failures; one that still fails after its last
  // attempt wrote nothing, and a retry a moment later is what the client should do: not a 500.
  if (isRetryablePgError(error)) {
    return new AppError(503, 'write_conflict', 'Service unavailable', 'this write kept conflicting with other writes running at the same time and was not applied; retry it in a moment', {
      retryAfterSeconds: 1,
    });
  }
  return new AppError(500, 'internal_error', 'Internal error', 'the server failed to answer; the error is logged with this request id');
}

export function sendProblem(reply: FastifyReply, request: FastifyRequest, error: AppError): FastifyReply {
  const problem = problemOf(error, request.url.split('?')[0]);
  if (error.status >= 500) problem.requestId = request.id;
  return reply.status(error.status).type(PROBLEM_CONTENT_TYPE).send(JSON.stringify(problem));
}

/**
 * Errors the router raises before any route or hook runs (a malformed URL, a
 * path parameter over the router's limit): Fastify's `frameworkErrors` option
 * hands them here, so they too are problem+json.
 */
export function frameworkError(error: FastifyError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const appError =
    error.code === 'FST_ERR_MAX_PARAM_LENGTH'
      ? new AppError(414, 'uri_too_long', 'URI too long', 'a path segment of this URL is longer than any id Spendbook accepts')
      : error.code === 'FST_ERR_BAD_URL'
        ? new AppError(400, 'bad_request', 'Bad request', 'the URL is not validly percent-encoded')
        : toAppError(error);
  // No hook has run (the hardening plugin sets these on every other answer).
  reply.header('cache-control', 'no-store').header('x-content-type-options', 'nosniff');
  return sendProblem(reply, request, appError);
}

/**
 * Requests node's HTTP parser refuses before Fastify sees a request: bytes a
 * header may not hold, headers over node's size limit (16 KiB), a method or
 * request line that is not HTTP, a body that did not arrive in time. Fastify
 * hands them to its `clientErrorHandler` with the bare socket; this answers
 * them as problem+json, as every other error, and closes the connection (the
 * rest of what the client sent cannot be read reliably).
 */
function clientProblem(error: Error & { code?: string }): AppError {
  switch (error.code) {
    case 'HPE_HEADER_OVERFLOW':
      return new AppError(431, 'request_header_fields_too_large', 'Request header fields too large', 'the request line and headers are larger than the server accepts (16 KiB)');
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return new AppError(408, 'request_timeout', 'Request timeout', 'the request did not arrive in full in time');
    case 'HPE_INVALID_HEADER_TOKEN':
    case 'HPE_INVALID_HEADER_VALUE':
    case 'HPE_LF_EXPECTED':
    case 'HPE_CR_EXPECTED':
      return new AppError(400, 'bad_request', 'Bad request', 'a header holds a character HTTP does not allow there (a control character, a space in a name, a bare line feed)');
    case 'HPE_INVALID_METHOD':
      return new AppError(400, 'bad_request', 'Bad request', 'the request method is not one HTTP knows');
    case 'HPE_INVALID_URL':
      return new AppError(400, 'bad_request', 'Bad request', 'the request target is not a valid URL path');
    case 'HPE_INVALID_CONTENT_LENGTH':
    case 'HPE_UNEXPECTED_CONTENT_LENGTH':
    case 'HPE_INVALID_TRANSFER_ENCODING':
    case 'HPE_INVALID_CHUNK_SIZE':
      return new AppError(400, 'bad_request', 'Bad request', 'the body’s framing is not valid HTTP: check Content-Length and Transfer-Encoding');
    default:
      return new AppError(400, 'bad_request', 'Bad request', 'the request is not valid HTTP/1.1');
  }
}

export function clientErrorHandler(this: FastifyInstance, error: Error & { code?: string }, socket: Socket): void {
  // A reset connection has nobody left to answer.
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const appError = clientProblem(error);
  this.log.debug({ err: error, code: appError.code }, 'client error');
  if (socket.writable) {
    const body = JSON.stringify(problemOf(appError));
    socket.write(
      `HTTP/1.1 ${appError.status} ${STATUS_CODES[appError.status]}\r\n` +
        `Content-Type: ${PROBLEM_CONTENT_TYPE}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
        'Cache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\nConnection: close\r\n\r\n' +
        body,
    );
  }
  socket.destroy(error);
}

function notFound(request: FastifyRequest): AppError {
  return new AppError(404, 'not_found', 'Not found', `no route ${request.method} ${request.url.split('?')[0]}`);
}

/**
 * An error reading the body: Fastify reads and parses a body before the
 * handler runs, the 404 handler's too, so an empty, malformed or oversized
 * body sent to no route would otherwise be answered as if a route wanted it.
 */
function isBodyError(error: FastifyError): boolean {
  return error instanceof InvalidJsonError || error instanceof NulInBodyError || (typeof error.code === 'string' && error.code.startsWith('FST_ERR_CTP_'));
}

export default fp(
  async (app) => {
    app.setErrorHandler((error: FastifyError, request, reply) => {
      // A request to no route is a 404, whatever its method and body.
      const appError = request.is404 && isBodyError(error) ? notFound(request) : toAppError(error);
      if (appError.status >= 500) request.log.error({ err: error, reqId: request.id }, 'request failed');
      if (appError.code === 'write_conflict') reply.header('retry-after', '1');
      else request.log.info({ code: appError.code, status: appError.status }, appError.message);
      return sendProblem(reply, request, appError);
    });
    app.setNotFoundHandler((request, reply) => sendProblem(reply, request, notFound(request)));

    // A NUL character in a path or query parameter, named like any invalid field (the body's are refused as it
    // is read, lib/json-body): PostgreSQL cannot take one in a statement, and no stored value holds one.
    app.addHook('preValidation', async (request) => {
      if (request.is404) return;
      const fields = [...nulFields(request.params), ...nulFields(request.query)];
      if (fields.length > 0) throw new ValidationError(fields);
    });

    // While the server closes, requests still arriving on open connections
    // are refused before any work (Fastify's own 503 for this is plain JSON,
    // so app.ts turns it off): the first hook of all, before the rate limit.
    let closing = false;
    app.addHook('preClose', async () => {
      closing = true;
    });
    app.addHook('onRequest', async () => {
      if (closing) throw new AppError(503, 'shutting_down', 'Service unavailable', 'the server is shutting down; retry in a moment');
    });
  },
  { name: 'spendbook-errors' },
);
