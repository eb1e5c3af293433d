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
//   not match the empty string, and must pass a syntactic check for exponential backtracking (see
//   `findBacktrackingHazard` for what it catches and what it does not).
// - Backtracking the check misses (polynomial shapes such as `\d+\d+x`) is bounded by scanning at most
//   `maxScanChars` (1 MiB of UTF-16 code units by default) of a text with each pattern; a match past that is not
//   reported. Keyword scans are linear and always cover the whole text.
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
  /** How much of a text each pattern scans, in UTF-16 code units (default 1 MiB). */
  maxScanChars?: number;
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
  /** Global regexes; `capped` ones see at most maxScanChars of the text. */
  matchers: { regex: RegExp; capped: boolean }[];
}

export function compileCustomRules(rules: readonly CustomRule[], options: CustomRulesOptions = {}): CompiledCustomRules {
  const maxScanChars = options.maxScanChars ?? DEFAULT_MAX_SCAN_CHARS;
  if (!(Number.isInteger(maxScanChars) && maxScanChars > 0)) throw new RangeError(`maxScanChars must be a positive integer, got ${maxScanChars}`);

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
    detector: { type: 'custom', scan: (text) => scanAll(active, text, maxScanChars) },
    ruleOf: (ruleId) => byId.get(ruleId),
  };
}

function compileRule(rule: CustomRule): CompiledRule {
  validateShape(rule);
  const flags = rule.caseSensitive ? 'gu' : 'giu';
  const matchers: CompiledRule['matchers'] = [];
  const keywords = rule.keywords ?? [];
  if (keywords.length > 0) matchers.push({ regex: keywordRegex(keywords, flags), capped: false });
  (rule.patterns ?? []).forEach((source, i) => matchers.push({ regex: patternRegex(rule.name, source, i + 1, flags), capped: true }));
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
  if (hazard) throw new CustomRuleError(rule, `pattern ${n} ${quoted(source)} ${hazard}; it could take exponential time on some texts, rewrite it without the nested repetition`);
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
  /** Positions of the group's own `|`. */
  bars: number[];
  /** Something inside can match in more than one way: a variable quantifier or overlapping alternatives. */
  ambiguous: boolean;
}

/**
 * A syntactic check for the shapes that make a backtracking engine take exponential time: a group repeated more
 * than once (`*`, `+`, `{n,}`, `{n,m}` with m > 1) whose body, at any depth, holds either a quantifier with a
 * variable count (`a+`, `a?`, `a{1,3}`) or alternatives that can match the same text (`a|a`, `\w|_`).
 * So it rejects `(a+)+`, `(a*)*`, `(a|a)*`, `(?:\w+\s?)+`, `(.*a){10}` and `((ab)+c)*`.
 *
 * It is conservative: it also rejects safe shapes whose repetitions are separated by a literal, such as
 * `(?:\w+\.)+` (rewrite as `[\w.]+` or match each part separately). It does not catch polynomial backtracking
 * between adjacent quantifiers (`\d+\d+x`, `.*.*x`), ambiguity through backreferences, or blow-ups from large
 * bounded counts: the scan cap bounds those. The source must already be a valid `u`-mode regex.
 * Returns what is wrong, or undefined.
 */
export function findBacktrackingHazard(source: string, caseSensitive: boolean): string | undefined {
  const stack: GroupFrame[] = [{ bodyStart: 0, bars: [], ambiguous: false }];
  const top = (): GroupFrame => stack[stack.length - 1]!;
  let i = 0;
  while (i < source.length) {
    const c = source[i];
    if (c === '(') {
      i += groupOpeningLength(source, i);
      stack.push({ bodyStart: i, bars: [], ambiguous: false });
      continue;
    }
    if (c === '|') {
      top().bars.push(i);
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
      i += 1 + (q?.length ?? 0);
      continue;
    }
    // Any other atom: an escape, a class, or one character.
    i = c === '\\' ? skipEscape(source, i) : c === '[' ? skipClass(source, i) : i + 1;
    const q = quantifierAt(source, i);
    if (q) {
      if (q.min !== q.max) top().ambiguous = true;
      i += q.length;
    }
  }
  return undefined;
}

function splitAlternatives(source: string, group: GroupFrame, end: number): string[] {
  const cuts = [group.bodyStart - 1, ...group.bars, end];
  return cuts.slice(1).map((cut, k) => source.slice(cuts[k]! + 1, cut));
}

// ---- scanning ----

/** `text` cut to at most `max` code units, not splitting a surrogate pair. */
function capped(text: string, max: number): string {
  if (text.length <= max) return text;
  const code = text.charCodeAt(max - 1);
  return text.slice(0, code >= 0xd800 && code <= 0xdbff ? max - 1 : max);
}

/** The index of the code point after the one at `i` (an empty match must move the scan on by a whole one). */
function nextCodePoint(text: string, i: number): number {
  const code = text.charCodeAt(i);
  return code >= 0xd800 && code <= 0xdbff && i + 1 < text.length ? i + 2 : i + 1;
}

function scanMatcher(regex: RegExp, text: string, ruleId: string, out: Finding[]): void {
  regex.lastIndex = 0;
  for (let m = regex.exec(text); m; m = regex.exec(text)) {
    if (m[0].length === 0) {
      if (regex.lastIndex >= text.length) break;
      regex.lastIndex = nextCodePoint(text, regex.lastIndex);
      continue;
    }
    out.push({ type: 'custom', rule: ruleId, start: m.index, end: m.index + m[0].length, score: 1 });
  }
}

function scanAll(rules: readonly CompiledRule[], text: string, maxScanChars: number): Finding[] {
  if (text.length === 0) return [];
  const head = capped(text, maxScanChars);
  const found: Finding[] = [];
  for (const r of rules) {
    const before = found.length;
    for (const m of r.matchers) scanMatcher(m.regex, m.capped ? head : text, r.id, found);
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
