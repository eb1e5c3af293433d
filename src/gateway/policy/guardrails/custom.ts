// Custom guardrail rules: a deployment's own keyword lists and regular expressions, each rule with its own
// action, compiled once into one detector whose findings are `custom.<rule name>`.
//
// Decisions:
// - Keywords are literals matched as whole words: a keyword that starts (ends) with a letter, digit, mark or `_`
//   must not be preceded (followed) by one, so `cat` does not fire inside `concatenate` while `c++` and `.net`
//   still match next to punctuation. Word characters are Unicode letters/digits/marks, not just ASCII, so
//   `café` does not match inside `cafés`. All of a rule's keywords are one regex shaped like a trie, so one pass
//   finds them at a cost that hardly grows with their number, and the longest keyword starting at a place wins.
// - Patterns are JavaScript regular expressions with the `u` flag (and `i` unless the rule is case-sensitive).
//   They are checked when compiled, so a bad rule fails at config load rather than on traffic: it must parse, must
//   not match the empty string, and must pass a syntactic check for nested and adjacent repetitions (see
//   `findBacktrackingHazard` for what it catches and what it does not).
// - Even patterns that pass are quadratic or worse in the length they search on some texts (`[a-z0-9]+@x` on a
//   long base64 blob): they search the text in windows of under a thousand characters, so a scan's cost grows
//   linearly with the text, and at most `maxScanChars` (1 MiB of UTF-16 code units by default) of a text is
//   searched; a match past that is not reported. See `scanPattern` for what windows cost in accuracy. Keyword
//   scans are linear and always cover the whole text.
// - A pattern can still produce empty matches where the empty string alone does not (`\b`, `(?=x)`): they are
//   skipped, and the scan moves on by one code point so it always terminates.
// - Rules whose action is `off` are validated but not scanned; every other action is the pipeline's business.

import type { Detector, Finding, GuardLocation } from './types.js';

export type CustomRuleAction = 'off' | 'warn' | 'block' | 'mask' | 'mask-and-restore' | 'ask';

export interface CustomRule {
  /** Letters, digits, `_`, `.`, `-`; up to 64 characters. Findings carry the rule id `custom.<name>`. */
  name: string;
  /** JavaScript regular expression sources (no slashes, no flags). */
  patterns?: string[];
  /** Literal words or phrases, matched as whole words. */
  keywords?: string[];
  /** Match case exactly (default: case-insensitive). */
  caseSensitive?: boolean;
  /** What the pipeline does with a finding; the detector only reports. */
  action: CustomRuleAction;
  /** Where the pipeline applies the rule (default: everywhere); the detector does not look at it. */
  at?: GuardLocation[];
}

export interface CustomRulesOptions {
  /** How much of a text each pattern scans, in UTF-16 code units (default 1 MiB). Keywords scan it all. */
  maxScanChars?: number;
  /** The longest pattern match reported whole (default 256); a longer one is cut, see `scanPattern`. */
  maxMatchChars?: number;
}

export interface CompiledCustomRules {
  /** Findings of every rule not `off`, sorted by start, then longest first. */
  detector: Detector;
  /** The rule behind a finding's rule id (`custom.<name>`), for its action and locations. */
  ruleOf(ruleId: string): CustomRule | undefined;
}

/** A rule that cannot be compiled; the message names the rule and the problem. */
export class CustomRuleError extends Error {
  override readonly name = 'CustomRuleError';
  readonly code = 'CUSTOM_RULE_INVALID';
  constructor(
    readonly rule: string,
    problem: string,
    options?: { cause?: unknown },
  ) {
    super(`custom rule ${JSON.stringify(rule)}: ${problem}`, options);
  }
}

export const DEFAULT_MAX_SCAN_CHARS = 1024 * 1024;
export const DEFAULT_MAX_MATCH_CHARS = 256;
/** Start positions each pattern search window owns; with maxMatchChars, what bounds the cost of one search. */
const WINDOW_STRIDE = 512;
/** Characters before a window that lookbehinds (and `\b`) can still see. */
const LOOKBEHIND_CONTEXT = 64;

/** Keywords are words and phrases; the trie is built recursively, one level per character. */
const MAX_KEYWORD_CHARS = 1000;
const RULE_NAME = /^[a-z0-9][a-z0-9_.-]{0,63}$/i;
const ACTIONS: readonly CustomRuleAction[] = ['off', 'warn', 'block', 'mask', 'mask-and-restore', 'ask'];
const LOCATIONS: readonly GuardLocation[] = ['llm.input', 'llm.output', 'tool.arguments', 'tool.result', 'tool.description'];

