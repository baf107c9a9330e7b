/**
 * Forecast snapshots, and the reports that set forecasts against actuals.
 *
 * A snapshot is the forecast report as computed when it was taken, stored
 * whole (rows and totals as printed), so it never moves when spend, plans
 * or rates change later; a trigger refuses any update or delete of it.
 *
 * Forecast versus actual sets a snapshot's rows against the actual spend
 * now: final once the period is over, to date while it runs. `planned` is
 * the current plan (the budget the forecast is read against today; the
 * snapshot keeps the plan as it was). A campaign (or channel) that spent
 * but is not in the snapshot gets a row with forecast 0: the snapshot did
 * not see it coming, and its whole actual is the error.
 *
 * Budget versus forecast versus actual takes a range of months; a month's
 * forecast is its newest single-month snapshot (the one with the latest
 * asOf, then the latest taken), or, for the month under way when it has
 * none, the live forecast by `method`. A month already over without a
 * snapshot, or not yet begun, has no forecast: Spendbook does not make one
 * up after the fact.
 */
import { randomBytes } from 'node:crypto';
import type { Database } from '../../store/database.js';
import type { UnitOfWork } from '../../store/unit-of-work.js';
import { minorUnits } from '../../domain/currency.js';
import { rowKeyOf } from '../../domain/grouping.js';
import {
  computeBudgetForecastActual,
  computeForecastVsActual,
  type BudgetForecastActualFigures,
  type ForecastFigures,
  type ForecastMethod,
  type ForecastVsActualFigures,
} from '../../domain/forecast.js';
import { Decimal } from '../../domain/money.js';
import { elapsed, parseDay, periodOfMonths, type Period } from '../../domain/periods.js';
import { ConflictError, NotFoundError, PeriodClosedError, UnprocessableError, ValidationError } from '../../lib/errors.js';
import type { Actor } from '../api-keys/service.js';
import type { PeriodService } from '../periods/service.js';
import type { ReportCache } from '../reports/report-cache.js';
import type { PeriodCell } from '../reports/period-lines.js';
import { groupColumns, type ForecastReportService, type ForecastRow, type GroupColumns, type PeriodGroupBy } from '../reports/forecast-service.js';
import { forecastSnapshotRepository, type ForecastSnapshotRepository, type SnapshotRecord } from './repository.js';
import { reportRow } from '../reports/report-row.js';

export interface SnapshotRequest {
  name: string;
  period: Period;
  /** A day of the period; default today (UTC). */
  asOf?: string | undefined;
  method: ForecastMethod;
  groupBy: PeriodGroupBy;
}

export interface SnapshotSummary {
  id: string;
  name: string;
  /** The month, when the snapshot is of one month; else null (see from, to). */
  month: string | null;
  from: string;
  to: string;
  asOf: string;
  method: ForecastMethod;
  groupBy: PeriodGroupBy;
  currency: string;
  createdAt: string;
  createdBy: string | null;
  totals: { currency: string } & ForecastFigures;
}

export interface Snapshot extends SnapshotSummary {
  rows: ForecastRow[];
}

export interface ForecastVsActualReport {
  report: 'forecast_vs_actual';
  snapshot: { id: string; name: string; asOf: string; method: ForecastMethod; createdAt: string };
  currency: string;
  groupBy: PeriodGroupBy;
  from: string;
  to: string;
  periodStart: string;
  periodEnd: string;
  /** The last day whose spend the actuals count; null before the period starts. */
  actualThrough: string | null;
  /** The period is over: the actuals are final. */
  final: boolean;
  mape: string | null;
  rows: (GroupColumns & { currency: string } & ForecastVsActualFigures)[];
  totals: { currency: string } & ForecastVsActualFigures;
}

export type ForecastSource = 'snapshot' | 'live' | null;

export interface BudgetForecastActualReport {
  report: 'budget_forecast_actual';
  currency: string;
  from: string;
  to: string;
  asOf: string;
  method: ForecastMethod;
  mape: string | null;
  rows: ({
    month: string;
    currency: string;
    forecastSource: ForecastSource;
    snapshotId: string | null;
    snapshotAsOf: string | null;
    final: boolean;
  } & BudgetForecastActualFigures)[];
  totals: { currency: string } & BudgetForecastActualFigures;
}

const newSnapshotId = () => `fcs_${randomBytes(8).toString('hex')}`;

export class ForecastSnapshotService {
  private readonly repository: ForecastSnapshotRepository;

  constructor(
    database: Database,
    private readonly uow: UnitOfWork,
    private readonly forecasts: ForecastReportService,
    private readonly cache: ReportCache,
    private readonly periods: PeriodService,
    private readonly now = () => new Date(),
  ) {
    this.repository = forecastSnapshotRepository(database);
  }

