// Streaming figures: time to first token and inter-chunk delay per target, and how many streams the gateway holds without a stall.
import { setTimeout as sleep } from 'node:timers/promises';
import { Pool } from 'undici';
import type { EventLoopLag } from './gateway-metrics.js';
import { median, percentile, type Request } from './measure.js';
import { isWholeStream, streamOnce } from './stream-client.js';
import { STALL_SLACK_MS, STREAM_PACING_MS } from './stream-shape.js';

export interface StreamTargetInput {
  name: string;
  origin: string;
  request: Request;
}

export interface StreamingRun {
  streams: number;
  ttftP50Ms: number;
  ttftP99Ms: number;
  /** Gap between consecutive chunks minus the mock's pacing: what the path adds per chunk. */
  extraGapP50Ms: number;
  extraGapP99Ms: number;
}

type Figure = 'ttftP50Ms' | 'ttftP99Ms' | 'extraGapP50Ms' | 'extraGapP99Ms';
const FIGURES: readonly Figure[] = ['ttftP50Ms', 'ttftP99Ms', 'extraGapP50Ms', 'extraGapP99Ms'];

export interface StreamingLatencyResult {
  concurrency: number;
  secondsPerRun: number;
  byTarget: Record<string, Record<Figure, number> & { runs: StreamingRun[] }>;
  /** `a − b`: the median over the runs of the per-run difference, per figure. */
  differences: { a: string; b: string; figures: Record<Figure, number> }[];
}

/**
 * `concurrency` streams at a time per target, started 20 ms / concurrency apart so their chunks do
 * not all arrive in the same instant; each worker starts its next stream when one ends, until the
 * run's time is up. Every stream must be whole (all chunks, usage, [DONE]).
 */
async function streamingRun(target: StreamTargetInput, concurrency: number, seconds: number): Promise<StreamingRun> {
  const pool = new Pool(target.origin, { connections: concurrency, pipelining: 1, keepAliveTimeout: 60_000 });
  const ttft: number[] = [];
  const gaps: number[] = [];
  const deadline = performance.now() + seconds * 1000;
  try {
    await Promise.all(
      Array.from({ length: concurrency }, async (_, w) => {
        await sleep((w * STREAM_PACING_MS) / concurrency);
        do {
          const t = await streamOnce(pool, target.request);
          if (!isWholeStream(t, true)) throw new Error(`${target.name}: a stream ended early (${t.contentChunks} chunks, usage ${t.usage}, [DONE] ${t.done})`);
          ttft.push(t.ttftMs);
          for (const g of t.gapsMs) gaps.push(g - STREAM_PACING_MS);
        } while (performance.now() < deadline);
      }),
    );
  } finally {
    await pool.close();
  }
  ttft.sort((a, b) => a - b);
  gaps.sort((a, b) => a - b);
  return { streams: ttft.length, ttftP50Ms: percentile(ttft, 0.5), ttftP99Ms: percentile(ttft, 0.99), extraGapP50Ms: percentile(gaps, 0.5), extraGapP99Ms: percentile(gaps, 0.99) };
}

/** The targets take turns each run (the order rotates); differences are taken within each run. */
export async function measureStreamingLatency(
  targets: StreamTargetInput[],
  opts: { runs: number; concurrency: number; seconds: number; pairs: [string, string][]; progress: (line: string) => void },
): Promise<StreamingLatencyResult> {
  const runs: Record<string, StreamingRun[]> = Object.fromEntries(targets.map((t) => [t.name, []]));
  for (const t of targets) await streamingRun(t, opts.concurrency, Math.min(1, opts.seconds)); // warm-up
  for (let run = 0; run < opts.runs; run++) {
    for (let i = 0; i < targets.length; i++) {
      const t = targets[(i + run) % targets.length]!;
      runs[t.name]!.push(await streamingRun(t, opts.concurrency, opts.seconds));
    }
    const fmt = (t: StreamTargetInput): string => {
      const r = runs[t.name]![run]!;
      return `${t.name} ${r.ttftP50Ms.toFixed(2)}/${r.ttftP99Ms.toFixed(2)} +${r.extraGapP50Ms.toFixed(2)}/+${r.extraGapP99Ms.toFixed(2)}`;
    };
    opts.progress(`streaming, run ${run + 1}/${opts.runs} (TTFT p50/p99, extra gap p50/p99, ms): ${targets.map(fmt).join(', ')}`);
  }
  const byTarget = Object.fromEntries(
    targets.map((t) => {
      const r = runs[t.name]!;
      return [t.name, { ...figuresOf((f) => median(r.map((x) => x[f]))), runs: r }];
    }),
  ) as StreamingLatencyResult['byTarget'];
  const differences = opts.pairs
    .filter(([a, b]) => runs[a] && runs[b])
    .map(([a, b]) => ({ a, b, figures: figuresOf((f) => median(runs[a]!.map((x, i) => x[f] - runs[b]![i]![f]))) }));
  return { concurrency: opts.concurrency, secondsPerRun: opts.seconds, byTarget, differences };
}

function figuresOf(value: (f: Figure) => number): Record<Figure, number> {
  return Object.fromEntries(FIGURES.map((f) => [f, value(f)])) as Record<Figure, number>;
}