/** Unicode word characters, for keyword boundaries (`\b` only knows ASCII). */
const WORD_CHAR = String.raw`[\p{L}\p{N}\p{M}_]`;

interface CompiledRule {
  id: string;
  rule: CustomRule;
  /** Global regexes: one for all the keywords, one per pattern. */
  matchers: { kind: 'keywords' | 'pattern'; regex: RegExp }[];
}

interface Limits {
  scanChars: number;
  matchChars: number;
}

export function compileCustomRules(rules: readonly CustomRule[], options: CustomRulesOptions = {}): CompiledCustomRules {
  const limits: Limits = { scanChars: options.maxScanChars ?? DEFAULT_MAX_SCAN_CHARS, matchChars: options.maxMatchChars ?? DEFAULT_MAX_MATCH_CHARS };
  if (!(Number.isInteger(limits.scanChars) && limits.scanChars > 0)) throw new RangeError(`maxScanChars must be a positive integer, got ${limits.scanChars}`);
  if (!(Number.isInteger(limits.matchChars) && limits.matchChars > 0)) throw new RangeError(`maxMatchChars must be a positive integer, got ${limits.matchChars}`);

  const seen = new Set<string>();
  const compiled = rules.map((rule) => {
    const c = compileRule(rule);
    // Names differing only in case would read as the same rule in config and logs.
    const key = rule.name.toLowerCase();
    if (seen.has(key)) throw new CustomRuleError(rule.name, 'another rule has the same name');
    seen.add(key);
    return c;
  });
  const byId = new Map(compiled.map((c) => [c.id, c.rule]));
  const active = compiled.filter((c) => c.rule.action !== 'off');

  return {
    detector: { type: 'custom', scan: (text) => scanAll(active, text, limits) },
    ruleOf: (ruleId) => byId.get(ruleId),
  };
}

function compileRule(rule: CustomRule): CompiledRule {
  validateShape(rule);
  const flags = rule.caseSensitive ? 'gu' : 'giu';
  const matchers: CompiledRule['matchers'] = [];
  const keywords = rule.keywords ?? [];
  if (keywords.length > 0) matchers.push({ kind: 'keywords', regex: keywordRegex(keywords, flags) });
  (rule.patterns ?? []).forEach((source, i) => matchers.push({ kind: 'pattern', regex: patternRegex(rule.name, source, i + 1, flags) }));
  return { id: `custom.${rule.name}`, rule, matchers };
}

function validateShape(rule: CustomRule): void {
  const name = typeof rule.name === 'string' ? rule.name : String(rule.name);
  if (typeof rule.name !== 'string' || !RULE_NAME.test(name)) {
    throw new CustomRuleError(name, 'the name must be 1 to 64 letters, digits, "_", "." or "-", starting with a letter or digit');
  }
  if (!ACTIONS.includes(rule.action)) throw new CustomRuleError(name, `unknown action ${JSON.stringify(rule.action)} (expected one of ${ACTIONS.join(', ')})`);
  for (const at of rule.at ?? []) {
    if (!LOCATIONS.includes(at)) throw new CustomRuleError(name, `unknown location ${JSON.stringify(at)} in "at" (expected one of ${LOCATIONS.join(', ')})`);
  }
  const patterns = rule.patterns ?? [];
  const keywords = rule.keywords ?? [];
  if (patterns.length === 0 && keywords.length === 0) throw new CustomRuleError(name, 'it has neither patterns nor keywords');
  patterns.forEach((p, i) => {
    if (typeof p !== 'string') throw new CustomRuleError(name, `pattern ${i + 1} is not a string`);
  });
  keywords.forEach((k, i) => {
    if (typeof k !== 'string' || k.trim() === '') throw new CustomRuleError(name, `keyword ${i + 1} is empty or not a string`);
    if (k.length > MAX_KEYWORD_CHARS) throw new CustomRuleError(name, `keyword ${i + 1} is longer than ${MAX_KEYWORD_CHARS} characters`);
  });
}

// ---- keywords ----

/** Escapes the characters that are syntax in a `u`-mode regex (escaping anything else is an error there). */
const escapeRegex = (literal: string): string => literal.replace(/[\\^$.*+?()[\]{}|/]/g, '\\$&');

interface TrieNode {
  children: Map<string, TrieNode>;
  /** A keyword ends here. */
  terminal: boolean;
}

