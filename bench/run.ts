// `npm run bench`: the gateway against a raw undici pass-through and the bare mock, in one run, as ratios.
import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import type { Pool } from 'undici';
import { openDatabase } from '../src/gateway/store/db.js';
import { measureLedgerCost } from './ledger-cost.js';
import { measureLatency, measureThroughput, median, sequentialClient, type LatencyRun, type Request, type ThroughputRun } from './measure.js';
import { processRssMiB, runNode, startService, type Service } from './processes.js';
import {
  checksOf,
  renderMarkdown,
  spread,
  TARGET_LABEL,
  TARGETS,
  TRANSLATION_MODEL,
  TRANSLATION_MODES,
  type BenchResult,
  type LatencyResult,
  type LedgerComparison,
  type Target,
  type ThroughputResult,
  type TranslationLatency,
  type TranslationMode,
  type TranslationResult,
} from './report.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const QUICK = process.env.BENCH_QUICK === '1';
const KiB = 1024;

const SETTINGS = QUICK
  ? {
      runs: 3,
      throughputSeconds: 1,
      warmupSeconds: 1,
      connections: [32, 128],
      latency: [
        { label: '1 KB', bytes: KiB, maxSamples: 1000, minSamples: 300, maxMs: 800 },
        { label: '100 KB', bytes: 100 * KiB, maxSamples: 100, minSamples: 30, maxMs: 600 },
        { label: '400 KB', bytes: 400 * KiB, maxSamples: 50, minSamples: 20, maxMs: 600 },
      ],
      latencyWarmup: { maxSamples: 30, minSamples: 10, maxMs: 500 },
      // 400 KB left out: the quick run stays short.
      translation: { sizes: ['1 KB', '100 KB'], cpuConnections: 32 },
      ledger: { runs: 3, events: 500, batches: [1, 32], maxMsEach: 1000 },
      /** The whole run is abandoned (servers stopped) past this. */
      limitMs: 3 * 60_000,
    }
  : {
      runs: 5,
      throughputSeconds: 3,
      warmupSeconds: 2,
      connections: [32, 128],
      latency: [
        { label: '1 KB', bytes: KiB, maxSamples: 2000, minSamples: 1000, maxMs: 3000 },
        { label: '100 KB', bytes: 100 * KiB, maxSamples: 400, minSamples: 100, maxMs: 2500 },
        { label: '400 KB', bytes: 400 * KiB, maxSamples: 200, minSamples: 50, maxMs: 2500 },
      ],
      latencyWarmup: { maxSamples: 200, minSamples: 50, maxMs: 1000 },
      translation: { sizes: ['1 KB', '100 KB', '400 KB'], cpuConnections: 32 },
      ledger: { runs: 5, events: 2000, batches: [1, 32], maxMsEach: 2000 },
      limitMs: 10 * 60_000,
    };

const THROUGHPUT_BODY_BYTES = KiB;
const UPSTREAM_KEY = 'sk-bench-upstream';

const progress = (line: string): void => void process.stderr.write(`${line}\n`);

/** A chat completion request whose JSON body is exactly `bytes` long. */
function chatBody(bytes: number, model = 'fast'): Buffer {
  const shell = (pad: string): string => JSON.stringify({ model, messages: [{ role: 'user', content: pad }] });
  const overhead = Buffer.byteLength(shell(''));
  return Buffer.from(shell('a'.repeat(Math.max(0, bytes - overhead))));
}

/** The environment for children: none of the caller's GATEHOUSE_* settings leak into the run. */
function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('GATEHOUSE_')) env[k] = v;
  return { ...env, ...extra };
}

