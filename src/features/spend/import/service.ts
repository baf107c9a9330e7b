/**
 * Spend import from an ad platform's CSV: the file is read (formats.ts),
 * each row's campaign found, and the rows go through SpendService.ingest
 * like a POST /v1/spend batch: the same natural key (source, campaign, day,
 * reference), so the same file twice changes nothing and a restated file
 * replaces the old amounts; the same closed-month guard and audit event;
 * one transaction, all rows or none.
 *
 * A row's campaign, first match wins:
 * 1. the file's campaign id column (generic `campaignId`): that campaign;
 * 2. the platform's campaign id (`Campaign ID`, generic `externalId`): the
 *    campaign whose externalRefs hold {source, id};
 * 3. the campaign name: the campaign whose externalRefs hold {source, id:
 *    name}, else the one campaign with exactly that name (two campaigns
 *    with the name are an error: the row is ambiguous).
 * A row that matches nothing is, by `unmatched`: `reject` (default) an
 * error naming its line, `skip` skipped and listed in the answer, `create`
 * a new campaign made for it in the same transaction (id from the source
 * and the platform id or name, channel from the source, startDate its
 * first day in the file, an externalRef so the next import matches it).
 */
import type { CampaignInput, CampaignService, ExternalRef } from '../../campaigns/service.js';
import { CampaignItem } from '../../campaigns/schemas.js';
import { refKey } from '../../campaigns/service.js';
import type { Channel } from '../../common/schemas.js';
import { minorUnits } from '../../../domain/currency.js';
import { formatAmount } from '../../../domain/money.js';
import { AppError, PayloadTooLargeError, ValidationError, type FieldError } from '../../../lib/errors.js';
import { MAX_BATCH_ITEMS } from '../../../plugins/batch.js';
import type { SpendInput, SpendService } from '../service.js';
import type { BatchAnswer } from '../../common/batch.js';
import { linePath, MAX_ERRORS, parseImport, type ImportFormat, type ImportRow, type ParsedFile, type SkippedRow, type Unmatched } from './formats.js';

export { UNMATCHED, type Unmatched } from './formats.js';

export interface ImportOptions {
  format: ImportFormat;
  unmatched: Unmatched;
  dryRun: boolean;
  /** The original file's line number of the first row below the header (a file sent in parts). */
  firstLine?: number | undefined;
}

export interface ImportResult {
  format: ImportFormat;
  source: string | null;
  dryRun: boolean;
  headerLine: number;
  rows: number;
  imported: number;
  inserted: number;
  updated: number;
  unchanged: number;
  skipped: number;
  skippedRows: SkippedRow[];
  createdCampaigns: { id: string; name: string }[];
  totals: { currency: string; amount: string }[];
  /** Rows no rate converts yet, as a spend batch warns of them (line and column: `line/7/Currency code`); only when there are any. */
  warnings?: FieldError[];
  warningCount?: number;
}

/** The most skipped rows an answer lists (`skipped` counts them all). */
export const MAX_LISTED_SKIPS = 1000;

const CHANNEL_OF_SOURCE: Record<string, Channel> = { google_ads: 'paid_search', meta: 'paid_social', linkedin: 'paid_social' };
const SOURCE_OF_FORMAT: Record<ImportFormat, string | null> = { google_ads: 'google_ads', meta: 'meta', linkedin: 'linkedin', generic: null };
const CLIENT_ID_UNSAFE = /[^A-Za-z0-9._:-]+/g;

export class SpendImportService {
  constructor(
    private readonly campaigns: CampaignService,
    private readonly spend: SpendService,
  ) {}

