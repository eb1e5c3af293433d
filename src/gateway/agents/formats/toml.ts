// Edits of a TOML settings file that keep every line they do not own, comments included.
// TOML libraries re-render the whole document and drop comments, so the edit works on lines and
// is then checked by parsing: anything it cannot do cleanly is refused rather than mangled.
import { parse, stringify, TomlError } from 'smol-toml';
import { SetupError } from '../recipe.js';

export type TomlScalar = string | boolean | number;
export type TomlValue = TomlScalar | { [key: string]: TomlScalar };

export interface TomlEdit {
  /** Top-level keys to set. */
  top: Record<string, TomlScalar>;
  /** A table owned by the caller: replaced whole (its sub-tables too). */
  table: { path: string[]; entries: Record<string, TomlValue> };
}

function parseToml(text: string, file: string): Record<string, unknown> {
  try {
    return parse(text) as Record<string, unknown>;
  } catch (err) {
    const where = err instanceof TomlError ? ` (line ${err.line})` : '';
    throw new SetupError('SETUP_UNPARSABLE', `${file} is not valid TOML${where}: fix it or move it aside, then run this again`, { cause: err });
  }
}

const BARE_KEY = /^[A-Za-z0-9_-]+$/;

function tomlKey(key: string): string {
  return BARE_KEY.test(key) ? key : tomlString(key);
}

function tomlString(s: string): string {
  // The library's own escaping: TOML forbids some characters JSON would leave raw (DEL).
  return stringify({ v: s }).replace(/^v = /, '').trimEnd();
}

export function tomlValue(v: TomlValue): string {
  if (typeof v === 'string') return tomlString(v);
  if (typeof v === 'boolean' || typeof v === 'number') return String(v);
  return `{ ${Object.entries(v).map(([k, x]) => `${tomlKey(k)} = ${tomlValue(x)}`).join(', ')} }`;
}

/** `[a."b.c"]` -> ['a', 'b.c']; null for a line that is not a table header. */
function headerPath(line: string): string[] | null {
  const m = /^\s*\[\[?\s*(.+?)\s*\]\]?\s*(?:#.*)?$/.exec(line);
  if (!m) return null;
  const parts: string[] = [];
  const re = /\s*(?:"((?:[^"\\]|\\.)*)"|'([^']*)'|([A-Za-z0-9_-]+))\s*(\.|$)/y;
  let rest = m[1]!;
  while (rest.length > 0) {
    re.lastIndex = 0;
    const p = re.exec(rest);
    if (!p) return null;
    parts.push(p[1] !== undefined ? (JSON.parse(`"${p[1]}"`) as string) : (p[2] ?? p[3]!));
    rest = rest.slice(p[0].length);
  }
  return parts;
}

/**
 * For each line, whether it begins outside any string, array or inline table: only there can a
 * table header or a key start (a `[` on a line inside a multi-line string or array is neither).
 */
function statementStarts(lines: string[]): boolean[] {
  const starts: boolean[] = [];
  let depth = 0;
  let multiline: string | null = null;
  for (const line of lines) {
    starts.push(depth === 0 && multiline === null);
    let i = 0;
    while (i < line.length) {
      if (multiline !== null) {
        const end = line.indexOf(multiline, i);
        if (end < 0) break;
        i = end + 3;
        multiline = null;
        continue;
      }
      const c = line[i];
      if (line.startsWith('"""', i) || line.startsWith("'''", i)) {
        multiline = line.slice(i, i + 3);
        i += 3;
      } else if (c === '#') {
        break;
      } else if (c === '"') {
        i++;
        while (i < line.length && line[i] !== '"') i += line[i] === '\\' ? 2 : 1;
        i++;
      } else if (c === "'") {
        const end = line.indexOf("'", i + 1);
        i = end < 0 ? line.length : end + 1;
      } else {
        if (c === '[' || c === '{') depth++;
        else if (c === ']' || c === '}') depth = Math.max(0, depth - 1);
        i++;
      }
    }
  }
  return starts;
}

function headers(lines: string[]): { index: number; path: string[] }[] {
  const starts = statementStarts(lines);
  return lines.flatMap((line, index) => {
    const path = starts[index] ? headerPath(line) : null;
    return path ? [{ index, path }] : [];
  });
}

