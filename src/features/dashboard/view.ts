/**
 * The dashboard's HTML: whole pages rendered on the server, readable with
 * JavaScript off (the page has none) and under a CSP without inline style.
 * Every figure cell carries `data-k`, the report field it prints, so a test
 * (or a curious reader) can set it against the API's answer.
 */
import { ATTRIBUTION_MODELS, type AttributionModel } from '../../domain/attribution/index.js';
import { FORECAST_METHODS } from '../../domain/forecast.js';
import { Decimal } from '../../domain/money.js';
import { barChart } from './charts.js';
import {
  channelName,
  count,
  dayName,
  escapeHtml as h,
  METHOD_WORDS,
  MODEL_WORDS,
  money,
  monthName,
  multiple,
  percent,
  STATUS_WORDS,
} from './format.js';
import { reportLinks, type DashboardData, type CampaignBurnRow } from './service.js';

export const STYLESHEET = '/dashboard/assets/dashboard.css';

/** Charts depend only on their report (a shared, read-only cache entry): drawn once per report object. */
const drawn = new WeakMap<object, Map<string, string>>();
function once(report: object, key: string, draw: () => string): string {
  let charts = drawn.get(report);
  if (!charts) drawn.set(report, (charts = new Map()));
  let svg = charts.get(key);
  if (svg === undefined) charts.set(key, (svg = draw()));
  return svg;
}

