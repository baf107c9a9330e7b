/**
 * Report period parameters as a client may write them: any syntactically
 * valid value (a 4-digit year 0000 to 9999, months 00 to 13, days 01 to 31),
 * for every report and for the body of POST /v1/forecasts. Shared by the
 * in-process property test (test/http/report-periods.test.ts) and the one
 * against a real server (test/reliability/periods.test.ts).
 */
import fc from 'fast-check';

const pad = (n: number, width: number) => String(n).padStart(width, '0');

/** Years: mostly in range, but every edge and the far ones too (9999 used to hang the process). */
const year = fc.oneof(
  { weight: 3, arbitrary: fc.integer({ min: 1900, max: 2999 }) },
  { weight: 2, arbitrary: fc.constantFrom(0, 1, 999, 1899, 1900, 2025, 2026, 2027, 2998, 2999, 3000, 9998, 9999) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 9999 }) },
);
const monthNumber = fc.integer({ min: 0, max: 13 });
const dayNumber = fc.integer({ min: 1, max: 31 });

export const monthText = fc.tuple(year, monthNumber).map(([y, m]) => `${pad(y, 4)}-${pad(m, 2)}`);
export const dateText = fc.tuple(year, monthNumber, dayNumber).map(([y, m, d]) => `${pad(y, 4)}-${pad(m, 2)}-${pad(d, 2)}`);
const monthOrDate = fc.oneof(monthText, dateText);

/** A from..to pair, often close together (so that some are within a report's range), often not. */
const nearPair = <T extends string>(first: fc.Arbitrary<T>) =>
  fc.tuple(first, fc.integer({ min: -1, max: 3 })).map(([from, years]) => {
    const y = Number(from.slice(0, 4)) + years;
    const to = y < 0 || y > 9999 ? from : `${pad(y, 4)}${from.slice(4)}`;
    return { from, to };
  });

export type Params = Record<string, string>;

/** `month`, or `from` and `to`, or (rarely) a mix of both, which must be refused. */
function periodOf(value: fc.Arbitrary<string>): fc.Arbitrary<Params> {
  return fc.oneof(
    value.map((month) => ({ month })),
    nearPair(value),
    fc.record({ from: value, to: value }),
    fc.record({ month: monthText, from: value }, { requiredKeys: ['month'] }),
  );
}

const withAsOf = (period: fc.Arbitrary<Params>) =>
  fc.tuple(period, fc.option(dateText, { nil: undefined })).map(([p, asOf]) => (asOf === undefined ? p : { ...p, asOf }));

export interface PeriodRequest {
  method: 'GET' | 'POST';
  path: string;
  params: Params;
}

/** One request of any report (or a forecast snapshot) with generated period parameters. */
export const periodRequest: fc.Arbitrary<PeriodRequest> = fc.oneof(
  withAsOf(periodOf(monthText)).map((params) => ({ method: 'GET' as const, path: '/v1/reports/burn', params })),
  withAsOf(periodOf(monthText)).map((params) => ({ method: 'GET' as const, path: '/v1/reports/forecast', params })),
  periodOf(monthText).map((params) => ({ method: 'GET' as const, path: '/v1/reports/budget-forecast-actual', params })),
  periodOf(monthOrDate).map((params) => ({ method: 'GET' as const, path: '/v1/reports/roi', params })),
  periodOf(monthOrDate).map((params) => ({ method: 'GET' as const, path: '/v1/reports/attribution', params })),
  withAsOf(periodOf(monthText)).map((params) => ({ method: 'POST' as const, path: '/v1/forecasts', params })),
);

/** The URL of a GET, or the path of a POST. */
export function urlOf(request: PeriodRequest): string {
  return request.method === 'GET' ? `${request.path}?${new URLSearchParams(request.params).toString()}` : request.path;
}

/** The body of a POST /v1/forecasts: the parameters, a fresh name and a method. */
export function bodyOf(request: PeriodRequest, name: string): Record<string, string> {
  return { name, method: 'run_rate', ...request.params };
}

/** The parameters a refusal may name. */
export const PERIOD_FIELDS = ['month', 'from', 'to', 'asOf'];
