// The client's JSON request as it arrived, re-encoded for a same-family upstream by editing its own
// bytes: only the top-level members whose values changed (model, stream, limits) are serialised
// again, so a large prompt is neither re-serialised nor re-encoded on its way out.
import { isUtf8 } from 'node:buffer';

/** One top-level member of the source object. */
interface Member {
  /** The key as JSON.parse reads it. */
  key: string;
  /** Byte offsets in the source: the key's opening quote, and just past the value. */
  start: number;
  end: number;
  /** The value JSON.parse gave for this member, before anything changed the body. */
  value: unknown;
}

/**
 * The source bytes of a parsed JSON object. `encode(body)` gives the bytes of `body`, which must be
 * the parsed object (or a copy of it) with top-level members replaced, added or removed: members
 * whose value is still the one parsed are copied from the source, the others serialised with
 * JSON.stringify. Undefined when the source cannot be edited safely (see `jsonSource`). Contract:
 * nothing below the top level of the parsed value may have been changed in place (a guardrail that
 * masked a prompt did): the caller drops the source then.
 */
export interface JsonSource {
  /** The body's JSON as byte pieces in order, or undefined: serialise it instead. */
  encode(body: Record<string, unknown>): Buffer[] | undefined;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;
const COMMA = 0x2c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const OPEN = Buffer.from('{');
const CLOSE = Buffer.from('}');
const SEPARATOR = Buffer.from(',');

const isSpace = (c: number | undefined): boolean => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;

/** The index of the quote that ends the string whose content starts at `from` (valid JSON assumed). */
function closingQuote(bytes: Buffer, from: number): number {
  for (let j = from; ; ) {
    const q = bytes.indexOf(QUOTE, j);
    if (q < 0) return bytes.length;
    let slashes = 0;
    while (bytes[q - 1 - slashes] === BACKSLASH) slashes++;
    if (slashes % 2 === 0) return q;
    j = q + 1;
  }
}

/** Object keys at every depth of a parsed value: fewer than in its text means a key was given twice. */
function keyCount(value: unknown): number {
  if (Array.isArray(value)) {
    let n = 0;
    for (const v of value) if (v !== null && typeof v === 'object') n += keyCount(v);
    return n;
  }
  if (value === null || typeof value !== 'object') return 0;
  let n = 0;
  for (const k in value) {
    n++;
    const v = (value as Record<string, unknown>)[k];
    if (v !== null && typeof v === 'object') n += keyCount(v);
  }
  return n;
}

/**
 * The source of `parsed`, which JSON.parse made from `bytes` (already checked to be valid JSON). Its
 * top-level values are taken now, before anything changes the body; the bytes are read at the
 * first `encode`. That gives undefined when editing them could send something other than what the
 * gateway parsed and guarded: bytes that are not valid UTF-8 (the parse saw U+FFFD), a key given
 * twice anywhere (the parse kept the last; an upstream might take the first), or a top level that
 * is not an object.
 */
export function jsonSource(bytes: Buffer, parsed: unknown): JsonSource | undefined {
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return undefined;
  const parsedValues = new Map(Object.entries(parsed));
  let members: Member[] | null | undefined;
  return {
    encode(body) {
      if (members === undefined) members = scanMembers(bytes, parsedValues);
      return members ? edited(bytes, members, body) : undefined;
    },
  };
}

/** The top-level members of `bytes` with their parsed values; null when the source must not be edited. */
function scanMembers(bytes: Buffer, parsedValues: Map<string, unknown>): Member[] | null {
  if (!isUtf8(bytes)) return null;
  const members: Member[] = [];
  let depth = 0;
  let keys = 0;
  let open: { key: string; start: number } | undefined;
  const close = (at: number): boolean => {
    if (!open) return true;
    let end = at;
    while (end > open.start && isSpace(bytes[end - 1])) end--;
    if (!parsedValues.has(open.key)) return false;
    members.push({ key: open.key, start: open.start, end, value: parsedValues.get(open.key) });
    open = undefined;
    return true;
  };
  let i = 0;
  while (isSpace(bytes[i])) i++;
  if (bytes[i] !== OPEN_BRACE) return null;
  for (; i < bytes.length; i++) {
    const c = bytes[i];
    if (c === QUOTE) {
      const end = closingQuote(bytes, i + 1);
      let next = end + 1;
      while (isSpace(bytes[next])) next++;
      if (bytes[next] === COLON) {
        keys++;
        if (depth === 1) {
          const raw = bytes.subarray(i, end + 1);
          const key = raw.includes(BACKSLASH) ? (JSON.parse(raw.toString('utf8')) as string) : raw.toString('utf8', 1, raw.length - 1);
          open = { key, start: i };
        }
      }
      i = end;
    } else if (c === OPEN_BRACE || c === OPEN_BRACKET) depth++;
    else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      depth--;
      if (depth === 0) {
        if (!close(i)) return null;
        break;
      }
    } else if (c === COMMA && depth === 1 && !close(i)) return null;
  }
  let parsedKeys = parsedValues.size;
  for (const v of parsedValues.values()) if (v !== null && typeof v === 'object') parsedKeys += keyCount(v);
  return depth === 0 && keys === parsedKeys ? members : null;
}

/** `body` as pieces of JSON: members still as parsed copied from `bytes`, the rest serialised. */
function edited(bytes: Buffer, members: Member[], body: Record<string, unknown>): Buffer[] {
  const pieces: Buffer[] = [OPEN];
  let wrote = false;
  const put = (piece: Buffer): void => {
    if (wrote) pieces.push(SEPARATOR);
    pieces.push(piece);
    wrote = true;
  };
  // Members still as parsed and next to each other in the source are copied as one run, commas and all.
  let runStart = -1;
  let runEnd = -1;
  const endRun = (): void => {
    if (runStart >= 0) put(bytes.subarray(runStart, runEnd));
    runStart = -1;
  };
  const putMember = (key: string, value: unknown): void => {
    const text = JSON.stringify(value);
    // What JSON.stringify leaves out of an object (undefined, functions) is left out here too.
    if (text !== undefined) put(Buffer.from(`${JSON.stringify(key)}:${text}`));
  };
  const inSource = new Set<string>();
  for (const m of members) {
    inSource.add(m.key);
    if (!Object.hasOwn(body, m.key)) {
      endRun();
      continue;
    }
    const value = body[m.key];
    if (value === m.value) {
      if (runStart < 0) runStart = m.start;
      runEnd = m.end;
      continue;
    }
    endRun();
    putMember(m.key, value);
  }
  endRun();
  for (const key of Object.keys(body)) if (!inSource.has(key)) putMember(key, body[key]);
  pieces.push(CLOSE);
  return pieces;
}
