// RFC 8785 canonical JSON for the ledger's hot path: the bytes the canonicalize package gives (its
// tests hold it to that), in about half the time (no cycle set, a native well-formedness check).
//
// Every request's record goes through this before the reply is sent, so its cost is on the path.

/** String.prototype.isWellFormed (Node 20+), not yet in the ES2023 lib typings. */
const wellFormed = (s: string): boolean => (s as unknown as { isWellFormed(): boolean }).isWellFormed();

/**
 * The canonical JSON of `value`: object keys sorted by UTF-16 code units, numbers and strings as
 * JSON.stringify writes them, undefined members left out. Throws (as canonicalize does) on a lone
 * surrogate, a non-finite number or a BigInt; undefined for a value JSON has no text for.
 */
export function canonicalJson(value: unknown): string | undefined {
  switch (typeof value) {
    case 'string':
      if (!wellFormed(value)) throw new Error('Lone surrogate is not allowed');
      return JSON.stringify(value);
    case 'number':
      if (!Number.isFinite(value)) throw new Error(Number.isNaN(value) ? 'NaN is not allowed' : 'Infinity is not allowed');
      return JSON.stringify(value);
    case 'object':
      break;
    default:
      return JSON.stringify(value);
  }
  if (value === null) return 'null';
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return canonicalJson((value as { toJSON(): unknown }).toJSON());
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) {
      if (i > 0) out += ',';
      // As canonicalize: undefined or a symbol is null; a hole, or what has no JSON text (a function), is nothing.
      if (!(i in value)) continue;
      const item: unknown = value[i];
      out += item === undefined || typeof item === 'symbol' ? 'null' : (canonicalJson(item) ?? '');
    }
    return `${out}]`;
  }
  const record = value as Record<string, unknown>;
  let out = '{';
  let first = true;
  for (const key of Object.keys(record).sort()) {
    const item = record[key];
    if (item === undefined || typeof item === 'symbol') continue;
    if (!first) out += ',';
    first = false;
    out += `${canonicalJson(key)}:${String(canonicalJson(item))}`;
  }
  return `${out}}`;
}
