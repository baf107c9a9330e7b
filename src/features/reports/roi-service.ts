/**
 * The ROI and attribution reports: read the range's spend, conversions,
 * refunds and touches from their in-memory mirrors (TableMirror), convert
 * every amount to the base currency at its own date, run the attribution engine once per
 * model, month by month, and hand the exact (campaign, month) cells to the
 * pure calculator in domain/roi, which rounds them once and groups them
 * (domain/grouping).
 *
 * Refunds dated in the range are split as the conversion they refund (which
 * may lie before the range): they carry that conversion's customer and
 * instant into the engine, and their own amount, converted at their own date.
 *
 * A conversion's cell is the month of its own date (a refund: its own
 * month). By month, a row is what was spent and recorded in that month:
 * every model moves revenue between campaigns, never between months, so the
 * models agree there and the engine is not needed; the month's cells are
 * rounded against the month's total, so the month prints the same either way.
 */
import {
  attributeByGroup,
  type AttributionModel,
  CONVERSION_UNITS,
  type ConversionTable,
  DAY_MS,
  lookbackMs,
  type TimeRange,
  type TouchTable,
} from '../../domain/attribution/index.js';
import { minorUnits } from '../../domain/currency.js';
import { MissingRates, rateFinder } from '../../domain/fx.js';
import { dayOfInstant, firstDayOfMonth, formatDay, lastDayOfMonth, monthsBetween, parseDay } from '../../domain/periods.js';
import { compareRowKeys, rowKeyOf, type Cell, type RowKey } from '../../domain/grouping.js';
import { computeRoi, type ModelFigures, modelFigures, type RoiCell, type RoiFigures } from '../../domain/roi.js';
import type { Database } from '../../store/database.js';
import type { FxRateService } from '../fx-rates/service.js';
import type { SettingsService } from '../settings/service.js';
import type { RevenueIndex } from '../revenue/revenue-index.js';
import type { SpendIndex } from '../spend/spend-index.js';
import type { TouchIndex } from '../touchpoints/touch-index.js';
import { throwIfMissingRates } from './burn-service.js';
import type { ReportCache } from './report-cache.js';
import { reportRepository, type ReportRepository } from './repository.js';
import { reportRow } from './report-row.js';

export type RoiGroupBy = 'campaign' | 'channel' | 'month';

export const UNATTRIBUTED_NAME = '(unattributed)';

export interface RoiRequest {
  from: string;
  to: string;
  groupBy: RoiGroupBy;
  lookbackDays: number;
  halfLifeDays: number;
}

/** The columns that name a row's group. */
export type RoiGroup =
  | { campaignId: string | null; name: string; channel: string | null }
  | { channel: string | null }
  | { month: string };

interface ReportHead {
  currency: string;
  groupBy: RoiGroupBy;
  from: string;
  to: string;
  lookbackDays: number;
  halfLifeDays: number;
}

export type RoiReport = ReportHead & {
  report: 'roi';
  model: AttributionModel;
  rows: (RoiGroup & { currency: string } & RoiFigures)[];
  totals: { currency: string } & RoiFigures;
};

type Models = Partial<Record<AttributionModel, ModelFigures>>;

export type AttributionReport = ReportHead & {
  report: 'attribution';
  models: AttributionModel[];
  rows: (RoiGroup & { currency: string; spend: string; models: Models })[];
  totals: { currency: string; spend: string; models: Models };
};

/** Everything a report reads, in the base currency, indexed for the engine. */
interface Loaded {
  base: string;
  range: TimeRange;
  campaigns: Map<string, { name: string; channel: string }>;
  /** Spend per (campaign, month) cell, in campaign then month order. */
  spendCells: { campaignId: string; month: string; spend: bigint }[];
  /** Campaign id of each engine campaign index. */
  campaignIds: string[];
  /** Null when grouping by month, which runs no model. */
  touches: TouchTable | null;
  conversions: ConversionTable;
  /** The month each conversion row counts in (a refund: its own). */
  rowMonths: string[];
}

