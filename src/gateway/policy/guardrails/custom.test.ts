// Tests of custom rules: keyword boundaries and case, escaping, pattern spans, validation messages, the
// backtracking check and the scan cap.

import { describe, expect, it } from 'vitest';
import { compileCustomRules, CustomRuleError, findBacktrackingHazard, type CustomRule } from './custom.js';

const rule = (r: Partial<CustomRule> & { name: string }): CustomRule => ({ action: 'block', ...r });

/** `[rule id, matched text]` of every finding. */
const found = (rules: CustomRule[], text: string, options = {}): [string, string][] =>
  compileCustomRules(rules, options)
    .detector.scan(text)
    .map((f) => [f.rule, text.slice(f.start, f.end)]);

const compileError = (rules: CustomRule[]): string => {
  try {
    compileCustomRules(rules);
  } catch (err) {
    expect(err).toBeInstanceOf(CustomRuleError);
    return (err as Error).message;
  }
  throw new Error('expected the rules not to compile');
};

describe('keywords', () => {
  const codenames = [rule({ name: 'codenames', keywords: ['bluebird', 'project x'] })];

  it('matches whole words only', () => {
    expect(found(codenames, 'Bluebird ships; bluebirds and xbluebird do not. project x does.')).toEqual([
      ['custom.codenames', 'Bluebird'],
      ['custom.codenames', 'project x'],
    ]);
  });

  it('treats Unicode letters and marks as word characters', () => {
    const cafe = [rule({ name: 'cafe', keywords: ['café', 'cafe'] })];
    expect(found(cafe, 'cafés, café, e\u0301cafe, cafe\u0301')).toEqual([['custom.cafe', 'café']]);
  });

  it('is case-insensitive unless told otherwise', () => {
    const sensitive = [rule({ name: 'exact', keywords: ['Acme'], caseSensitive: true })];
    expect(found(sensitive, 'acme ACME Acme')).toEqual([['custom.exact', 'Acme']]);
    expect(found([rule({ name: 'any', keywords: ['Acme'] })], 'acme ACME')).toHaveLength(2);
  });

  it('escapes metacharacters and applies boundaries only at word-character ends', () => {
    const langs = [rule({ name: 'langs', keywords: ['c++', 'a.b', '.net', '(x)', 'c'] })];
    expect(found(langs, 'c++ and abc++ and a.b not axb; use .net or asp.net, (x) and c.')).toEqual([
      ['custom.langs', 'c++'],
      ['custom.langs', 'a.b'],
      ['custom.langs', '.net'],
      ['custom.langs', '.net'],
      ['custom.langs', '(x)'],
      ['custom.langs', 'c'],
    ]);
  });

  it('prefers the longer keyword starting at the same place', () => {
    expect(found([rule({ name: 'city', keywords: ['new', 'new york'] })], 'new york, new jersey, new yorker')).toEqual([
      ['custom.city', 'new york'],
      ['custom.city', 'new'],
      ['custom.city', 'new'], // `new york` is not a whole word in `new yorker`: the shorter keyword still is
    ]);
  });

  it('compiles many keywords into one pass', () => {
    const words = Array.from({ length: 2000 }, (_, i) => `word${i}`);
    const compiled = compileCustomRules([rule({ name: 'many', keywords: words })]);
    const text = 'x '.repeat(200_000) + 'word1999 word7';
    const t0 = performance.now();
    const findings = compiled.detector.scan(text);
    expect(findings.map((f) => text.slice(f.start, f.end))).toEqual(['word1999', 'word7']);
    expect(performance.now() - t0).toBeLessThan(500);
  });
});

