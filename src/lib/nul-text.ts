/**
 * U+0000 in text a client sends. PostgreSQL cannot hold it in a text value
 * at all (a statement given one fails), and on SQLite it would be stored,
 * so the API refuses it on both stores alike, naming the field, before
 * anything is read or written.
 */
import type { FieldError } from './errors.js';

export const NUL_MESSAGE = 'must not contain a NUL character (U+0000)';

/**
 * The field of every string holding U+0000 (a key holding one is named by
 * its own path), at most `limit` of them: `items/3/name`, or `id` for a
 * path or query parameter. Walked without recursion: a hostile body may
 * nest deeply.
 */
export function nulFields(root: unknown, limit = 20): FieldError[] {
  const found: FieldError[] = [];
  const stack: [unknown, string][] = [[root, '']];
  while (stack.length > 0 && found.length < limit) {
    const [value, path] = stack.pop()!;
    if (typeof value === 'string') {
      if (value.includes('\u0000')) found.push({ path, message: NUL_MESSAGE });
      continue;
    }
    if (typeof value !== 'object' || value === null) continue;
    const at = (key: string | number) => (path === '' ? String(key) : `${path}/${key}`);
    if (Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i--) stack.push([value[i], at(i)]);
    } else {
      for (const key of Object.keys(value).reverse()) {
        if (key.includes('\u0000')) found.push({ path: at(key), message: NUL_MESSAGE });
        else stack.push([(value as Record<string, unknown>)[key], at(key)]);
      }
    }
  }
  return found.slice(0, limit);
}