const isBlankOrComment = (line: string): boolean => /^\s*(#.*)?$/.test(line);
const startsWith = (path: string[], prefix: string[]): boolean => prefix.every((p, i) => path[i] === p);

function sameValues(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** The document without what the edit owns (parent tables left empty by that removed too). */
function withoutOwned(doc: Record<string, unknown>, edit: TomlEdit): Record<string, unknown> {
  const copy = structuredClone(doc);
  for (const k of Object.keys(edit.top)) delete copy[k];
  const chain: Record<string, unknown>[] = [copy];
  for (const seg of edit.table.path.slice(0, -1)) {
    const next = chain.at(-1)![seg];
    if (next === null || typeof next !== 'object') return copy;
    chain.push(next as Record<string, unknown>);
  }
  delete chain.at(-1)![edit.table.path.at(-1)!];
  for (let i = chain.length - 1; i > 0 && Object.keys(chain[i]!).length === 0; i--) delete chain[i - 1]![edit.table.path[i - 1]!];
  return copy;
}

function tableOf(doc: Record<string, unknown>, path: string[]): unknown {
  let node: unknown = doc;
  for (const seg of path) node = (node as Record<string, unknown> | undefined)?.[seg];
  return node;
}

function unmergeable(file: string, edit: TomlEdit, why: string): SetupError {
  return new SetupError(
    'SETUP_UNMERGEABLE',
    `cannot merge into ${file} without rewriting lines Gatehouse does not own (${why}): edit it by hand with the snippet printed without --write`,
  );
}

/**
 * Sets top-level keys and replaces one table, keeping all other lines as written. Returns
 * `current` unchanged when the document already holds exactly these values.
 */
export function editToml(current: string | null, edit: TomlEdit, file: string): string {
  const text = current ?? '';
  const before = parseToml(text, file);
  const wantedTable = { ...edit.table.entries };
  const done =
    Object.entries(edit.top).every(([k, v]) => sameValues(before[k], v)) && sameValues(tableOf(before, edit.table.path), wantedTable);
  if (done && current !== null) return current;

  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  let lines = text === '' ? [] : text.replace(/\r\n/g, '\n').replace(/\n$/, '').split('\n');

  // 1. The owned table and its sub-tables go; the new table is put where the first of them was.
  const found = headers(lines);
  const tableLines = [`[${edit.table.path.map(tomlKey).join('.')}]`, ...Object.entries(edit.table.entries).map(([k, v]) => `${tomlKey(k)} = ${tomlValue(v)}`)];
  let insertAt: number | null = null;
  const drop = new Set<number>();
  found.forEach((h, i) => {
    if (!startsWith(h.path, edit.table.path)) return;
    let end = found[i + 1]?.index ?? lines.length;
    // Comments and blank lines just above the next header belong to it.
    while (end > h.index + 1 && isBlankOrComment(lines[end - 1]!)) end--;
    for (let j = h.index; j < end; j++) drop.add(j);
    insertAt ??= h.index;
  });
  const kept: string[] = [];
  lines.forEach((line, j) => {
    if (j === insertAt) kept.push(...tableLines);
    if (!drop.has(j)) kept.push(line);
  });
  if (insertAt === null) {
    if (kept.length > 0 && kept.at(-1)!.trim() !== '') kept.push('');
    kept.push(...tableLines);
  }
  lines = kept;

  // 2. Top-level keys: replaced in place, or added after the last top-level statement (else at the top).
  const starts = statementStarts(lines);
  const firstHeader = headers(lines)[0]?.index ?? lines.length;
  const isKeyLine = (j: number, key?: string): boolean =>
    starts[j]! && (key === undefined ? /^\s*[A-Za-z0-9_"'-][^=]*=/ : new RegExp(`^\\s*(?:${key}|"${key}")\\s*=`)).test(lines[j]!);
  const missing: string[] = [];
  for (const [key, value] of Object.entries(edit.top)) {
    const line = `${tomlKey(key)} = ${tomlValue(value)}`;
    let at = -1;
    for (let j = 0; j < firstHeader && at < 0; j++) if (isKeyLine(j, key)) at = j;
    if (at >= 0 && (starts[at + 1] ?? true)) lines[at] = line;
    else if (at >= 0) throw unmergeable(file, edit, `its ${key} spans several lines`);
    else missing.push(line);
  }
  if (missing.length > 0) {
    let last = -1;
    for (let j = 0; j < firstHeader; j++) if (isKeyLine(j)) last = j;
    // After the whole of the last statement (an array may run over several lines).
    let at = 0;
    if (last >= 0) {
      at = last + 1;
      while (at < firstHeader && !starts[at]) at++;
    }
    const spacer = at === 0 && lines.length > 0 && lines[0]!.trim() !== '' ? [''] : [];
    lines.splice(at, 0, ...missing, ...spacer);
  }

  const next = `${lines.join(eol)}${eol}`;
  const result = parseToml(next, file);
  const intact =
    Object.entries(edit.top).every(([k, v]) => sameValues(result[k], v)) &&
    sameValues(tableOf(result, edit.table.path), wantedTable) &&
    sameValues(withoutOwned(result, edit), withoutOwned(before, edit));
  if (!intact) throw unmergeable(file, edit, `is [${edit.table.path.join('.')}] written with dotted keys or inline?`);
  return next;
}