describe('patterns', () => {
  it('reports UTF-16 spans, with astral characters before the match', () => {
    const text = '😀𝒳 ticket ABC-1234 and abc-9';
    const findings = compileCustomRules([rule({ name: 'ticket', patterns: ['[a-z]{3}-\\d+'] })]).detector.scan(text);
    expect(findings).toEqual([
      { type: 'custom', rule: 'custom.ticket', start: 12, end: 20, score: 1 },
      { type: 'custom', rule: 'custom.ticket', start: 25, end: 30, score: 1 },
    ]);
    expect(findings.map((f) => text.slice(f.start, f.end))).toEqual(['ABC-1234', 'abc-9']);
  });

  it('honours caseSensitive', () => {
    expect(found([rule({ name: 't', patterns: ['[A-Z]{3}-\\d+'], caseSensitive: true })], 'abc-1 ABC-2')).toEqual([['custom.t', 'ABC-2']]);
  });

  it('matches astral characters as one code point (u flag)', () => {
    expect(found([rule({ name: 'emoji', patterns: ['😀+'] })], 'a😀😀b')).toEqual([['custom.emoji', '😀😀']]);
  });

  it('skips empty matches from assertions and terminates', () => {
    expect(found([rule({ name: 'b', patterns: ['(?=😀)|x'] })], 'a😀x😀')).toEqual([['custom.b', 'x']]);
  });

  it('counts two patterns of a rule matching the same span once', () => {
    expect(found([rule({ name: 'dup', patterns: ['abc', 'a[b]c'], keywords: ['abc'] })], 'abc')).toEqual([['custom.dup', 'abc']]);
  });

  it('scans at most maxScanChars with patterns, the whole text with keywords', () => {
    const text = `${'.'.repeat(100)}secret`;
    expect(found([rule({ name: 'p', patterns: ['secret'] })], text, { maxScanChars: 100 })).toEqual([]);
    expect(found([rule({ name: 'p', patterns: ['secret'] })], text, { maxScanChars: 106 })).toEqual([['custom.p', 'secret']]);
    expect(found([rule({ name: 'k', keywords: ['secret'] })], text, { maxScanChars: 100 })).toEqual([['custom.k', 'secret']]);
  });

  it('does not split a surrogate pair at the cap', () => {
    expect(found([rule({ name: 'p', patterns: ['.'] })], 'a😀', { maxScanChars: 2 })).toEqual([['custom.p', 'a']]);
  });
});

describe('windowed pattern scan', () => {
  /** The matches of a plain exec loop over the whole text, for comparison. */
  const reference = (source: string, text: string): [number, number][] => [...text.matchAll(new RegExp(source, 'giu'))].map((m) => [m.index, m.index + m[0].length]);
  const spans = (source: string, text: string, options = {}): [number, number][] =>
    compileCustomRules([rule({ name: 'w', patterns: [source] })], options)
      .detector.scan(text)
      .map((f) => [f.start, f.end]);

  it('finds matches straddling window edges once, as a whole-text search does', () => {
    let text = '';
    let seed = 7;
    const random = (n: number): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % n;
    while (text.length < 6000) text += random(3) === 0 ? ` ABC-${random(100000)} ` : '😀 filler '.slice(random(5));
    for (const source of ['[a-z]{3}-\\d+', '(?<=[^a-z])[a-z]{3}-\\d{2}', 'c-\\d+(?= )', '\\bfill']) {
      expect(spans(source, text)).toEqual(reference(source, text));
    }
  });

  it('does not let ^ match at a window edge', () => {
    expect(spans('^x', 'x'.repeat(3000))).toEqual([[0, 1]]);
  });

  it('reports a match longer than maxMatchChars in pieces', () => {
    const found = spans('a+', 'a'.repeat(2000), { maxMatchChars: 100 });
    expect(found[0]).toEqual([0, 612]);
    expect(found.at(-1)![1]).toBe(2000);
    found.slice(1).forEach(([start], k) => expect(start).toBe(found[k]![1])); // contiguous, no overlap
  });

  it('keeps a quadratic pattern linear in the text', () => {
    const blob = 'a1'.repeat(100_000); // a whole-text search takes about 10 s
    const t0 = performance.now();
    expect(spans('[a-z0-9]+@x', blob)).toEqual([]);
    expect(performance.now() - t0).toBeLessThan(1500);
  });
});

