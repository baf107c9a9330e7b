/**
 * The benchmark's data set, generated from a seed so that every run posts
 * the same rows: C campaigns over several channels, and N spend lines, one
 * per (campaign, day) in date-major order, as an ad-platform export would
 * arrive (a day of every campaign, then the next day).
 *
 * Amounts are generated as integer micros and written on the wire the way
 * clients send them: mostly decimal strings with cents, some with six
 * fractional digits, and one in four as a JSON number. The expected total is
 * summed in bigint from the same micros, never from a float.
 */
import { mulberry32 } from '../fixtures/prng.js';

export interface BenchCampaign {
  id: string;
  name: string;
  channel: string;
  startDate: string;
}

export interface BenchSpendLine {
  campaignId: string;
  date: string;
  /** What the client sends: a decimal string or a JSON number in plain notation. */
  amount: string | number;
  currency: string;
  source: string;
  reference?: string | null;
}

export interface BenchRow {
  /** The wire form, posted to /v1/spend. */
  line: BenchSpendLine;
  /** The exact amount in micros, for the raw inserts and the expected total. */
  micros: bigint;
}

const CHANNEL_SOURCE: ReadonlyArray<readonly [string, string]> = [
  ['paid_search', 'google_ads'],
  ['paid_social', 'meta'],
  ['paid_social', 'linkedin'],
  ['display', 'google_ads'],
  ['video', 'google_ads'],
  ['affiliate', 'invoice'],
];

const FIRST_DAY = Date.UTC(2024, 0, 1);
const MS_PER_DAY = 86_400_000;

export function campaignId(index: number): string {
  return `cmp-${String(index).padStart(5, '0')}`;
}

export function makeCampaigns(count: number): BenchCampaign[] {
  return Array.from({ length: count }, (_, i) => ({
    id: campaignId(i),
    name: `Bench campaign ${i}`,
    channel: CHANNEL_SOURCE[i % CHANNEL_SOURCE.length]![0],
    startDate: '2024-01-01',
  }));
}

/** Micros as the plain decimal literal a client would send ("1234.5", "0.000125", "17"). */
function microsLiteral(micros: number): string {
  const units = Math.floor(micros / 1_000_000);
  const frac = String(micros % 1_000_000).padStart(6, '0').replace(/0+$/, '');
  return frac ? `${units}.${frac}` : String(units);
}

/**
 * Spend lines: row i is campaign i mod C on day floor(i / C), so every
 * natural key (source, campaign, date, reference) is distinct. Supplier
 * invoices carry a reference; platform lines do not.
 */
export function makeSpendRows(rows: number, campaigns: number, seed = 42, firstDay = FIRST_DAY): BenchRow[] {
  const random = mulberry32(seed);
  const out: BenchRow[] = new Array(rows);
  const dates: string[] = [];
  for (let i = 0; i < rows; i++) {
    const c = i % campaigns;
    const day = Math.floor(i / campaigns);
    const date = (dates[day] ??= new Date(firstDay + day * MS_PER_DAY).toISOString().slice(0, 10));
    const source = CHANNEL_SOURCE[c % CHANNEL_SOURCE.length]![1];
    const roll = random();
    // Cents for most lines, six decimals for some (CPM platforms report micros).
    const micros = roll < 0.1 ? Math.floor(random() * 5_000_000_000) : Math.floor(random() * 500_000) * 10_000;
    const literal = microsLiteral(micros);
    // At most 10 integer digits + 6 fractional: 15 significant digits at most, so a JSON number round-trips exactly.
    const amount = roll > 0.75 ? Number(literal) : literal;
    const line: BenchSpendLine = {
      campaignId: campaignId(c),
      date,
      amount,
      currency: c % 5 === 0 ? 'EUR' : 'USD',
      source,
    };
    if (source === 'invoice') line.reference = `INV-${day}-${c}`;
    out[i] = { line, micros: BigInt(micros) };
  }
  return out;
}