/** One code point folded for the trie: lower-cased when case does not count, unless that changes its length. */
function trieChar(ch: string, caseSensitive: boolean): string {
  if (caseSensitive) return ch;
  const lower = ch.toLowerCase();
  return [...lower].length === 1 ? lower : ch;
}

function buildTrie(keywords: readonly string[], caseSensitive: boolean): TrieNode {
  const root: TrieNode = { children: new Map(), terminal: false };
  for (const keyword of keywords) {
    let node = root;
    for (const ch of keyword) {
      const key = trieChar(ch, caseSensitive);
      let next = node.children.get(key);
      if (!next) node.children.set(key, (next = { children: new Map(), terminal: false }));
      node = next;
    }
    node.terminal = true;
  }
  return root;
}

/** The regex source for the keywords below `node`: longer ones are tried first, so the longest at a place wins. */
function trieSource(node: TrieNode): string {
  const branches = [...node.children].map(([ch, child]) => escapeRegex(ch) + trieSource(child));
  if (node.terminal) branches.push('');
  return branches.length === 1 ? branches[0]! : `(?:${branches.join('|')})`;
}

/**
 * "Not between two word characters": at a keyword's start this lets `cat` match only where a word starts and `.net`
 * anywhere, and at its end likewise. Written once around the whole trie rather than once per keyword: a Unicode
 * class under the `i` flag is costly to compile, and a failed end check backtracks into the trie to a shorter
 * keyword anyway.
 */
const WORD_EDGE = `(?:(?<!${WORD_CHAR})|(?!${WORD_CHAR}))`;

/**
 * All of a rule's keywords as one regex shaped like a trie (`new(?: york|)` rather than `new york|new`), so the
 * engine looks at each character of the text a few times however many keywords there are.
 */
function keywordRegex(keywords: readonly string[], flags: string): RegExp {
  const root = buildTrie(keywords, !flags.includes('i'));
  return new RegExp(`${WORD_EDGE}${trieSource(root)}${WORD_EDGE}`, flags);
}

// ---- patterns ----

/** The pattern as shown in error messages: enough to find it in the config. */
const quoted = (source: string): string => JSON.stringify(source.length > 60 ? `${source.slice(0, 57)}...` : source);

function patternRegex(rule: string, source: string, n: number, flags: string): RegExp {
  let regex: RegExp;
  try {
    regex = new RegExp(source, flags);
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw new CustomRuleError(rule, `pattern ${n} ${quoted(source)} is not a valid regular expression (${why})`, { cause: err });
  }
  // The hazard first: `(a*)*` also matches the empty string, but its nesting is the more useful thing to hear.
  const hazard = findBacktrackingHazard(source, !flags.includes('i'));
  if (hazard) throw new CustomRuleError(rule, `pattern ${n} ${quoted(source)} ${hazard}; it could make a scan take very long on some texts, rewrite it without the nested or adjacent repetition`);
  if (new RegExp(source, flags.replace('g', '')).test('')) {
    throw new CustomRuleError(rule, `pattern ${n} ${quoted(source)} can match the empty string; make it require at least one character`);
  }
  return regex;
}

interface Quantifier {
  min: number;
  max: number;
  /** Characters it takes in the source, a lazy `?` included. */
  length: number;
}

/** The quantifier at `i` (`*`, `+`, `?`, `{n}`, `{n,}`, `{n,m}`, each maybe lazy), or undefined. */
function quantifierAt(source: string, i: number): Quantifier | undefined {
  let q: Quantifier | undefined;
  const c = source[i];
  if (c === '*') q = { min: 0, max: Infinity, length: 1 };
  else if (c === '+') q = { min: 1, max: Infinity, length: 1 };
  else if (c === '?') q = { min: 0, max: 1, length: 1 };
  else if (c === '{') {
    const m = /^\{(\d+)(,(\d*))?\}/.exec(source.slice(i, i + 32));
    if (m) {
      const min = Number(m[1]);
      const max = m[2] === undefined ? min : m[3] === '' ? Infinity : Number(m[3]);
      q = { min, max, length: m[0].length };
    }
  }
  if (q && source[i + q.length] === '?') q.length += 1;
  return q;
}

/** The index just past the escape starting at `i` (`\p{…}`, `\u{…}` and `\k<…>` included). */
function skipEscape(source: string, i: number): number {
  const next = source[i + 1];
  if ((next === 'p' || next === 'P' || next === 'u') && source[i + 2] === '{') return source.indexOf('}', i) + 1;
  if (next === 'k' && source[i + 2] === '<') return source.indexOf('>', i) + 1;
  return i + 2;
}

