// Reading gatehouse.yaml: parse, validate against the schema, and turn every problem into an issue
// that names the field, the value found, what was expected and where it is in the file.
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument, visit, type Alias, type Document } from 'yaml';
import { z } from 'zod';
import type { ConfigIssue } from '../../shared/contract.js';
import { configSchema, type GatehouseConfig } from './schema.js';

export type ConfigErrorCode = 'CONFIG_INVALID' | 'CONFIG_UNREADABLE' | 'CONFIG_CONFLICT';

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly code: ConfigErrorCode;
  /** The validation problems, for CONFIG_INVALID; empty for the other codes. */
  readonly issues: ConfigIssue[];

  constructor(code: ConfigErrorCode, message: string, issues: ConfigIssue[] = [], options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.issues = issues;
  }
}

export interface LoadedConfig {
  config: GatehouseConfig;
  /** The file's text exactly as read. */
  text: string;
  /** SHA-256 (hex) of `text`: the version a later edit must be based on. */
  hash: string;
  path: string;
}

export type ParseResult = { ok: true; config: GatehouseConfig } | { ok: false; issues: ConfigIssue[] };

export const ROOT_PATH = '(root)';

/** The hash `LoadedConfig.hash` carries: SHA-256 of the UTF-8 text, hex. */
export function hashConfigText(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** The same parse options everywhere, so positions and errors match between load, watch and edit. */
export function parseYamlDocument(text: string, lineCounter?: LineCounter): Document.Parsed {
  // prettyErrors off: its messages carry a multi-line excerpt of the source, and we want one line per
  // issue with the position kept separately.
  return parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
}

export function parseConfigText(text: string): ParseResult {
  const lineCounter = new LineCounter();
  const doc = parseYamlDocument(text, lineCounter);
  if (doc.errors.length > 0) {
    return {
      ok: false,
      issues: doc.errors.map((err) => ({ path: ROOT_PATH, message: yamlErrorMessage(err.code, err.message), ...position(lineCounter, err.pos[0]) })),
    };
  }
  if (doc.contents === null) {
    return {
      ok: false,
      issues: [{ path: ROOT_PATH, message: 'the file is empty; expected a mapping that starts with "version: 1"', line: 1, column: 1 }],
    };
  }

  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    // Unresolved aliases and alias bombs only surface when the document is turned into values.
    const message = (err as Error).message;
    return { ok: false, issues: [{ path: ROOT_PATH, message: `invalid YAML: ${message}`, ...aliasPosition(doc, lineCounter, message) }] };
  }
  if (!isPlainObject(data)) {
    return {
      ok: false,
      issues: [
        {
          path: ROOT_PATH,
          message: `got ${describeKind(data)} at the top level; expected a mapping (key: value lines) that starts with "version: 1"`,
          ...nodePosition(lineCounter, doc.contents),
        },
      ],
    };
  }

  const parsed = configSchema.safeParse(data);
  if (parsed.success) return { ok: true, config: parsed.data };

  const issues = parsed.error.issues.flatMap((issue) => toConfigIssues(issue, data, doc, lineCounter));
  return { ok: false, issues: sortByPosition(issues) };
}

/**
 * Where an alias problem is: the alias naming an anchor that is not set (the name ends the message),
 * else the first alias that repeats (an alias bomb is a pile of them).
 */
function aliasPosition(doc: Document.Parsed, lineCounter: LineCounter, message: string): { line?: number; column?: number } {
  const unresolved = /Unresolved alias.*: (.+)$/.exec(message)?.[1];
  let found: Alias | undefined;
  visit(doc, {
    Alias(_key, node) {
      if (unresolved === undefined || node.source === unresolved) {
        found = node;
        return visit.BREAK;
      }
      return undefined;
    },
  });
  const at = found?.range?.[0];
  return at === undefined ? { line: 1, column: 1 } : position(lineCounter, at);
}

/** Reads and validates the file; throws ConfigError (CONFIG_UNREADABLE or CONFIG_INVALID). */
export function loadConfigFile(path: string): LoadedConfig {
  const text = readConfigText(path);
  const result = parseConfigText(text);
  if (!result.ok) throw invalidConfigError(path, result.issues);
  return { config: result.config, text, hash: hashConfigText(text), path };
}

/** The file's text, or CONFIG_UNREADABLE with a message that says what to do about it. */
export function readConfigText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError('CONFIG_UNREADABLE', unreadableMessage(path, err), [], { cause: err });
  }
}

export function unreadableMessage(path: string, err: unknown): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case 'ENOENT':
      return `config file ${path} does not exist; create it (Gatehouse writes a default one on first start) or point Gatehouse at the right file`;
    case 'EACCES':
    case 'EPERM':
      return `config file ${path} cannot be read: permission denied; make it readable by the user running Gatehouse (e.g. chmod 600 and the right owner)`;
    case 'EISDIR':
      return `config file ${path} is a directory; expected a YAML file`;
    default:
      return `config file ${path} cannot be read (${code ?? (err as Error | undefined)?.message ?? 'unknown error'}); check that it is a readable file`;
  }
}

