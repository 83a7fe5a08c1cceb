import { Problem } from './problem.ts';

// NUL, or half of a surrogate pair (matched as UTF-16 code units, hence no `u` flag).
const UNSTORABLE_TEXT = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Arrays and plain dictionaries (the query parser's have a prototype without one), not class instances. */
function isWalkable(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object') return false;
  const prototype: unknown = Object.getPrototypeOf(value);
  return Array.isArray(value) || prototype === null || Object.getPrototypeOf(prototype) === null;
}

/**
 * PostgreSQL text cannot hold NUL, its JSON cannot hold half a surrogate pair, and no column holds
 * an infinite number (which a query parameter like `1e400` becomes: Ajv's type coercion lets it
 * past minimum and maximum). Any of them reaching a query fails deep in a use case as a server
 * error; refusing them once, after validation, spares every use case from thinking about it.
 * Walks without recursion (bodies may nest deeply) and only through plain data (multipart parts
 * hold streams, and link back to their form).
 */
export function refuseUnstorableInput(input: unknown, root: string): void {
  const seen = new Set<object>();
  const pending: [unknown, string][] = [[input, root]];
  for (let next = pending.pop(); next; next = pending.pop()) {
    const [value, pointer] = next;
    if (typeof value === 'string' && UNSTORABLE_TEXT.test(value)) {
      throw Problem.invalidField(pointer, 'contains a character that cannot be stored (NUL or half of a surrogate pair)');
    }
    if (typeof value === 'number' && !Number.isFinite(value)) throw Problem.invalidField(pointer, 'must be a finite number');
    if (!isWalkable(value) || seen.has(value)) continue;
    seen.add(value);
    for (const [key, item] of Object.entries(value)) {
      if (UNSTORABLE_TEXT.test(key)) throw Problem.invalidField(pointer, 'has a field name with a character that cannot be stored');
      pending.push([item, `${pointer}/${key}`]);
    }
  }
}