function gatewayConfig(upstream: string): string {
  return [
    '# Written by bench/run.ts for one benchmark run.',
    'version: 1',
    'server: { host: 127.0.0.1, port: 0, logLevel: warn }',
    'providers:',
    '  - id: mock',
    '    type: openai-compatible',
    `    baseUrl: ${upstream}/v1`,
    '    apiKey: env:BENCH_UPSTREAM_KEY',
    // The same mock in Anthropic's format: a chat completion routed here is translated both ways.
    '  - id: anth',
    '    type: anthropic',
    `    baseUrl: ${upstream}`,
    '    apiKey: env:BENCH_UPSTREAM_KEY',
    'models:',
    '  - name: fast',
    '    targets:',
    '      - { provider: mock, model: gpt-4o-mini }',
    `  - name: ${TRANSLATION_MODEL.translated}`,
    '    targets:',
    '      - { provider: anth, model: claude-sonnet-4-5 }',
    '',
  ].join('\n');
}

function rssOf(pids: Record<Target, number>): Record<Target, number> {
  return Object.fromEntries(TARGETS.map((t) => [t, processRssMiB(pids[t])])) as Record<Target, number>;
}

/** Rotates the order of the targets each run, so none always goes first (or last). */
function orderFor(run: number): Target[] {
  return TARGETS.map((_, i) => TARGETS[(i + run) % TARGETS.length]!);
}

interface Stack {
  services: Service[];
  dataDir: string;
}

async function startStack(stack: Stack): Promise<{ origins: Record<Target, string>; pids: Record<Target, number>; key: string }> {
  const mock = await startService('mock upstream', ['--import', 'tsx', 'bench/mock-upstream.ts'], { cwd: ROOT, env: childEnv() });
  stack.services.push(mock);
  const raw = await startService('raw proxy', ['--import', 'tsx', 'bench/raw-proxy.ts', '--upstream', mock.url], { cwd: ROOT, env: childEnv() });
  stack.services.push(raw);

  writeFileSync(join(stack.dataDir, 'gatehouse.yaml'), gatewayConfig(mock.url));
  const created = await runNode(['bin/gatehouse.js', 'keys', 'create', '--name', 'bench', '--json', '--data-dir', stack.dataDir], {
    cwd: ROOT,
    env: childEnv(),
    timeoutMs: 30_000,
  });
  const { key } = JSON.parse(created) as { key: string };
  const gateway = await startService('gateway', ['bin/gatehouse.js', 'serve', '--data-dir', stack.dataDir, '--host', '127.0.0.1', '--port', '0'], {
    cwd: ROOT,
    env: childEnv({ BENCH_UPSTREAM_KEY: UPSTREAM_KEY }),
    readyTimeoutMs: 30_000,
  });
  stack.services.push(gateway);
  return { origins: { mock: mock.url, raw: raw.url, gateway: gateway.url }, pids: { mock: mock.pid, raw: raw.pid, gateway: gateway.pid }, key };
}

async function stopStack(stack: Stack): Promise<void> {
  for (const s of stack.services.splice(0).reverse()) {
    await s.stop().catch((err: Error) => progress(`could not stop ${s.name} (pid ${s.pid}): ${err.message}`));
  }
}

/** One request through each target, checked, before anything is timed. */
async function sanityCheck(clients: Record<Target, Pool>, request: Request): Promise<void> {
  for (const t of TARGETS) {
    const res = await clients[t].request({ path: request.path, method: 'POST', headers: request.headers, body: request.body });
    const text = await res.body.text();
    if (res.statusCode !== 200) throw new Error(`${TARGET_LABEL[t]} answered HTTP ${res.statusCode}: ${text.slice(0, 300)}`);
    const reply = JSON.parse(text) as { object?: string; usage?: { total_tokens?: number } };
    if (reply.object !== 'chat.completion' || !reply.usage?.total_tokens) throw new Error(`${TARGET_LABEL[t]} did not return the mock's chat.completion: ${text.slice(0, 300)}`);
  }
}

