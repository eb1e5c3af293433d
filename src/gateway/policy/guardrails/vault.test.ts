import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createVault, createVaults } from './vault.js';

describe('vault', () => {
  it('gives a value one placeholder, numbered per rule, and restores only restorable ones', () => {
    const v = createVault();
    const a = v.placeholder('AKIAEXAMPLEKEY000001', 'aws-access-key-id', true);
    expect(a).toBe('[[masked:aws-access-key-id:1]]');
    expect(v.placeholder('AKIAEXAMPLEKEY000001', 'aws-access-key-id', true)).toBe(a);
    const b = v.placeholder('hunter2hunter2', 'secret-assignment', false);
    expect(v.restore(`x ${a} y ${b}`)).toBe(`x AKIAEXAMPLEKEY000001 y ${b}`);
    expect(v.restore('[[masked:aws-access-key-id:9]] [[not a placeholder]]')).toBe('[[masked:aws-access-key-id:9]] [[not a placeholder]]');
  });

  it('escapes a restored value for the inside of a JSON string', () => {
    const v = createVault();
    const p = v.placeholder('line1\n"quoted"\\', 'private-key', true);
    const json = `{"k":"${p}"}`;
    expect(JSON.parse(v.restore(json, (s) => JSON.stringify(s).slice(1, -1)))).toEqual({ k: 'line1\n"quoted"\\' });
  });

  it('restores placeholders split anywhere across stream chunks, holding back no more than it must', () => {
    const v = createVault();
    const p = v.placeholder('SECRET-VALUE-123456', 'generic', true);
    const text = `before ${p} middle [[other]] and [ bracket ${p} end [`;
    const expected = text.split(p).join('SECRET-VALUE-123456');
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: text.length - 1 }), { maxLength: 12 }), (cuts) => {
        const at = [...new Set(cuts)].sort((a, b) => a - b);
        const pieces = [0, ...at].map((c, i) => text.slice(c, at[i] ?? text.length));
        const s = v.stream();
        const out = pieces.map((piece) => s.push(piece)).join('') + s.flush();
        expect(out).toBe(expected);
      }),
    );
    // Plain text with no bracket is never held back.
    expect(v.stream().push('no brackets here')).toBe('no brackets here');
  });

  it('keeps a vault per session, dropping the least recently used', () => {
    const vaults = createVaults(2);
    const a = vaults.get('a');
    a.placeholder('x'.repeat(20), 'r', true);
    vaults.get('b');
    expect(vaults.get('a')).toBe(a);
    vaults.get('c');
    expect(vaults.get('b').restorable).toBe(false);
    expect(vaults.get('a')).not.toBe(a);
  });
});
