/**
 * The app's services, built once over the database and decorated on the
 * instance for the routes.
 */
import fp from 'fastify-plugin';
import { Interner } from '../domain/attribution/index.js';
import { CampaignService } from '../features/campaigns/service.js';
import { CommitmentService } from '../features/commitments/service.js';
import { FxRateService } from '../features/fx-rates/service.js';
import { PeriodService } from '../features/periods/service.js';
import { PlanService } from '../features/plans/service.js';
import { BurnReportService } from '../features/reports/burn-service.js';
import { RoiReportService } from '../features/reports/roi-service.js';
import { ForecastReportService } from '../features/reports/forecast-service.js';
import { ForecastSnapshotService } from '../features/forecasts/service.js';
import { SettingsService } from '../features/settings/service.js';
import { SpendService } from '../features/spend/service.js';
import { SpendImportService } from '../features/spend/import/service.js';
import { TouchpointService } from '../features/touchpoints/service.js';
import { TouchIndex } from '../features/touchpoints/touch-index.js';
import { ReportCache } from '../features/reports/report-cache.js';
import { RevenueService } from '../features/revenue/service.js';
import { RevenueIndex } from '../features/revenue/revenue-index.js';
import { SpendIndex } from '../features/spend/spend-index.js';
import { DEFAULT_SNAPSHOT_QUIET_MS, MirrorSnapshots } from '../features/mirrors/snapshots.js';
import { mirrorSnapshotRepository } from '../features/mirrors/repository.js';
import { touchpointRepository } from '../features/touchpoints/repository.js';
import { revenueRepository } from '../features/revenue/repository.js';
import { spendRepository } from '../features/spend/repository.js';

declare module 'fastify' {
  interface FastifyInstance {
    settings: SettingsService;
    campaigns: CampaignService;
    plans: PlanService;
    commitments: CommitmentService;
    fxRates: FxRateService;
    spend: SpendService;
    spendImport: SpendImportService;
    touchpoints: TouchpointService;
    revenue: RevenueService;
    /** Month close: which months are closed, and the guard every write path calls. */
    periods: PeriodService;
    burnReports: BurnReportService;
    forecastReports: ForecastReportService;
    /** Saved forecasts, and the reports that set them against actuals. */
    forecastSnapshots: ForecastSnapshotService;
    roiReports: RoiReportService;
    /** Every touchpoint in memory, for the attribution reports. */
    touchIndex: TouchIndex;
    /** Every revenue event in memory, for the ROI and attribution reports. */
    revenueIndex: RevenueIndex;
    /** Spend per day, campaign and currency in memory, for the ROI and attribution reports. */
    spendIndex: SpendIndex;
    /** Finished reports, until the database changes. */
    reportCache: ReportCache;
    /** The clock: reports default `asOf` to its UTC day. */
    now: () => Date;
    /** Whether a proxy should send this instance requests (GET /readyz, beside the database answering). */
    readiness: Readiness;
    /** The report tables' snapshots: restored at start, saved when writes pause. */
    mirrorSnapshots: MirrorSnapshots;
  }
}

export interface Readiness {
  /** The tables the reports read are in memory (set once they first loaded). */
  mirrorsLoaded: boolean;
  /** The instance is shutting down: the requests in flight finish, new ones belong elsewhere. */
  closing: boolean;
}

export interface ServicesOptions {
  now: () => Date;
  /** Quiet time before the report tables' snapshot is saved; 0: no snapshots (see MirrorSnapshots). */
  snapshotQuietMs?: number;
}

