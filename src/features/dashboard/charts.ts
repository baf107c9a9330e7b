/**
 * The dashboard's charts: echarts rendered on the server to SVG strings,
 * inlined in the page, so they show with JavaScript off and need no asset.
 *
 * echarts' SVG carries a <style> element (hover effects) and style
 * attributes (fonts). The page's Content-Security-Policy allows no inline
 * style, so both are rewritten: the hover rules go (nothing hovers without
 * script), and each style declaration becomes the SVG presentation
 * attribute of the same name, which CSP does not govern. Ids are renamed
 * per chart, since several charts share one document, and each chart gets a
 * <title> and <desc> for screen readers; a table beside it holds the
 * figures themselves.
 *
 * Chart geometry takes numbers: amounts are turned into doubles here for
 * drawing only, never for a figure anyone reads.
 */
import * as echarts from 'echarts';

/** Okabe and Ito's palette, told apart by readers with any common colour-vision deficiency. */
export const OKABE_ITO = ['#0072B2', '#E69F00', '#009E73', '#CC79A7', '#56B4E9', '#D55E00', '#F0E442', '#000000'];

export interface ChartSpec {
  /** Unique on the page: prefixes the SVG's ids. */
  id: string;
  title: string;
  description: string;
  option: echarts.EChartsCoreOption;
  width?: number;
  height?: number;
}

const PRESENTATION = new Set(['font-size', 'font-family', 'font-weight', 'font-style', 'fill', 'fill-opacity', 'stroke', 'stroke-width', 'opacity']);

function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[ch]!);
}

/** echarts' SVG made fit for a page whose CSP has no inline style: see the module comment. */
export function sanitizeSvg(svg: string, id: string, title: string, description: string): string {
  let out = svg
    .replace(/<style[^>]*>[\s\S]*?<\/style>/g, '')
    .replace(/ style="([^"]*)"/g, (_all, css: string) =>
      css
        .split(';')
        .map((decl) => decl.split(':').map((part) => part.trim()) as [string, string | undefined])
        .filter(([name, value]) => value !== undefined && PRESENTATION.has(name))
        .map(([name, value]) => ` ${name}="${escapeXml(value!)}"`)
        .join(''),
    )
    .replace(/ ecmeta_[a-z_]+="[^"]*"/g, '')
    .replace(/\bzr\d+-/g, `${id}-`);
  // Scales with its box: the viewBox stays, the fixed size goes.
  out = out.replace(/^<svg width="\d+" height="\d+"/, '<svg');
  out = out.replace(
    /^<svg([^>]*)>/,
    `<svg$1 role="img" aria-labelledby="${id}-title ${id}-desc" class="chart"><title id="${id}-title">${escapeXml(title)}</title><desc id="${id}-desc">${escapeXml(description)}</desc>`,
  );
  return out;
}

export function renderChart(spec: ChartSpec): string {
  const chart = echarts.init(null, null, { renderer: 'svg', ssr: true, width: spec.width ?? 640, height: spec.height ?? 320 });
  try {
    chart.setOption({
      animation: false,
      color: OKABE_ITO,
      textStyle: { fontFamily: 'sans-serif', color: '#222222' },
      ...spec.option,
    });
    return sanitizeSvg(chart.renderToSVGString(), spec.id, spec.title, spec.description);
  } finally {
    chart.dispose();
  }
}

/** A decimal string as a double, for drawing only (see the module comment); null stays a gap. */
export function plot(value: string | null): number | null {
  return value === null ? null : Number(value);
}

const axisLabel = { color: '#222222' };

/** Bars (and, optionally, line series) over categories. */
export function barChart(spec: {
  id: string;
  title: string;
  description: string;
  categories: string[];
  series: { name: string; values: (string | null)[]; kind?: 'bar' | 'line' }[];
  horizontal?: boolean;
  height?: number;
}): string {
  const categoryAxis = { type: 'category', data: spec.categories, axisLabel: { ...axisLabel, interval: 0, hideOverlap: true } };
  const valueAxis = { type: 'value', axisLabel };
  return renderChart({
    id: spec.id,
    title: spec.title,
    description: spec.description,
    height: spec.height ?? 320,
    option: {
      legend: { top: 0, textStyle: { color: '#222222' } },
      grid: { left: spec.horizontal ? 110 : 70, right: 20, top: 40, bottom: 40 },
      xAxis: spec.horizontal ? valueAxis : categoryAxis,
      yAxis: spec.horizontal ? { ...categoryAxis, inverse: true } : valueAxis,
      series: spec.series.map((s, i) => ({
        type: s.kind ?? 'bar',
        name: s.name,
        data: s.values.map(plot),
        // A line gets a distinct marker shape per series: not colour alone.
        ...(s.kind === 'line' ? { symbol: ['diamond', 'triangle', 'rect', 'circle'][i % 4], symbolSize: 9, lineStyle: { width: 2, type: i % 2 ? 'dashed' : 'solid' } } : {}),
        // Bars get a pattern of their own too: every other one outlined.
        ...(s.kind !== 'line' && i % 2 === 1 ? { itemStyle: { borderColor: '#000000', borderWidth: 1 } } : {}),
      })),
    },
  });
}
