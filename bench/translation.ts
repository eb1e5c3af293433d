// Translation cost: the same OpenAI request through the gateway, passed through to an OpenAI-format upstream or translated to an Anthropic-format one.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Pool } from 'undici';
import { measureLatency, measureThroughput, median, type LatencyRun, type Request, type ThroughputRun } from './measure.js';
import { spread, TRANSLATION_MODEL, TRANSLATION_MODES, type TranslationLatency, type TranslationMode, type TranslationResult } from './report.js';

/** CPU per reply is measured with the throughput figures' 1 KB request. */
const TRANSLATION_CPU_BYTES = 1024;

/** One translated request, checked: the mock's Anthropic message must come back as the equivalent chat.completion. */
export async function translationSanityCheck(gateway: Pool, request: Request): Promise<void> {
  const res = await gateway.request({ path: request.path, method: 'POST', headers: request.headers, body: request.body });
  const text = await res.body.text();
  if (res.statusCode !== 200) throw new Error(`gateway (translated) answered HTTP ${res.statusCode}: ${text.slice(0, 300)}`);
  const reply = JSON.parse(text) as { object?: string; choices?: { message?: { content?: unknown } }[]; usage?: { total_tokens?: number } };
  if (reply.object !== 'chat.completion' || reply.choices?.[0]?.message?.content !== 'ok' || reply.usage?.total_tokens !== 13) {
    throw new Error(`gateway (translated) did not turn the mock's Anthropic message into its chat.completion: ${text.slice(0, 300)}`);
  }
}

/** Passthrough and translated take turns going first, so neither always runs on a warmer (or busier) machine. */
function modeOrderFor(run: number): TranslationMode[] {
  return run % 2 === 0 ? [...TRANSLATION_MODES] : [...TRANSLATION_MODES].reverse();
}

export interface TranslationContext {
  gateway: Pool;
  origin: string;
  pid: number;
  request: (bytes: number, model: string) => Request;
  warnings: string[];
  progress: (line: string) => void;
  settings: {
    runs: number;
    throughputSeconds: number;
    warmupSeconds: number;
    latency: { label: string; bytes: number; maxSamples: number; minSamples: number; maxMs: number }[];
    latencyWarmup: { maxSamples: number; minSamples: number; maxMs: number };
    translation: { sizes: string[]; cpuConnections: number };
  };
  /** How long is left before the watchdog: the CPU measurement is skipped if it would not fit. */
  remainingMs: () => number;
}

/**
 * The same gateway and the same OpenAI request, with the model routed either to the OpenAI-format
 * mock (passed through) or to the Anthropic-format one (converted on the way in and out).
 * Returns the result and the successful gateway replies, for the ledger row check.
 */
export async function measureTranslation(ctx: TranslationContext): Promise<{ result: TranslationResult; replies: number }> {
  let replies = 0;
  const latency: TranslationLatency[] = [];
  for (const size of ctx.settings.latency.filter((l) => ctx.settings.translation.sizes.includes(l.label))) {
    const req = Object.fromEntries(TRANSLATION_MODES.map((m) => [m, ctx.request(size.bytes, TRANSLATION_MODEL[m])])) as Record<TranslationMode, Request>;
    for (const m of TRANSLATION_MODES) replies += (await measureLatency(ctx.gateway, req[m], ctx.settings.latencyWarmup)).samples;
    const runs: Record<TranslationMode, LatencyRun[]> = { passthrough: [], translated: [] };
    for (let run = 0; run < ctx.settings.runs; run++) {
      for (const m of modeOrderFor(run)) {
        const r = await measureLatency(ctx.gateway, req[m], size);
        runs[m].push(r);
        replies += r.samples;
      }
      const fmt = (m: TranslationMode): string => `${m} ${runs[m][run]!.p50Ms.toFixed(3)}/${runs[m][run]!.p99Ms.toFixed(3)}`;
      ctx.progress(`translation ${size.label}, run ${run + 1}/${ctx.settings.runs} (p50/p99 ms): ${TRANSLATION_MODES.map(fmt).join(', ')}`);
    }
    const diff = (p: 'p50Ms' | 'p99Ms'): number => median(runs.translated.map((r, i) => r[p] - runs.passthrough[i]![p]));
    latency.push({
      label: size.label,
      bytes: size.bytes,
      byMode: Object.fromEntries(
        TRANSLATION_MODES.map((m) => [m, { p50Ms: median(runs[m].map((r) => r.p50Ms)), p99Ms: median(runs[m].map((r) => r.p99Ms)), runs: runs[m] }]),
      ) as TranslationLatency['byMode'],
      translatedMinusPassthrough: { p50Ms: diff('p50Ms'), p99Ms: diff('p99Ms') },
    });
  }

  // CPU per reply under load, with the throughput scenario's settings; skipped (with a warning)
  // rather than let the watchdog abandon the whole run. The 15 s is measureThroughput's own grace.
  const connections = ctx.settings.translation.cpuConnections;
  const estimateMs = TRANSLATION_MODES.length * (ctx.settings.warmupSeconds + ctx.settings.runs * (ctx.settings.throughputSeconds + 0.2)) * 1000 + 15_000;
  if (estimateMs > ctx.remainingMs() - 30_000) {
    ctx.warnings.push(`translation: CPU per reply at ${connections} connections skipped, it would not fit in the time left`);
    return { result: { models: TRANSLATION_MODEL, latency }, replies };
  }
  const small = Object.fromEntries(TRANSLATION_MODES.map((m) => [m, ctx.request(TRANSLATION_CPU_BYTES, TRANSLATION_MODEL[m])])) as Record<TranslationMode, Request>;
  for (const m of TRANSLATION_MODES) replies += (await measureThroughput(ctx.origin, small[m], connections, ctx.settings.warmupSeconds, ctx.pid)).ok;
  const runs: Record<TranslationMode, ThroughputRun[]> = { passthrough: [], translated: [] };
  for (let run = 0; run < ctx.settings.runs; run++) {
    for (const m of modeOrderFor(run)) {
      const r = await measureThroughput(ctx.origin, small[m], connections, ctx.settings.throughputSeconds, ctx.pid);
      runs[m].push(r);
      replies += r.ok;
      if (r.errors || r.timeouts || r.non2xx) ctx.warnings.push(`translation (${m}) at ${connections} connections, run ${run + 1}: ${r.errors} errors, ${r.timeouts} timeouts, ${r.non2xx} non-2xx`);
      await sleep(200);
    }
    ctx.progress(
      `translation CPU ${connections} conns, run ${run + 1}/${ctx.settings.runs} (req/s, CPU µs/reply): ` +
        TRANSLATION_MODES.map((m) => `${m} ${Math.round(runs[m][run]!.rps)} ${Math.round(runs[m][run]!.cpuUsPerRequest)}`).join(', '),
    );
  }
  const cpu: TranslationResult['cpu'] = {
    connections,
    bytes: TRANSLATION_CPU_BYTES,
    byMode: Object.fromEntries(
      TRANSLATION_MODES.map((m) => [m, { cpuUs: median(runs[m].map((r) => r.cpuUsPerRequest)), rps: spread(runs[m].map((r) => r.rps), median), runs: runs[m] }]),
    ) as NonNullable<TranslationResult['cpu']>['byMode'],
    addedCpuUs: median(runs.translated.map((r, i) => r.cpuUsPerRequest - runs.passthrough[i]!.cpuUsPerRequest)),
  };
  return { result: { models: TRANSLATION_MODEL, latency, cpu }, replies };
}