  async import(text: string, options: ImportOptions): Promise<ImportResult> {
    const file = parseImport(options.format, text, options.firstLine);
    if (file.errors.length > 0) throw new ValidationError(file.errors, importDetail(file.errors));
    if (file.rows.length > MAX_BATCH_ITEMS) {
      throw new PayloadTooLargeError(
        `an import holds at most ${MAX_BATCH_ITEMS.toLocaleString('en-US')} rows; this file has ${file.rows.length.toLocaleString('en-US')}: split it, or use the CLI (spendbook import), which sends it in parts`,
      );
    }
    const skipped = [...file.skipped];
    const { campaignIds, unmatched } = await this.match(file);
    const errors: FieldError[] = [];
    let toCreate: CampaignInput[] = [];
    if (unmatched.length > 0) {
      if (options.unmatched === 'reject') {
        for (const i of unmatched) {
          if (errors.length >= MAX_ERRORS) break;
          errors.push({ path: linePath(file.rows[i]!.line, file.columnOf.campaign), message: `${describe(file.rows[i]!)}; import with unmatched=create to create it, or unmatched=skip to leave the row out` });
        }
        if (unmatched.length > errors.length) errors.push({ path: '', message: `and ${unmatched.length - errors.length} more rows with no campaign` });
      } else if (options.unmatched === 'skip') {
        for (const i of unmatched) skipped.push({ line: file.rows[i]!.line, reason: describe(file.rows[i]!) });
      } else {
        toCreate = await this.newCampaigns(file, unmatched, campaignIds);
      }
    }
    if (errors.length > 0) throw new ValidationError(errors, importDetail(errors));
    const kept: number[] = [];
    for (let i = 0; i < file.rows.length; i++) if (campaignIds[i] !== null) kept.push(i);

    const items: SpendInput[] = kept.map((i) => {
      const row = file.rows[i]!;
      return { campaignId: campaignIds[i]!, date: row.date, amount: row.amount, currency: row.currency, source: row.source, reference: row.reference };
    });
    // Campaigns to create always come with rows (every unmatched row gets one), so they are made in the ingest's transaction.
    let counts: BatchAnswer = { inserted: 0, updated: 0, unchanged: 0 };
    if (items.length > 0) {
      const pathOf = (k: number) => `${linePath(file.rows[kept[k]!]!.line)}/`;
      try {
        counts = await this.spend.ingest(items, pathOf, {
          dryRun: options.dryRun,
          // Two rows with one natural key are refused by the ingest's own check, naming the earlier line.
          itemName: (k) => `line ${file.rows[kept[k]!]!.line}`,
          ...(toCreate.length > 0 ? { prepare: async () => this.campaigns.upsert(toCreate, (k) => `createdCampaigns/${k}/`) } : {}),
        });
      } catch (error) {
        throw renameColumns(error, file);
      }
      if (counts.warnings) renamePaths(counts.warnings, file);
    }
    const { warnings, warningCount, ...tally } = counts;
    return {
      format: options.format,
      source: SOURCE_OF_FORMAT[options.format],
      dryRun: options.dryRun,
      headerLine: file.headerLine,
      rows: file.rows.length + file.skipped.length,
      imported: items.length,
      ...tally,
      skipped: skipped.length,
      skippedRows: skipped.slice(0, MAX_LISTED_SKIPS),
      createdCampaigns: toCreate.map((c) => ({ id: c.id, name: c.name })),
      totals: totalsOf(items),
      ...(warnings ? { warnings, warningCount } : {}),
    };
  }