/** The index just past the character class starting at `i` (in `u` mode, without `v`, classes do not nest). */
function skipClass(source: string, i: number): number {
  let j = i + 1;
  while (j < source.length && source[j] !== ']') j = source[j] === '\\' ? j + 2 : j + 1;
  return j + 1;
}

/** The length of a group's opening syntax: `(`, `(?:`, `(?=`, `(?!`, `(?<=`, `(?<!`, `(?<name>`. */
function groupOpeningLength(source: string, i: number): number {
  if (source[i + 1] !== '?') return 1;
  if (source[i + 2] === '<' && source[i + 3] !== '=' && source[i + 3] !== '!') return source.indexOf('>', i) - i + 1;
  return source[i + 2] === '<' ? 4 : 3;
}

const LITERAL_ALTERNATIVE = /^(?:[^\\^$.*+?()[\]{}|]|\\[^A-Za-z0-9])+$/u;

/** A literal alternative as the text it matches, folded when case does not count. */
function literalKey(alternative: string, caseSensitive: boolean): string {
  const text = alternative.replace(/\\(.)/gu, '$1');
  return caseSensitive ? text : text.toUpperCase().toLowerCase();
}

/**
 * Whether the alternatives of a group can compete for the same text: true unless every one is a plain literal and
 * none is a prefix of another (then at most one can match at any place, so repeating the group never branches).
 * `(?:get|put|post)` is unambiguous; `(?:a|ab)`, `(?:\w|_)` or an empty alternative is not.
 */
function alternativesOverlap(alternatives: readonly string[], caseSensitive: boolean): boolean {
  if (!alternatives.every((alt) => LITERAL_ALTERNATIVE.test(alt))) return true;
  const keys = alternatives.map((alt) => literalKey(alt, caseSensitive));
  return keys.some((a, i) => keys.some((b, j) => i !== j && b.startsWith(a)));
}

interface GroupFrame {
  /** Where the group's body starts in the source. */
  bodyStart: number;
  /** A lookaround: it consumes nothing, so the repetitions on either side of it are still adjacent. */
  zeroWidth: boolean;
  /** Positions of the group's own `|`. */
  bars: number[];
  /** Something inside can match in more than one way: a variable quantifier or overlapping alternatives. */
  ambiguous: boolean;
  /** The unbounded one-character repetitions (`\d+`, `.*`) that nothing mandatory has closed yet. */
  open: { atom: string; written: string }[];
}

/** Characters tried to decide whether two one-character atoms can match the same character. */
const OVERLAP_SAMPLES = [
  ...Array.from({ length: 0x7f }, (_, c) => String.fromCharCode(c)),
  ...'\u00a0\u00b5\u00df\u00e9\u0130\u0131\u017f\u01c5\u0301\u03a9\u03b1\u0416\u0436\u0663\u200b\u2003\u2028\u20ac\u212a\u3042\u4e2d\ufeff\u{1d4b3}\u{1f600}',
];

/**
 * Whether two one-character atoms (a character, an escape, a class, `.`) can match the same character. Decided by
 * trying ASCII, a sample of other scripts and every character written in either atom: close enough for a safety
 * check, and an overlap it misses only lets a slow pattern through to the windowed scan.
 */
function atomsOverlap(a: string, b: string, caseSensitive: boolean): boolean {
  const flags = caseSensitive ? 'u' : 'iu';
  const ra = new RegExp(`^(?:${a})$`, flags);
  const rb = new RegExp(`^(?:${b})$`, flags);
  return [...OVERLAP_SAMPLES, ...a, ...b].some((ch) => ra.test(ch) && rb.test(ch));
}

