// How long the fuzz properties run: a short default sized for CI, FUZZ_RUNS=N for a long run, FUZZ_SEED to replay one.
import type fc from 'fast-check';

function positiveInt(text: string | undefined): number | undefined {
  const n = Number(text);
  return text !== undefined && text !== '' && Number.isSafeInteger(n) && n > 0 ? n : undefined;
}

/** FUZZ_RUNS: runs per property, replacing every default (e.g. FUZZ_RUNS=100000 for a night). */
const LONG_RUNS = positiveInt(process.env.FUZZ_RUNS);
/** FUZZ_SEED: the seed fast-check printed for a failure, to run that sequence again. */
const SEED = process.env.FUZZ_SEED !== undefined && process.env.FUZZ_SEED !== '' ? Number(process.env.FUZZ_SEED) : undefined;

/** Parameters for one fc.assert: `ciRuns` unless FUZZ_RUNS says otherwise. */
export function fuzzParams<T>(ciRuns: number): fc.Parameters<T> {
  return { numRuns: LONG_RUNS ?? ciRuns, ...(SEED !== undefined && Number.isInteger(SEED) ? { seed: SEED } : {}) };
}

/** A test's time limit: `ciMs` by default, none in a long run (vitest treats 0 as no limit). */
export function fuzzTimeout(ciMs: number): number {
  return LONG_RUNS === undefined ? ciMs : 0;
}