/** One model's revenue and conversions per (campaign, month) cell; campaign null is the unattributed cell. */
type Attributed = (Cell & { revenue: bigint; conversions: bigint })[];


/** The tables the reports read, held in memory. */
export interface ReportMirrors {
  touches: TouchIndex;
  revenue: RevenueIndex;
  spend: SpendIndex;
}

export class RoiReportService {
  private readonly repository: ReportRepository;

  constructor(
    database: Database,
    private readonly settings: SettingsService,
    private readonly fx: FxRateService,
    private readonly mirrors: ReportMirrors,
    private readonly cache: ReportCache,
  ) {
    this.repository = reportRepository(database);
  }

  /** The report, computed or (while the database is unchanged) cached. */
  async roi(request: RoiRequest & { model: AttributionModel }): Promise<RoiReport> {
    return this.cache.get(`roi ${JSON.stringify(request)}`, () => this.computeRoi(request));
  }

  /** The report with the models side by side, computed or (while the database is unchanged) cached. */
  async attribution(request: RoiRequest & { models: AttributionModel[] }): Promise<AttributionReport> {
    return this.cache.get(`attribution ${JSON.stringify(request)}`, () => this.computeAttribution(request));
  }

  private async computeRoi(request: RoiRequest & { model: AttributionModel }): Promise<RoiReport> {
    const loaded = await this.loaded(request);
    const attributed = this.attribute(loaded, request, request.model);
    const rowKey = this.rowKey(loaded, request.groupBy);
    const result = computeRoi(this.cells(loaded, attributed), minorUnits(loaded.base), rowKey, request.groupBy === 'month' ? [] : [null]);
    const currency = loaded.base;
    return {
      report: 'roi',
      ...this.head(loaded, request),
      model: request.model,
      rows: result.rows.map((row) => reportRow(this.group(loaded, request.groupBy, row.key), currency, row)),
      totals: { currency, ...result.totals },
    };
  }

  private async computeAttribution(request: RoiRequest & { models: AttributionModel[] }): Promise<AttributionReport> {
    const loaded = await this.loaded(request);
    const perModel = request.models.map((model) => this.cells(loaded, this.attribute(loaded, request, model)));
    const rowKey = this.rowKey(loaded, request.groupBy);
    // Every model gets a row for every model's keys, so the rows line up.
    const keys = new Set<RowKey>(request.groupBy === 'month' ? [] : [null]);
    for (const cells of perModel) for (const cell of cells) keys.add(rowKey(cell));
    const results = perModel.map((cells) => computeRoi(cells, minorUnits(loaded.base), rowKey, keys));
    const rowKeys = results[0]?.rows.map((row) => row.key) ?? [];
    const currency = loaded.base;
    const modelsOf = (figuresOf: (index: number) => RoiFigures): Models =>
      Object.fromEntries(request.models.map((model, m) => [model, modelFigures(figuresOf(m))]));
    return {
      report: 'attribution',
      ...this.head(loaded, request),
      models: request.models,
      rows: rowKeys.map((key, i) => ({
        ...this.group(loaded, request.groupBy, key),
        currency,
        // Spend does not depend on the model: every model's calculator allocates it the same way.
        spend: results[0]!.rows[i]!.spend,
        models: modelsOf((m) => results[m]!.rows[i]!),
      })),
      totals: { currency, spend: results[0]!.totals.spend, models: modelsOf((m) => results[m]!.totals) },
    };
  }

  private head(loaded: Loaded, request: RoiRequest): ReportHead {
    const { groupBy, from, to, lookbackDays, halfLifeDays } = request;
    return { currency: loaded.base, groupBy, from, to, lookbackDays, halfLifeDays };
  }