export function invalidConfigError(path: string, issues: ConfigIssue[]): ConfigError {
  const noun = issues.length === 1 ? 'problem' : 'problems';
  return new ConfigError('CONFIG_INVALID', `config file ${path} has ${issues.length} ${noun}:\n${formatIssues(path, issues)}`, issues);
}

/** One line per issue, `file:line:column path: message`, the shape editors and terminals link. */
export function formatIssues(path: string, issues: ConfigIssue[]): string {
  return issues
    .map((issue) => {
      const where = issue.line === undefined ? path : issue.column === undefined ? `${path}:${issue.line}` : `${path}:${issue.line}:${issue.column}`;
      return `${where} ${issue.path}: ${issue.message.replace(/\s*\n\s*/g, ' ')}`;
    })
    .join('\n');
}

// Examples sit in the comment above their key, so the comment stays with that key when the key is
// edited or removed from the UI.
const DEFAULT_CONFIG_TEXT = `# Gatehouse configuration. The running gateway picks up changes when you save; if the file is
# invalid, the problems are reported and the previous configuration keeps running.
version: 1

server:
  # Loopback only: the gateway holds your provider keys, so do not expose it to the network.
  host: 127.0.0.1
  port: 4141
  logLevel: info

# Upstream LLM providers. Keys are never written here: apiKey says where the key lives, either
# "keychain:NAME" (the OS keychain) or "env:NAME" (an environment variable). For example:
#
# providers:
#   - id: local
#     type: openai-compatible
#     baseUrl: http://127.0.0.1:11434/v1
#     apiKey: keychain:LOCAL_API_KEY
providers: []

# Routes: a model name clients ask for, and the provider models that serve it, in order:
#
# models:
#   - name: chat
#     targets:
#       - provider: local
#         model: llama3.1
models: []

# Other names clients may use for a route, e.g. "gpt-4o: chat".
aliases: {}
`;

/** Writes a commented default config if `path` does not exist; returns true if it did so. */
export function ensureConfigFile(path: string): boolean {
  try {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    // 'wx' fails if the file exists, so two processes starting at once cannot clobber each other.
    writeFileSync(path, DEFAULT_CONFIG_TEXT, { flag: 'wx', mode: 0o600 });
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw new ConfigError('CONFIG_UNREADABLE', `cannot create config file ${path} (${(err as NodeJS.ErrnoException).code ?? 'error'}); check that its folder is writable`, [], { cause: err });
  }
}

// ---- issues -----------------------------------------------------------------------------------

type ZodIssue = z.core.$ZodIssue;
type Segment = PropertyKey;

function toConfigIssues(issue: ZodIssue, data: unknown, doc: Document.Parsed, lineCounter: LineCounter): ConfigIssue[] {
  const path = issue.path;
  if (issue.code === 'unrecognized_keys') {
    const allowed = allowedKeysAt(path);
    return issue.keys.map((key) => {
      const shown = looksLikeSecret(key) ? `(a key of ${key.length} characters)` : JSON.stringify(key);
      const hint = allowed ? suggestion(key, allowed) : '';
      const list = allowed ? ` (allowed: ${allowed.join(', ')})` : '';
      const located = locate(doc, [...path, key]);
      return {
        path: formatPath(path),
        message: `unknown field ${shown}${list}${hint}`,
        ...nodePosition(lineCounter, located.key ?? located.node),
      };
    });
  }
  const value = valueAt(data, path);
  const located = locate(doc, path);
  // An empty value (`port:`) has no text of its own: point at its key instead.
  const target = located.found && !isEmptyScalar(located.node) ? located.node : (located.key ?? located.node);
  return [{ path: formatPath(path), message: describeIssue(issue, value, isSecretPath(path)), ...nodePosition(lineCounter, target) }];
}