  /**
   * Saves the forecast of a period as of a day in it. A snapshot of a closed
   * month, or one as of a day after the period (when the actuals are known),
   * would change that month's forecast accuracy for good (the newest asOf
   * is the month's forecast), so both are refused; so is an asOf before the
   * period, a forecast of nothing.
   */
  async create(request: SnapshotRequest, actor: Actor | null): Promise<Snapshot> {
    await this.refuseTakenName(request.name);
    const { period } = request;
    const asOf = request.asOf ?? this.today();
    if (parseDay(asOf) < parseDay(period.start) || parseDay(asOf) > parseDay(period.end)) {
      const given = request.asOf === undefined ? ` (it defaults to today, ${asOf})` : '';
      throw new ValidationError([{ path: 'asOf', message: `must be a day of the snapshot's period, ${period.start} to ${period.end}${given}` }]);
    }
    await this.refuseClosedMonths(period);
    // Computed outside the transaction: a report read inside one would leave the
    // in-memory spend stale (the transaction might roll back) and cost a reload.
    // A write that lands between the report and the insert is a race either
    // could have won: the snapshot is the forecast as read just before it was saved.
    const report = await this.forecasts.report({ ...request, asOf });
    const id = newSnapshotId();
    const createdAt = this.now().toISOString();
    await this.uow.write(async () => {
      await this.refuseClosedMonths(period);
      const inserted = await this.repository.insert({
        id,
        name: request.name,
        fromMonth: period.fromMonth,
        toMonth: period.toMonth,
        asOf,
        method: request.method,
        groupBy: request.groupBy,
        currency: report.currency,
        createdAt,
        createdByKeyId: actor?.keyId ?? null,
        createdBy: actor?.name ?? null,
        report: JSON.stringify({ rows: report.rows, totals: report.totals }),
      });
      // Taken meanwhile (the unique name decides, so two concurrent creates cannot both win): the same 409.
      if (!inserted) await this.refuseTakenName(request.name);
    });
    return this.get(id);
  }

  private async refuseClosedMonths(period: Period): Promise<void> {
    const closedMonths = await this.periods.closed();
    const months = period.months.filter((month) => closedMonths.ofMonth(month) !== null);
    if (months.length > 0) {
      throw new PeriodClosedError(months, [], 0, `a forecast snapshot of ${months.length === 1 ? 'it' : 'them'} would change ${months.length === 1 ? 'its' : 'their'} forecast accuracy for good`);
    }
  }

  private async refuseTakenName(name: string): Promise<void> {
    const existing = await this.repository.idByName(name);
    if (existing !== null) {
      throw new ConflictError('snapshot_name_taken', `a snapshot named ${JSON.stringify(name)} exists (${existing}); snapshots are immutable, so give the new one another name`, { snapshotId: existing });
    }
  }

  async get(id: string): Promise<Snapshot> {
    const row = await this.repository.byId(id);
    if (!row) throw new NotFoundError(`no forecast snapshot ${id}`);
    return toSnapshot(row);
  }

  /** Snapshots newest first (in the order they were taken, the last first), optionally only those whose period covers a month; `seq` is the cursor. */
  async list(filter: { month?: string | undefined; after: number | null; limit: number }): Promise<(SnapshotSummary & { seq: number })[]> {
    const rows = await this.repository.list({ ...filter, limit: filter.limit + 1 });
    return rows.map((row) => {
      const { rows: _rows, ...summary } = toSnapshot(row);
      return { ...summary, seq: row.seq };
    });
  }

  /** Cached while the database is unchanged, per day (see ReportCache). */
  async versusActual(id: string): Promise<ForecastVsActualReport> {
    const today = this.today();
    return await this.cache.get(`forecast-vs-actual ${id} ${today}`, () => this.computeVersusActual(id, today));
  }

  private async computeVersusActual(id: string, today: string): Promise<ForecastVsActualReport> {
    const snapshot = await this.get(id);
    const period = periodOfMonths(snapshot.from, snapshot.to);
    const actuals = await this.forecasts.actuals(period, today);
    this.checkCurrency(snapshot, actuals.currency);
    const { countThrough } = elapsed(period, today);
    const frozen = new Map(snapshot.rows.map((row) => [keyOfRow(row, snapshot.groupBy), row]));
    const result = computeForecastVsActual(
      {
        cells: actuals.cells,
        forecasts: new Map([...frozen].map(([key, row]) => [key, row.forecast])),
        rowKey: rowKeyOf(snapshot.groupBy, (campaignId) => actuals.meta.get(campaignId)?.channel),
      },
      minorUnits(actuals.currency),
    );
    const currency = actuals.currency;
    return {
      report: 'forecast_vs_actual',
      snapshot: { id: snapshot.id, name: snapshot.name, asOf: snapshot.asOf, method: snapshot.method, createdAt: snapshot.createdAt },
      currency,
      groupBy: snapshot.groupBy,
      from: period.fromMonth,
      to: period.toMonth,
      periodStart: period.start,
      periodEnd: period.end,
      actualThrough: countThrough,
      final: today > period.end,
      mape: result.mape,
      rows: result.rows.map((row) => reportRow(columnsOf(row.key!, snapshot.groupBy, actuals.meta, frozen.get(row.key!)), currency, row)),
      totals: { currency, ...result.totals },
    };
  }

