// Edits of JSON and JSONC settings files that keep the user's comments, key order and layout.
import { applyEdits, modify, parse, printParseErrorCode, type FormattingOptions, type JSONPath, type ParseError } from 'jsonc-parser';
import { SetupError } from '../recipe.js';

export type JsonChange =
  /** Set a value; `ifAbsent` leaves one the user already has alone. */
  | { path: JSONPath; value: unknown; ifAbsent?: boolean }
  /** Remove a value (nothing happens when it is not there). */
  | { path: JSONPath; remove: true };

/** The value at `path`, or undefined. */
export function jsonGet(root: unknown, path: JSONPath): unknown {
  let node = root;
  for (const segment of path) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string | number, unknown>)[segment];
  }
  return node;
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** The file's object, or a SetupError naming the file and the first problem. */
export function parseJsonObject(text: string, file: string): Record<string, unknown> {
  if (text.trim() === '') return {};
  const errors: ParseError[] = [];
  const value: unknown = parse(text, errors, { allowTrailingComma: true, disallowComments: false });
  if (errors.length > 0) {
    const first = errors[0]!;
    const line = text.slice(0, first.offset).split('\n').length;
    throw new SetupError('SETUP_UNPARSABLE', `${file} is not valid JSON (${printParseErrorCode(first.error)} on line ${line}): fix it or move it aside, then run this again`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new SetupError('SETUP_UNPARSABLE', `${file} holds ${Array.isArray(value) ? 'an array' : String(value)} where a JSON object is expected: fix it or move it aside, then run this again`);
  }
  return value as Record<string, unknown>;
}

/** The indentation and line ends the file already uses (two spaces and \n for a new file). */
function formattingOf(text: string): FormattingOptions {
  const indent = /^([ \t]+)\S/m.exec(text)?.[1] ?? '  ';
  return { insertSpaces: !indent.startsWith('\t'), tabSize: indent.startsWith('\t') ? 1 : indent.length, eol: text.includes('\r\n') ? '\r\n' : '\n' };
}

/**
 * Applies `changes` to a JSON(C) document and returns the new text; returns `current` unchanged
 * when every change is already in place. A missing or empty file starts from `{}`.
 */
export function editJson(current: string | null, changes: JsonChange[], file: string): string {
  const base = current ?? '';
  const root = parseJsonObject(base, file);
  const pending = changes.filter((c) => {
    const existing = jsonGet(root, c.path);
    if ('remove' in c) return existing !== undefined;
    if (c.ifAbsent && existing !== undefined) return false;
    return !sameJson(existing, c.value);
  });
  if (pending.length === 0 && current !== null) return current;
  let text = base.trim() === '' ? '{}' : base;
  const formattingOptions = formattingOf(base);
  for (const c of pending) {
    text = applyEdits(text, modify(text, c.path, 'remove' in c ? undefined : c.value, { formattingOptions }));
  }
  return text.endsWith('\n') ? text : `${text}${formattingOptions.eol}`;
}