/**
 * A syntactic check for the shapes that make a backtracking engine take exponential or high polynomial time:
 * - a group repeated more than once (`*`, `+`, `{n,}`, `{n,m}` with m > 1) whose body, at any depth, holds either a
 *   quantifier with a variable count (`a+`, `a?`, `a{1,3}`) or alternatives that can match the same text (`a|a`,
 *   `\w|_`): `(a+)+`, `(a*)*`, `(a|a)*`, `(?:\w+\s?)+`, `(.*a){10}`, `((ab)+c)*`;
 * - two unbounded repetitions of one-character atoms that can match the same characters with nothing mandatory
 *   and different between them: `\d+\d+`, `.*.*`, `\w+\s*\w*`, `[a-z]+\b[a-z0-9]+` (cubic on a long run).
 *
 * It is conservative: it also rejects safe shapes whose repetitions are separated by a literal, such as
 * `(?:\w+\.)+` (rewrite as `[\w.]+` or match each part separately). It does not catch adjacent repetitions of
 * groups (`(?:ab)+(?:ab)+`) or across group edges (`\d+(\d+)`), ambiguity through backreferences, or blow-ups
 * from large bounded counts; and one unbounded repetition is still quadratic on some texts (`\d+x` on a long run
 * of digits). The windowed scan bounds what is left. The source must already be a valid `u`-mode regex.
 * Returns what is wrong, or undefined.
 */
export function findBacktrackingHazard(source: string, caseSensitive: boolean): string | undefined {
  const frame = (bodyStart: number, zeroWidth: boolean): GroupFrame => ({ bodyStart, zeroWidth, bars: [], ambiguous: false, open: [] });
  const stack: GroupFrame[] = [frame(0, false)];
  const top = (): GroupFrame => stack[stack.length - 1]!;
  let i = 0;
  while (i < source.length) {
    const c = source[i]!;
    if (c === '(') {
      const zeroWidth = source[i + 1] === '?' && (source[i + 2] === '=' || source[i + 2] === '!' || (source[i + 2] === '<' && (source[i + 3] === '=' || source[i + 3] === '!')));
      i += groupOpeningLength(source, i);
      stack.push(frame(i, zeroWidth));
      continue;
    }
    if (c === '|') {
      top().bars.push(i);
      top().open = [];
      i += 1;
      continue;
    }
    if (c === ')') {
      const group = stack.pop()!;
      if (group.bars.length > 0 && alternativesOverlap(splitAlternatives(source, group, i), caseSensitive)) group.ambiguous = true;
      const q = quantifierAt(source, i + 1);
      if (q && q.max > 1 && group.ambiguous) {
        return `repeats a group (ending at character ${i + 1}) that itself contains a repetition or alternatives that can match the same text, like (a+)+ or (a|a)*`;
      }
      if (group.ambiguous || (q && q.min !== q.max)) top().ambiguous = true;
      if (!group.zeroWidth) top().open = [];
      i += 1 + (q?.length ?? 0);
      continue;
    }
    if (c === '^' || c === '$' || (c === '\\' && (source[i + 1] === 'b' || source[i + 1] === 'B'))) {
      i += c === '\\' ? 2 : 1; // assertions consume nothing
      continue;
    }
    // Any other atom: an escape, a class, or one character.
    const atomStart = i;
    i = c === '\\' ? skipEscape(source, i) : c === '[' ? skipClass(source, i) : i + (source.codePointAt(i)! > 0xffff ? 2 : 1);
    const atom = source.slice(atomStart, i);
    const q = quantifierAt(source, i) ?? { min: 1, max: 1, length: 0 };
    if (q.min !== q.max) top().ambiguous = true;
    i += q.length;
    const hazard = adjacentRepetition(top(), { atom, written: source.slice(atomStart, i) }, q, caseSensitive);
    if (hazard) return hazard;
  }
  return undefined;
}

/** Records `atom` in the frame's run of adjacent repetitions; what is wrong if it repeats over an open one. */
function adjacentRepetition(frame: GroupFrame, repetition: { atom: string; written: string }, q: Quantifier, caseSensitive: boolean): string | undefined {
  // A backreference matches text, not a character: it ends the run (leniently).
  if (/^\\(?:[1-9]|k<)/.test(repetition.atom)) {
    frame.open = [];
    return undefined;
  }
  const overlapping = frame.open.filter((open) => atomsOverlap(open.atom, repetition.atom, caseSensitive));
  if (q.max === Infinity && overlapping[0]) {
    return `has two repetitions, ${overlapping[0].written} and ${repetition.written}, that can match the same characters one after the other (like \\d+\\d+)`;
  }
  if (q.min > 0 && overlapping.length === 0) frame.open = [];
  if (q.max === Infinity) frame.open.push(repetition);
  return undefined;
}

function splitAlternatives(source: string, group: GroupFrame, end: number): string[] {
  const cuts = [group.bodyStart - 1, ...group.bars, end];
  return cuts.slice(1).map((cut, k) => source.slice(cuts[k]! + 1, cut));
}

// ---- scanning ----

