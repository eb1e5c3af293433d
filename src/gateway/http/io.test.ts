// Reading JSON bodies: the nesting depth check that keeps deep bodies from overflowing the stack.
import { describe, expect, it } from 'vitest';
import { headerSafe, MAX_JSON_DEPTH, nestingDepth } from './io.js';

describe('nestingDepth', () => {
  it('counts arrays and objects, not brackets inside strings', () => {
    expect(nestingDepth('{"a":[1,{"b":[]}]}', 10)).toBe(4);
    expect(nestingDepth('{"a":"[[[{{{"}', 10)).toBe(1);
    expect(nestingDepth('"just text"', 10)).toBe(0);
    expect(nestingDepth('[[],[],[[]]]', 10)).toBe(3);
  });

  it('ends a string only at an unescaped quote (an even run of backslashes before it)', () => {
    expect(nestingDepth(JSON.stringify({ a: 'say \\"[[[' }), 10)).toBe(1);
    expect(nestingDepth(JSON.stringify({ a: 'ends in a backslash \\', b: [[1]] }), 10)).toBe(3);
    expect(nestingDepth(JSON.stringify({ a: '\\\\"[', b: {} }), 10)).toBe(2);
  });

  it('stops counting just past the limit', () => {
    const deep = '['.repeat(100_000) + ']'.repeat(100_000);
    expect(nestingDepth(deep, MAX_JSON_DEPTH)).toBe(MAX_JSON_DEPTH + 1);
    const ok = '['.repeat(MAX_JSON_DEPTH) + ']'.repeat(MAX_JSON_DEPTH);
    expect(nestingDepth(ok, MAX_JSON_DEPTH)).toBe(MAX_JSON_DEPTH);
  });
});

describe('headerSafe', () => {
  it('leaves printable ASCII alone and percent-encodes the rest, lone surrogates included', () => {
    expect(headerSafe('oai/gpt-4o-mini')).toBe('oai/gpt-4o-mini');
    expect(headerSafe('oai/gpt🦊')).toBe('oai/gpt%F0%9F%A6%8A');
    expect(headerSafe('m\u0000x')).toBe('m%00x');
    expect(headerSafe('a\ud800b')).toBe('a%EF%BF%BDb');
  });
});
