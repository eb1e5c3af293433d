// The ledger's canonical JSON against the canonicalize package it replaces on the hot path: the same bytes, the same refusals.
import canonicalize from 'canonicalize';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalJson } from './canonical-json.js';

/** Either the text or the fact that it threw. */
function outcome(encode: (v: unknown) => string | undefined, value: unknown): { text?: string; threw?: true } {
  try {
    return { text: encode(value) };
  } catch {
    return { threw: true };
  }
}

describe('canonicalJson', () => {
  it('sorts keys by UTF-16 code units and writes numbers as ECMAScript does', () => {
    expect(canonicalJson({ b: 1, a: [1e21, 1.5, -0, 0.000001], é: 'x', Z: null, '\ud83e\udd8a': true, '\uffff': 1 })).toBe(
      '{"Z":null,"a":[1e+21,1.5,0,0.000001],"b":1,"é":"x","\ud83e\udd8a":true,"\uffff":1}',
    );
  });

  it('refuses what canonical JSON cannot hold', () => {
    expect(() => canonicalJson({ a: 'lone \ud800' })).toThrow();
    expect(() => canonicalJson([Number.NaN])).toThrow();
    expect(() => canonicalJson({ a: Infinity })).toThrow();
    expect(() => canonicalJson({ a: 1n })).toThrow();
  });

  it('gives the bytes canonicalize gives, or throws where it throws, for any value', () => {
    const value = fc.oneof(
      fc.jsonValue(),
      fc.anything({ withBoxedValues: false, withMap: false, withSet: false, withObjectString: true, withNullPrototype: true, withSparseArray: true, withDate: true }),
      fc.dictionary(fc.string({ unit: 'binary' }), fc.oneof(fc.string({ unit: 'binary' }), fc.double(), fc.constant(undefined))),
    );
    fc.assert(
      fc.property(value, (v) => {
        expect(outcome(canonicalJson, v)).toEqual(outcome(canonicalize as (v: unknown) => string | undefined, v));
      }),
      { numRuns: 2000 },
    );
  });

  it('reads toJSON as canonicalize does (a Date is its ISO string)', () => {
    const at = new Date(Date.UTC(2026, 0, 2, 3, 4, 5));
    expect(canonicalJson({ at })).toBe(canonicalize({ at }));
  });
});