function describeIssue(issue: ZodIssue, value: unknown, secret: boolean): string {
  const got = (withKind: boolean) => `got ${secret ? redacted(value) : withKind ? showWithKind(value) : show(value)}`;
  // Messages written in schema.ts start with "expected": they are the better description of the
  // rule, so they replace the generic one.
  const custom = issue.message.startsWith('expected ') ? issue.message : undefined;
  switch (issue.code) {
    case 'invalid_type': {
      if (value === undefined) {
        const field = issue.path[issue.path.length - 1];
        return `missing required field ${JSON.stringify(String(field))}; expected ${expectedKind(issue.expected)}`;
      }
      return `${got(true)}; ${custom ?? `expected ${expectedKind(issue.expected)}`}`;
    }
    case 'invalid_value': {
      if (custom) return `${got(false)}; ${custom}`;
      const options = issue.values.map((v) => String(v));
      const hint = typeof value === 'string' && !secret ? suggestion(value, options) : '';
      return options.length === 1
        ? `${got(false)}; expected ${show(issue.values[0])}`
        : `${got(false)}; expected one of ${options.join(', ')}${hint}`;
    }
    case 'too_small':
    case 'too_big': {
      if (custom) return `${got(false)}; ${custom}`;
      return `${got(issue.origin === 'string')}; expected ${boundText(issue)}`;
    }
    case 'invalid_format': {
      if (custom) return `${got(false)}; ${custom}`;
      // Every URL field in the schema is limited to http(s); zod's issue does not say which protocols.
      if (issue.format === 'url') return `${got(false)}; expected an absolute URL starting with http:// or https://`;
      if (issue.format === 'regex' && issue.pattern) return `${got(false)}; expected text matching ${issue.pattern}`;
      return `${got(false)}; expected ${issue.format}`;
    }
    case 'custom':
      // Cross-field rules (duplicate ids, unknown providers) already name the value they are about.
      return custom && isScalarValue(value) ? `${got(false)}; ${custom}` : issue.message;
    default:
      return `${got(true)}; ${issue.message}`;
  }
}

function boundText(issue: z.core.$ZodIssueTooSmall | z.core.$ZodIssueTooBig): string {
  const small = issue.code === 'too_small';
  const limit = small ? issue.minimum : issue.maximum;
  const inclusive = issue.inclusive !== false;
  if (issue.origin === 'string' || issue.origin === 'array') {
    const unit = issue.origin === 'string' ? 'character' : 'item';
    const n = Number(limit) + (inclusive ? 0 : small ? 1 : -1);
    return `${small ? 'at least' : 'at most'} ${n} ${unit}${n === 1 ? '' : 's'}`;
  }
  const word = small ? (inclusive ? 'at least' : 'more than') : inclusive ? 'at most' : 'less than';
  return `a number ${word} ${String(limit)}`;
}

function expectedKind(expected: string): string {
  const names: Record<string, string> = {
    string: 'a string',
    number: 'a number',
    int: 'a whole number',
    boolean: 'true or false',
    array: 'a list',
    object: 'a mapping (key: value lines)',
    record: 'a mapping (key: value lines)',
    null: 'an empty value',
  };
  return names[expected] ?? expected;
}

/** The value as it would be written in the file, shortened so one issue stays one line. */
function show(value: unknown): string {
  if (typeof value === 'string') {
    if (looksLikeSecret(value)) return redacted(value);
    return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
  }
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return describeKind(value);
}

function showWithKind(value: unknown): string {
  if (typeof value === 'string' && looksLikeSecret(value)) return redacted(value);
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return `${show(value)} (${describeKind(value)})`;
  return describeKind(value);
}

function describeKind(value: unknown): string {
  if (value === null || value === undefined) return 'an empty value';
  if (typeof value === 'string') return value.length === 0 ? 'an empty string' : 'a string';
  if (typeof value === 'number') return Number.isInteger(value) ? 'a whole number' : 'a number';
  if (typeof value === 'boolean') return 'a boolean';
  if (Array.isArray(value)) return `a list of ${value.length} item${value.length === 1 ? '' : 's'}`;
  if (value instanceof Uint8Array) return 'binary data';
  if (value instanceof Date) return 'a date';
  return 'a mapping';
}

/** What a secret-looking value is described as: its shape only, never its characters. */
function redacted(value: unknown): string {
  if (typeof value === 'string') return `a string of ${value.length} characters`;
  return describeKind(value);
}

const SECRET_KEY = /api[-_]?key|token|secret|passw(or)?d|pwd|authori[sz]ation|auth|credential|cookie|private[-_]?key/i;

/** Values whose key sounds secret, and every header or environment value (they often carry keys). */
function isSecretPath(path: readonly Segment[]): boolean {
  if (path.some((seg) => typeof seg === 'string' && SECRET_KEY.test(seg))) return true;
  const parent = path[path.length - 2];
  return parent === 'headers' || parent === 'env';
}

const SECRET_PREFIX = /^(sk-|sk_|rk_|pk_live|sk_live|AIza|ghp_|gho_|ghs_|ghu_|github_pat_|glpat-|xox[abprs]-|hf_|AKIA|Bearer\s|Basic\s)/;

/** A key pasted into the wrong field is still a key: recognise the common shapes wherever they are. */
function looksLikeSecret(text: string): boolean {
  if (SECRET_PREFIX.test(text)) return true;
  // Long unbroken mixed-case-and-digit runs are tokens; model names and URLs are lower case or have "/".
  return text.length >= 24 && /^[A-Za-z0-9_\-+=.]+$/.test(text) && /[a-z]/.test(text) && /[A-Z]/.test(text) && /\d/.test(text);
}

