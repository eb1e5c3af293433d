// The soak: a steady, bounded mix of plain, streamed and MCP requests for minutes, with the gateway's memory sampled throughout.
import { setTimeout as sleep } from 'node:timers/promises';
import { processRssKiB } from './processes.js';

export type SoakKind = 'plain' | 'stream' | 'mcp';
export const SOAK_KINDS: readonly SoakKind[] = ['plain', 'stream', 'mcp'];

export interface SoakSample {
  atSeconds: number;
  rssMB: number;
  heapUsedMB: number;
}

export interface SoakResult {
  minutes: number;
  warmupMinutes: number;
  sampleEverySeconds: number;
  /** Requests started per second, by kind, and how many each completed (errors apart). */
  ratePerSecond: Record<SoakKind, number>;
  completed: Record<SoakKind, number>;
  errors: number;
  /** Starts skipped because `maxInFlight` requests were already open (the load stays bounded). */
  skipped: number;
  firstError?: string;
  samples: SoakSample[];
  /** Slope of a least-squares line through the samples after the warm-up, in MB (10^6 bytes) per 10 minutes. */
  rssGrowthMBPer10Min: number;
  heapGrowthMBPer10Min: number;
}

/** Least-squares slope of y over x; NaN with fewer than two points. */
export function slope(points: { x: number; y: number }[]): number {
  const n = points.length;
  if (n < 2) return Number.NaN;
  const mx = points.reduce((s, p) => s + p.x, 0) / n;
  const my = points.reduce((s, p) => s + p.y, 0) / n;
  let num = 0;
  let den = 0;
  for (const p of points) {
    num += (p.x - mx) * (p.y - my);
    den += (p.x - mx) ** 2;
  }
  return den === 0 ? Number.NaN : num / den;
}

/**
 * Starts requests at fixed rates (a 100 ms tick, fractions carried over), never more than
 * `maxInFlight` at once, and samples the gateway's RSS (/proc) and V8 heap (its `/metrics`) every
 * `sampleEverySeconds`. The growth figures fit only the samples after the warm-up, when caches,
 * pools and JIT have settled, so what is left is what keeps growing.
 */
export async function runSoak(opts: {
  minutes: number;
  warmupMinutes: number;
  sampleEverySeconds: number;
  pid: number;
  heapUsedMB: () => Promise<number>;
  load: Record<SoakKind, () => Promise<void>>;
  ratePerSecond: Record<SoakKind, number>;
  maxInFlight: number;
  progress: (line: string) => void;
}): Promise<SoakResult> {
  const completed: Record<SoakKind, number> = { plain: 0, stream: 0, mcp: 0 };
  const due: Record<SoakKind, number> = { plain: 0, stream: 0, mcp: 0 };
  const inFlight = new Set<Promise<void>>();
  let errors = 0;
  let skipped = 0;
  let firstError: string | undefined;
  const samples: SoakSample[] = [];
  const t0 = performance.now();
  const endAt = t0 + opts.minutes * 60_000;
  const tickMs = 100;

  const sampler = (async () => {
    for (let next = t0; next <= endAt; next += opts.sampleEverySeconds * 1000) {
      await sleep(Math.max(0, next - performance.now()));
      const s = { atSeconds: (performance.now() - t0) / 1000, rssMB: (processRssKiB(opts.pid) * 1024) / 1e6, heapUsedMB: await opts.heapUsedMB() };
      samples.push(s);
      if (samples.length % 6 === 1) opts.progress(`soak ${Math.round(s.atSeconds)} s: RSS ${s.rssMB.toFixed(1)} MB, heap ${s.heapUsedMB.toFixed(1)} MB, ${errors} errors`);
    }
  })();

  let last = performance.now();
  while (performance.now() < endAt) {
    await sleep(tickMs);
    const now = performance.now();
    const dt = (now - last) / 1000;
    last = now;
    for (const kind of SOAK_KINDS) {
      due[kind] += opts.ratePerSecond[kind] * dt;
      for (; due[kind] >= 1; due[kind]--) {
        if (inFlight.size >= opts.maxInFlight) {
          skipped++;
          continue;
        }
        const p: Promise<void> = opts.load[kind]().then(
          () => void completed[kind]++,
          (err: Error) => {
            errors++;
            firstError ??= `${kind}: ${err.message}`;
          },
        );
        inFlight.add(p);
        void p.finally(() => inFlight.delete(p));
      }
    }
  }
  await Promise.all([sampler, ...inFlight]);

  const warm = samples.filter((s) => s.atSeconds >= opts.warmupMinutes * 60);
  const per10Min = (f: 'rssMB' | 'heapUsedMB'): number => slope(warm.map((s) => ({ x: s.atSeconds / 600, y: s[f] })));
  return {
    minutes: opts.minutes,
    warmupMinutes: opts.warmupMinutes,
    sampleEverySeconds: opts.sampleEverySeconds,
    ratePerSecond: opts.ratePerSecond,
    completed,
    errors,
    skipped,
    firstError,
    samples,
    rssGrowthMBPer10Min: per10Min('rssMB'),
    heapGrowthMBPer10Min: per10Min('heapUsedMB'),
  };
}
