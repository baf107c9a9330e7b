/**
 * POST /v1/spend/import: an ad platform's CSV export, as downloaded. Its own
 * plugin, so that the CSV body parser it adds applies to this route only
 * (every other write still takes JSON alone and answers 415 to CSV).
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { CsvSizeGuard, CsvSyntaxError } from '../../lib/csv-reader.js';
import { PayloadTooLargeError, ValidationError } from '../../lib/errors.js';
import { MAX_BODY_BYTES } from '../../plugins/batch.js';
import { BatchWarnings, MoneyOutput, problems } from '../common/schemas.js';
import { IMPORT_FORMATS, linePath } from './import/formats.js';
import { UNMATCHED } from './import/service.js';

/** The media types a CSV arrives as: curl and scripts send text/csv; browsers on Windows label .csv files as Excel's. */
const CSV_MEDIA_TYPES = ['text/csv', 'application/csv', 'text/plain', 'application/vnd.ms-excel'];

const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

const ImportResult = z
  .object({
    format: z.enum(IMPORT_FORMATS),
    source: z.string().nullable().meta({ description: 'The spend lines’ source; null for generic, whose rows name theirs' }),
    dryRun: z.boolean(),
    headerLine: z.number().int().meta({ description: 'The line of the file’s header row' }),
    rows: z.number().int().meta({ description: 'Rows below the header, blank lines aside' }),
    imported: z.number().int().meta({ description: 'Rows written as spend lines (inserted + updated + unchanged)' }),
    inserted: z.number().int(),
    updated: z.number().int().meta({ description: 'Restated: the amount or currency changed' }),
    unchanged: z.number().int(),
    skipped: z.number().int().meta({ description: 'Summary rows, and unmatched rows with unmatched=skip' }),
    skippedRows: z.array(z.object({ line: z.number().int(), reason: z.string() })).meta({ description: 'The first 1,000 skipped rows' }),
    createdCampaigns: z.array(z.object({ id: z.string(), name: z.string() })),
    totals: z.array(z.object({ currency: z.string(), amount: MoneyOutput })).meta({ description: 'The imported amounts per currency, exact' }),
    // As a spend batch's, the paths naming the file's line and column: `line/7/Currency code`.
    ...BatchWarnings,
  })
  .meta({
    id: 'SpendImportResult',
    example: {
      format: 'google_ads',
      source: 'google_ads',
      dryRun: false,
      headerLine: 3,
      rows: 63,
      imported: 62,
      inserted: 62,
      updated: 0,
      unchanged: 0,
      skipped: 1,
      skippedRows: [{ line: 66, reason: 'summary row (Total: Account)' }],
      createdCampaigns: [],
      totals: [{ currency: 'USD', amount: '48210.37' }],
    },
  });

const routes: FastifyPluginAsyncZod = async (app) => {
  // The body is read here rather than by Fastify's buffering parser, so that
  // each chunk passes the CSV size guard as it arrives: a file with a line
  // or field past the bounds (lib/csv-reader.ts) is refused after that many
  // bytes, not after the whole body was held and decoded (a 60 MiB line
  // used to block the event loop for seconds). The rest of such a body is
  // read and dropped, unheld.
  app.addContentTypeParser(CSV_MEDIA_TYPES, (request, payload, done) => {
    const limit = MAX_BODY_BYTES;
    if (Number(request.headers['content-length']) > limit) {
      done(new PayloadTooLargeError('the body is larger than 64 MiB'), undefined);
      return;
    }
    const guard = new CsvSizeGuard();
    const chunks: Buffer[] = [];
    let received = 0;
    const stop = () => {
      payload.removeListener('data', onData);
      payload.removeListener('end', onEnd);
      payload.removeListener('error', onError);
    };
    const onData = (chunk: Buffer | string) => {
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      received += bytes.length;
      if (received > limit) {
        stop();
        done(new PayloadTooLargeError('the body is larger than 64 MiB'), undefined);
        return;
      }
      try {
        guard.push(bytes);
      } catch (error) {
        stop();
        if (!(error instanceof CsvSyntaxError)) {
          done(error as Error, undefined);
          return;
        }
        const errors = [{ path: linePath(error.line), message: `${error.message}: the file is not a CSV export` }];
        done(new ValidationError(errors, `line ${error.line}: ${error.message}; nothing was imported`), undefined);
        return;
      }
      chunks.push(bytes);
    };
    const onEnd = () => {
      stop();
      const bytes = Buffer.concat(chunks, received);
      let text: string;
      try {
        text = UTF8.decode(bytes);
      } catch {
        done(new ValidationError([{ path: 'body', message: 'the file is not UTF-8: save or export it as CSV UTF-8' }]), undefined);
        return;
      }
      // The replay check of Idempotency-Key compares bodies by this hash (plugins/batch.ts).
      if (request.headers['idempotency-key'] !== undefined) request.bodyHash = createHash('sha256').update(bytes).digest('hex');
      done(null, text);
    };
    const onError = (error: Error) => {
      stop();
      done(Object.assign(error, { statusCode: 400 }), undefined);
    };
    payload.on('data', onData);
    payload.on('end', onEnd);
    payload.on('error', onError);
    payload.resume();
  });

  app.post(
    '/v1/spend/import',
    {
      config: { role: 'ops', idempotent: true },
      schema: {
        tags: ['spend'],
        summary: 'Import an ad platform’s spend export (CSV)',
        description: [
          'The CSV exactly as downloaded from Google Ads (campaign report), Meta Ads Manager, LinkedIn Campaign Manager, or the generic format; UTF-8 with or without BOM, CRLF or LF.',
          'Same natural key and replace semantics as POST /v1/spend: the same file twice changes nothing, a restated file replaces the amounts. All rows or none: a bad row, an unmatched campaign (with unmatched=reject) or a closed month refuses the whole file, with errors naming each line and column (`line/12/Cost`).',
          'At most 100,000 rows per request; the CLI (`spendbook import`) sends larger files in parts. README "Importing spend" documents each format.',
        ].join(' '),
        operationId: 'importSpend',
        consumes: ['text/csv'],
        querystring: z.strictObject({
          format: z.enum(IMPORT_FORMATS).meta({ description: 'The file’s format' }),
          unmatched: z.enum(UNMATCHED).default('reject').meta({
            description: 'A row whose campaign matches nothing: reject the file (default), skip the row (listed in skippedRows), or create the campaign',
          }),
          dryRun: z.enum(['true', 'false']).default('false').meta({ description: 'true: check and count, write nothing' }),
          firstLine: z.coerce.number().int().min(1).max(1_000_000_000).optional().meta({
            description: 'For a file sent in parts (each with the file’s header lines): the original line number of the first row below the header, so that errors name the file’s lines',
          }),
        }),
        body: z.string().meta({
          description: 'The CSV file',
          example: 'Campaign report\r\n"March 1, 2026 - March 7, 2026"\r\nDay,Campaign,Campaign ID,Currency code,Cost\r\n2026-03-01,"Spring Search - Brand, US",21458796301,USD,"2,099.69"\r\nTotal: Account,--,--,USD,"2,099.69"\r\n',
        }),
        response: { 200: ImportResult, ...problems(409, 413, 415) },
      },
    },
    async (request) => {
      const { format, unmatched, dryRun, firstLine } = request.query;
      return app.spendImport.import(request.body, { format, unmatched, dryRun: dryRun === 'true', firstLine });
    },
  );
};

export default routes;
