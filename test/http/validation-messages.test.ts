/**
 * Validation messages are in the user's words (issue 14, item 15): every
 * kind of error zod raises on this API, sent through a real route, says what
 * is wrong with the field, never zod's own wording ("Invalid input: expected
 * string, received undefined", "received NaN", "Too small: expected number
 * to be >=1").
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InjectOptions } from 'fastify';
import { z } from 'zod';
import { userMessage } from '../../src/lib/zod-messages.js';
import { campaignItem, makeApp, problemOf, type TestApp } from '../helper.js';

/** zod's words, or words about zod's machinery, that no client should read. */
const JARGON = /Invalid input|Invalid option|Invalid string|Invalid number|Too small|Too big|Unrecognized key|received|expected|NaN|undefined|instance of|\bint\b|<=|>=|\|/;

let t: TestApp;
beforeAll(async () => {
  t = await makeApp();
});
afterAll(() => t.close());

const longText = 'x'.repeat(257);

/** [what zod raises, request, the field named, the message it must get]. */
const CASES: [string, InjectOptions, string, string][] = [
  ['invalid_type: a missing field', { method: 'POST', url: '/v1/api-keys', payload: { role: 'viewer' } }, 'name', 'is required'],
  ['invalid_type: a missing enum field', { method: 'POST', url: '/v1/api-keys', payload: { name: 'n' } }, 'role', 'is required: one of admin, finance, ops, viewer'],
  ['invalid_type: a number for a string', { method: 'POST', url: '/v1/api-keys', payload: { name: 5, role: 'viewer' } }, 'name', 'must be a string'],
  ['invalid_type: null for a string', { method: 'POST', url: '/v1/api-keys', payload: { name: null, role: 'viewer' } }, 'name', 'must be a string'],
  ['invalid_type: a string for a whole number', { method: 'PUT', url: '/v1/settings', payload: { fiscalYearStartMonth: '4' } }, 'fiscalYearStartMonth', 'must be a whole number from 1 to 12'],
  ['invalid_type: a fraction for a whole number', { method: 'PUT', url: '/v1/settings', payload: { fiscalYearStartMonth: 1.5 } }, 'fiscalYearStartMonth', 'must be a whole number from 1 to 12'],
  ['invalid_type: a string for an array', { method: 'POST', url: '/v1/campaigns', payload: { items: [campaignItem('c1', { tags: 'brand' })] } }, 'items/0/tags', 'must be a JSON array'],
  ['invalid_type: a number for an object', { method: 'POST', url: '/v1/campaigns', payload: { items: [5] } }, 'items/0', 'must be a JSON object with id, name, channel and startDate'],
  ['invalid_type: an array for the body', { method: 'POST', url: '/v1/api-keys', payload: [] as unknown as object }, '', 'must be a JSON object with name and role'],
  ['invalid_type: a null body', { method: 'POST', url: '/v1/api-keys', payload: 'null', headers: { 'content-type': 'application/json' } }, '', 'must be a JSON object with name and role'],
  ['invalid_type: no body', { method: 'POST', url: '/v1/periods/2026-02/close' }, '', 'must be a JSON object with reason'],
  ['invalid_type: NaN from a query string', { method: 'GET', url: '/v1/campaigns?limit=abc' }, 'limit', 'must be a whole number from 1 to 10000'],
  ['too_small: a number', { method: 'GET', url: '/v1/campaigns?limit=0' }, 'limit', 'must be a whole number from 1 to 10000'],
  ['too_big: a number', { method: 'GET', url: '/v1/campaigns?limit=10001' }, 'limit', 'must be a whole number from 1 to 10000'],
  ['too_big: a number in a body', { method: 'PUT', url: '/v1/settings', payload: { fiscalYearStartMonth: 13 } }, 'fiscalYearStartMonth', 'must be a whole number from 1 to 12'],
  ['too_small: an empty string', { method: 'POST', url: '/v1/api-keys', payload: { name: '  ', role: 'viewer' } }, 'name', 'must not be empty'],
  ['too_big: a string', { method: 'POST', url: '/v1/campaigns', payload: { items: [campaignItem('c1', { name: longText })] } }, 'items/0/name', 'must be at most 256 characters'],
  ['too_big: a string in a query', { method: 'GET', url: `/v1/campaigns?tag=${'t'.repeat(65)}` }, 'tag', 'must be at most 64 characters'],
  ['too_big: an array', { method: 'POST', url: '/v1/campaigns', payload: { items: [campaignItem('c1', { tags: Array.from({ length: 51 }, (_, i) => `t${i}`) })] } }, 'items/0/tags', 'must have at most 50 items'],
  ['too_small: an empty string in an array', { method: 'POST', url: '/v1/campaigns', payload: { items: [campaignItem('c1', { tags: [''] })] } }, 'items/0/tags/0', 'must not be empty'],
  ['invalid_value: an enum', { method: 'POST', url: '/v1/api-keys', payload: { name: 'n', role: 'boss' } }, 'role', 'must be one of admin, finance, ops, viewer'],
  ['invalid_value: an enum in a query', { method: 'GET', url: '/v1/periods?status=shut' }, 'status', 'must be one of closed, open'],
  ['unrecognized_keys: in a body', { method: 'POST', url: '/v1/api-keys', payload: { name: 'n', role: 'viewer', scope: 'all' } }, 'scope', 'is not a known field'],
  ['unrecognized_keys: in a query', { method: 'GET', url: '/v1/campaigns?sort=name' }, 'sort', 'is not a known field'],
  ['invalid_union: a boolean amount', { method: 'PUT', url: '/v1/plans', payload: { items: [{ campaignId: 'c1', month: '2026-03', amount: true, currency: 'USD' }] } }, 'items/0/amount', 'must be a string or a number'],
  ['invalid_union: a missing amount', { method: 'PUT', url: '/v1/plans', payload: { items: [{ campaignId: 'c1', month: '2026-03', currency: 'USD' }] } }, 'items/0/amount', 'is required'],
];

