/**
 * JSON bodies whose numbers stay exact. `JSON.parse` turns every number into
 * a binary double, which would silently change a money amount such as
 * 123456789012.123456 (18 significant digits) or accept 1.5e3 as 1500. So
 * before parsing, a number literal that a double cannot carry exactly (more
 * than 15 significant digits) or that uses an exponent is turned into a JSON
 * string holding the literal as sent: the money parser then reads its exact
 * digits, or refuses the exponent with a clear message. Any number left as a
 * number has at most 15 significant digits in plain notation, which a double
 * round-trips exactly, so `String(n)` gives back its exact value.
 *
 * The rewrite is only done when the document holds a number and a quick
 * scan finds a literal that may need it, so the common body pays one
 * regex test, and a body without numbers none.
 *
 * A rewritten literal is still a number, not a string: it comes out of the
 * parse as a NumberLiteral, which only the money and rate schemas accept
 * (as its text). A field that wants a string refuses it as it refuses any
 * JSON number: {"name": 1e400} is a 400, not a key named "1e400". The
 * rewrite marks its strings with a per-parse random prefix, so no string
 * the client sent can pass for one.
 */
import { randomUUID } from 'node:crypto';
import { AppError, ValidationError } from './errors.js';
import { nulFields } from './nul-text.js';

/** A JSON number literal a double cannot carry exactly (more than 15 significant digits, or an exponent), as sent. */
export class NumberLiteral {
  constructor(readonly text: string) {}
  /** Printed back (in an error's echo, say) as the number it is. */
  toJSON(): unknown {
    return Number(this.text);
  }
}
// zod names an object's type in its messages by its constructor's name: "expected string, received number", as for any JSON number.
Object.defineProperty(NumberLiteral, 'name', { value: 'number' });

/**
 * The quick scan, for valid JSON: a run of 16 or more digits and dots, or
 * digits and dots then an exponent, where a number can stand, at the start
 * or after `:`, `,` or `[` (and whitespace, and a minus sign). It may match
 * where nothing needs rewriting, inside a string, which costs only the
 * rewrite's time. Looking only after those few characters, rather than at
 * every digit of the body's dates, ids and amounts, halves its cost.
 */
const MAY_NEED_REWRITE = /(?:^|[:,[])\s*-?(?:[\d.]{16}|[\d.]+[eE])/;
/** A JSON string (skipped as a whole) or a number literal outside strings. */
const TOKEN = /"(?:[^"\\]|\\.)*"|(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)/g;
const MAX_EXACT_DIGITS = 15;

function needsRewrite(literal: string): boolean {
  if (/[eE]/.test(literal)) return true;
  const significant = literal.replace(/^-/, '').replace('.', '').replace(/^0+/, '');
  return significant.length > MAX_EXACT_DIGITS;
}

export class InvalidJsonError extends AppError {
  constructor(detail: string) {
    super(400, 'invalid_json', 'Malformed JSON body', detail);
  }
}

/** A body that parses but holds a NUL character in some string: refused while reading the body, naming each field. */
export class NulInBodyError extends ValidationError {}

export function parseJsonExact(text: string): unknown {
  if (text.trim() === '') throw new InvalidJsonError('the request body is empty; send a JSON document');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    // Invalid as sent: the error names the place in the client's own text. (JSON.parse reads every number
    // literal, however long, so the rewrite below never makes an invalid document valid.)
    throw notJson(error);
  }
  // A \uD800-\uDFFF escape may leave half a surrogate pair in a string: text
  // that is not Unicode, which SQLite would store as bytes that are not UTF-8.
  if (SURROGATE_ESCAPE.test(text)) refuseLoneSurrogates(value);
  // Only the escape \u0000 can put a NUL in a string (a raw one is not JSON): the walk runs for those alone.
  if (text.includes('\\u0000')) {
    const fields = nulFields(value);
    if (fields.length > 0) throw new NulInBodyError(fields);
  }
  // A document without a number has no literal to rewrite, whatever its
  // text: a touchpoint batch (all strings) skips the scan, which cost about
  // a microsecond a touch.
  if (!hasNumber(value)) return value;
  return MAY_NEED_REWRITE.test(text) ? parseRewritten(text) : value;
}

/** The document with every literal that needs it rewritten, and back as a NumberLiteral. */
function parseRewritten(text: string): unknown {
  const marker = `\\u0000${randomUUID()}:`;
  const root = parse(rewriteLongLiterals(text, marker));
  return restoreLiterals(root, JSON.parse(`"${marker}"`) as string);
}

/** Replaces each string that starts with `marker` by a NumberLiteral of the rest (walked without recursion). */
function restoreLiterals(root: unknown, marker: string): unknown {
  const literal = (value: unknown) => (typeof value === 'string' && value.startsWith(marker) ? new NumberLiteral(value.slice(marker.length)) : null);
  const top = literal(root);
  if (top) return top;
  const stack: unknown[] = [root];
  while (stack.length > 0) {
    const value = stack.pop();
    if (typeof value !== 'object' || value === null) continue;
    const record = value as Record<string, unknown>;
    for (const key of Object.keys(record)) {
      const replaced = literal(record[key]);
      if (replaced) record[key] = replaced;
      else stack.push(record[key]);
    }
  }
  return root;
}

/** String.prototype.isWellFormed (Node 20; TypeScript's lib here predates it): no unpaired surrogate. */
const isWellFormed = (text: string): boolean => (text as unknown as { isWellFormed(): boolean }).isWellFormed();

const SURROGATE_ESCAPE = /\\u[dD][89a-fA-F]/;

/** Throws if any string (or key) of the document holds a lone surrogate (walked without recursion). */
function refuseLoneSurrogates(root: unknown): void {
  const stack: unknown[] = [root];
  while (stack.length > 0) {
    const value = stack.pop();
    if (typeof value === 'string') {
      if (!isWellFormed(value)) throw new InvalidJsonError('a string holds half of a UTF-16 surrogate pair (a lone \\uD800-\\uDFFF escape); send well-formed Unicode');
      continue;
    }
    if (typeof value !== 'object' || value === null) continue;
    if (Array.isArray(value)) for (const element of value) stack.push(element);
    else for (const key in value) stack.push(key, (value as Record<string, unknown>)[key]);
  }
}

/** Whether a parsed JSON value holds a number anywhere (walked without recursion: a hostile body may nest deeply). */
function hasNumber(root: unknown): boolean {
  const stack: unknown[] = [root];
  while (stack.length > 0) {
    const value = stack.pop();
    if (typeof value === 'number') return true;
    if (typeof value !== 'object' || value === null) continue;
    if (Array.isArray(value)) for (const element of value) stack.push(element);
    else for (const key in value) stack.push((value as Record<string, unknown>)[key]);
  }
  return false;
}

/** Every number literal that a double cannot carry exactly, or that has an exponent, as a string of its text after `marker` (JSON text). */
function rewriteLongLiterals(text: string, marker: string): string {
  return text.replace(TOKEN, (token, literal: string | undefined) => (literal !== undefined && needsRewrite(literal) ? `"${marker}${literal}"` : token));
}

function parse(source: string): unknown {
  try {
    return JSON.parse(source);
  } catch (error) {
    throw notJson(error);
  }
}

function notJson(error: unknown): InvalidJsonError {
  return new InvalidJsonError(`the body is not valid JSON: ${(error as Error).message}`);
}
