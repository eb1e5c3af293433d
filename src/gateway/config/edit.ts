// Programmatic edits of gatehouse.yaml (the UI, the admin API): keep the user's comments, key order
// and layout, refuse to overwrite a file that changed underneath, and never write an invalid config.
import { randomBytes } from 'node:crypto';
import { closeSync, fchmodSync, fsyncSync, openSync, realpathSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { isAlias, isMap, isScalar, isSeq, LineCounter, type Document, type ToStringOptions, type YAMLMap, type YAMLSeq } from 'yaml';
import type { ConfigEditOp, ConfigIssue } from '../../shared/contract.js';
import {
  ConfigError,
  formatIssues,
  formatPath,
  hashConfigText,
  parseConfigText,
  parseYamlDocument,
  readConfigText,
  type LoadedConfig,
} from './load.js';

/**
 * Applies `ops` to the file at `path`, which must still have the hash `baseHash`. Throws ConfigError:
 * CONFIG_CONFLICT if the file changed, CONFIG_INVALID (file untouched) if an op does not fit the
 * document or the result would not validate, CONFIG_UNREADABLE if it cannot be read or written.
 */
export function editConfigFile(path: string, baseHash: string, ops: ConfigEditOp[]): LoadedConfig {
  const text = readConfigText(path);
  if (hashConfigText(text) !== baseHash) throw conflictError(path);

  const lineCounter = new LineCounter();
  const doc = parseYamlDocument(text, lineCounter);
  if (doc.errors.length > 0) {
    const current = parseConfigText(text);
    const issues = current.ok ? [] : current.issues;
    throw new ConfigError(
      'CONFIG_INVALID',
      `config file ${path} has YAML syntax errors; fix them in an editor before changing it here:\n${formatIssues(path, issues)}`,
      issues,
    );
  }

  const layout = layoutOf(doc, lineCounter);
  const baseline = doc.toString(layout);
  ops.forEach((op, index) => applyOp(doc, op, index));
  const rendered = doc.toString(layout);
  // The yaml library re-renders the whole document in its own layout; carry the user's original
  // lines over wherever the edit did not reach, and use the re-rendered text only if that fails.
  const crlf = text.includes('\r\n');
  const merged = keepOriginalLayout(crlf ? text.replace(/\r\n/g, '\n') : text, baseline, rendered);
  const chosen = merged !== undefined && rendersAs(merged, rendered, layout) ? merged : rendered;
  const next = crlf ? chosen.replace(/\n/g, '\r\n') : chosen;

  const result = parseConfigText(next);
  if (!result.ok) {
    // Positions would point into text that was never written, so only paths are reported.
    const issues: ConfigIssue[] = result.issues.map((issue) => ({ path: issue.path, message: issue.message }));
    throw new ConfigError(
      'CONFIG_INVALID',
      `the edit would make the config invalid, so ${path} was not changed:\n${issues.map((i) => `${i.path}: ${i.message}`).join('\n')}`,
      issues,
    );
  }
  if (next === text) return { config: result.config, text, hash: baseHash, path };
  writeAtomically(path, next, baseHash);
  return { config: result.config, text: next, hash: hashConfigText(next), path };
}

function conflictError(path: string): ConfigError {
  return new ConfigError('CONFIG_CONFLICT', `config file ${path}: the file changed on disk since you read it; reload and try again`);
}

// ---- ops --------------------------------------------------------------------------------------

type Collection = YAMLMap<unknown, unknown> | YAMLSeq<unknown>;
type Segment = string | number;

function applyOp(doc: Document, op: ConfigEditOp, index: number): void {
  const where = Array.isArray(op.path) ? formatPath(op.path) : '(invalid path)';
  const fail = (why: string) =>
    new ConfigError('CONFIG_INVALID', `edit ${index + 1} (${String(op.op)} ${where}): ${why}; the file was not changed`, [{ path: where, message: why }]);

  if (!Array.isArray(op.path) || op.path.length === 0) throw fail('the path is empty; name the field to change');
  if (!op.path.every((seg) => typeof seg === 'string' || (Number.isInteger(seg) && seg >= 0)))
    throw fail('each path step must be a field name or a list index (a whole number from 0)');

  if (op.op === 'delete') {
    // Deleting what is not there already leaves the file as asked.
    if (doc.hasIn(op.path)) doc.deleteIn(op.path);
    return;
  }
  if (op.op !== 'set') throw fail(`unknown operation; expected "set" or "delete"`);
  if (op.value === undefined) throw fail('no value given; use a "delete" op to remove a field');

  const parent = parentFor(doc, op.path, fail);
  const last = op.path[op.path.length - 1]!;
  checkStep(parent, last, op.path.slice(0, -1), fail);
  unflowIfEmpty(parent);
  // A plain value is handed over as is, so an existing scalar is updated in place and keeps its
  // quoting style and its trailing comment; collections become new nodes.
  const value = op.value === null || typeof op.value !== 'object' ? op.value : doc.createNode(op.value);
  parent.set(last, value);
}

/** Walks to the collection that will hold the last step, creating missing or empty ones on the way. */
function parentFor(doc: Document, path: Segment[], fail: (why: string) => ConfigError): Collection {
  if (doc.contents === null || isEmptyScalar(doc.contents)) doc.contents = doc.createNode(typeof path[0] === 'number' ? [] : {});
  let node: unknown = doc.contents;
  for (let i = 0; i < path.length - 1; i++) {
    const here = path.slice(0, i);
    if (!isMap(node) && !isSeq(node)) throw fail(notCollection(node, here));
    const seg = path[i]!;
    checkStep(node, seg, here, fail);
    let child: unknown = node.get(seg, true);
    if (child === undefined || isEmptyScalar(child)) {
      unflowIfEmpty(node);
      child = doc.createNode(typeof path[i + 1] === 'number' ? [] : {});
      node.set(seg, child);
    }
    node = child;
  }
  if (!isMap(node) && !isSeq(node)) throw fail(notCollection(node, path.slice(0, -1)));
  return node;
}

function checkStep(node: Collection, seg: Segment, here: Segment[], fail: (why: string) => ConfigError): void {
  const name = formatPath(here);
  if (isSeq(node)) {
    if (typeof seg !== 'number') throw fail(`${name} is a list; expected an index, got the field name "${seg}"`);
    if (seg > node.items.length) throw fail(`index ${seg} is past the end of ${name} (${node.items.length} items); use ${node.items.length} to append`);
  } else if (typeof seg === 'number') {
    throw fail(`${name} is a mapping; expected a field name, got the index ${seg}`);
  }
}

function notCollection(node: unknown, here: Segment[]): string {
  const name = formatPath(here);
  return isAlias(node) ? `${name} is a YAML alias; edit the anchor it refers to instead` : `${name} is a single value, not a mapping or a list`;
}

/** `providers: []` gets its first entry as a block, the way people write YAML, not as `[ {...} ]`. */
function unflowIfEmpty(node: Collection): void {
  if (node.flow && node.items.length === 0) node.flow = false;
}

function isEmptyScalar(node: unknown): boolean {
  return isScalar(node) && node.value === null;
}

// ---- layout -----------------------------------------------------------------------------------

/** The indentation the file already uses, so re-rendered lines fit in among the original ones. */
function layoutOf(doc: Document.Parsed, lineCounter: LineCounter): ToStringOptions {
  let indent: number | undefined;
  let indentSeq: boolean | undefined;
  const column = (node: unknown) => {
    const range = (node as { range?: [number, number, number] } | null)?.range;
    return range ? lineCounter.linePos(range[0]).col : undefined;
  };
  const visit = (node: unknown, depth: number): void => {
    if (depth > 8) return;
    if (isSeq(node)) {
      for (const item of node.items) visit(item, depth + 1);
      return;
    }
    if (!isMap(node) || node.flow) return;
    for (const pair of node.items) {
      const keyColumn = column(pair.key);
      const value = pair.value;
      const valueColumn = column(value);
      if (keyColumn !== undefined && valueColumn !== undefined && (isMap(value) || isSeq(value)) && !value.flow && value.items.length > 0) {
        if (isMap(value) && indent === undefined && valueColumn > keyColumn) indent = valueColumn - keyColumn;
        if (isSeq(value) && indentSeq === undefined) indentSeq = valueColumn > keyColumn;
      }
      visit(value, depth + 1);
    }
  };
  visit(doc.contents, 0);
  // lineWidth 0: never fold long strings onto several lines, which would rewrite lines nobody edited.
  return { lineWidth: 0, indent: indent !== undefined && indent <= 8 ? indent : 2, indentSeq: indentSeq ?? true };
}

/**
 * A three-way merge by lines. `baseline` is the original re-rendered and `rendered` the edited
 * document re-rendered; the line diff between them is the edit, and it is replayed onto the
 * original: lines the edit kept are taken from the original, lines it added from `rendered`, lines
 * it removed are dropped. Undefined if the texts are too different to align cheaply. All three
 * texts use "\n" line ends.
 */
function keepOriginalLayout(original: string, baseline: string, rendered: string): string | undefined {
  const a = original.split('\n');
  const b = baseline.split('\n');
  const c = rendered.split('\n');
  const ab = correspondingLines(a, b);
  const bc = matchingLines(b, c);
  if (!ab || !bc) return undefined;

  const originalOf = new Map(ab.map(([i, j]) => [j, i]));
  const inBaseline = new Set(ab.map(([i]) => i));
  const out: string[] = [];
  let next = 0;
  // Original lines with no counterpart in the baseline (extra blank lines, mostly) travel with the
  // line before them.
  const takeOriginal = (j: number, keep: boolean) => {
    const i = originalOf.get(j);
    if (i === undefined || i < next) return; // a line the renderer added, or out of order
    out.push(...a.slice(next, i));
    if (keep) out.push(a[i]!);
    next = i + 1;
    while (next < a.length && !inBaseline.has(next)) out.push(a[next++]!);
  };

  let j = 0;
  let k = 0;
  for (const [keptB, keptC] of [...bc, [b.length, c.length] as [number, number]]) {
    for (; j < keptB; j++) takeOriginal(j, false);
    for (; k < keptC; k++) out.push(c[k]!);
    if (keptB < b.length) takeOriginal(keptB, true);
    j = keptB + 1;
    k = keptC + 1;
  }
  out.push(...a.slice(next));
  return out.join('\n');
}

/** True if `merged` is the same document as `rendered`, comments and their places included. */
function rendersAs(merged: string, rendered: string, layout: ToStringOptions): boolean {
  const doc = parseYamlDocument(merged);
  return doc.errors.length === 0 && doc.toString(layout) === rendered;
}

/**
 * Which original line each re-rendered line stands for: lines equal but for whitespace (the
 * renderer normalises `port:   1  # x` to `port: 1 # x` and `{a: b}` to `{ a: b }`), then lines at
 * the same place in equal-sized stretches between those. A wrong guess here cannot corrupt the
 * file: the merged text is checked against the rendered one before it is used.
 */
function correspondingLines(a: string[], b: string[]): [number, number][] | undefined {
  const squash = (line: string) => line.replace(/\s+/g, '');
  const similar = matchingLines(a.map(squash), b.map(squash));
  if (!similar) return undefined;
  const pairs: [number, number][] = [];
  let prevA = -1;
  let prevB = -1;
  for (const [i, j] of [...similar, [a.length, b.length] as [number, number]]) {
    if (i - prevA === j - prevB) for (let k = 1; k < i - prevA; k++) pairs.push([prevA + k, prevB + k]);
    if (i < a.length) pairs.push([i, j]);
    prevA = i;
    prevB = j;
  }
  return pairs;
}

const MAX_DIFF_CELLS = 4_000_000;

/** Pairs of indexes of a longest common subsequence of lines, or undefined if too costly. */
function matchingLines(a: string[], b: string[]): [number, number][] | undefined {
  let start = 0;
  while (start < a.length && start < b.length && a[start] === b[start]) start++;
  let endA = a.length;
  let endB = b.length;
  while (endA > start && endB > start && a[endA - 1] === b[endB - 1]) {
    endA--;
    endB--;
  }
  const n = endA - start;
  const m = endB - start;
  if (n * m > MAX_DIFF_CELLS) return undefined;

  // lcs[i][j] = length of the LCS of a[start+i..endA) and b[start+j..endB), row-major.
  const width = m + 1;
  const lcs = new Uint32Array((n + 1) * width);
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lcs[i * width + j] =
        a[start + i] === b[start + j] ? lcs[(i + 1) * width + j + 1]! + 1 : Math.max(lcs[(i + 1) * width + j]!, lcs[i * width + j + 1]!);
    }
  }

  const pairs: [number, number][] = [];
  for (let k = 0; k < start; k++) pairs.push([k, k]);
  let i = 0;
  let j = 0;
  while (i < n && j < m) {
    if (a[start + i] === b[start + j]) {
      pairs.push([start + i, start + j]);
      i++;
      j++;
    } else if (lcs[(i + 1) * width + j]! >= lcs[i * width + j + 1]!) {
      i++;
    } else {
      j++;
    }
  }
  for (let k = 0; k < a.length - endA; k++) pairs.push([endA + k, endB + k]);
  return pairs;
}