  /**
   * The range's data, shared by every model: asking for the same range under
   * another model (the usual way to compare them) runs only the engine. One
   * range is kept (a year of data set L is some 100 MB), under the same
   * database-version check as the finished reports.
   */
  private loaded(request: RoiRequest): Promise<Loaded> {
    const { from, to, lookbackDays } = request;
    // By month no touch is read, so a month-grouped load cannot serve the others.
    const key = `${from} ${to} ${lookbackDays} ${request.groupBy === 'month'}`;
    return this.cache.latest(key, () => this.load(request));
  }

  private async load(request: RoiRequest): Promise<Loaded> {
    const base = (await this.settings.get()).baseCurrency;
    const range: TimeRange = { start: parseDay(request.from) * DAY_MS, end: (parseDay(request.to) + 1) * DAY_MS };
    const fx = await this.fx.table(request.to);
    const missing = new MissingRates();
    // Every read that awaits comes first: the mirrors' stores and the campaigns. On PostgreSQL a write may
    // land between two of them (the cache files the report under the version read before, see ReportCache).
    const spend = await this.mirrors.spend.current();
    const revenue = await this.mirrors.revenue.current();
    const store = await this.mirrors.touches.current();
    const campaignRows = await this.repository.campaigns();

    const rateOf = rateFinder(fx, missing);
    // Month by month: each campaign's spend in the month (within the range).
    const spendCells: Loaded['spendCells'] = [];
    const firstDay = parseDay(request.from);
    const lastDay = parseDay(request.to);
    for (const month of monthsBetween(request.from.slice(0, 7), request.to.slice(0, 7))) {
      const sums = spend.sumPerCampaign(Math.max(firstDay, parseDay(firstDayOfMonth(month))), Math.min(lastDay, parseDay(lastDayOfMonth(month))), rateOf);
      for (const [campaignId, attos] of sums) spendCells.push({ campaignId, month, spend: attos });
    }
    spendCells.sort((a, b) => compareRowKeys(a.campaignId, b.campaignId) || compareRowKeys(a.month, b.month));

    // Conversions, then refunds, straight into the engine's columns: customer index, the instant the engine
    // attributes at, the amount in base attos, whether a refund; and the month its amount counts in (its own
    // day's). Counted first, so that the columns are made once at their size: a year of twice data set L is a
    // million rows, and growing plain arrays row by row left some 50 MB of garbage per load, which the next
    // load's allocations met before the collector did (the service's peak memory).
    let rows = 0;
    revenue.forEachInRange(range, () => rows++);
    const conversions = {
      customer: new Int32Array(rows),
      convertedAt: new Float64Array(rows),
      amount: new Array<bigint>(rows),
      isRefund: new Uint8Array(rows),
    };
    const rowMonths = new Array<string>(rows);
    const monthOfDay = new Map<number, string>();
    let row = 0;
    let earliest = range.start;
    let latest = range.end - 1;
    revenue.forEachInRange(range, (convertedAt, at, micros, currency, refund, customer) => {
      const day = dayOfInstant(at);
      let month = monthOfDay.get(day);
      if (month === undefined) monthOfDay.set(day, (month = formatDay(day).slice(0, 7)));
      conversions.customer[row] = customer;
      conversions.convertedAt[row] = convertedAt;
      conversions.amount[row] = micros * (rateOf(currency, day) ?? 0n);
      conversions.isRefund[row] = refund ? 1 : 0;
      rowMonths[row] = month;
      // Every touch that can be eligible for one of these rows (T - lookback < t <= T), and every touch in the range (data_driven's non-converting paths).
      if (convertedAt < earliest) earliest = convertedAt;
      if (convertedAt > latest) latest = convertedAt;
      row++;
    });
    throwIfMissingRates(missing);

    // The engine's customer indices are the touch store's, which the revenue events share (a converter with no touch is a customer without touches).
    if (store.customers !== revenue.customers) throw new Error('the touch and revenue mirrors must share one customer interner');
    // Engine indices in campaign id order, not the order campaigns were first touched: data_driven gives tied
    // remainders to the lower index, and the same data must give the same numbers however it was loaded.
    const storeCampaigns = Array.from({ length: store.campaigns.size }, (_, i) => store.campaigns.nameOf(i));
    const campaignIds = [...storeCampaigns].sort();
    const position = new Map(campaignIds.map((id, i) => [id, i]));
    const campaignMap = Int32Array.from(storeCampaigns, (id) => position.get(id)!);
    const campaigns = new Map<string, { name: string; channel: string }>();
    for (const c of campaignRows) campaigns.set(c.id, { name: c.name, channel: c.channel });

    // By month no model is run (see the header), so no touch is read.
    const touches =
      request.groupBy === 'month'
        ? null
        : store.table({ start: earliest - lookbackMs(request.lookbackDays), end: latest + 1 }, 0, campaignMap);
    return { base, range, campaigns, spendCells, campaignIds, touches, conversions, rowMonths };
  }

