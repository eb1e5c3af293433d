// Throughput and latency at concurrency 1 for every target (mock, raw proxy, gateway, Portkey), runs interleaved.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Pool } from 'undici';
import { measureLatency, measureThroughput, median, type LatencyRun, type Request, type ThroughputRun } from './measure.js';
import { spread, TARGET_LABEL, TARGETS, type LatencyResult, type Target, type ThroughputResult } from './report.js';

export interface TargetSet {
  origins: Record<Target, string>;
  pids: Record<Target, number>;
  /** One keep-alive connection per target, for the sequential figures. */
  clients: Record<Target, Pool>;
  /** The request a target is sent: Portkey needs its routing headers, the gateway its key. */
  request: (target: Target, bytes: number) => Request;
}

/** Rotates the order of the targets each run, so none always goes first (or last). */
export function orderFor(run: number): Target[] {
  return TARGETS.map((_, i) => TARGETS[(i + run) % TARGETS.length]!);
}

const emptyRuns = <T>(): Record<Target, T[]> => ({ mock: [], raw: [], gateway: [], portkey: [] });

/** At each connection count: every target warmed up, then the targets alternate within each run. Returns the gateway's 2xx replies too. */
export async function measureThroughputFigures(
  set: TargetSet,
  opts: { runs: number; seconds: number; warmupSeconds: number; connections: number[]; bytes: number; warnings: string[]; progress: (line: string) => void },
): Promise<{ throughput: ThroughputResult[]; gatewayReplies: number }> {
  let gatewayReplies = 0;
  const throughput: ThroughputResult[] = [];
  for (const connections of opts.connections) {
    for (const t of TARGETS) {
      const w = await measureThroughput(set.origins[t], set.request(t, opts.bytes), connections, opts.warmupSeconds, set.pids[t]);
      if (t === 'gateway') gatewayReplies += w.ok;
      opts.progress(`warm-up ${TARGET_LABEL[t]} at ${connections} connections: ${Math.round(w.rps)} req/s`);
    }
    const runs = emptyRuns<ThroughputRun>();
    for (let run = 0; run < opts.runs; run++) {
      for (const t of orderFor(run)) {
        const r = await measureThroughput(set.origins[t], set.request(t, opts.bytes), connections, opts.seconds, set.pids[t]);
        runs[t].push(r);
        if (t === 'gateway') gatewayReplies += r.ok;
        if (r.errors || r.timeouts || r.non2xx) {
          opts.warnings.push(`${TARGET_LABEL[t]} at ${connections} connections, run ${run + 1}: ${r.errors} errors, ${r.timeouts} timeouts, ${r.non2xx} non-2xx`);
        }
        await sleep(200);
      }
      opts.progress(
        `throughput ${connections} conns, run ${run + 1}/${opts.runs} (req/s, CPU µs/reply): ` +
          TARGETS.map((t) => `${t} ${Math.round(runs[t][run]!.rps)} ${Math.round(runs[t][run]!.cpuUsPerRequest)}`).join(', '),
      );
    }
    const byTarget = Object.fromEntries(
      TARGETS.map((t) => [t, { rps: spread(runs[t].map((r) => r.rps), median), cpuUs: median(runs[t].map((r) => r.cpuUsPerRequest)), runs: runs[t] }]),
    ) as ThroughputResult['byTarget'];
    throughput.push({
      connections,
      byTarget,
      gatewayOverRaw: byTarget.gateway.rps.median / byTarget.raw.rps.median,
      rawOverMock: byTarget.raw.rps.median / byTarget.mock.rps.median,
      gatewayOverRawPerRun: median(runs.gateway.map((g, i) => g.rps / runs.raw[i]!.rps)),
      portkeyOverRaw: byTarget.portkey.rps.median / byTarget.raw.rps.median,
      gatewayOverPortkey: byTarget.gateway.rps.median / byTarget.portkey.rps.median,
    });
  }
  return { throughput, gatewayReplies };
}

/** Latency at concurrency 1 per request size; the added figures are per-run differences, then their median. */
export async function measureLatencyFigures(
  set: TargetSet,
  opts: {
    runs: number;
    sizes: { label: string; bytes: number; maxSamples: number; minSamples: number; maxMs: number }[];
    warmup: { maxSamples: number; minSamples: number; maxMs: number };
    progress: (line: string) => void;
  },
): Promise<{ latency: LatencyResult[]; gatewayReplies: number }> {
  let gatewayReplies = 0;
  const latency: LatencyResult[] = [];
  for (const size of opts.sizes) {
    for (const t of TARGETS) {
      const w = await measureLatency(set.clients[t], set.request(t, size.bytes), opts.warmup);
      if (t === 'gateway') gatewayReplies += w.samples;
    }
    const runs = emptyRuns<LatencyRun>();
    for (let run = 0; run < opts.runs; run++) {
      for (const t of orderFor(run)) {
        const r = await measureLatency(set.clients[t], set.request(t, size.bytes), size);
        runs[t].push(r);
        if (t === 'gateway') gatewayReplies += r.samples;
      }
      const fmt = (t: Target): string => `${t} ${runs[t][run]!.p50Ms.toFixed(3)}/${runs[t][run]!.p99Ms.toFixed(3)}`;
      opts.progress(`latency ${size.label}, run ${run + 1}/${opts.runs} (p50/p99 ms, ${runs.gateway[run]!.samples} samples): ${TARGETS.map(fmt).join(', ')}`);
    }
    const diff = (a: Target, b: Target, p: 'p50Ms' | 'p99Ms'): number => median(runs[a].map((r, i) => r[p] - runs[b][i]![p]));
    const pairOf = (a: Target, b: Target): { p50Ms: number; p99Ms: number } => ({ p50Ms: diff(a, b, 'p50Ms'), p99Ms: diff(a, b, 'p99Ms') });
    latency.push({
      label: size.label,
      bytes: size.bytes,
      byTarget: Object.fromEntries(
        TARGETS.map((t) => [t, { p50Ms: median(runs[t].map((r) => r.p50Ms)), p99Ms: median(runs[t].map((r) => r.p99Ms)), runs: runs[t] }]),
      ) as LatencyResult['byTarget'],
      gatewayMinusRaw: pairOf('gateway', 'raw'),
      rawMinusMock: pairOf('raw', 'mock'),
      portkeyMinusRaw: pairOf('portkey', 'raw'),
    });
  }
  return { latency, gatewayReplies };
}