describe('detector', () => {
  it('returns nothing for empty text', () => {
    expect(found([rule({ name: 'a', keywords: ['x'], patterns: ['y'] })], '')).toEqual([]);
  });

  it('sorts overlapping findings of different rules by start, longest first', () => {
    const rules = [rule({ name: 'short', keywords: ['york'] }), rule({ name: 'long', patterns: ['new york city'] }), rule({ name: 'mid', keywords: ['new york'] })];
    expect(found(rules, 'in new york city')).toEqual([
      ['custom.long', 'new york city'],
      ['custom.mid', 'new york'],
      ['custom.short', 'york'],
    ]);
  });

  it('does not scan rules that are off, but still knows them', () => {
    const compiled = compileCustomRules([rule({ name: 'quiet', keywords: ['x'], action: 'off' }), rule({ name: 'loud', keywords: ['x'], action: 'warn', at: ['tool.result'] })]);
    expect(compiled.detector.type).toBe('custom');
    expect(compiled.detector.scan('x').map((f) => f.rule)).toEqual(['custom.loud']);
    expect(compiled.ruleOf('custom.loud')).toMatchObject({ action: 'warn', at: ['tool.result'] });
    expect(compiled.ruleOf('custom.quiet')?.action).toBe('off');
    expect(compiled.ruleOf('loud')).toBeUndefined();
  });

  it('is reusable: a second scan starts afresh', () => {
    const { detector } = compileCustomRules([rule({ name: 'p', patterns: ['ab'] })]);
    expect(detector.scan('ab ab')).toHaveLength(2);
    expect(detector.scan('ab')).toHaveLength(1);
  });
});

describe('validation', () => {
  it.each([
    [[rule({ name: 'bad', patterns: ['(abc'] })], /^custom rule "bad": pattern 1 "\(abc" is not a valid regular expression \(.*Unterminated group.*\)$/],
    [[rule({ name: 'bad', patterns: ['ok', '\\-'] })], /^custom rule "bad": pattern 2 "\\\\-" is not a valid regular expression/],
    [[rule({ name: 'empty', patterns: ['a*'] })], /^custom rule "empty": pattern 1 "a\*" can match the empty string; make it require at least one character$/],
    [[rule({ name: 'empty', patterns: [''] })], /^custom rule "empty": pattern 1 "" can match the empty string/],
    [[rule({ name: 'nothing' })], /^custom rule "nothing": it has neither patterns nor keywords$/],
    [[rule({ name: 'nothing', patterns: [], keywords: [] })], /^custom rule "nothing": it has neither patterns nor keywords$/],
    [[rule({ name: 'blank', keywords: ['ok', '  '] })], /^custom rule "blank": keyword 2 is empty or not a string$/],
    [[rule({ name: 'long', keywords: ['x'.repeat(1001)] })], /^custom rule "long": keyword 1 is longer than 1000 characters$/],
    [[rule({ name: 'twice', keywords: ['a'] }), rule({ name: 'Twice', keywords: ['b'] })], /^custom rule "Twice": another rule has the same name$/],
    [[rule({ name: '-starts-with-dash', keywords: ['a'] })], /^custom rule "-starts-with-dash": the name must be 1 to 64 letters, digits, "_", "." or "-", starting with a letter or digit$/],
    [[rule({ name: 'has space', keywords: ['a'] })], /^custom rule "has space": the name must be/],
    [[rule({ name: '', keywords: ['a'] })], /^custom rule "": the name must be/],
    [[rule({ name: 'x'.repeat(65), keywords: ['a'] })], /the name must be 1 to 64/],
    [[rule({ name: 'act', keywords: ['a'], action: 'deny' as never })], /^custom rule "act": unknown action "deny" \(expected one of off, warn, block, mask, mask-and-restore, ask\)$/],
    [[rule({ name: 'loc', keywords: ['a'], at: ['tool.output' as never] })], /^custom rule "loc": unknown location "tool.output" in "at"/],
    [[rule({ name: 'nested', patterns: ['(a+)+$'] })], /^custom rule "nested": pattern 1 "\(a\+\)\+\$" repeats a group \(ending at character 4\) that itself contains a repetition or alternatives that can match the same text, like \(a\+\)\+ or \(a\|a\)\*; it could make a scan take very long on some texts, rewrite it without the nested or adjacent repetition$/],
    [[rule({ name: 'nested', patterns: ['(a*)*'] })], /pattern 1 "\(a\*\)\*" repeats a group/],
    [[rule({ name: 'alt', patterns: ['x(a|a)*'] })], /pattern 1 "x\(a\|a\)\*" repeats a group/],
    [[rule({ name: 'adjacent', patterns: ['\\d+\\s?\\d*x'] })], /^custom rule "adjacent": pattern 1 "\\\\d\+\\\\s\?\\\\d\*x" has two repetitions, \\d\+ and \\d\*, that can match the same characters one after the other \(like \\d\+\\d\+\); it could make a scan take very long/],
  ])('rejects %j', (rules, message) => {
    expect(compileError(rules)).toMatch(message);
  });

  it('keeps a long pattern short in the message', () => {
    expect(compileError([rule({ name: 'long', patterns: [`(${'a'.repeat(100)}`] })])).toContain(`"(${'a'.repeat(56)}..."`);
  });

  it('keeps the engine error as the cause', () => {
    try {
      compileCustomRules([rule({ name: 'bad', patterns: ['['] })]);
    } catch (err) {
      expect((err as CustomRuleError).cause).toBeInstanceOf(SyntaxError);
      expect((err as CustomRuleError).code).toBe('CUSTOM_RULE_INVALID');
      expect((err as CustomRuleError).rule).toBe('bad');
    }
    expect.assertions(3);
  });

  it('rejects bad limits', () => {
    expect(() => compileCustomRules([], { maxScanChars: 0 })).toThrow(RangeError);
    expect(() => compileCustomRules([], { maxMatchChars: 1.5 })).toThrow(/maxMatchChars/);
  });
});