  /** Cached while the database is unchanged, per day (see ReportCache). */
  async budgetForecastActual(period: Period, method: ForecastMethod): Promise<BudgetForecastActualReport> {
    const today = this.today();
    return await this.cache.get(`budget-forecast-actual ${period.fromMonth} ${period.toMonth} ${method} ${today}`, () => this.computeBudgetForecastActual(period, method, today));
  }

  private async computeBudgetForecastActual(period: Period, method: ForecastMethod, today: string): Promise<BudgetForecastActualReport> {
    const cells: PeriodCell[] = [];
    // One month after the other, so that the cells stay in month order.
    const months: { month: string; currency: string; final: boolean; forecast: string | null; source: ForecastSource; snapshot: SnapshotRecord | null }[] = [];
    for (const month of period.months) {
      const monthPeriod = periodOfMonths(month, month);
      // Each month read as the burn and forecast reports of that month read it, so its cells print the same.
      const actuals = await this.forecasts.actuals(monthPeriod, today);
      cells.push(...actuals.cells);
      const final = today > monthPeriod.end;
      const snapshotRow = await this.repository.latestOfMonth(month);
      let forecast: string | null = null;
      let source: ForecastSource = null;
      if (snapshotRow) {
        const snapshot = toSnapshot(snapshotRow);
        this.checkCurrency(snapshot, actuals.currency);
        forecast = snapshot.totals.forecast;
        source = 'snapshot';
      } else if (today >= monthPeriod.start && !final) {
        forecast = (await this.forecasts.report({ period: monthPeriod, asOf: today, method, groupBy: 'campaign' })).totals.forecast;
        source = 'live';
      }
      months.push({ month, currency: actuals.currency, final, forecast, source, snapshot: snapshotRow });
    }
    const currency = months[0]?.currency ?? '';
    const result = computeBudgetForecastActual({ cells, months }, minorUnits(currency));
    return {
      report: 'budget_forecast_actual',
      currency,
      from: period.fromMonth,
      to: period.toMonth,
      asOf: today,
      method,
      mape: result.mape,
      rows: result.rows.map(({ key, ...figures }, i) => {
        const m = months[i]!;
        return {
          month: key,
          currency,
          planned: figures.planned,
          forecast: figures.forecast,
          forecastSource: m.source,
          snapshotId: m.snapshot?.id ?? null,
          snapshotAsOf: m.snapshot?.asOf ?? null,
          actual: figures.actual,
          final: m.final,
          error: figures.error,
          errorPct: figures.errorPct,
        };
      }),
      totals: { currency, ...result.totals },
    };
  }

  private today(): string {
    return this.now().toISOString().slice(0, 10);
  }

  private checkCurrency(snapshot: SnapshotSummary, base: string): void {
    if (snapshot.currency !== base) {
      throw new UnprocessableError(
        'snapshot_currency_differs',
        `snapshot ${snapshot.id} is in ${snapshot.currency} but the base currency is now ${base}; its forecast cannot be set against today's actuals`,
      );
    }
  }
}

function toSnapshot(row: SnapshotRecord): Snapshot {
  const frozen = JSON.parse(row.report) as { rows: ForecastRow[]; totals: Snapshot['totals'] };
  return {
    id: row.id,
    name: row.name,
    month: row.fromMonth === row.toMonth ? row.fromMonth : null,
    from: row.fromMonth,
    to: row.toMonth,
    asOf: row.asOf,
    method: row.method as ForecastMethod,
    groupBy: row.groupBy as PeriodGroupBy,
    currency: row.currency,
    createdAt: row.createdAt,
    createdBy: row.createdBy,
    totals: frozen.totals,
    rows: frozen.rows,
  };
}

function keyOfRow(row: ForecastRow, groupBy: PeriodGroupBy): string {
  return groupBy === 'campaign' && 'campaignId' in row ? row.campaignId : row.channel;
}

/** A row's group columns: the campaign as it is now, or as the snapshot named it. */
function columnsOf(key: string, groupBy: PeriodGroupBy, meta: Parameters<typeof groupColumns>[2], frozen: ForecastRow | undefined): GroupColumns {
  if (groupBy === 'campaign' && !meta.has(key) && frozen && 'campaignId' in frozen) {
    return { campaignId: frozen.campaignId, name: frozen.name, channel: frozen.channel };
  }
  return groupColumns(key, groupBy, meta);
}