function layout(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="same-origin">
<title>${h(title)}</title>
<link rel="stylesheet" href="${STYLESHEET}">
</head>
<body>
${body}
</body>
</html>
`;
}

export function signInPage(options: { error?: string; next: string }): string {
  return layout(
    'Sign in · Spendbook',
    `<main id="main" class="signin">
<h1>Spendbook</h1>
<p>Budget, burn, forecast and ROI of the marketing spend, from the same figures as the API.</p>
<form method="post" action="/dashboard/sign-in" class="card">
${options.error ? `<p class="error" role="alert" id="signin-error">${h(options.error)}</p>` : ''}
<label for="key">API key</label>
<input id="key" name="key" type="password" autocomplete="off" spellcheck="false" required${options.error ? ' aria-describedby="signin-error" aria-invalid="true"' : ''}>
<input type="hidden" name="next" value="${h(options.next)}">
<button type="submit">Sign in</button>
<p class="hint">Any API key will do; a viewer key is enough. The key stays on the server: the browser keeps only a session cookie, which ends after 30 minutes unused, at sign-out, or when the key is revoked.</p>
</form>
</main>`,
  );
}

export function errorPage(title: string, messages: string[]): string {
  return layout(
    `${title} · Spendbook`,
    `<main id="main" class="signin">
<h1>${h(title)}</h1>
<ul class="error">${messages.map((m) => `<li>${h(m)}</li>`).join('')}</ul>
<p><a href="/">Back to this month’s dashboard</a></p>
</main>`,
  );
}

// ---------------------------------------------------------------------------

const cell = (key: string, text: string, extra = '') => `<td data-k="${h(key)}"${extra}>${h(text)}</td>`;

function downloads(label: string, link: (format: 'csv' | 'xlsx') => string): string {
  return `<p class="downloads">Download ${h(label)}: <a href="${h(link('csv'))}" download>CSV<span class="sr"> of ${h(label)}</span></a> <a href="${h(link('xlsx'))}" download>XLSX<span class="sr"> of ${h(label)}</span></a></p>`;
}

function table(caption: string, head: string[], rows: string[], foot?: string): string {
  const id = caption.toLowerCase().replace(/[^a-z0-9]+/g, '-');
  return `<div class="table-wrap" role="region" aria-labelledby="${id}" tabindex="0">
<table>
<caption id="${id}">${h(caption)}</caption>
<thead><tr>${head.map((c, i) => `<th scope="col"${i > 0 ? ' class="num"' : ''}>${h(c)}</th>`).join('')}</tr></thead>
<tbody>
${rows.join('\n')}
</tbody>${foot ? `\n<tfoot>${foot}</tfoot>` : ''}
</table>
</div>`;
}

const SYMBOLS: Record<string, string> = { on_track: '●', overpacing: '▲', underpacing: '▼', over_budget: '■', unplanned: '○' };

function status(key: string, code: string | null): string {
  // null: nothing planned and nothing spent, so nothing to judge (as the API says).
  if (code === null) return `<td data-k="${h(key)}" data-status=""><span class="status">Nothing to judge</span></td>`;
  return `<td data-k="${h(key)}" data-status="${h(code)}"><span class="status status-${h(code)}"><span aria-hidden="true">${SYMBOLS[code] ?? ''}</span> ${h(STATUS_WORDS[code] ?? code)}</span></td>`;
}

function section(id: string, title: string, body: string): string {
  return `<section id="${id}" aria-labelledby="${id}-h" class="panel">
<h2 id="${id}-h">${h(title)}</h2>
${body}
</section>`;
}

function budgetPanel(d: DashboardData, links: ReturnType<typeof reportLinks>): string {
  const r = d.budgetForecastActual;
  const c = d.currency;
  const chart = once(r, 'bfa', () =>
    barChart({
      id: 'chart-bfa',
      title: `Budget, forecast and actual by month, ${monthName(r.from)} to ${monthName(r.to)}`,
      description: `Bars: budget and actual spend per month in ${c}; the line: the forecast of months that have one. The table below gives every figure.`,
      categories: r.rows.map((row) => monthName(row.month).replace(/^(\w{3})\w* /, '$1 ')),
      series: [
        { name: 'Budget', values: r.rows.map((row) => row.planned) },
        { name: 'Actual', values: r.rows.map((row) => row.actual) },
        { name: 'Forecast', values: r.rows.map((row) => row.forecast), kind: 'line' },
      ],
    }),
  );
  const source = (s: string | null) => (s === 'snapshot' ? 'saved' : s === 'live' ? 'live' : '');
  const rows = r.rows.map(
    (row) =>
      `<tr${row.month === d.query.month ? ' class="current"' : ''}><th scope="row">${h(monthName(row.month))}${row.final ? '' : row.forecastSource === 'live' ? ' <span class="tag">to date</span>' : ''}</th>` +
      cell(`bfa.${row.month}.planned`, money(row.planned, c)) +
      cell(`bfa.${row.month}.forecast`, money(row.forecast, c), row.forecastSource ? ` title="${source(row.forecastSource)} forecast"` : '') +
      cell(`bfa.${row.month}.actual`, money(row.actual, c)) +
      cell(`bfa.${row.month}.errorPct`, percent(row.errorPct)) +
      '</tr>',
  );
  const foot =
    `<tr><th scope="row">Fiscal year</th>${cell('bfa.total.planned', money(r.totals.planned, c))}${cell('bfa.total.forecast', money(r.totals.forecast, c))}` +
    `${cell('bfa.total.actual', money(r.totals.actual, c))}${cell('bfa.total.errorPct', percent(r.totals.errorPct))}</tr>`;
  return section(
    'budget',
    `Budget, forecast and actual: fiscal year ${monthName(r.from)} – ${monthName(r.to)}`,
    `<p>The fiscal year starts in ${h(monthName(d.fiscalYear.from).split(' ')[0]!)}. A month’s forecast is its newest saved forecast, or for the month under way the live run-rate forecast; actuals are final for months that are over. Error = (actual − forecast) / forecast.</p>
<figure>${chart}</figure>
${table('Budget, forecast and actual by month', ['Month', 'Budget', 'Forecast', 'Actual', 'Error'], rows, foot)}
${downloads('budget, forecast and actual', links.budgetForecastActual)}`,
  );
}

function burnPanel(d: DashboardData, links: ReturnType<typeof reportLinks>): string {
  const r = d.burnByChannel;
  const c = d.currency;
  const chart = once(r, 'burn', () =>
    barChart({
      id: 'chart-burn',
      title: `Burn by channel, ${monthName(d.query.month)}, as of ${dayName(r.asOf)}`,
      description: `Per channel in ${c}: the month’s plan, the spend expected by ${dayName(r.asOf)} at an even pace, and the actual spend. The table below gives every figure and the pacing status in words.`,
      categories: r.rows.map((row) => channelName(row.channel)),
      series: [
        { name: 'Plan', values: r.rows.map((row) => row.planned) },
        { name: 'Expected to date', values: r.rows.map((row) => row.expectedToDate) },
        { name: 'Actual', values: r.rows.map((row) => row.actual) },
      ],
      horizontal: true,
      height: Math.max(220, 70 + r.rows.length * 48),
    }),
  );
  const figures = (key: string, row: (typeof r.rows)[number] | typeof r.totals) =>
    cell(`${key}.planned`, money(row.planned, c)) +
    cell(`${key}.actual`, money(row.actual, c)) +
    cell(`${key}.expectedToDate`, money(row.expectedToDate, c)) +
    cell(`${key}.pacing`, percent(row.pacing)) +
    status(`${key}.status`, row.status);
  const rows = r.rows.map((row) => `<tr><th scope="row">${h(channelName(row.channel))}</th>${figures(`burn.channel.${row.channel}`, row)}</tr>`);
  const foot = `<tr><th scope="row">All channels</th>${figures('burn.total', r.totals)}</tr>`;
  const paceRow = (kind: string) => (row: CampaignBurnRow) =>
    `<tr><th scope="row">${h(row.name)} <span class="tag">${h(channelName(row.channel))}</span></th>` +
    cell(`pace.${kind}.${row.campaignId}.pacing`, percent(row.pacing)) +
    status(`pace.${kind}.${row.campaignId}.status`, row.status) +
    cell(`pace.${kind}.${row.campaignId}.exhaustionDate`, row.exhaustionDate === null ? 'not at this pace' : dayName(row.exhaustionDate)) +
    '</tr>';
  const paceTable = (caption: string, kind: string, list: CampaignBurnRow[]) =>
    list.length === 0
      ? `<p class="empty">${h(caption)}: none.</p>`
      : table(caption, ['Campaign', 'Pacing', 'Status', 'Budget runs out'], list.map(paceRow(kind)));
  return section(
    'burn',
    `Burn by channel and campaign, ${monthName(d.query.month)}`,
    `<p>As of ${h(dayName(r.asOf))}, day ${r.totals.daysElapsed} of ${r.totals.daysInPeriod}. Pacing = actual / spend expected to date at an even pace; the status says whether that is within the pacing tolerance.</p>
<figure>${chart}</figure>
${table('Burn by channel', ['Channel', 'Plan', 'Actual', 'Expected to date', 'Pacing', 'Status'], rows, foot)}
${downloads('burn by channel', links.burnByChannel)}
<h3>Campaigns most off pace</h3>
${paceTable('Most ahead of plan', 'over', d.overPace)}
${paceTable('Most behind plan', 'under', d.underPace)}
${downloads('burn by campaign', links.burnByCampaign)}`,
  );
}

function forecastPanel(d: DashboardData, links: ReturnType<typeof reportLinks>): string {
  const c = d.currency;
  const first = d.forecasts[0]!;
  const chart = once(first, `forecast ${d.forecasts.map((f) => f.method).join()}`, () =>
    barChart({
      id: 'chart-forecast',
      title: `Forecast of ${monthName(d.query.month)} under each method, beside the plan`,
      description: `The plan and the month-end spend each forecasting method projects from the spend through ${dayName(first.asOf)}, in ${c}. The table below gives the figures.`,
      categories: ['Plan', ...d.forecasts.map((f) => METHOD_WORDS[f.method]!)],
      series: [{ name: 'Month-end spend', values: [first.totals.planned, ...d.forecasts.map((f) => f.totals.forecast)] }],
      height: 260,
    }),
  );
  const rows = d.forecasts.map(
    (f) =>
      `<tr><th scope="row">${h(METHOD_WORDS[f.method]!)}</th>` +
      cell(`forecast.${f.method}.planned`, money(f.totals.planned, c)) +
      cell(`forecast.${f.method}.actualToDate`, money(f.totals.actualToDate, c)) +
      cell(`forecast.${f.method}.forecast`, money(f.totals.forecast, c)) +
      cell(`forecast.${f.method}.varianceVsPlan`, money(f.totals.varianceVsPlan, c)) +
      cell(`forecast.${f.method}.variancePct`, percent(f.totals.variancePct)) +
      '</tr>',
  );
  return section(
    'forecast',
    `Forecast of ${monthName(d.query.month)}, three ways`,
    `<p>Run rate extends the average daily spend so far; trailing 7 days, the last week’s; linear trend, the least-squares line through the month’s cumulative spend.</p>
<figure>${chart}</figure>
${table('Forecast by method', ['Method', 'Plan', 'Spent to date', 'Forecast', 'Versus plan', 'Versus plan, %'], rows)}
<p class="downloads">Download the forecast by channel: ${FORECAST_METHODS.map((m) => {
      const link = links.forecast(m);
      return `${h(METHOD_WORDS[m]!)} <a href="${h(link('csv'))}" download>CSV<span class="sr"> (${h(METHOD_WORDS[m]!)})</span></a> <a href="${h(link('xlsx'))}" download>XLSX<span class="sr"> (${h(METHOD_WORDS[m]!)})</span></a>`;
    }).join(' · ')}</p>`,
  );
}

/** The unattributed share of revenue per model, 4 decimals half-even; null without revenue. */
function shareOf(unattributed: string | undefined, total: string | undefined): string | null {
  if (unattributed === undefined || total === undefined || new Decimal(total).isZero()) return null;
  return new Decimal(unattributed).div(total).toFixed(4);
}

function roiPanel(d: DashboardData, links: ReturnType<typeof reportLinks>): string {
  const c = d.currency;
  const r = d.roi;
  const a = d.attribution;
  const key = (row: { channel?: string | null }) => (row.channel === null || row.channel === undefined ? 'unattributed' : row.channel);
  const attributed = r.rows.filter((row) => 'channel' in row && row.channel !== null);
  const chart = once(r, 'roas', () =>
    barChart({
      id: 'chart-roas',
      title: `ROAS by channel, ${MODEL_WORDS[r.model]} attribution, ${monthName(d.query.month)}`,
      description: `Attributed revenue per unit of spend, per channel, under the ${MODEL_WORDS[r.model]} model. Channels without spend have no ROAS. The table below gives the figures.`,
      categories: attributed.map((row) => channelName('channel' in row ? row.channel : null)),
      series: [{ name: 'ROAS', values: attributed.map((row) => row.roas) }],
      height: 260,
    }),
  );
  const rows = r.rows.map((row) => {
    const k = `roi.${key(row as { channel: string | null })}`;
    return (
      `<tr><th scope="row">${h(channelName('channel' in row ? row.channel : null))}</th>` +
      cell(`${k}.spend`, money(row.spend, c)) +
      cell(`${k}.revenue`, money(row.revenue, c)) +
      cell(`${k}.conversions`, count(row.conversions)) +
      cell(`${k}.roas`, multiple(row.roas)) +
      cell(`${k}.roi`, percent(row.roi)) +
      '</tr>'
    );
  });
  const foot =
    `<tr><th scope="row">All revenue</th>${cell('roi.total.spend', money(r.totals.spend, c))}${cell('roi.total.revenue', money(r.totals.revenue, c))}` +
    `${cell('roi.total.conversions', count(r.totals.conversions))}${cell('roi.total.roas', multiple(r.totals.roas))}${cell('roi.total.roi', percent(r.totals.roi))}</tr>`;

  const models = a.models as AttributionModel[];
  const modelChart = once(a, 'models', () =>
    barChart({
      id: 'chart-models',
      title: `Attributed revenue by channel under each model, ${monthName(d.query.month)}`,
      description: `For each channel, the revenue each attribution model gives it, in ${c}; the unattributed row is revenue no touchpoint explains. The table below gives the figures.`,
      categories: a.rows.map((row) => channelName('channel' in row ? row.channel : null)),
      series: models.map((m) => ({ name: MODEL_WORDS[m]!, values: a.rows.map((row) => row.models[m]?.revenue ?? null) })),
      horizontal: true,
      height: Math.max(260, 90 + a.rows.length * 70),
    }),
  );
  const modelRows = a.rows.map((row) => {
    const k = `attr.${key(row as { channel: string | null })}`;
    return `<tr><th scope="row">${h(channelName('channel' in row ? row.channel : null))}</th>${models.map((m) => cell(`${k}.${m}.revenue`, money(row.models[m]?.revenue ?? null, c))).join('')}</tr>`;
  });
  const unattributedRow = a.rows.find((row) => 'channel' in row && row.channel === null);
  const modelFoot =
    `<tr><th scope="row">All revenue</th>${models.map((m) => cell(`attr.total.${m}.revenue`, money(a.totals.models[m]?.revenue ?? null, c))).join('')}</tr>` +
    `<tr><th scope="row">Unattributed share</th>${models.map((m) => cell(`attr.unattributedShare.${m}`, percent(shareOf(unattributedRow?.models[m]?.revenue ?? '0', a.totals.models[m]?.revenue)))).join('')}</tr>`;

  return section(
    'roi',
    `Return by channel, ${monthName(d.query.month)}`,
    `<p>Spend and revenue dated in ${h(monthName(d.query.month))}, revenue attributed to channels by the <strong>${h(MODEL_WORDS[r.model]!)}</strong> model (90-day lookback). ROAS = revenue / spend; ROI = (revenue − spend) / spend.</p>
<p class="callout">Unattributed revenue: <span data-k="roi.unattributedShare">${h(percent(d.unattributed.share))}</span> of all revenue (<span data-k="roi.unattributed.revenueText">${h(money(d.unattributed.revenue, c))}</span>), revenue no touchpoint in the lookback explains.</p>
<figure>${chart}</figure>
${table(`ROI by channel, ${MODEL_WORDS[r.model]} model`, ['Channel', 'Spend', 'Revenue', 'Conversions', 'ROAS', 'ROI'], rows, foot)}
${downloads(`ROI by channel (${MODEL_WORDS[r.model]})`, links.roi)}
<h3>The models side by side</h3>
<figure>${modelChart}</figure>
${table('Attributed revenue by model', ['Channel', ...models.map((m) => MODEL_WORDS[m]!)], modelRows, modelFoot)}
${downloads('the models side by side', links.attribution)}`,
  );
}

function accuracyPanel(d: DashboardData, links: ReturnType<typeof reportLinks>): string {
  const rows = d.snapshots.map((s) => {
    const link = links.forecastVsActual(s.id);
    return (
      `<tr><th scope="row">${h(s.name)}</th><td>${h(METHOD_WORDS[s.method]!)}</td><td>${h(dayName(s.asOf))}</td>` +
      (s.problem ? `<td data-k="mape.${h(s.id)}">${h(s.problem)}</td>` : cell(`mape.${s.id}`, `${percent(s.mape)}${s.final ? '' : ' (so far)'}`)) +
      `<td><a href="${h(link('csv'))}" download>CSV<span class="sr"> of ${h(s.name)}</span></a> <a href="${h(link('xlsx'))}" download>XLSX<span class="sr"> of ${h(s.name)}</span></a></td></tr>`
    );
  });
  const bfa = d.budgetForecastActual;
  return section(
    'accuracy',
    'Forecast accuracy',
    `<p>MAPE: the mean, over campaigns that spent, of |actual − forecast| / |actual|. Lower is better.</p>
<p class="callout">Fiscal year so far, months that are over: MAPE <span data-k="bfa.mape">${h(percent(bfa.mape))}</span>.</p>
${rows.length === 0 ? `<p class="empty">No forecast of ${h(monthName(d.query.month))} has been saved (POST /v1/forecasts saves one).</p>` : table(`Saved forecasts of ${monthName(d.query.month)}`, ['Forecast', 'Method', 'As of', 'MAPE', 'Download'], rows)}`,
  );
}

export function dashboardPage(d: DashboardData, who: { name: string; role: string }): string {
  const links = reportLinks(d.query, d.fiscalYear);
  const q = d.query;
  const panels = [budgetPanel(d, links), burnPanel(d, links), forecastPanel(d, links), roiPanel(d, links), accuracyPanel(d, links)];
  return layout(
    `Marketing spend, ${monthName(q.month)} · Spendbook`,
    `<a class="skip" href="#main">Skip to the figures</a>
<header class="top">
<p class="brand">Spendbook</p>
<p class="who">Signed in as ${h(who.name)} (${h(who.role)})</p>
<form method="post" action="/dashboard/sign-out"><button type="submit" class="link">Sign out</button></form>
</header>
<main id="main">
<h1>Marketing spend, ${h(monthName(q.month))}</h1>
<p class="lede">Amounts in ${h(d.currency)}. Burn and forecasts as of ${h(dayName(q.asOf))}; budget versus actual as of ${h(dayName(d.budgetForecastActual.asOf))} (today).</p>
<form class="controls" method="get" action="/">
<div><label for="month">Month</label><input id="month" name="month" type="month" value="${h(q.month)}" required></div>
<div><label for="asOf">As of</label><input id="asOf" name="asOf" type="date" value="${h(q.asOf)}" required></div>
<div><label for="model">Attribution model</label><select id="model" name="model">${ATTRIBUTION_MODELS.map((m) => `<option value="${m}"${m === q.model ? ' selected' : ''}>${h(MODEL_WORDS[m]!)}</option>`).join('')}</select></div>
<div><button type="submit">Show</button></div>
</form>
<nav aria-label="Panels"><ul class="toc"><li><a href="#budget">Budget</a></li><li><a href="#burn">Burn</a></li><li><a href="#forecast">Forecast</a></li><li><a href="#roi">ROI</a></li><li><a href="#accuracy">Accuracy</a></li></ul></nav>
${panels.join('\n')}
</main>
<footer><p>Every figure here is the API’s, from the /v1/reports answers the download links fetch. Charts use the Okabe–Ito palette; statuses are spelled out.</p></footer>`,
  );
}