  /**
   * Each row's campaign id (null when none matches) and the unmatched rows'
   * indexes. A file repeats a few hundred campaigns over many rows, so each
   * distinct (source, campaign id, platform id, name) is resolved once.
   */
  private async match(file: ParsedFile): Promise<{ campaignIds: (string | null)[]; unmatched: number[] }> {
    const rows = file.rows;
    // The distinct campaigns the file names: source -> campaignId / platformId / name -> the rows' answer.
    const distinct = new Map<string, ImportRow>();
    const keyOfRow: string[] = new Array(rows.length);
    const keys = new Map<string, Map<string | null, Map<string | null, Map<string, string>>>>();
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i]!;
      let bySource = keys.get(row.source);
      if (bySource === undefined) keys.set(row.source, (bySource = new Map()));
      let byCampaignId = bySource.get(row.campaignId);
      if (byCampaignId === undefined) bySource.set(row.campaignId, (byCampaignId = new Map()));
      let byPlatformId = byCampaignId.get(row.platformId);
      if (byPlatformId === undefined) byCampaignId.set(row.platformId, (byPlatformId = new Map()));
      let key = byPlatformId.get(row.campaign);
      if (key === undefined) {
        key = String(distinct.size);
        byPlatformId.set(row.campaign, key);
        distinct.set(key, row);
      }
      keyOfRow[i] = key;
    }
    const representatives = [...distinct.values()];
    const byId = await this.campaigns.existingIds(representatives.flatMap((r) => (r.campaignId !== null ? [r.campaignId] : [])));
    const refs: ExternalRef[] = [];
    for (const row of representatives) {
      if (row.campaignId !== null) continue;
      if (row.platformId !== null) refs.push({ source: row.source, id: row.platformId });
      if (row.campaign !== '') refs.push({ source: row.source, id: row.campaign });
    }
    const owners = refs.length > 0 ? await this.campaigns.resolveExternalRefs(refs) : new Map<string, string>();
    const names = new Set<string>();
    for (const row of representatives) if (row.campaignId === null && row.campaign !== '') names.add(row.campaign);
    const byName = names.size > 0 ? await this.campaigns.idsByName(names) : new Map<string, string[]>();

    // key -> campaign id, null (unmatched) or the ids sharing the name (ambiguous).
    const answers = new Map<string, string | null | string[]>();
    for (const [key, row] of distinct) {
      let id: string | undefined;
      if (row.campaignId !== null) {
        id = byId.has(row.campaignId) ? row.campaignId : undefined;
      } else {
        if (row.platformId !== null) id = owners.get(refKey({ source: row.source, id: row.platformId }));
        if (id === undefined && row.campaign !== '') id = owners.get(refKey({ source: row.source, id: row.campaign }));
        if (id === undefined && row.campaign !== '') {
          const named = byName.get(row.campaign) ?? [];
          if (named.length > 1) {
            answers.set(key, named);
            continue;
          }
          id = named[0];
        }
      }
      answers.set(key, id ?? null);
    }

    const campaignIds: (string | null)[] = new Array(rows.length).fill(null);
    const unmatched: number[] = [];
    const ambiguous: FieldError[] = [];
    for (let i = 0; i < rows.length; i++) {
      const answer = answers.get(keyOfRow[i]!)!;
      if (typeof answer === 'string') {
        campaignIds[i] = answer;
      } else if (answer === null) {
        unmatched.push(i);
      } else if (ambiguous.length < MAX_ERRORS) {
        const row = rows[i]!;
        ambiguous.push({
          path: linePath(row.line, file.columnOf.campaign),
          message: `${answer.length} campaigns are named ${JSON.stringify(row.campaign)} (${answer.join(', ')}): give one of them the externalRef {source: ${row.source}, id: ${JSON.stringify(row.platformId ?? row.campaign)}}`,
        });
      }
    }
    if (ambiguous.length > 0) throw new ValidationError(ambiguous, importDetail(ambiguous));
    return { campaignIds, unmatched };
  }

  /**
   * One new campaign per distinct unmatched campaign of the file; fills in
   * the rows' campaign ids. Each is checked with POST /v1/campaigns' own
   * schema: a value no route could store (an id with other characters or
   * over 128 long, a name over 256) refuses the file, naming the line and
   * column, rather than being cut or rewritten into something else.
   */
  private async newCampaigns(file: ParsedFile, unmatched: readonly number[], campaignIds: (string | null)[]): Promise<CampaignInput[]> {
    const rows = file.rows;
    const byKey = new Map<string, NewCampaign>();
    const campaignOfRow = new Map<number, NewCampaign>();
    for (const i of unmatched) {
      const row = rows[i]!;
      const key = row.campaignId !== null ? `id\u0000${row.campaignId}` : `${row.source}\u0000${row.platformId ?? ''}\u0000${row.campaign}`;
      let made = byKey.get(key);
      if (made === undefined) {
        made = { campaign: derivedCampaign(row), row };
        byKey.set(key, made);
      } else if (row.date < made.campaign.startDate) {
        made.campaign.startDate = row.date;
      }
      campaignOfRow.set(i, made);
    }
    const created = [...byKey.values()];
    await uniqueIds(created.map((made) => made.campaign), this.campaigns);

    const errors: FieldError[] = [];
    for (const { campaign, row } of created) {
      if (errors.length >= MAX_ERRORS) break;
      const checked = CampaignItem.safeParse(campaign);
      if (checked.success) continue;
      // A name over 256 characters is also too long as its externalRef: one error per column.
      const named = new Set<string>();
      for (const issue of checked.error.issues) {
        const path = linePath(row.line, columnOfIssue(issue.path, row, file));
        if (named.has(path)) continue;
        named.add(path);
        errors.push({
          path,
          message: `${issueSubject(issue.path, campaign)}: ${issue.message}; a campaign made for this row could not be stored: correct the file, or create the campaign first (POST /v1/campaigns) with an externalRef the row matches`,
        });
      }
    }
    if (errors.length > 0) throw new ValidationError(errors, importDetail(errors));
    for (const [i, made] of campaignOfRow) campaignIds[i] = made.campaign.id;
    return created.map((made) => made.campaign);
  }
}

