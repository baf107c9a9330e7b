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
 */
import { AppError } from './errors.js';

/**
 * The quick scan, for valid JSON: a run of 16 or more digits and dots, or
 * digits and dots then an exponent, where a number can stand, at the start
 * or after `:`, `,` or `[` (and whitespace, and a minus sign). It may match
 * where nothing needs rewriting, inside a string, which costs only the
 * rewrite's time. Looking only after those few characters, rather than at
 * every digit of the body's dates, ids and amounts, halves its cost.
 */
const MAY_NEED_REWRITE = /(?:^|[:,[])\s*-?(?:[\d.]{16}|[\d.]+[eE])/;
/**
 * The whole scan: a digit run of 16 or more (with dots), or a digit followed
 * by an exponent, anywhere. In malformed JSON a literal may stand where no
 * number can, and its rewrite changes the parser's error message (or even
 * makes the body valid, as a key); such a body is judged with this scan, so
 * it gets the same answer, word for word, as if every body were.
 */
const MAY_NEED_REWRITE_ANYWHERE = /\d[\d.]{15}|\d[eE][+-]?\d/;
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

export function parseJsonExact(text: string): unknown {
  if (text.trim() === '') throw new InvalidJsonError('the request body is empty; send a JSON document');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    if (!MAY_NEED_REWRITE_ANYWHERE.test(text)) throw notJson(error);
    const rewritten = parse(rewriteLongLiterals(text));
    if (SURROGATE_ESCAPE.test(text)) refuseLoneSurrogates(rewritten);
    return rewritten;
  }
  // A \uD800-\uDFFF escape may leave half a surrogate pair in a string: text
  // that is not Unicode, which SQLite would store as bytes that are not UTF-8.
  if (SURROGATE_ESCAPE.test(text)) refuseLoneSurrogates(value);
  // A document without a number has no literal to rewrite, whatever its
  // text: a touchpoint batch (all strings) skips the scan, which cost about
  // a microsecond a touch.
  if (!hasNumber(value)) return value;
  return MAY_NEED_REWRITE.test(text) ? parse(rewriteLongLiterals(text)) : value;
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

/** Every number literal that a double cannot carry exactly, or that has an exponent, as a string of its text. */
function rewriteLongLiterals(text: string): string {
  return text.replace(TOKEN, (token, literal: string | undefined) => (literal !== undefined && needsRewrite(literal) ? `"${literal}"` : token));
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
