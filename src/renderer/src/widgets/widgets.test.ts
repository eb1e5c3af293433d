// The widgets' pure parts: formatting, the folded JSON of an approval, and the table's windowing.
import { describe, expect, it } from 'vitest';
import { relative, span, usd } from './format';
import { FOLD_AT, jsonLines, patternCandidates } from './json';
import { visibleRange } from './windowing';

const text = (lines: ReturnType<typeof jsonLines>): string => lines.map((l) => '  '.repeat(l.indent) + l.tokens.map((t) => t.text).join('')).join('\n');

describe('format', () => {
  it('shows dollars, spans and relative times', () => {
    expect(usd(1.5)).toBe('$1.50');
    expect(usd(0.0039)).toBe('$0.0039');
    expect(usd(0)).toBe('$0.00');
    expect(span(3 * 86_400_000 + 4 * 3_600_000 + 5000)).toBe('3 d 4 h');
    expect(span(86_400_000 + 60_000)).toBe('1 d');
    expect(span(65_000)).toBe('1 min 5 s');
    expect(span(-5)).toBe('0 s');
    expect(relative('2026-11-24T10:00:00Z', Date.parse('2026-11-24T10:05:00Z'))).toBe('5 min ago');
    expect(relative('2026-11-24T13:02:00Z', Date.parse('2026-11-24T10:00:00Z'))).toBe('in 3 h 2 min');
    expect(relative('2026-11-24T10:00:01Z', Date.parse('2026-11-24T10:00:00Z'))).toBe('just now');
  });
});

describe('jsonLines', () => {
  it('pretty-prints JSON with markup kept as plain text', () => {
    const lines = jsonLines({ path: '/etc/passwd', n: 1, ok: true, none: null, list: [1, 'a'], empty: {}, html: '<b onclick="x">hi</b>' });
    expect(text(lines)).toBe(
      ['{', '  "path": "/etc/passwd",', '  "n": 1,', '  "ok": true,', '  "none": null,', '  "list": [', '    1,', '    "a"', '  ],', '  "empty": {},', '  "html": "<b onclick=\\"x\\">hi</b>"', '}'].join('\n'),
    );
    const path = lines[1]!.tokens.find((t) => t.kind === 'string');
    expect(path).toMatchObject({ link: true, path: '$.path' });
  });

  it('folds long strings until their path is expanded', () => {
    const long = 'y'.repeat(FOLD_AT + 50);
    const folded = jsonLines({ a: { b: long } });
    const token = folded[2]!.tokens.find((t) => t.kind === 'string');
    expect(token).toMatchObject({ path: '$.a.b', full: JSON.stringify(long) });
    expect(token!.text).toMatch(/^"y+… \(210 characters\)"$/);
    const open = jsonLines({ a: { b: long } }, new Set(['$.a.b']));
    expect(open[2]!.tokens.find((t) => t.kind === 'string')).toEqual({ kind: 'string', text: JSON.stringify(long), path: '$.a.b', link: false });
  });

  it('offers the plain top-level arguments as pattern fields', () => {
    expect(patternCandidates({ path: '/tmp/x', n: 2, flag: false, nested: { a: 1 }, list: [] })).toEqual([
      { name: 'path', value: '/tmp/x' },
      { name: 'n', value: '2' },
      { name: 'flag', value: 'false' },
    ]);
    expect(patternCandidates(['a'])).toEqual([]);
    expect(patternCandidates(undefined)).toEqual([]);
  });
});

describe('visibleRange', () => {
  it('renders the rows in view plus the overscan, clamped to the list', () => {
    expect(visibleRange(0, 280, 28, 1000, 5)).toEqual({ start: 0, end: 16 });
    expect(visibleRange(2800, 280, 28, 1000, 5)).toEqual({ start: 95, end: 116 });
    expect(visibleRange(27_900, 280, 28, 1000, 5)).toEqual({ start: 991, end: 1000 });
    expect(visibleRange(0, 280, 28, 0)).toEqual({ start: 0, end: 0 });
  });
});