/** One translated request, checked: the mock's Anthropic message must come back as the equivalent chat.completion. */
async function translationSanityCheck(gateway: Pool, request: Request): Promise<void> {
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

interface TranslationContext {
  gateway: Pool;
  origin: string;
  pid: number;
  request: (bytes: number, model: string) => Request;
  warnings: string[];
  /** How long is left before the watchdog: the CPU measurement is skipped if it would not fit. */
  remainingMs: () => number;
}

/**
 * The same gateway and the same OpenAI request, with the model routed either to the OpenAI-format
 * mock (passed through) or to the Anthropic-format one (converted on the way in and out).
 * Returns the result and the successful gateway replies, for the ledger row check.
 */
async function measureTranslation(ctx: TranslationContext): Promise<{ result: TranslationResult; replies: number }> {
  let replies = 0;
  const latency: TranslationLatency[] = [];
  for (const size of SETTINGS.latency.filter((l) => SETTINGS.translation.sizes.includes(l.label))) {
    const req = Object.fromEntries(TRANSLATION_MODES.map((m) => [m, ctx.request(size.bytes, TRANSLATION_MODEL[m])])) as Record<TranslationMode, Request>;
    for (const m of TRANSLATION_MODES) replies += (await measureLatency(ctx.gateway, req[m], SETTINGS.latencyWarmup)).samples;
    const runs: Record<TranslationMode, LatencyRun[]> = { passthrough: [], translated: [] };
    for (let run = 0; run < SETTINGS.runs; run++) {
      for (const m of modeOrderFor(run)) {
        const r = await measureLatency(ctx.gateway, req[m], size);
        runs[m].push(r);
        replies += r.samples;
      }
      const fmt = (m: TranslationMode): string => `${m} ${runs[m][run]!.p50Ms.toFixed(3)}/${runs[m][run]!.p99Ms.toFixed(3)}`;
      progress(`translation ${size.label}, run ${run + 1}/${SETTINGS.runs} (p50/p99 ms): ${TRANSLATION_MODES.map(fmt).join(', ')}`);
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
  const connections = SETTINGS.translation.cpuConnections;
  const estimateMs = TRANSLATION_MODES.length * (SETTINGS.warmupSeconds + SETTINGS.runs * (SETTINGS.throughputSeconds + 0.2)) * 1000 + 15_000;
  if (estimateMs > ctx.remainingMs() - 30_000) {
    ctx.warnings.push(`translation: CPU per reply at ${connections} connections skipped, it would not fit in the time left`);
    return { result: { models: TRANSLATION_MODEL, latency }, replies };
  }
  const small = Object.fromEntries(TRANSLATION_MODES.map((m) => [m, ctx.request(THROUGHPUT_BODY_BYTES, TRANSLATION_MODEL[m])])) as Record<TranslationMode, Request>;
  for (const m of TRANSLATION_MODES) replies += (await measureThroughput(ctx.origin, small[m], connections, SETTINGS.warmupSeconds, ctx.pid)).ok;
  const runs: Record<TranslationMode, ThroughputRun[]> = { passthrough: [], translated: [] };
  for (let run = 0; run < SETTINGS.runs; run++) {
    for (const m of modeOrderFor(run)) {
      const r = await measureThroughput(ctx.origin, small[m], connections, SETTINGS.throughputSeconds, ctx.pid);
      runs[m].push(r);
      replies += r.ok;
      if (r.errors || r.timeouts || r.non2xx) ctx.warnings.push(`translation (${m}) at ${connections} connections, run ${run + 1}: ${r.errors} errors, ${r.timeouts} timeouts, ${r.non2xx} non-2xx`);
      await sleep(200);
    }
    progress(
      `translation CPU ${connections} conns, run ${run + 1}/${SETTINGS.runs} (req/s, CPU µs/reply): ` +
        TRANSLATION_MODES.map((m) => `${m} ${Math.round(runs[m][run]!.rps)} ${Math.round(runs[m][run]!.cpuUsPerRequest)}`).join(', '),
    );
  }
  const cpu: TranslationResult['cpu'] = {
    connections,
    bytes: THROUGHPUT_BODY_BYTES,
    byMode: Object.fromEntries(
      TRANSLATION_MODES.map((m) => [m, { cpuUs: median(runs[m].map((r) => r.cpuUsPerRequest)), rps: spread(runs[m].map((r) => r.rps), median), runs: runs[m] }]),
    ) as NonNullable<TranslationResult['cpu']>['byMode'],
    addedCpuUs: median(runs.translated.map((r, i) => r.cpuUsPerRequest - runs.passthrough[i]!.cpuUsPerRequest)),
  };
  return { result: { models: TRANSLATION_MODEL, latency, cpu }, replies };
}

async function main(): Promise<void> {
  const startedAt = performance.now();
  const date = new Date().toISOString().slice(0, 10);
  const cpus = os.cpus();
  const machine = {
    cpu: cpus[0]?.model.trim() ?? 'unknown CPU',
    cores: cpus.length,
    node: process.version,
    os: `${os.type()} ${os.release()}`,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    loadAverageAtStart: os.loadavg()[0] ?? Number.NaN,
  };
  progress(`gatehouse bench${QUICK ? ' — QUICK MODE (BENCH_QUICK=1): fewer, shorter runs; a smoke test, not a measurement' : ''}`);
  progress(`${machine.cpu}, ${machine.cores} cores, Node ${machine.node}, ${date}`);

  const stack: Stack = { services: [], dataDir: mkdtempSync(join(os.tmpdir(), 'gatehouse-bench-')) };
  const clients: Partial<Record<Target, Pool>> = {};
  let aborted = false;
  const abort = async (why: string, code: number): Promise<void> => {
    if (aborted) return;
    aborted = true;
    progress(why);
    await Promise.all(Object.values(clients).map((c) => c.destroy()));
    await stopStack(stack);
    rmSync(stack.dataDir, { recursive: true, force: true });
    process.exit(code);
  };
  const onSignal = (sig: NodeJS.Signals): void => void abort(`${sig}: stopping the benchmark's processes`, 130);
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const watchdog = setTimeout(() => void abort(`the benchmark ran past ${SETTINGS.limitMs / 60_000} min: stopped`, 1), SETTINGS.limitMs);
  watchdog.unref();

  const warnings: string[] = [];
  if (QUICK) warnings.push('quick mode (BENCH_QUICK=1): fewer, shorter runs; use a full run for figures');
  if (machine.loadAverageAtStart > machine.cores / 2) {
    warnings.push(`the machine was busy before the run (load average ${machine.loadAverageAtStart.toFixed(2)} on ${machine.cores} cores): req/s figures are depressed and noisy; CPU per reply is less affected`);
  }
  let gatewayReplies = 0;
  try {
    const { origins, pids, key } = await startStack(stack);
    progress(`mock ${origins.mock}, raw proxy ${origins.raw}, gateway ${origins.gateway} (pids ${stack.services.map((s) => s.pid).join(', ')})`);
    const headers = { 'content-type': 'application/json', authorization: `Bearer ${key}` };
    const request = (bytes: number, model = 'fast'): Request => ({ path: '/v1/chat/completions', headers, body: chatBody(bytes, model) });
    for (const t of TARGETS) clients[t] = sequentialClient(origins[t]);
    const client = clients as Record<Target, Pool>;

    await sanityCheck(client, request(KiB));
    // Here rather than at the translation scenario: a broken translation fails the run before minutes of measuring.
    await translationSanityCheck(client.gateway, request(KiB, TRANSLATION_MODEL.translated));
    gatewayReplies += 2;

    const memory: BenchResult['memory'] = { afterStart: rssOf(pids) };

    // Throughput: at each connection count, warm each target up, then alternate targets within each run.
    const small = request(THROUGHPUT_BODY_BYTES);
    const throughput: ThroughputResult[] = [];
    for (const connections of SETTINGS.connections) {
      for (const t of TARGETS) {
        const w = await measureThroughput(origins[t], small, connections, SETTINGS.warmupSeconds, pids[t]);
        if (t === 'gateway') gatewayReplies += w.ok;
        progress(`warm-up ${TARGET_LABEL[t]} at ${connections} connections: ${Math.round(w.rps)} req/s`);
      }
      const runs: Record<Target, ThroughputRun[]> = { mock: [], raw: [], gateway: [] };
      for (let run = 0; run < SETTINGS.runs; run++) {
        for (const t of orderFor(run)) {
          const r = await measureThroughput(origins[t], small, connections, SETTINGS.throughputSeconds, pids[t]);
          runs[t].push(r);
          if (t === 'gateway') gatewayReplies += r.ok;
          if (r.errors || r.timeouts || r.non2xx) {
            warnings.push(`${TARGET_LABEL[t]} at ${connections} connections, run ${run + 1}: ${r.errors} errors, ${r.timeouts} timeouts, ${r.non2xx} non-2xx`);
          }
          await sleep(200);
        }
        progress(
          `throughput ${connections} conns, run ${run + 1}/${SETTINGS.runs} (req/s, CPU µs/reply): ` +
            TARGETS.map((t) => `${t} ${Math.round(runs[t][run]!.rps)} ${Math.round(runs[t][run]!.cpuUsPerRequest)}`).join(', '),
        );
      }
      const rps = (t: Target): number[] => runs[t].map((r) => r.rps);
      const byTarget = Object.fromEntries(
        TARGETS.map((t) => [t, { rps: spread(rps(t), median), cpuUs: median(runs[t].map((r) => r.cpuUsPerRequest)), runs: runs[t] }]),
      ) as ThroughputResult['byTarget'];
      throughput.push({
        connections,
        byTarget,
        gatewayOverRaw: byTarget.gateway.rps.median / byTarget.raw.rps.median,
        rawOverMock: byTarget.raw.rps.median / byTarget.mock.rps.median,
        gatewayOverRawPerRun: median(runs.gateway.map((g, i) => g.rps / runs.raw[i]!.rps)),
      });
    }

    memory.afterThroughput = rssOf(pids);

    // Latency at concurrency 1, per request size.
    const latency: LatencyResult[] = [];
    for (const size of SETTINGS.latency) {
      const req = request(size.bytes);
      for (const t of TARGETS) {
        const w = await measureLatency(client[t], req, SETTINGS.latencyWarmup);
        if (t === 'gateway') gatewayReplies += w.samples;
      }
      const runs: Record<Target, LatencyRun[]> = { mock: [], raw: [], gateway: [] };
      for (let run = 0; run < SETTINGS.runs; run++) {
        for (const t of orderFor(run)) {
          const r = await measureLatency(client[t], req, size);
          runs[t].push(r);
          if (t === 'gateway') gatewayReplies += r.samples;
        }
        const fmt = (t: Target): string => `${t} ${runs[t][run]!.p50Ms.toFixed(3)}/${runs[t][run]!.p99Ms.toFixed(3)}`;
        progress(`latency ${size.label}, run ${run + 1}/${SETTINGS.runs} (p50/p99 ms, ${runs.gateway[run]!.samples} samples): ${TARGETS.map(fmt).join(', ')}`);
      }
      const diff = (a: Target, b: Target, p: 'p50Ms' | 'p99Ms'): number => median(runs[a].map((r, i) => r[p] - runs[b][i]![p]));
      latency.push({
        label: size.label,
        bytes: size.bytes,
        byTarget: Object.fromEntries(
          TARGETS.map((t) => [t, { p50Ms: median(runs[t].map((r) => r.p50Ms)), p99Ms: median(runs[t].map((r) => r.p99Ms)), runs: runs[t] }]),
        ) as LatencyResult['byTarget'],
        gatewayMinusRaw: { p50Ms: diff('gateway', 'raw', 'p50Ms'), p99Ms: diff('gateway', 'raw', 'p99Ms') },
        rawMinusMock: { p50Ms: diff('raw', 'mock', 'p50Ms'), p99Ms: diff('raw', 'mock', 'p99Ms') },
      });
    }

    memory.afterLatency = rssOf(pids);

    // Translation against passthrough, on the gateway alone.
    const translated = await measureTranslation({
      gateway: client.gateway,
      origin: origins.gateway,
      pid: pids.gateway,
      request,
      warnings,
      remainingMs: () => SETTINGS.limitMs - (performance.now() - startedAt),
    });
    gatewayReplies += translated.replies;
    const translation = translated.result;

    // Stop the servers, then count what the gateway committed and time the ledger on its own.
    await Promise.all(TARGETS.map((t) => client[t].close()));
    for (const t of TARGETS) delete clients[t];
    await stopStack(stack);
    const gatewayDb = openDatabase(join(stack.dataDir, 'gatehouse.sqlite'));
    let gatewayRows: number;
    try {
      gatewayRows = (gatewayDb.prepare("SELECT count(*) AS n FROM events WHERE type = 'llm.request'").get() as { n: number }).n;
    } finally {
      gatewayDb.close();
    }
    if (gatewayRows < gatewayReplies) warnings.push(`the gateway's ledger has ${gatewayRows} llm.request rows for ${gatewayReplies} successful replies counted`);

    progress('ledger write cost...');
    const cost = await measureLedgerCost(SETTINGS.ledger);
    const at32 = throughput.find((t) => t.connections === 32);
    const gatewayCpuUs = at32?.byTarget.gateway.cpuUs ?? Number.NaN;
    const rawCpuUs = at32?.byTarget.raw.cpuUs ?? Number.NaN;
    const ledger: LedgerComparison = {
      ...cost,
      gatewayWallUs: at32 ? 1e6 / at32.byTarget.gateway.rps.median : Number.NaN,
      rawWallUs: at32 ? 1e6 / at32.byTarget.raw.rps.median : Number.NaN,
      gatewayCpuUs,
      rawCpuUs,
      ledgerShareOfAddedCpu: (cost.groupUs[32] ?? Number.NaN) / (gatewayCpuUs - rawCpuUs),
      gatewayRows,
      gatewayRepliesCounted: gatewayReplies,
    };

    const result: BenchResult = {
      date,
      quick: QUICK,
      machine,
      settings: {
        runs: SETTINGS.runs,
        throughputSeconds: SETTINGS.throughputSeconds,
        connections: SETTINGS.connections,
        latency: SETTINGS.latency,
        translation: SETTINGS.translation,
      },
      throughput,
      latency,
      translation,
      ledger,
      memory,
      checks: checksOf({ throughput, latency }),
      warnings,
      elapsedSeconds: Math.round((performance.now() - startedAt) / 1000),
    };

    const dir = join(ROOT, 'bench', 'results');
    mkdirSync(dir, { recursive: true });
    // A quick smoke never overwrites the day's real figures.
    const file = join(dir, `${date}${QUICK ? '-quick' : ''}.json`);
    writeFileSync(`${file}.tmp`, `${JSON.stringify(result, null, 2)}\n`);
    renameSync(`${file}.tmp`, file);

    process.stdout.write(`\n${renderMarkdown(result)}\n\n`);
    for (const c of result.checks) process.stdout.write(`${c.met ? 'met   ' : 'MISSED'}  ${c.what}: ${c.value} (goal ${c.goal})\n`);
    for (const w of warnings) process.stdout.write(`warning: ${w}\n`);
    process.stdout.write(`\nwrote ${file} (${result.elapsedSeconds} s)\n`);
  } finally {
    clearTimeout(watchdog);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    if (!aborted) {
      await Promise.all(Object.values(clients).map((c) => c.destroy()));
      await stopStack(stack);
      rmSync(stack.dataDir, { recursive: true, force: true });
    }
  }
}

main().catch((err: Error) => {
  process.stderr.write(`bench failed: ${err.stack ?? err.message}\n`);
  process.exitCode = 1;
});
