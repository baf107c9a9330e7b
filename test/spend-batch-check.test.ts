/**
 * SpendService's check of a batch before it writes: unknown campaigns and
 * external refs, a campaignId that contradicts its externalRef, and lines
 * that repeat an earlier line's natural key (source, campaign, date,
 * reference). The service finds repeats by date, then campaign, then source
 * and reference, and asks the database once per distinct campaign; this
 * checks, on generated batches crowded with repeats, that it reports
 * exactly the errors, in the same order and words, as the plain definition
 * below: one string key per line, every campaign looked up.
 */
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CampaignService, refKey, type ExternalRef } from '../src/features/campaigns/service.js';
import { itemPath } from '../src/features/common/batch.js';
import { SpendService, type SpendInput } from '../src/features/spend/service.js';
import { PeriodService } from '../src/features/periods/service.js';
import { openSqlite, type SqliteDatabase } from '../src/store/database.js';
import { ValidationError, type FieldError } from '../src/lib/errors.js';

const CAMPAIGNS = ['a', 'b'];
const REF_OWNERS = new Map([
  [refKey({ source: 'google_ads', id: '111' }), 'a'],
  [refKey({ source: 'meta', id: '222' }), 'b'],
]);

/** The errors the batch must get, worded as the service words them; [] when it is valid. */
function expectedErrors(items: SpendInput[]): FieldError[] {
  const errors: FieldError[] = [];
  const campaignIds = items.map((item, i) => {
    if (!item.externalRef) return item.campaignId!;
    const owner = REF_OWNERS.get(refKey(item.externalRef));
    if (owner === undefined) {
      errors.push({ path: `${itemPath(i)}externalRef`, message: `no campaign has the ${item.externalRef.source} id ${item.externalRef.id}` });
    } else if (item.campaignId !== undefined && item.campaignId !== owner) {
      errors.push({ path: `${itemPath(i)}campaignId`, message: `is ${item.campaignId} but externalRef belongs to campaign ${owner}` });
    }
    return owner ?? '';
  });
  const seen = new Map<string, number>();
  items.forEach((item, i) => {
    const campaignId = campaignIds[i]!;
    if (!item.externalRef && !CAMPAIGNS.includes(campaignId)) {
      errors.push({ path: `${itemPath(i)}campaignId`, message: `no campaign ${campaignId}; create it first` });
    }
    const key = JSON.stringify([item.source, campaignId, item.date, item.reference ?? '']);
    const earlier = seen.get(key);
    if (earlier !== undefined) {
      errors.push({
        path: `${itemPath(i)}reference`,
        message: `repeats item ${earlier}: same source, campaign, date and reference; give the lines distinct references or add them up`,
      });
    }
    seen.set(key, i);
  });
  return errors;
}

// Few values per field, so that batches are full of shared dates, campaigns and keys.
const refs: ExternalRef[] = [
  { source: 'google_ads', id: '111' },
  { source: 'meta', id: '222' },
  { source: 'meta', id: 'nope' },
];
const spendLine: fc.Arbitrary<SpendInput> = fc
  .record({
    by: fc.constantFrom('id', 'id', 'id', 'ref', 'both'),
    campaignId: fc.constantFrom('a', 'b', 'ghost'),
    externalRef: fc.constantFrom(...refs),
    date: fc.constantFrom('2026-03-14', '2026-03-15'),
    amount: fc.bigInt({ min: 0n, max: 10_000_000n }),
    currency: fc.constantFrom('USD', 'EUR'),
    source: fc.constantFrom('google_ads', 'meta', 'invoice'),
    reference: fc.constantFrom(undefined, null, 'INV-1', 'INV-2'),
  })
  .map(({ by, campaignId, externalRef, reference, ...rest }) => {
    const line: SpendInput = { ...rest };
    if (by !== 'ref') line.campaignId = campaignId;
    if (by !== 'id') line.externalRef = externalRef;
    if (reference !== undefined) line.reference = reference;
    return line;
  });

let handle: SqliteDatabase;
let spend: SpendService;
beforeEach(async () => {
  handle = openSqlite(':memory:');
  const uow = handle.uow;
  const campaigns = new CampaignService(handle, uow);
  await campaigns.upsert(
    [
      { id: 'a', name: 'A', channel: 'paid_search', startDate: '2026-01-01', externalRefs: [{ source: 'google_ads', id: '111' }] },
      { id: 'b', name: 'B', channel: 'paid_social', startDate: '2026-01-01', externalRefs: [{ source: 'meta', id: '222' }] },
    ],
    itemPath,
  );
  spend = new SpendService(handle, uow, campaigns, new PeriodService(handle, uow));
});
afterEach(() => handle.close());

/** The service's errors for the batch, [] when it took it. */
async function errorsOf(items: SpendInput[]): Promise<FieldError[]> {
  try {
    await spend.ingest(items, itemPath);
    return [];
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    return error.errors;
  }
}

const rowCount = () => handle.sqlite.prepare('select count(*) from spend').pluck().get() as number;

describe('SpendService checks a batch as the plain definition does', () => {
  it('property: the same errors, in the same order and words; a valid batch is written whole, an invalid one not at all', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(spendLine, { minLength: 1, maxLength: 24 }), async (items) => {
        const before = rowCount();
        const expected = expectedErrors(items);
        expect(await errorsOf(items)).toEqual(expected);
        if (expected.length > 0) expect(rowCount()).toBe(before);
      }),
      { numRuns: 2000 },
    );
  });

  it('names the latest earlier line a line repeats, among several lines of one campaign and day', async () => {
    const line = (extra: Partial<SpendInput>): SpendInput => ({ campaignId: 'a', date: '2026-03-14', amount: 1n, currency: 'USD', source: 'google_ads', ...extra });
    const items = [
      line({ source: 'invoice', reference: 'INV-1' }),
      line({ source: 'invoice', reference: 'INV-2' }),
      line({}),
      line({ source: 'invoice', reference: 'INV-1', amount: 2n }), // repeats 0
      line({ reference: null }), // no reference is a null reference: repeats 2
      line({ source: 'invoice', reference: 'INV-1', amount: 3n }), // repeats 3, the latest
      line({ externalRef: { source: 'google_ads', id: '111' }, campaignId: undefined }), // campaign a by its ref: repeats 4
      line({ date: '2026-03-15' }),
    ];
    const errors = await errorsOf(items);
    expect(errors.map((e) => `${e.path} ${e.message.slice(0, e.message.indexOf(':'))}`)).toEqual([
      'items/3/reference repeats item 0',
      'items/4/reference repeats item 2',
      'items/5/reference repeats item 3',
      'items/6/reference repeats item 4',
    ]);
    expect(errors).toEqual(expectedErrors(items));
  });
});
