/**
 * What a report's download is called and what its printed pages say, from
 * the report's own parameters, in one place: two downloads that differ in
 * any of them (grouping, model or method, period, asOf, lookback) get two
 * file names, and the footer of a printed page names the same things.
 */

/** A report as it answers JSON: the fields that shape it, each optional. */
interface Named {
  report: string;
  groupBy?: string;
  model?: string;
  models?: readonly string[];
  method?: string;
  snapshot?: { id: string };
  from?: string;
  to?: string;
  asOf?: string;
  lookbackDays?: number;
  halfLifeDays?: number;
}

/** One thing the name says: `label` for the footer, `name` as the file name spells it. */
interface NamePart {
  label: string;
  value: string;
  name: string;
}

/** A file name keeps to characters every system and browser takes as they are. */
const safe = (text: string) => text.replace(/[^A-Za-z0-9._+-]/g, '-');

/** The report's parameters that tell two downloads of it apart, in the order the name reads. */
export function nameParts(report: Named): NamePart[] {
  const parts: NamePart[] = [];
  const add = (label: string, value: string | number | undefined, name = (v: string) => v) => {
    if (value !== undefined) parts.push({ label, value: String(value), name: safe(name(String(value))) });
  };
  add('groupBy', report.groupBy);
  add('model', report.model);
  add('models', report.models?.join(','), (v) => v.replace(/,/g, '+'));
  add('method', report.method);
  add('snapshot', report.snapshot?.id);
  if (report.from !== undefined && report.to !== undefined) add('period', report.from === report.to ? report.from : `${report.from} to ${report.to}`, () => (report.from === report.to ? report.from! : `${report.from}_${report.to}`));
  add('asOf', report.asOf, (v) => `asof-${v}`);
  add('lookbackDays', report.lookbackDays, (v) => `lookback-${v}d`);
  add('halfLifeDays', report.halfLifeDays, (v) => `halflife-${v}d`);
  return parts;
}

/** `burn-campaign-2026-03-asof-2026-03-15`: the file name, without .csv or .xlsx. */
export function reportFileName(report: Named): string {
  return [safe(report.report.replace(/_/g, '-')), ...nameParts(report).map((part) => part.name)].join('-');
}

/** `burn: groupBy campaign, period 2026-03, asOf 2026-03-15`: what a printed page's footer says. */
export function reportCaption(report: Named): string {
  return `${report.report}: ${nameParts(report).map((part) => `${part.label} ${part.value}`).join(', ')}`;
}