export default fp<ServicesOptions>(
  async (app, { now, snapshotQuietMs = DEFAULT_SNAPSHOT_QUIET_MS }) => {
    const settings = new SettingsService(app.database, app.uow);
    const campaigns = new CampaignService(app.database, app.uow, now);
    const periods = new PeriodService(app.database, app.uow, now);
    const fxRates = new FxRateService(app.database, app.uow, settings, periods, now);
    app.decorate('now', now);
    app.decorate('settings', settings);
    app.decorate('campaigns', campaigns);
    app.decorate('periods', periods);
    app.decorate('plans', new PlanService(app.database, app.uow, campaigns, periods, fxRates, now));
    app.decorate('commitments', new CommitmentService(app.database, app.uow, campaigns, periods, fxRates, now));
    app.decorate('fxRates', fxRates);
    // One interner for customer ids: a conversion's customer is then already an index into the touch table.
    const customers = new Interner();
    const touchIndex = new TouchIndex(app.database, app.uow, customers);
    const revenueIndex = new RevenueIndex(app.database, app.uow, customers);
    const spendIndex = new SpendIndex(app.database, app.uow);
    const reportCache = new ReportCache(app.uow, 64);
    app.decorate('touchIndex', touchIndex);
    app.decorate('revenueIndex', revenueIndex);
    app.decorate('spendIndex', spendIndex);
    app.decorate('reportCache', reportCache);
    const spend = new SpendService(app.database, app.uow, campaigns, periods, spendIndex, fxRates);
    app.decorate('spend', spend);
    app.decorate('spendImport', new SpendImportService(campaigns, spend));
    app.decorate('touchpoints', new TouchpointService(app.database, app.uow, campaigns, periods, touchIndex));
    app.decorate('revenue', new RevenueService(app.database, app.uow, periods, fxRates, revenueIndex));
    app.decorate('burnReports', new BurnReportService(app.database, settings, fxRates, spendIndex, reportCache));
    const forecastReports = new ForecastReportService(app.database, settings, fxRates, spendIndex, reportCache);
    app.decorate('forecastReports', forecastReports);
    app.decorate('forecastSnapshots', new ForecastSnapshotService(app.database, app.uow, forecastReports, reportCache, periods, now));
    app.decorate('roiReports', new RoiReportService(app.database, settings, fxRates, { touches: touchIndex, revenue: revenueIndex, spend: spendIndex }, reportCache));
    const mirrors = { touchpoints: touchIndex, revenue: revenueIndex, spend: spendIndex };
    app.addHook('onClose', async () => Object.values(mirrors).forEach((mirror) => mirror.close()));
    const readiness: Readiness = { mirrorsLoaded: false, closing: false };
    app.decorate('readiness', readiness);
    app.addHook('preClose', async () => {
      readiness.closing = true;
    });

    // --- Report table snapshots (src/features/mirrors/snapshots.ts) -------------------------------
    // The stored snapshot is restored before the load below reads any row (its onReady hook runs
    // first; the mirrors' readers wait for it), and a new one is saved once writes pause. The save at
    // close runs before the database closes (onClose hooks run last-registered first).
    const snapshots = new MirrorSnapshots({
      repository: snapshotQuietMs > 0 ? mirrorSnapshotRepository(app.database) : null,
      versions: app.uow,
      tables: {
        touchpoints: { mirror: touchIndex, fingerprint: touchpointRepository(app.database).fingerprint },
        revenue: { mirror: revenueIndex, fingerprint: revenueRepository(app.database).fingerprint },
        spend: { mirror: spendIndex, fingerprint: spendRepository(app.database).fingerprint },
      },
      shared: { customers: { toParts: () => customers.toParts(), restore: (parts) => customers.restore(parts) } },
      quietMs: snapshotQuietMs,
      loaded: () => readiness.mirrorsLoaded,
      log: app.log,
    });
    app.decorate('mirrorSnapshots', snapshots);
    app.addHook('onReady', async () => void snapshots.start());
    app.addHook('onClose', async () => snapshots.close());
    // --- end of report table snapshots ------------------------------------------------------------
    await settings.ensure();
    // Load the tables the reports read once at start, so that the first report does not pay for it.
    const warm = async () => {
      for (const [table, mirror] of Object.entries(mirrors)) {
        await mirror.current();
        // A log timing, in whole milliseconds (not money).
        if (mirror.lastLoadMs > 1_000) app.log.info({ table, ms: Math.round(mirror.lastLoadMs) }, 'table loaded into memory for the reports');
      }
      readiness.mirrorsLoaded = true;
    };
    // Load the tables the reports read once at start, so that the first report does not pay for it.
    // The load runs after the app is ready, in the background, on both stores: a long history must
    // not hold the start (Fastify's plugin timeout; on SQLite twice data set L takes tens of seconds
    // to read back), /healthz answers meanwhile (the SQLite read gives the event loop a turn between
    // ranges of rows), and /readyz says 503 until it is done. A report asked for meanwhile shares the
    // load. A load that fails (the database went away) is tried again.
    app.addHook('onReady', async () => {
      const attempt = (): void => {
        warm().catch((error: unknown) => {
          if (readiness.closing) return;
          app.log.warn({ err: error }, 'loading the report tables failed; trying again in 5 s');
          setTimeout(attempt, 5_000).unref();
        });
      };
      attempt();
    });
  },
  { name: 'spendbook-services', dependencies: ['spendbook-db', 'spendbook-audit'] },
);
