// Tool arguments as the approval shows them: pretty JSON lines, long strings folded. The output is
// data for text nodes, never markup.

/** Strings longer than this are folded to their first FOLD_KEEP characters until "show all". */
export const FOLD_AT = 160;
export const FOLD_KEEP = 120;

export type JsonToken =
  | { kind: 'punct'; text: string }
  | { kind: 'key'; text: string }
  | { kind: 'string'; text: string; /** Set when the value is folded: its full JSON text. */ full?: string; path: string; link?: boolean }
  | { kind: 'number' | 'boolean' | 'null'; text: string };

export interface JsonLine {
  indent: number;
  tokens: JsonToken[];
}

const looksLikeLocation = (s: string): boolean => /^(https?:\/\/|file:\/\/|\/|~\/|[A-Za-z]:\\)/.test(s);

/**
 * Lines of pretty-printed JSON. A string over FOLD_AT characters is cut (its `full` text kept) unless
 * its path is in `expanded`. Paths and URLs are marked so they can be highlighted.
 */
export function jsonLines(value: unknown, expanded: ReadonlySet<string> = new Set()): JsonLine[] {
  const lines: JsonLine[] = [];
  const str = (s: string, path: string): JsonToken => {
    const full = JSON.stringify(s);
    const link = looksLikeLocation(s);
    if (s.length > FOLD_AT && !expanded.has(path)) return { kind: 'string', text: `${JSON.stringify(s.slice(0, FOLD_KEEP)).slice(0, -1)}… (${s.length} characters)"`, full, path, link };
    return { kind: 'string', text: full, path, link };
  };
  const scalar = (v: unknown, path: string): JsonToken => {
    if (typeof v === 'string') return str(v, path);
    if (typeof v === 'number') return { kind: 'number', text: String(v) };
    if (typeof v === 'boolean') return { kind: 'boolean', text: String(v) };
    if (v === null || v === undefined) return { kind: 'null', text: 'null' };
    return { kind: 'string', text: JSON.stringify(String(v)), path };
  };
  const walk = (v: unknown, indent: number, prefix: JsonToken[], path: string, comma: boolean): void => {
    const end: JsonToken[] = comma ? [{ kind: 'punct', text: ',' }] : [];
    const isArr = Array.isArray(v);
    if (v !== null && typeof v === 'object') {
      const entries: [string, unknown][] = isArr ? (v as unknown[]).map((x, i) => [String(i), x]) : Object.entries(v as Record<string, unknown>);
      const [open, close] = isArr ? ['[', ']'] : ['{', '}'];
      if (entries.length === 0) {
        lines.push({ indent, tokens: [...prefix, { kind: 'punct', text: open + close }, ...end] });
        return;
      }
      lines.push({ indent, tokens: [...prefix, { kind: 'punct', text: open }] });
      entries.forEach(([k, x], i) => {
        const p: JsonToken[] = isArr ? [] : [{ kind: 'key', text: JSON.stringify(k) }, { kind: 'punct', text: ': ' }];
        walk(x, indent + 1, p, isArr ? `${path}[${k}]` : `${path}.${k}`, i < entries.length - 1);
      });
      lines.push({ indent, tokens: [{ kind: 'punct', text: close }, ...end] });
      return;
    }
    lines.push({ indent, tokens: [...prefix, scalar(v, path), ...end] });
  };
  walk(value, 0, [], '$', false);
  return lines;
}

/** Top-level arguments with a plain value: what an "always allow" pattern can name. */
export function patternCandidates(args: unknown): { name: string; value: string }[] {
  if (!args || typeof args !== 'object' || Array.isArray(args)) return [];
  return Object.entries(args as Record<string, unknown>)
    .filter(([, v]) => typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean')
    .map(([name, v]) => ({ name, value: String(v) }));
}