const isHighSurrogate = (code: number): boolean => code >= 0xd800 && code <= 0xdbff;
const isLowSurrogate = (code: number): boolean => code >= 0xdc00 && code <= 0xdfff;

/** `i`, moved forward off the second half of a surrogate pair so a cut there does not split a character. */
function codePointBoundary(text: string, i: number): number {
  return i > 0 && i < text.length && isLowSurrogate(text.charCodeAt(i)) && isHighSurrogate(text.charCodeAt(i - 1)) ? i + 1 : i;
}

/** The index of the code point after the one at `i` (an empty match must move the scan on by a whole one). */
function nextCodePoint(text: string, i: number): number {
  return isHighSurrogate(text.charCodeAt(i)) && i + 1 < text.length ? i + 2 : i + 1;
}

function scanKeywords(regex: RegExp, text: string, ruleId: string, out: Finding[]): void {
  regex.lastIndex = 0;
  for (let m = regex.exec(text); m; m = regex.exec(text)) {
    out.push({ type: 'custom', rule: ruleId, start: m.index, end: m.index + m[0].length, score: 1 });
  }
}

/**
 * A pattern's matches in the first `limits.scanChars` of `text`, searched window by window.
 *
 * Why windows: a backtracking engine searching a whole text is quadratic even for harmless-looking patterns
 * (`[a-z0-9]+@x` on a 100 kB base64 blob takes seconds: from every start it runs to the end of the blob and back).
 * Each window owns WINDOW_STRIDE start positions and sees `maxMatchChars` more after them, plus
 * LOOKBEHIND_CONTEXT before, so a search costs at most the square of a window, and a whole scan grows linearly
 * with the text. The price: a match longer than `maxMatchChars` is reported cut at the window's end (the rest of a
 * long run then follows as further findings), and lookarounds see only that much context past the window.
 */
function scanPattern(regex: RegExp, text: string, ruleId: string, out: Finding[], maxMatchChars: number): void {
  let from = 0; // a match may not start before the end of the previous one
  for (let owned = 0; owned < text.length; ) {
    const ownedEnd = codePointBoundary(text, owned + WINDOW_STRIDE);
    if (from < ownedEnd) {
      const sliceStart = codePointBoundary(text, Math.max(0, owned - LOOKBEHIND_CONTEXT));
      const sliceEnd = codePointBoundary(text, Math.min(text.length, ownedEnd + maxMatchChars));
      const slice = text.slice(sliceStart, sliceEnd);
      // Starting past the slice's first character also keeps `^` from matching at a window's edge.
      regex.lastIndex = Math.max(owned, from) - sliceStart;
      for (let m = regex.exec(slice); m; m = regex.exec(slice)) {
        const start = sliceStart + m.index;
        if (start >= ownedEnd) break; // the next window sees it with more context after it
        if (m[0].length === 0) {
          regex.lastIndex = nextCodePoint(slice, regex.lastIndex);
          if (regex.lastIndex > slice.length) break;
          continue;
        }
        from = start + m[0].length;
        out.push({ type: 'custom', rule: ruleId, start, end: from, score: 1 });
      }
    }
    owned = ownedEnd;
  }
}

/** `text` cut to at most `max` code units, not splitting a surrogate pair. */
function capped(text: string, max: number): string {
  if (text.length <= max) return text;
  return text.slice(0, isHighSurrogate(text.charCodeAt(max - 1)) ? max - 1 : max);
}

function scanAll(rules: readonly CompiledRule[], text: string, limits: Limits): Finding[] {
  if (text.length === 0) return [];
  const head = capped(text, limits.scanChars);
  const found: Finding[] = [];
  for (const r of rules) {
    const before = found.length;
    for (const m of r.matchers) {
      if (m.kind === 'keywords') scanKeywords(m.regex, text, r.id, found);
      else scanPattern(m.regex, head, r.id, found, limits.matchChars);
    }
    // Two patterns of one rule matching the same span are one finding.
    if (r.matchers.length > 1) dedupeFrom(found, before);
  }
  return found.sort((a, b) => a.start - b.start || b.end - a.end);
}

function dedupeFrom(found: Finding[], from: number): void {
  const spans = new Set<string>();
  let kept = from;
  for (let i = from; i < found.length; i++) {
    const f = found[i]!;
    const key = `${f.start}:${f.end}`;
    if (spans.has(key)) continue;
    spans.add(key);
    found[kept++] = f;
  }
  found.length = kept;
}
