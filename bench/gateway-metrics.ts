// Reads the gateway's own Prometheus metrics (`GET /metrics`): the event-loop delay and heap figures the bench reports.
import { request } from 'undici';

/** prom-client's event-loop monitor samples every 10 ms (its default precision), and each sample includes that interval. */
export const EVENT_LOOP_SAMPLING_MS = 10;

/** The unlabelled samples of a Prometheus text exposition, by metric name. */
export async function scrapeMetrics(origin: string, token: string): Promise<Map<string, number>> {
  const res = await request(`${origin}/metrics`, { headers: { authorization: `Bearer ${token}` } });
  const text = await res.body.text();
  if (res.statusCode !== 200) throw new Error(`GET /metrics answered HTTP ${res.statusCode}: ${text.slice(0, 300)}`);
  const values = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*) (\S+)/.exec(line);
    if (m?.[1] && m[2]) values.set(m[1], Number(m[2]));
  }
  return values;
}

export interface EventLoopLag {
  /** As exported (`nodejs_eventloop_lag_*_seconds`), in ms: each includes the 10 ms sampling interval. */
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** p99 minus the sampling interval: how late the loop actually was. */
  p99LateMs: number;
  seconds: number;
}

/**
 * prom-client resets its event-loop histogram on every scrape, so a scrape at the start of a phase
 * opens a window and one at its end reads the delay over exactly that phase.
 */
export async function openLagWindow(origin: string, token: string): Promise<() => Promise<EventLoopLag>> {
  await scrapeMetrics(origin, token);
  const opened = performance.now();
  return async () => {
    const m = await scrapeMetrics(origin, token);
    const ms = (name: string): number => (m.get(name) ?? Number.NaN) * 1000;
    const p99Ms = ms('nodejs_eventloop_lag_p99_seconds');
    return {
      p50Ms: ms('nodejs_eventloop_lag_p50_seconds'),
      p99Ms,
      maxMs: ms('nodejs_eventloop_lag_max_seconds'),
      p99LateMs: Math.max(0, p99Ms - EVENT_LOOP_SAMPLING_MS),
      seconds: (performance.now() - opened) / 1000,
    };
  };
}