export interface HoldResult {
  level: number;
  /** Streams completed during the hold, and those that failed (an error or a stream cut short). */
  streams: number;
  failed: number;
  /** Gaps between chunks longer than pacing + 50 ms, and first chunks that took longer than that. */
  stalledGaps: number;
  slowFirstChunks: number;
  maxGapMs: number;
  gapP99Ms: number;
  firstChunkP99Ms: number;
  firstChunkMaxMs: number;
  stallFree: boolean;
  /** The gateway's event-loop delay while all `level` streams were open (only where asked for). */
  eventLoopLag?: EventLoopLag;
  firstError?: string;
}

/**
 * Opens `level` streams over `rampMs` (one connection each), keeps that many open until `holdMs`
 * after the ramp (each worker starts a new stream when one ends) and then lets them finish.
 * `window` is opened when all are open and read when the hold ends: the event-loop lag figure.
 */
export async function holdStreams(
  origin: string,
  request: Request,
  level: number,
  opts: { rampMs: number; holdMs: number; window?: () => Promise<() => Promise<EventLoopLag>> },
): Promise<HoldResult> {
  const limit = STREAM_PACING_MS + STALL_SLACK_MS;
  const pool = new Pool(origin, { connections: level, pipelining: 1, keepAliveTimeout: 60_000 });
  const gaps: number[] = [];
  const firsts: number[] = [];
  let failed = 0;
  let firstError: string | undefined;
  const start = performance.now();
  const endAt = start + opts.rampMs + opts.holdMs;
  // Workers start new streams until the hold is over: at endAt, or once the lag window has been read.
  let holding = true;
  const workers = Array.from({ length: level }, async (_, w) => {
    await sleep((w * opts.rampMs) / level);
    while (holding) {
      try {
        const t = await streamOnce(pool, request);
        if (!isWholeStream(t, true)) throw new Error(`a stream ended early (${t.contentChunks} chunks, [DONE] ${t.done})`);
        firsts.push(t.ttftMs);
        gaps.push(...t.gapsMs);
      } catch (err) {
        failed++;
        firstError ??= (err as Error).message;
        // A failing target is not hammered: this worker stops.
        return;
      }
    }
  });
  let eventLoopLag: EventLoopLag | undefined;
  const measured = (async () => {
    if (!opts.window) {
      await sleep(endAt - performance.now());
      holding = false;
      return;
    }
    await sleep(opts.rampMs + STREAM_PACING_MS * 5);
    const read = await opts.window();
    // At least half the hold inside the window, even when a slow scrape opened it late.
    const openedAt = performance.now();
    await sleep(Math.max(0, endAt - openedAt, opts.holdMs / 2));
    try {
      eventLoopLag = await read();
    } finally {
      holding = false;
    }
  })();
  try {
    await Promise.all([...workers, measured.finally(() => (holding = false))]);
  } finally {
    await pool.close();
  }
  gaps.sort((a, b) => a - b);
  firsts.sort((a, b) => a - b);
  const stalledGaps = gaps.filter((g) => g > limit).length;
  const slowFirstChunks = firsts.filter((f) => f > limit).length;
  return {
    level,
    streams: firsts.length,
    failed,
    stalledGaps,
    slowFirstChunks,
    maxGapMs: gaps.at(-1) ?? Number.NaN,
    gapP99Ms: percentile(gaps, 0.99),
    firstChunkP99Ms: percentile(firsts, 0.99),
    firstChunkMaxMs: firsts.at(-1) ?? Number.NaN,
    stallFree: failed === 0 && stalledGaps === 0 && slowFirstChunks === 0 && firsts.length >= level,
    eventLoopLag,
    firstError,
  };
}

export interface StreamCapacityResult {
  target: string;
  levels: HoldResult[];
  /** The highest level held with no stall (0 if none). */
  maxStallFree: number;
  /** The step-up stopped before its last level: a stall, or no time left. */
  stoppedBecause: string;
}

/** Steps up the number of concurrent streams, stopping at the first level with a stall or when time runs short. */
export async function findStreamCapacity(
  target: StreamTargetInput,
  opts: {
    levels: number[];
    rampMs: number;
    holdMs: number;
    lagAt?: number;
    window?: () => Promise<() => Promise<EventLoopLag>>;
    remainingMs: () => number;
    progress: (line: string) => void;
  },
): Promise<StreamCapacityResult> {
  const levels: HoldResult[] = [];
  let stoppedBecause = 'every level held';
  for (const level of opts.levels) {
    // A level takes the ramp, the hold and one whole stream's tail; keep a minute for the rest of the run.
    if (opts.rampMs + opts.holdMs + 3000 > opts.remainingMs() - 60_000) {
      stoppedBecause = `no time left for ${level}`;
      break;
    }
    const r = await holdStreams(target.origin, target.request, level, { rampMs: opts.rampMs, holdMs: opts.holdMs, window: level === opts.lagAt ? opts.window : undefined });
    levels.push(r);
    opts.progress(
      `streams held, ${target.name} at ${level}: ${r.streams} streams, ${r.failed} failed, ${r.stalledGaps} stalled gaps (max ${r.maxGapMs.toFixed(1)} ms), ` +
        `${r.slowFirstChunks} slow first chunks (max ${r.firstChunkMaxMs.toFixed(1)} ms)${r.eventLoopLag ? `, event-loop p99 ${r.eventLoopLag.p99Ms.toFixed(1)} ms` : ''}`,
    );
    if (!r.stallFree) {
      stoppedBecause = `stall at ${level}`;
      break;
    }
    await sleep(500);
  }
  const held = levels.filter((l) => l.stallFree).map((l) => l.level);
  return { target: target.name, levels, maxStallFree: held.length ? Math.max(...held) : 0, stoppedBecause };
}