// ---- writing ----------------------------------------------------------------------------------

/** Temp file in the same directory, then rename: readers see the old file or the new, never half. */
function writeAtomically(path: string, text: string, expectedHash: string): void {
  let target = path;
  let fd: number | undefined;
  let tmp: string | undefined;
  try {
    // Write through a symlink rather than replacing the link with a plain file.
    target = realpathSync(path);
    const mode = statSync(target).mode & 0o7777;
    tmp = join(dirname(target), `.${basename(target)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
    fd = openSync(tmp, 'wx', 0o600);
    writeFileSync(fd, text, 'utf8');
    // fchmod, not openSync's mode, so the umask cannot narrow the file's original permissions.
    fchmodSync(fd, mode);
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    // A last look before replacing: an editor may have saved while this edit was being prepared.
    if (hashConfigText(readConfigText(path)) !== expectedHash) throw conflictError(path);
    renameSync(tmp, target);
    tmp = undefined;
  } catch (err) {
    if (fd !== undefined) closeSync(fd);
    if (tmp !== undefined) removeQuietly(tmp);
    if (err instanceof ConfigError) throw err;
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    throw new ConfigError('CONFIG_UNREADABLE', `cannot write config file ${target} (${code}); check that the file and its folder are writable`, [], {
      cause: err,
    });
  }
}

function removeQuietly(file: string): void {
  try {
    unlinkSync(file);
  } catch (err) {
    // Already gone is fine; anything else leaves a stray temp file, which is not worth failing for
    // on top of the error being reported.
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') process.emitWarning(`could not remove temp file ${file}: ${(err as Error).message}`);
  }
}