describe('validation messages through real routes', () => {
  it.each(CASES)('%s', async (_kind, request, path, message) => {
    const problem = problemOf(await t.call(request), 400, 'validation_failed');
    expect(problem.errors).toContainEqual({ path, message });
    for (const error of problem.errors ?? []) expect(error.message).not.toMatch(JARGON);
    expect(problem.detail).not.toMatch(JARGON);
  });

  // Messages a schema words itself stay its own: the global map only fills in where zod would have spoken.
  it.each([
    ['invalid_format: a regex with its own message', { method: 'PUT', url: '/v1/campaigns/bad%20id', payload: campaignItem('x') }, 'id', 'must be 1 to 128 characters of A-Z a-z 0-9 . _ : -'],
    ['custom: a refine', { method: 'PUT', url: '/v1/plans', payload: { items: [{ campaignId: 'c1', month: '2026-03', amount: '1', currency: 'usd' }] } }, 'items/0/currency', 'must be an ISO 4217 currency code in capitals, such as "USD"'],
    ['too_small: an array with its own message', { method: 'POST', url: '/v1/campaigns', payload: { items: [] } }, 'items', 'a batch needs at least one item'],
  ] as [string, InjectOptions, string, string][])('%s', async (_kind, request, path, message) => {
    const problem = problemOf(await t.call(request), 400, 'validation_failed');
    expect(problem.errors).toContainEqual({ path, message });
    for (const error of problem.errors ?? []) expect(error.message).not.toMatch(JARGON);
  });

  it('a hostile mix of wrong types in one batch gets no zod wording anywhere', async () => {
    const values = [undefined, null, true, 0, -1.5, 'NaN', '', [], {}, [1], { a: 1 }, 'x'.repeat(300)];
    for (const value of values) {
      const item = { ...campaignItem('c1'), name: value, channel: value, tags: value, externalRefs: [{ source: value, id: value }] };
      const problem = problemOf(await t.call({ method: 'POST', url: '/v1/campaigns', payload: { items: [item] } }), 400, 'validation_failed');
      for (const error of problem.errors ?? []) expect(error.message, `${JSON.stringify(value)} at ${error.path}`).not.toMatch(JARGON);
    }
  });
});

describe('userMessage, for the kinds this API does not raise today', () => {
  const messageOf = (schema: z.ZodType, value: unknown) => schema.safeParse(value).error!.issues[0]!.message;
  it('words booleans, multiples, formats, exclusive bounds and custom checks', () => {
    expect(messageOf(z.boolean(), 'yes')).toBe('must be true or false');
    expect(messageOf(z.number().multipleOf(5), 7)).toBe('must be a multiple of 5');
    expect(messageOf(z.iso.datetime(), 'soon')).toBe('must be an ISO 8601 date-time such as 2026-03-01T10:15:00Z');
    expect(messageOf(z.string().startsWith('sb_'), 'x')).toBe('must start with "sb_"');
    expect(messageOf(z.array(z.string()).length(2), ['a'])).toBe('must have exactly 2 items');
    expect(messageOf(z.string().refine(() => false), 'x')).toBe('is not valid');
    expect(messageOf(z.literal('ok'), 'no')).toBe('must be ok');
    expect(messageOf(z.number(), Number.NaN)).toBe('must be a number');
    expect(messageOf(z.number().min(0), -1)).toBe('must be a number of at least 0');
    // Called directly, as zod calls it.
    expect(userMessage({ code: 'unrecognized_keys', keys: ['a', 'b'], input: {} } as never)).toBe('a and b are not known fields');
  });
});