interface NewCampaign {
  campaign: CampaignInput;
  /** The first row that names it: its errors name this row's line. */
  row: ImportRow;
}

/**
 * The campaign an unmatched row would create. Its id: the file's own
 * campaignId (generic) exactly as given; else the source and the
 * platform's campaign id (`google_ads-21458796301`) exactly as given; else
 * the source and a readable form of the name (`meta-Spring-Sale-EU`: runs
 * of characters an id cannot hold become `-`, cut to SLUG_LENGTH, `campaign`
 * when nothing is left), since a name is free text and the externalRef
 * carrying the full name, not the id, is what later imports match. Ids from
 * the file are never rewritten: an invalid one is refused by the check.
 */
function derivedCampaign(row: ImportRow): CampaignInput {
  const refId = row.platformId ?? (row.campaign !== '' ? row.campaign : null);
  let id: string;
  if (row.campaignId !== null) id = row.campaignId;
  else if (row.platformId !== null) id = `${row.source}-${row.platformId}`;
  else id = `${row.source}-${slugOf(row.campaign)}`;
  return {
    id,
    name: row.campaign || refId || row.campaignId || id,
    channel: CHANNEL_OF_SOURCE[row.source] ?? 'other',
    startDate: row.date,
    externalRefs: row.campaignId === null && refId !== null ? [{ source: row.source, id: refId }] : [],
  };
}

/**
 * Room for a 32-character source, its `-`, and a `-` with a 7-digit
 * suffix within an id's 128 characters.
 */
const SLUG_LENGTH = 80;

function slugOf(name: string): string {
  return name.replace(CLIENT_ID_UNSAFE, '-').replace(/^-+|-+$/g, '').slice(0, SLUG_LENGTH).replace(/-+$/, '') || 'campaign';
}

/**
 * Gives a derived id already taken (by a stored campaign, or another new
 * one) a suffix: -2, -3, ... Each base remembers the last suffix it tried,
 * so k campaigns sharing a base (names with no Latin letter all slug to
 * `campaign`) cost k probes, not k squared. An id the file gave (generic
 * campaignId) is unmatched, so not taken.
 */
async function uniqueIds(created: CampaignInput[], campaigns: CampaignService): Promise<void> {
  const existing = await campaigns.existingIds(created.map((c) => c.id));
  const taken = new Set<string>();
  const nextSuffix = new Map<string, number>();
  const isTaken = async (id: string, base: string) => taken.has(id) || existing.has(id) || (id !== base && (await campaigns.existingIds([id])).size > 0);
  for (const campaign of created) {
    const base = campaign.id;
    let id = base;
    if (await isTaken(id, base)) {
      let n = nextSuffix.get(base) ?? 2;
      while (await isTaken((id = `${base}-${n}`), base)) n++;
      nextSuffix.set(base, n + 1);
    }
    taken.add(id);
    campaign.id = id;
  }
}

