/**
 * Validation messages in the user's words, for every zod schema of the
 * process. zod's own messages speak of its internals ("Invalid input:
 * expected string, received undefined", "received NaN", "Too small: expected
 * number to be >=1"); an API client wants to read what is wrong with the
 * field: "is required", "must be a whole number from 1 to 10000", "must be
 * one of a, b, c".
 *
 * One error map, installed once with `z.config`: zod asks it for every issue
 * whose schema did not word its own message (a message given to `.min()`,
 * `.regex()`, `.refine()` or a schema's `error` still wins), so no schema
 * needs to repeat this, and a schema added later is covered.
 */
import { z } from 'zod';
import type { $ZodRawIssue } from 'zod/v4/core';

/** Past this a bound is no bound worth naming (zod gives an int ±2^53 - 1 by default). */
const UNBOUNDED = Number.MAX_SAFE_INTEGER;

/** "a, b and c". */
function listed(words: readonly string[], last = 'and'): string {
  return words.length <= 1 ? (words[0] ?? '') : `${words.slice(0, -1).join(', ')} ${last} ${words.at(-1)}`;
}

function printed(value: unknown): string {
  return typeof value === 'string' ? value : value === null ? 'null' : String(value);
}

/** What a number schema accepts: "a whole number from 1 to 10000", "a number of at least 0". */
function numberWanted(schema: unknown): string {
  const number = schema instanceof z.ZodNumber ? schema : null;
  const kind = number?.isInt ? 'a whole number' : 'a number';
  const min = number?.minValue ?? null;
  const max = number?.maxValue ?? null;
  const hasMin = min !== null && Math.abs(min) < UNBOUNDED;
  const hasMax = max !== null && Math.abs(max) < UNBOUNDED;
  if (hasMin && hasMax) return `${kind} from ${min} to ${max}`;
  if (hasMin) return `${kind} of at least ${min}`;
  if (hasMax) return `${kind} of at most ${max}`;
  return kind;
}

/** The fields an object schema requires, in its order. */
function requiredFields(schema: unknown): string[] {
  if (!(schema instanceof z.ZodObject)) return [];
  return Object.entries(schema.shape as Record<string, z.ZodType>)
    .filter(([, field]) => field._zod.optin === undefined)
    .map(([name]) => name);
}

function objectWanted(schema: unknown): string {
  const fields = requiredFields(schema);
  return fields.length > 0 ? `a JSON object with ${listed(fields)}` : 'a JSON object';
}

/** What a schema of the given JSON type accepts, in a few words. */
function wanted(type: string, schema: unknown): string {
  switch (type) {
    case 'string':
      return 'a string';
    case 'number':
    case 'int':
      return numberWanted(schema);
    case 'boolean':
      return 'true or false';
    case 'array':
      return 'a JSON array';
    case 'object':
      return objectWanted(schema);
    case 'null':
      return 'null';
    default:
      return 'a value of another type';
  }
}

/** What one option of a union accepts; null when it cannot be said in a word (the union then says less). */
function optionWanted(option: z.ZodType): string | null {
  const type = option._zod.def.type;
  if (type === 'custom') {
    // A custom schema documented as a JSON type (a long number literal, say) is that type to the client.
    const documented = (z.globalRegistry.get(option) as { type?: unknown } | undefined)?.type;
    return typeof documented === 'string' ? wanted(documented, option) : null;
  }
  if (type === 'literal' || type === 'enum') return null;
  if (type === 'pipe') return optionWanted((option._zod.def as unknown as { in: z.ZodType }).in);
  return ['string', 'number', 'boolean', 'array', 'object', 'null'].includes(type) ? wanted(type, option) : null;
}

function unionMessage(issue: { inst?: unknown }): string {
  const options = issue.inst instanceof z.ZodUnion ? (issue.inst.options as readonly z.ZodType[]) : [];
  const words = options.map(optionWanted);
  if (words.length > 0 && words.every((w) => w !== null)) return `must be ${listed([...new Set(words as string[])], 'or')}`;
  return 'matches none of the forms this field accepts';
}

const FORMATS: Record<string, string> = {
  datetime: 'an ISO 8601 date-time such as 2026-03-01T10:15:00Z',
  date: 'a calendar date YYYY-MM-DD',
  time: 'a time of day HH:MM:SS',
  email: 'an email address',
  url: 'a URL',
  uuid: 'a UUID',
};

function sizeUnit(origin: string | undefined, count: number | bigint): string | null {
  const one = Number(count) === 1;
  if (origin === 'string') return one ? 'character' : 'characters';
  if (origin === 'array' || origin === 'set') return one ? 'item' : 'items';
  return null;
}

/** The message for one issue zod raised (an issue whose schema worded none). */
export function userMessage(raw: $ZodRawIssue): string {
  const issue = raw as $ZodRawIssue & { schema?: unknown; inst?: unknown; input?: unknown };
  const schema = issue.schema ?? issue.inst;
  switch (issue.code) {
    case 'invalid_type': {
      if (issue.input === undefined) return issue.expected === 'object' ? `is required: ${objectWanted(schema)}` : 'is required';
      return `must be ${wanted(issue.expected, schema)}`;
    }
    case 'invalid_value':
      if (issue.input === undefined) return issue.values.length === 1 ? 'is required' : `is required: one of ${issue.values.map(printed).join(', ')}`;
      return issue.values.length === 1 ? `must be ${printed(issue.values[0])}` : `must be one of ${issue.values.map(printed).join(', ')}`;
    case 'too_small':
    case 'too_big': {
      const small = issue.code === 'too_small';
      const bound = small ? (issue as { minimum: number | bigint }).minimum : (issue as { maximum: number | bigint }).maximum;
      const unit = sizeUnit(issue.origin, bound);
      if (unit !== null) {
        if (small && Number(bound) === 1 && issue.origin === 'string') return 'must not be empty';
        const verb = issue.origin === 'string' ? 'be' : 'have';
        const how = issue.exact ? 'exactly' : small ? (issue.inclusive ? 'at least' : 'more than') : issue.inclusive ? 'at most' : 'fewer than';
        return `must ${verb} ${how} ${bound} ${unit}`;
      }
      if (issue.origin === 'number') return `must be ${numberWanted(schema)}`;
      return `must be ${small ? (issue.inclusive ? 'at least' : 'more than') : issue.inclusive ? 'at most' : 'less than'} ${bound}`;
    }
    case 'invalid_format': {
      const format = issue as { format: string; prefix?: string; suffix?: string; includes?: string };
      if (format.format === 'starts_with') return `must start with "${format.prefix}"`;
      if (format.format === 'ends_with') return `must end with "${format.suffix}"`;
      if (format.format === 'includes') return `must contain "${format.includes}"`;
      const named = FORMATS[format.format];
      return named ? `must be ${named}` : 'is not in the form this field accepts';
    }
    case 'not_multiple_of':
      return `must be a multiple of ${issue.divisor}`;
    case 'unrecognized_keys':
      return issue.keys.length === 1 ? `${issue.keys[0]} is not a known field` : `${listed(issue.keys)} are not known fields`;
    case 'invalid_union':
      return issue.input === undefined ? 'is required' : unionMessage(issue);
    case 'invalid_key':
      return 'has a key that is not allowed';
    case 'invalid_element':
      return 'holds a value that is not allowed';
    case 'custom':
      return 'is not valid';
    default:
      return 'is not valid';
  }
}

z.config({ customError: userMessage });
