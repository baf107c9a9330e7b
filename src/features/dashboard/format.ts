/**
 * Figures as the page prints them, made from the API's decimal strings by
 * moving characters only: no figure passes through a binary float, so each
 * one parses back to the API's value exactly (thousands separators and the
 * currency code aside).
 */

/** `-1234567.50` -> `-1,234,567.50`. */
export function groupThousands(text: string): string {
  const negative = text.startsWith('-');
  const [int, frac] = (negative ? text.slice(1) : text).split('.');
  const grouped = int!.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${negative ? '-' : ''}${grouped}${frac !== undefined ? `.${frac}` : ''}`;
}

/** An amount in the base currency: `USD 1,234.50`; a dash for none. */
export function money(amount: string | null, currency: string): string {
  return amount === null ? '—' : `${currency} ${groupThousands(amount)}`;
}

/** Shifts a decimal string's point two places right, exactly: `0.1234` -> `12.34`, `-1.5` -> `-150`. */
export function timesHundred(text: string): string {
  const negative = text.startsWith('-');
  const [int, frac = ''] = (negative ? text.slice(1) : text).split('.');
  const digits = `${int}${frac.padEnd(2, '0')}`;
  const point = int!.length + 2;
  const whole = digits.slice(0, point).replace(/^0+(?=\d)/, '');
  const rest = digits.slice(point);
  return `${negative ? '-' : ''}${whole}${rest ? `.${rest}` : ''}`;
}

/** A ratio as a percentage: `0.2000` -> `20.00%` (the API's 4 decimals are the percentage's 2); a dash for none. */
export function percent(ratio: string | null): string {
  return ratio === null ? '—' : `${groupThousands(timesHundred(ratio))}%`;
}

/** A multiple such as ROAS: `2.5000` -> `2.50×`; trailing zeros past two decimals dropped, never a digit. */
export function multiple(ratio: string | null): string {
  if (ratio === null) return '—';
  const [int, frac = ''] = ratio.split('.');
  const trimmed = frac.replace(/0+$/, '').padEnd(2, '0');
  return `${groupThousands(int!)}.${trimmed}×`;
}

/** Fractional counts (conversions): grouped, as printed. */
export function count(text: string): string {
  return groupThousands(text);
}

/** `2026-03` -> `March 2026`. */
export function monthName(month: string): string {
  const [year, m] = month.split('-');
  return `${MONTHS[Number(m) - 1]} ${year}`;
}

/** `2026-03-14` -> `14 Mar 2026`. */
export function dayName(date: string | null): string {
  if (date === null) return '—';
  const [year, m, d] = date.split('-');
  return `${Number(d)} ${MONTHS[Number(m) - 1]!.slice(0, 3)} ${year}`;
}

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

/** Words for the identifiers the reports use. */
export const STATUS_WORDS: Record<string, string> = {
  on_track: 'On track',
  overpacing: 'Ahead of plan',
  underpacing: 'Behind plan',
  over_budget: 'Over budget',
  unplanned: 'No plan',
};

export const METHOD_WORDS: Record<string, string> = {
  run_rate: 'Run rate',
  trailing_7d: 'Trailing 7 days',
  linear_trend: 'Linear trend',
};

export const MODEL_WORDS: Record<string, string> = {
  first_touch: 'First touch',
  last_touch: 'Last touch',
  linear: 'Linear',
  time_decay: 'Time decay',
  position_based: 'Position based',
  data_driven: 'Data driven',
};

/** `paid_search` -> `Paid search`; the unattributed row (channel null) by its name. */
export function channelName(channel: string | null): string {
  if (channel === null) return 'Unattributed';
  const words = channel.replace(/_/g, ' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** HTML text and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[ch]!);
}
