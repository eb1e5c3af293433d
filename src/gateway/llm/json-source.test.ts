// Editing a client's JSON bytes instead of re-serialising: checked against JSON.parse/stringify.
import canonicalize from 'canonicalize';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { jsonSource } from './json-source.js';

/** What the edited bytes say, in a form where key order, whitespace and escapes do not matter. */
const meaning = (text: string): string | undefined => canonicalize(JSON.parse(text));

/** Edits `text`'s object with `edit` both ways: through the source, and as JSON.stringify of the edited object. */
function bothWays(text: string, edit: (body: Record<string, unknown>) => Record<string, unknown>): { edited: string | undefined; reference: string } {
  const bytes = Buffer.from(text);
  const parsed = JSON.parse(text) as Record<string, unknown>;
  const source = jsonSource(bytes, parsed);
  const body = edit(parsed);
  const pieces = source?.encode(body);
  return { edited: pieces ? Buffer.concat(pieces).toString('utf8') : undefined, reference: JSON.stringify(body) };
}

const withModel = (model: string) => (b: Record<string, unknown>) => ({ ...b, model });

describe('jsonSource', () => {
  it('changes only the top-level model and copies the rest byte for byte', () => {
    const text = '{ "model" : "fast",\n  "messages": [{"role":"user","content":"hi \\"there\\" {[", "model": "nested"}],\n  "temperature": 1.0, "n": 1e2 }';
    const { edited, reference } = bothWays(text, withModel('gpt-4o-mini'));
    expect(edited).toBe('{"model":"gpt-4o-mini","messages": [{"role":"user","content":"hi \\"there\\" {[", "model": "nested"}],\n  "temperature": 1.0, "n": 1e2}');
    expect(meaning(edited!)).toBe(meaning(reference));
  });

  it('reads escaped keys as JSON.parse does', () => {
    const { edited, reference } = bothWays('{"mod\\u0065l":"fast","x\\"y":1}', withModel('m'));
    expect(edited).toBe('{"model":"m","x\\"y":1}');
    expect(meaning(edited!)).toBe(meaning(reference));
  });

  it('keeps unicode, escapes and surrogate pairs as sent', () => {
    const text = '{"messages":[{"content":"日本語 🦊 \\ud83e\\udd8a \\u00e9 \\n\\t\\\\"}],"model":"fast"}';
    const { edited, reference } = bothWays(text, withModel('ü-model'));
    expect(edited).toBe('{"messages":[{"content":"日本語 🦊 \\ud83e\\udd8a \\u00e9 \\n\\t\\\\"}],"model":"ü-model"}');
    expect(meaning(edited!)).toBe(meaning(reference));
  });

  it('removes, adds and replaces members as the edited object says', () => {
    const text = '{"model":"fast","stream":false,"stream_options":{"include_usage":true},"max_tokens":10,"messages":[]}';
    const edit = (b: Record<string, unknown>): Record<string, unknown> => {
      const out: Record<string, unknown> = { ...b, model: 'x', max_completion_tokens: 5 };
      delete out.stream;
      delete out.stream_options;
      delete out.max_tokens;
      return out;
    };
    const { edited, reference } = bothWays(text, edit);
    expect(edited).toBe('{"model":"x","messages":[],"max_completion_tokens":5}');
    expect(meaning(edited!)).toBe(meaning(reference));
  });

  it('re-serialises a member whose value was changed in place at the top level', () => {
    const text = '{"model":"fast","max_tokens":100000,"messages":[]}';
    const { edited, reference } = bothWays(text, (b) => {
      b.max_tokens = 64;
      return { ...b };
    });
    expect(edited).toBe('{"model":"fast","max_tokens":64,"messages":[]}');
    expect(meaning(edited!)).toBe(meaning(reference));
  });

  it('leaves out members JSON.stringify leaves out', () => {
    const { edited } = bothWays('{"model":"fast","a":1}', (b) => ({ ...b, a: undefined, f: () => 1 }));
    expect(edited).toBe('{"model":"fast"}');
  });

  it('handles an empty object and a __proto__ key', () => {
    expect(bothWays('{}', withModel('m')).edited).toBe('{"model":"m"}');
    const { edited, reference } = bothWays('{"__proto__":{"x":1},"model":"a"}', withModel('b'));
    expect(edited).toBe('{"__proto__":{"x":1},"model":"b"}');
    expect(meaning(edited!)).toBe(meaning(reference));
    const dropped = bothWays('{"__proto__":{"x":1},"model":"a"}', (b) => {
      const out = { ...b };
      delete out['__proto__'];
      return out;
    });
    expect(dropped.edited).toBe('{"model":"a"}');
  });

  it('refuses sources an edit could send differently from what was parsed', () => {
    const refused = (bytes: Buffer): boolean => jsonSource(bytes, JSON.parse(bytes.toString('utf8')))?.encode({}) === undefined;
    // A key given twice: JSON.parse kept the last, an upstream might read the first.
    expect(refused(Buffer.from('{"model":"a","model":"b"}'))).toBe(true);
    expect(refused(Buffer.from('{"messages":[{"content":"safe","content":"secret"}]}'))).toBe(true);
    expect(refused(Buffer.from('{"a":{"b":{"c":1,"c":2}}}'))).toBe(true);
    // Not UTF-8: the parse saw U+FFFD where the bytes hold something else.
    expect(refused(Buffer.concat([Buffer.from('{"content":"'), Buffer.from([0xff, 0xfe]), Buffer.from('"}')]))).toBe(true);
    expect(jsonSource(Buffer.from('[1]'), [1])).toBeUndefined();
    expect(jsonSource(Buffer.from('"x"'), 'x')).toBeUndefined();
    expect(refused(Buffer.from('{"a":{"b":1},"c":[{"b":1}]}'))).toBe(false);
  });

  it('matches JSON.stringify for any object and any top-level edits', () => {
    const spaced = fc.constantFrom('', ' ', '\n', '\t', ' \r\n ');
    const edit = fc.array(
      fc.oneof(
        fc.record({ op: fc.constant('set' as const), key: fc.oneof(fc.constantFrom('model', 'stream', 'max_tokens'), fc.string()), value: fc.jsonValue() }),
        fc.record({ op: fc.constant('delete' as const), key: fc.oneof(fc.constantFrom('model', 'stream'), fc.string()) }),
      ),
      { maxLength: 5 },
    );
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue()), edit, spaced, (object, edits, ws) => {
        // Whitespace between tokens, as a client might send it.
        const text = JSON.stringify(object, null, ws === '' ? undefined : ws.length);
        const parsed = JSON.parse(text) as Record<string, unknown>;
        const source = jsonSource(Buffer.from(text), parsed);
        const body: Record<string, unknown> = { ...parsed };
        for (const e of edits) {
          if (e.op === 'set') body[e.key] = e.value;
          else delete body[e.key];
        }
        const pieces = source?.encode(body);
        expect(pieces).toBeDefined();
        expect(meaning(Buffer.concat(pieces!).toString('utf8'))).toBe(meaning(JSON.stringify(body)));
      }),
      { numRuns: 300 },
    );
  });

  it('keeps a large prompt in one piece of the source, not a copy', () => {
    const big = JSON.stringify({ model: 'fast', messages: [{ role: 'user', content: 'a'.repeat(200_000) }] });
    const bytes = Buffer.from(big);
    const parsed = JSON.parse(big) as Record<string, unknown>;
    const same = jsonSource(bytes, parsed)!.encode({ ...parsed, model: 'm' })!;
    const largest = same.reduce((a, b) => (b.length > a.length ? b : a));
    expect(largest.buffer).toBe(bytes.buffer);
    expect(Buffer.concat(same).toString()).toBe(JSON.stringify({ ...parsed, model: 'm' }));
  });
});