describe('findBacktrackingHazard', () => {
  it.each([
    '(a+)+',
    '(a*)*',
    '(a|a)*',
    '(?:a|ab)+',
    '(?:\\w|_)+',
    '(?:\\w+\\s?)+',
    '(.*a){10}',
    '((ab)+c)*',
    '(?:x(?:a|a)y)+',
    '(?<word>[a-z]{1,3})+',
    '(?:a{1,3}b)+',
    '(?:a|)+',
    '(?:\\w+\\.)+', // safe, but the check is syntactic and conservative
    '\\d+\\d+x',
    '.*.*x',
    '\\w+\\s*\\w*',
    '[a-z]+\\b[a-z0-9]+',
    'a+(?=b)[ab]+',
    'x\\p{L}+\\p{Lu}*',
  ])('flags %j', (source) => {
    expect(findBacktrackingHazard(source, false)).toBeDefined();
  });

  it.each([
    'a+b+',
    '(a+)?',
    '(a+){1}',
    '(?:get|put|post)+',
    '(?:\\.|,|ab|ba)+',
    '(?:\\d{3}-)+',
    '[(a+)+]+',
    '\\(a+\\)+',
    '\\p{L}{2,}',
    '(?=a+)b',
    '(?<!x+)y',
    '(ab)+',
    '(?:foo|bar)\\s+(?:baz|qux)*',
    '\\w+\\s+\\w+',
    '\\d+-\\d+',
    '[a-z]+[0-9]+',
    '\\d+x\\d+',
    '\\d+\\d',
    '(\\d+)\\1+',
    'x.*y',
  ])('accepts %j', (source) => {
    expect(findBacktrackingHazard(source, false)).toBeUndefined();
  });

  it('compares alternatives case-insensitively unless the rule is case-sensitive', () => {
    expect(findBacktrackingHazard('(?:ab|A)+', false)).toBeDefined();
    expect(findBacktrackingHazard('(?:ab|A)+', true)).toBeUndefined();
  });
});