  /** One model's revenue and conversions per (campaign, month) cell; by month, per month (no model is run). */
  private attribute(loaded: Loaded, request: RoiRequest, model: AttributionModel): Attributed {
    const { conversions, rowMonths } = loaded;
    if (request.groupBy === 'month') {
      const perMonth = new Map<string, Attributed[number]>();
      rowMonths.forEach((month, i) => {
        let cell = perMonth.get(month);
        if (cell === undefined) perMonth.set(month, (cell = { campaignId: null, month, revenue: 0n, conversions: 0n }));
        cell.revenue += conversions.amount[i]!;
        if (!conversions.isRefund[i]) cell.conversions += CONVERSION_UNITS;
      });
      return [...perMonth.values()];
    }
    const { lookbackDays, halfLifeDays } = request;
    const results = attributeByGroup(
      loaded.touches!,
      conversions,
      rowMonths,
      model === 'data_driven' ? { model, range: loaded.range, lookbackDays } : { model, lookbackDays, halfLifeDays },
    );
    const out: Attributed = [];
    for (const [month, result] of results) {
      loaded.campaignIds.forEach((campaignId, c) => {
        const revenue = result.revenue[c] ?? 0n;
        const units = result.conversions[c] ?? 0n;
        if (revenue !== 0n || units !== 0n) out.push({ campaignId, month, revenue, conversions: units });
      });
      out.push({ campaignId: null, month, revenue: result.unattributedRevenue, conversions: result.unattributedConversions });
    }
    return out;
  }

  /** The grouping rule (domain/grouping), with the campaigns' channels. */
  private rowKey(loaded: Loaded, groupBy: RoiGroupBy): (cell: Cell) => RowKey {
    return rowKeyOf(groupBy, (campaignId) => loaded.campaigns.get(campaignId)?.channel);
  }

  /** Spend and one model's attribution as (campaign, month) cells, in campaign then month order (the unattributed last). */
  private cells(loaded: Loaded, attributed: Attributed): RoiCell[] {
    const byCell = new Map<string, RoiCell>();
    const cellOf = (campaignId: string | null, month: string) => {
      const id = `${campaignId ?? ''}\u0000${month}`;
      let cell = byCell.get(id);
      if (cell === undefined) byCell.set(id, (cell = { campaignId, month, spend: 0n, revenue: 0n, conversions: 0n }));
      return cell;
    };
    for (const s of loaded.spendCells) cellOf(s.campaignId, s.month).spend += s.spend;
    for (const a of attributed) {
      const cell = cellOf(a.campaignId, a.month!);
      cell.revenue += a.revenue;
      cell.conversions += a.conversions;
    }
    return [...byCell.values()].sort((a, b) => compareRowKeys(a.campaignId, b.campaignId) || compareRowKeys(a.month, b.month));
  }

  private group(loaded: Loaded, groupBy: RoiGroupBy, key: string | null): RoiGroup {
    if (groupBy === 'month') return { month: key! };
    if (groupBy === 'channel') return { channel: key };
    if (key === null) return { campaignId: null, name: UNATTRIBUTED_NAME, channel: null };
    const campaign = loaded.campaigns.get(key);
    return { campaignId: key, name: campaign?.name ?? key, channel: campaign?.channel ?? 'other' };
  }
}