function isScalarValue(value: unknown): boolean {
  return value === null || ['string', 'number', 'boolean'].includes(typeof value);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array) && !(value instanceof Date);
}

function valueAt(data: unknown, path: readonly Segment[]): unknown {
  let current: unknown = data;
  for (const seg of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<PropertyKey, unknown>)[seg];
  }
  return current;
}

/** `providers[1].type`; keys that are not plain words are quoted, `aliases["gpt-4.1"]`. */
export function formatPath(path: readonly Segment[]): string {
  if (path.length === 0) return ROOT_PATH;
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (typeof seg === 'string' && /^[A-Za-z_][A-Za-z0-9_-]*$/.test(seg)) out += out === '' ? seg : `.${seg}`;
    else out += `[${JSON.stringify(String(seg))}]`;
  }
  return out;
}

/** The keys the schema allows for the object at `path`, for "unknown field" messages. */
function allowedKeysAt(path: readonly Segment[]): string[] | undefined {
  let schema: unknown = configSchema;
  for (const seg of [...path, undefined]) {
    // Unwrap the wrappers that do not change the shape.
    for (;;) {
      if (schema instanceof z.ZodDefault || schema instanceof z.ZodPrefault || schema instanceof z.ZodOptional || schema instanceof z.ZodNullable) {
        schema = schema.unwrap();
      } else break;
    }
    if (seg === undefined) break;
    if (schema instanceof z.ZodObject && typeof seg === 'string') schema = (schema.shape as Record<string, unknown>)[seg];
    else if (schema instanceof z.ZodArray && typeof seg === 'number') schema = schema.element;
    else if (schema instanceof z.ZodRecord) schema = schema.valueType;
    else return undefined;
  }
  return schema instanceof z.ZodObject ? Object.keys(schema.shape) : undefined;
}

/** ` (did you mean "type"?)` when one candidate is a likely typo of `input`, else empty. */
function suggestion(input: string, candidates: readonly string[]): string {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const d = editDistance(input.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  const tolerance = Math.max(2, Math.floor(input.length / 4));
  return best !== undefined && bestDistance > 0 && bestDistance <= tolerance ? ` (did you mean "${best}"?)` : '';
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current.push(Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + cost));
    }
    previous = current;
  }
  return previous[b.length]!;
}

// ---- positions --------------------------------------------------------------------------------

interface Located {
  /** The node at the path, or the deepest ancestor that exists. */
  node: unknown;
  /** The key node of the last mapping entry walked through. */
  key: unknown;
  found: boolean;
}

function locate(doc: Document.Parsed, path: readonly Segment[]): Located {
  let node: unknown = doc.contents;
  let key: unknown;
  for (const seg of path) {
    if (isAlias(node)) node = node.resolve(doc);
    if (isMap(node)) {
      const pair = node.items.find((p) => (isScalar(p.key) ? String(p.key.value) : String(p.key)) === String(seg));
      if (!pair) return { node, key, found: false };
      key = pair.key;
      node = pair.value ?? pair.key;
    } else if (isSeq(node) && typeof seg === 'number' && node.items[seg] !== undefined) {
      key = undefined;
      node = node.items[seg];
    } else {
      return { node, key, found: false };
    }
  }
  return { node, key, found: true };
}

function isEmptyScalar(node: unknown): boolean {
  return isScalar(node) && node.value === null && node.source === '';
}

function nodePosition(lineCounter: LineCounter, node: unknown): { line?: number; column?: number } {
  const range = (node as { range?: [number, number, number] } | null | undefined)?.range;
  return range ? position(lineCounter, range[0]) : {};
}

function position(lineCounter: LineCounter, offset: number): { line: number; column: number } {
  const { line, col } = lineCounter.linePos(offset);
  return { line, column: col };
}

function sortByPosition(issues: ConfigIssue[]): ConfigIssue[] {
  // Array.prototype.sort is stable, so issues on the same spot keep the schema's order.
  return [...issues].sort((a, b) => (a.line ?? Infinity) - (b.line ?? Infinity) || (a.column ?? 0) - (b.column ?? 0));
}

function yamlErrorMessage(code: string, message: string): string {
  switch (code) {
    case 'DUPLICATE_KEY':
      return 'invalid YAML: this key appears twice in the same mapping; keep one';
    case 'MULTIPLE_DOCS':
      return 'invalid YAML: the file holds more than one document (a second "---"); keep one';
    case 'TAB_AS_INDENT':
      return 'invalid YAML: tabs are not allowed for indentation; use spaces';
    default:
      return `invalid YAML: ${message.charAt(0).toLowerCase()}${message.slice(1)}`;
  }
}