/** The file's column an issue of CampaignItem is about. */
function columnOfIssue(path: readonly PropertyKey[], row: ImportRow, file: ParsedFile): string {
  const idColumn = row.campaignId !== null ? file.columnOf.campaignId : row.platformId !== null ? file.columnOf.platformId : file.columnOf.name;
  switch (path[0]) {
    case 'id':
      return idColumn;
    case 'externalRefs':
      return row.platformId !== null ? file.columnOf.platformId : file.columnOf.name;
    case 'startDate':
      return file.columnOf.date;
    default:
      return row.campaign !== '' ? file.columnOf.name : idColumn;
  }
}

function issueSubject(path: readonly PropertyKey[], campaign: CampaignInput): string {
  if (path[0] === 'id') return `the campaign id ${quoteValue(campaign.id)}`;
  if (path[0] === 'externalRefs') return 'the campaign id on the platform (its externalRef)';
  return `the campaign's ${String(path[0])}`;
}

function quoteValue(text: string): string {
  return JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}…` : text);
}

function describe(row: ImportRow): string {
  if (row.campaignId !== null) return `no campaign ${row.campaignId}`;
  const id = row.platformId !== null ? ` (${row.source} campaign id ${row.platformId})` : '';
  return `no campaign matches ${JSON.stringify(row.campaign)}${id} by externalRefs or by name`;
}

/** The ingest's errors name SpendInput's fields; an import's name the file's columns. */
function renameColumns(error: unknown, file: ParsedFile): unknown {
  if (!(error instanceof AppError)) return error;
  for (const list of [error instanceof ValidationError ? error.errors : undefined, error.extra.errors as FieldError[] | undefined]) {
    if (Array.isArray(list)) renamePaths(list, file);
  }
  return error;
}

/** `line/12/amount` -> `line/12/Cost`, in place. */
function renamePaths(list: FieldError[], file: ParsedFile): void {
  const columns: Record<string, string> = {
    date: file.columnOf.date,
    campaignId: file.columnOf.campaign,
    externalRef: file.columnOf.campaign,
    reference: file.columnOf.reference,
    amount: file.columnOf.amount,
    currency: file.columnOf.currency,
  };
  for (const item of list) {
    const match = /^(line\/\d+\/)(\w+)$/.exec(item.path);
    if (match && columns[match[2]!] !== undefined) item.path = `${match[1]}${columns[match[2]!]}`;
  }
}

function importDetail(errors: readonly FieldError[]): string {
  const first = errors[0]!;
  const where = first.path.replace(/^line\/(\d+)\/?/, 'line $1 ').trim();
  const rest = errors.length > 1 ? ` (and ${errors.length - 1} more; see errors)` : '';
  return `${where ? `${where}: ` : ''}${first.message}${rest}; nothing was imported`;
}

/** The imported amounts per currency, printed to the currency's minor unit (exact: no spend has more). */
function totalsOf(items: readonly SpendInput[]): { currency: string; amount: string }[] {
  const sums = new Map<string, bigint>();
  for (const item of items) sums.set(item.currency, (sums.get(item.currency) ?? 0n) + item.amount);
  return [...sums.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([currency, micros]) => ({ currency, amount: formatAmount(micros, Math.max(minorUnits(currency), decimalsOf(micros))) }));
}

/** The decimals a micros amount needs to be printed exactly. */
function decimalsOf(micros: bigint): number {
  let m = micros < 0n ? -micros : micros;
  let zeros = 0;
  while (zeros < 6 && m % 10n === 0n) (m /= 10n, zeros++);
  return 6 - zeros;
}
