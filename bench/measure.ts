// The two load shapes: saturating throughput (autocannon) and sequential per-request latency (undici).
import autocannon from 'autocannon';
import { setTimeout as sleep } from 'node:timers/promises';
import { Pool } from 'undici';
import { processCpuMs } from './processes.js';

export interface ThroughputRun {
  /** Successful (2xx) replies per second. */
  rps: number;
  ok: number;
  errors: number;
  timeouts: number;
  non2xx: number;
  seconds: number;
  /** autocannon's own latency under load, for context. */
  latencyP50Ms: number;
  latencyP99Ms: number;
  /**
   * CPU time the target's own process spent per successful reply, in µs: unlike req/s it
   * does not move when something else on the machine takes CPU. NaN without /proc.
   */
  cpuUsPerRequest: number;
}

export interface Request {
  path: string;
  headers: Record<string, string>;
  body: Buffer;
}

/** One autocannon run; stopped by hand if it overruns its duration by more than `graceS`. */
export async function measureThroughput(
  origin: string,
  request: Request,
  connections: number,
  seconds: number,
  serverPid: number,
  graceS = 15,
): Promise<ThroughputRun> {
  const cpuBefore = processCpuMs(serverPid);
  const instance = autocannon({
    url: origin + request.path,
    method: 'POST',
    headers: request.headers,
    body: request.body,
    connections,
    duration: seconds,
    timeout: 10,
  });
  const guard = setTimeout(() => instance.stop(), (seconds + graceS) * 1000);
  try {
    const r = await Promise.race([
      instance,
      sleep((seconds + 2 * graceS) * 1000, undefined, { ref: false }).then(() => {
        throw new Error(`autocannon against ${origin} did not finish within ${seconds + 2 * graceS} s`);
      }),
    ]);
    const cpuMs = processCpuMs(serverPid) - cpuBefore;
    return {
      rps: r['2xx'] / r.duration,
      ok: r['2xx'],
      errors: r.errors,
      timeouts: r.timeouts,
      non2xx: r.non2xx,
      seconds: r.duration,
      latencyP50Ms: r.latency.p50,
      latencyP99Ms: r.latency.p99,
      cpuUsPerRequest: (cpuMs * 1000) / Math.max(1, r['2xx']),
    };
  } finally {
    clearTimeout(guard);
  }
}

export interface LatencyRun {
  samples: number;
  p50Ms: number;
  p99Ms: number;
}

/** Nearest-rank percentile of ascending-sorted values. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil(p * sorted.length)));
  return sorted[rank - 1]!;
}

export function median(values: readonly number[]): number {
  const finite = values.filter(Number.isFinite);
  if (finite.length === 0) return Number.NaN;
  const s = [...finite].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** A keep-alive client with one connection: requests go strictly one after another. */
export function sequentialClient(origin: string): Pool {
  return new Pool(origin, { connections: 1, pipelining: 1, keepAliveTimeout: 60_000 });
}

/**
 * Sends the request `maxSamples` times one after another (or until `maxMs` has passed, with
 * at least `minSamples`), timing each from send to the last byte of the reply.
 */
export async function measureLatency(client: Pool, request: Request, opts: { maxSamples: number; minSamples: number; maxMs: number }): Promise<LatencyRun> {
  const times: number[] = [];
  const deadline = performance.now() + opts.maxMs;
  // Twice maxMs is a hard stop even if minSamples is not reached (e.g. a very slow target).
  const hardDeadline = performance.now() + 2 * opts.maxMs;
  for (let i = 0; i < opts.maxSamples; i++) {
    const now = performance.now();
    if (now > hardDeadline || (now > deadline && times.length >= opts.minSamples)) break;
    const t0 = performance.now();
    const res = await client.request({ path: request.path, method: 'POST', headers: request.headers, body: request.body });
    const reply = await res.body.arrayBuffer();
    const elapsed = performance.now() - t0;
    if (res.statusCode !== 200) throw new Error(`HTTP ${res.statusCode} from ${request.path}: ${Buffer.from(reply).toString('utf8').slice(0, 300)}`);
    times.push(elapsed);
  }
  times.sort((a, b) => a - b);
  return { samples: times.length, p50Ms: percentile(times, 0.5), p99Ms: percentile(times, 0.99) };
}
