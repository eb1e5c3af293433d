// `npm run bench`: the gateway against a raw undici pass-through, Portkey and the bare mock, in one run, as ratios.
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { Pool } from 'undici';
import type { Client as McpClient } from '@modelcontextprotocol/sdk/client/index.js';
import { openDatabase } from '../src/gateway/store/db.js';
import { openLagWindow, scrapeMetrics, type EventLoopLag } from './gateway-metrics.js';
import { measureGuardrailCost } from './guardrail-cost.js';
import { measureLedgerCost } from './ledger-cost.js';
import { callEcho, connectMcp, measureMcp, type McpEndpoint } from './mcp.js';
import { sequentialClient, type Request } from './measure.js';
import { portkeyHeaders, startPortkey } from './portkey.js';
import { processRssKiB, processRssMiB, startService } from './processes.js';
import { measureLatencyFigures, measureThroughputFigures, type TargetSet } from './proxy-figures.js';
import {
  checksOf,
  renderMarkdown,
  SCENARIOS,
  TARGET_LABEL,
  TARGETS,
  TRANSLATION_MODEL,
  type BenchResult,
  type LedgerComparison,
  type Scenario,
  type StreamingResult,
  type Target,
} from './report.js';
import { runSoak } from './soak.js';
import { childEnv, MCP_SERVER_ID, METRICS_TOKEN, newStack, removeDirs, startGateway, stopStack, UPSTREAM_KEY, type StartedGateway } from './stack.js';
import { isWholeStream, streamOnce } from './stream-client.js';
import { findStreamCapacity, holdStreams, measureStreamingLatency, type StreamTargetInput } from './streaming.js';
import { measureTranslation, translationSanityCheck } from './translation.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const QUICK = process.env.BENCH_QUICK === '1';
const KiB = 1024;

/** `BENCH_ONLY=streaming,mcp`: the scenarios to run (all when unset). */
function selectedScenarios(): Scenario[] {
  const raw = process.env.BENCH_ONLY?.trim();
  if (!raw) return [...SCENARIOS];
  const names = raw.split(',').map((s) => s.trim()).filter(Boolean);
  const unknown = names.filter((n) => !(SCENARIOS as readonly string[]).includes(n));
  if (unknown.length) throw new Error(`BENCH_ONLY: unknown scenario ${unknown.map((u) => `"${u}"`).join(', ')}; expected some of ${SCENARIOS.join(', ')}`);
  return SCENARIOS.filter((s) => names.includes(s));
}

/** `BENCH_SOAK_MINUTES`: the soak's length (30 in a full run, 1 in quick mode; 0 skips it). */
function soakMinutes(): number {
  const raw = process.env.BENCH_SOAK_MINUTES?.trim();
  if (raw === undefined || raw === '') return QUICK ? 1 : 30;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0 || n > 24 * 60) throw new Error(`BENCH_SOAK_MINUTES "${raw}": expected a number of minutes from 0 to 1440`);
  return n;
}

const SOAK_MINUTES = soakMinutes();

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
      streaming: { concurrency: 16, seconds: 2, levels: [128, 256, 512], rampMs: 1000, holdMs: 2000, lagStreams: 512 },
      mcp: { latency: { maxCalls: 300, maxMs: 800 }, concurrency: 16, seconds: 1, argumentBytes: 256 },
      guardrails: { samples: 40, maxMs: 1500 },
      soak: { minutes: SOAK_MINUTES, warmupMinutes: Math.min(5, SOAK_MINUTES / 4), sampleEverySeconds: 5, ratePerSecond: { plain: 50, stream: 2, mcp: 10 }, maxInFlight: 64 },
      ledger: { runs: 3, events: 500, batches: [1, 32], maxMsEach: 1000 },
      /** The whole run is abandoned (servers stopped) past this. */
      limitMs: (8 + SOAK_MINUTES) * 60_000,
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
      streaming: { concurrency: 16, seconds: 5, levels: [128, 256, 512, 768, 1024], rampMs: 1000, holdMs: 5000, lagStreams: 512 },
      mcp: { latency: { maxCalls: 1000, maxMs: 2500 }, concurrency: 16, seconds: 3, argumentBytes: 256 },
      guardrails: { samples: 200, maxMs: 5000 },
      soak: { minutes: SOAK_MINUTES, warmupMinutes: Math.min(5, SOAK_MINUTES / 4), sampleEverySeconds: 10, ratePerSecond: { plain: 50, stream: 2, mcp: 10 }, maxInFlight: 64 },
      ledger: { runs: 5, events: 2000, batches: [1, 32], maxMsEach: 2000 },
      limitMs: (25 + SOAK_MINUTES) * 60_000,
    };

const THROUGHPUT_BODY_BYTES = KiB;

const progress = (line: string): void => void process.stderr.write(`${line}\n`);

/** A chat completion request whose JSON body is exactly `bytes` long (`stream` adds OpenAI's streaming fields first). */
function chatBody(bytes: number, model = 'fast', stream = false): Buffer {
  const extra = stream ? { stream: true, stream_options: { include_usage: true } } : {};
  const shell = (pad: string): string => JSON.stringify({ model, messages: [{ role: 'user', content: pad }], ...extra });
  const overhead = Buffer.byteLength(shell(''));
  return Buffer.from(shell('a'.repeat(Math.max(0, bytes - overhead))));
}

/** One request through each target, checked, before anything is timed. */
async function sanityCheck(targets: Target[], clients: Partial<Record<Target, Pool>>, request: (t: Target) => Request): Promise<void> {
  for (const t of targets) {
    const req = request(t);
    const res = await clients[t]!.request({ path: req.path, method: 'POST', headers: req.headers, body: req.body });
    const text = await res.body.text();
    if (res.statusCode !== 200) throw new Error(`${TARGET_LABEL[t]} answered HTTP ${res.statusCode}: ${text.slice(0, 300)}`);
    const reply = JSON.parse(text) as { object?: string; choices?: { message?: { content?: unknown } }[]; usage?: { total_tokens?: number } };
    if (reply.object !== 'chat.completion' || reply.choices?.[0]?.message?.content !== 'ok' || !reply.usage?.total_tokens) {
      throw new Error(`${TARGET_LABEL[t]} did not return the mock's chat.completion: ${text.slice(0, 300)}`);
    }
  }
}

/** One stream through each target, checked whole (64 chunks, usage, [DONE]), before anything is timed. */
async function streamSanityCheck(targets: StreamTargetInput[]): Promise<void> {
  for (const t of targets) {
    const pool = new Pool(t.origin, { connections: 1 });
    try {
      const timing = await streamOnce(pool, t.request);
      if (!isWholeStream(timing, true)) throw new Error(`${t.name} did not relay the mock's whole stream (${timing.contentChunks} chunks, usage ${timing.usage}, [DONE] ${timing.done})`);
    } finally {
      await pool.close();
    }
  }
}

async function main(): Promise<void> {
  const startedAt = performance.now();
  const scenarios = selectedScenarios();
  const has = (s: Scenario): boolean => scenarios.includes(s);
  const runSoakScenario = has('soak') && SOAK_MINUTES > 0;
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
  progress(`${machine.cpu}, ${machine.cores} cores, Node ${machine.node}, ${date}; scenarios: ${scenarios.join(', ')}; soak ${runSoakScenario ? `${SOAK_MINUTES} min` : 'off'}`);

  const stack = newStack();
  const closers: (() => Promise<unknown>)[] = [];
  const closeClients = async (): Promise<void> => {
    await Promise.all(closers.splice(0).map((c) => c().catch(() => undefined)));
  };
  let aborted = false;
  const abort = async (why: string, code: number): Promise<void> => {
    if (aborted) return;
    aborted = true;
    progress(why);
    await closeClients();
    await stopStack(stack, progress);
    removeDirs(stack);
    process.exit(code);
  };
  const onSignal = (sig: NodeJS.Signals): void => void abort(`${sig}: stopping the benchmark's processes`, 130);
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const watchdog = setTimeout(() => void abort(`the benchmark ran past ${SETTINGS.limitMs / 60_000} min: stopped`, 1), SETTINGS.limitMs);
  watchdog.unref();
  const remainingMs = (): number => SETTINGS.limitMs - (performance.now() - startedAt);

  const warnings: string[] = [];
  if (QUICK) warnings.push('quick mode (BENCH_QUICK=1): fewer, shorter runs; use a full run for figures');
  if (machine.loadAverageAtStart > machine.cores / 2) {
    warnings.push(`the machine was busy before the run (load average ${machine.loadAverageAtStart.toFixed(2)} on ${machine.cores} cores): req/s figures are depressed and noisy; CPU per reply is less affected`);
  }
  let gatewayReplies = 0;
  try {
    // The servers each scenario needs, each in its own process on 127.0.0.1.
    const needProxies = has('throughput') || has('latency') || has('streaming');
    const needMcp = has('mcp') || runSoakScenario;
    const mock = await startService('mock upstream', ['--import', 'tsx', 'bench/mock-upstream.ts'], { cwd: ROOT, env: childEnv() });
    stack.services.push(mock);
    let mcpUrl: string | undefined;
    if (needMcp) {
      const mcpServer = await startService('mcp server', ['--import', 'tsx', 'bench/mcp-server.ts'], { cwd: ROOT, env: childEnv() });
      stack.services.push(mcpServer);
      mcpUrl = `${mcpServer.url}/mcp`;
    }
    const gw: StartedGateway = await startGateway(stack, 'gateway', ROOT, { upstream: mock.url, mcpUrl, guardrails: 'default' });
    const gateway = gw.service;
    const heapUsedBytes = async (): Promise<number> => (await scrapeMetrics(gateway.url, METRICS_TOKEN)).get('nodejs_heap_size_used_bytes') ?? Number.NaN;
    await sleep(1000);
    const memory: BenchResult['memory'] = {
      gatewayIdle: { rssMiB: processRssKiB(gateway.pid) / 1024, heapUsedMiB: (await heapUsedBytes()) / 2 ** 20 },
      afterStart: {},
    };

    const origins: Partial<Record<Target, string>> = { mock: mock.url, gateway: gateway.url };
    const pids: Partial<Record<Target, number>> = { mock: mock.pid, gateway: gateway.pid };
    if (needProxies) {
      const raw = await startService('raw proxy', ['--import', 'tsx', 'bench/raw-proxy.ts', '--upstream', mock.url], { cwd: ROOT, env: childEnv() });
      stack.services.push(raw);
      const portkey = await startPortkey({ cwd: ROOT, env: childEnv() });
      stack.services.push(portkey);
      Object.assign(origins, { raw: raw.url, portkey: portkey.url });
      Object.assign(pids, { raw: raw.pid, portkey: portkey.pid });
    }
    const started = TARGETS.filter((t) => origins[t] !== undefined);
    progress(`${started.map((t) => `${TARGET_LABEL[t]} ${origins[t]} (pid ${pids[t]})`).join(', ')}${mcpUrl ? `, mcp server ${mcpUrl}` : ''}`);

    const gatewayHeaders = { 'content-type': 'application/json', authorization: `Bearer ${gw.key}` };
    const headersFor = (t: Target): Record<string, string> => (t === 'portkey' ? portkeyHeaders(mock.url, UPSTREAM_KEY) : gatewayHeaders);
    const request = (t: Target, bytes: number, model = 'fast', stream = false): Request => ({ path: '/v1/chat/completions', headers: headersFor(t), body: chatBody(bytes, model, stream) });
    const clients: Partial<Record<Target, Pool>> = {};
    for (const t of started) {
      const c = sequentialClient(origins[t]!);
      clients[t] = c;
      closers.push(() => c.destroy());
    }

    await sanityCheck(started, clients, (t) => request(t, KiB));
    gatewayReplies += 1;
    if (has('translation')) {
      // Here rather than at the translation scenario: a broken translation fails the run before minutes of measuring.
      await translationSanityCheck(clients.gateway!, request('gateway', KiB, TRANSLATION_MODEL.translated));
      gatewayReplies += 1;
    }
    for (const t of started) memory.afterStart[t] = processRssMiB(pids[t]!);
    const rss = (): Partial<Record<Target, number>> => Object.fromEntries(started.map((t) => [t, processRssMiB(pids[t]!)]));

    const set: TargetSet | undefined = needProxies
      ? { origins: origins as Record<Target, string>, pids: pids as Record<Target, number>, clients: clients as Record<Target, Pool>, request: (t, bytes) => request(t, bytes) }
      : undefined;

    const result: Partial<BenchResult> = {};
    if (has('throughput') && set) {
      const r = await measureThroughputFigures(set, { runs: SETTINGS.runs, seconds: SETTINGS.throughputSeconds, warmupSeconds: SETTINGS.warmupSeconds, connections: SETTINGS.connections, bytes: THROUGHPUT_BODY_BYTES, warnings, progress });
      result.throughput = r.throughput;
      gatewayReplies += r.gatewayReplies;
      memory.afterThroughput = rss();
    }
    if (has('latency') && set) {
      const r = await measureLatencyFigures(set, { runs: SETTINGS.runs, sizes: SETTINGS.latency, warmup: SETTINGS.latencyWarmup, progress });
      result.latency = r.latency;
      gatewayReplies += r.gatewayReplies;
      memory.afterLatency = rss();
    }
    if (has('translation')) {
      const translated = await measureTranslation({
        gateway: clients.gateway!,
        origin: gateway.url,
        pid: gateway.pid,
        request: (bytes, model) => request('gateway', bytes, model),
        warnings,
        progress,
        settings: SETTINGS,
        remainingMs,
      });
      gatewayReplies += translated.replies;
      result.translation = translated.result;
    }

    if (has('streaming')) {
      const streamTargets: StreamTargetInput[] = started.map((t) => ({ name: t, origin: origins[t]!, request: request(t, KiB, 'fast', true) }));
      await streamSanityCheck(streamTargets);
      const s = SETTINGS.streaming;
      const streaming: StreamingResult = { lagStreams: s.lagStreams };
      streaming.latency = await measureStreamingLatency(streamTargets, {
        runs: SETTINGS.runs,
        concurrency: s.concurrency,
        seconds: s.seconds,
        pairs: [
          ['gateway', 'raw'],
          ['raw', 'mock'],
          ['gateway', 'mock'],
          ['portkey', 'raw'],
        ],
        progress,
      });
      gatewayReplies += streaming.latency.byTarget.gateway?.runs.reduce((n, r) => n + r.streams, 0) ?? 0;
      const gatewayStreams = streamTargets.find((t) => t.name === 'gateway')!;
      // prom-client's event-loop histogram is reset by a scrape: one when all streams are open, one when the hold ends.
      let lag: EventLoopLag | undefined;
      const window = async (): Promise<() => Promise<EventLoopLag>> => {
        const read = await openLagWindow(gateway.url, METRICS_TOKEN);
        return async () => {
          memory.gatewayWithStreamsOpen = { streams: s.lagStreams, rssMiB: processRssMiB(gateway.pid) };
          lag = await read();
          return lag;
        };
      };
      streaming.capacity = await findStreamCapacity(gatewayStreams, { ...s, lagAt: s.lagStreams, window, remainingMs, progress });
      gatewayReplies += streaming.capacity.levels.reduce((n, l) => n + l.streams, 0);
      streaming.lagHold = streaming.capacity.levels.find((l) => l.level === s.lagStreams);
      if (!streaming.lagHold) {
        // The step-up stopped below the lag figure's level: hold that many once more, for the lag alone.
        streaming.lagHold = await holdStreams(gatewayStreams.origin, gatewayStreams.request, s.lagStreams, { rampMs: s.rampMs, holdMs: s.holdMs, window });
        gatewayReplies += streaming.lagHold.streams;
        progress(`event-loop lag hold at ${s.lagStreams}: ${streaming.lagHold.streams} streams, ${streaming.lagHold.failed} failed, p99 ${lag?.p99Ms.toFixed(1)} ms`);
      }
      streaming.eventLoopLag = lag;
      const rawStreams = streamTargets.find((t) => t.name === 'raw');
      if (rawStreams) streaming.rawCapacity = await findStreamCapacity(rawStreams, { ...s, remainingMs, progress });
      memory.gatewayAfterStreaming = processRssMiB(gateway.pid);
      result.streaming = streaming;
    }

    const mcpEndpoints: Record<'direct' | 'gateway', McpEndpoint> | undefined = mcpUrl
      ? {
          direct: { url: mcpUrl, tool: 'echo', headers: {} },
          gateway: { url: `${gateway.url}/mcp`, tool: `${MCP_SERVER_ID}__echo`, headers: { authorization: `Bearer ${gw.key}` } },
        }
      : undefined;
    if (has('mcp') && mcpEndpoints) {
      result.mcp = (await measureMcp(mcpEndpoints, { runs: SETTINGS.runs, ...SETTINGS.mcp, progress })).result;
    }

    if (has('guardrails')) {
      const off = await startGateway(stack, 'gateway (guardrails off)', ROOT, { upstream: mock.url, guardrails: 'off' });
      const offClient = sequentialClient(off.service.url);
      closers.push(() => offClient.destroy());
      try {
        const g = await measureGuardrailCost(
          {
            default: { client: clients.gateway!, headers: gatewayHeaders },
            off: { client: offClient, headers: { 'content-type': 'application/json', authorization: `Bearer ${off.key}` } },
          },
          { root: ROOT, runs: SETTINGS.runs, ...SETTINGS.guardrails, progress },
        );
        result.guardrails = g.result;
      } finally {
        await offClient.close();
        await off.service.stop();
      }
    }

    if (runSoakScenario && mcpEndpoints) {
      const soakPool = new Pool(gateway.url, { connections: SETTINGS.soak.maxInFlight, pipelining: 1, keepAliveTimeout: 60_000 });
      closers.push(() => soakPool.destroy());
      const mcpClient: McpClient = await connectMcp(mcpEndpoints.gateway);
      closers.push(() => mcpClient.close());
      const plain = request('gateway', KiB);
      const streamed = request('gateway', KiB, 'fast', true);
      const text = 'x'.repeat(SETTINGS.mcp.argumentBytes);
      progress(`soak: ${SETTINGS.soak.minutes} min, sampling every ${SETTINGS.soak.sampleEverySeconds} s, warm-up ${SETTINGS.soak.warmupMinutes} min`);
      result.soak = await runSoak({
        ...SETTINGS.soak,
        pid: gateway.pid,
        heapUsedMB: async () => (await heapUsedBytes()) / 1e6,
        load: {
          plain: async () => {
            const res = await soakPool.request({ path: plain.path, method: 'POST', headers: plain.headers, body: plain.body });
            const body = await res.body.text();
            if (res.statusCode !== 200) throw new Error(`HTTP ${res.statusCode}: ${body.slice(0, 200)}`);
          },
          stream: async () => {
            const t = await streamOnce(soakPool, streamed);
            if (!isWholeStream(t, true)) throw new Error(`a stream ended early (${t.contentChunks} chunks)`);
          },
          mcp: () => callEcho(mcpClient, mcpEndpoints.gateway.tool, text),
        },
        progress,
      });
      gatewayReplies += result.soak.completed.plain + result.soak.completed.stream;
      if (result.soak.errors) warnings.push(`soak: ${result.soak.errors} requests failed (first: ${result.soak.firstError})`);
    }

    // Stop the servers, then count what the gateway committed and time the ledger on its own.
    await closeClients();
    await stopStack(stack, progress);
    const gatewayDb = openDatabase(join(gw.dataDir, 'gatehouse.sqlite'));
    let gatewayRows: number;
    try {
      gatewayRows = (gatewayDb.prepare("SELECT count(*) AS n FROM events WHERE type = 'llm.request'").get() as { n: number }).n;
    } finally {
      gatewayDb.close();
    }
    if (gatewayRows < gatewayReplies) warnings.push(`the gateway's ledger has ${gatewayRows} llm.request rows for ${gatewayReplies} successful replies counted`);

    if (has('ledger')) {
      progress('ledger write cost...');
      const cost = await measureLedgerCost(SETTINGS.ledger);
      const at32 = result.throughput?.find((t) => t.connections === 32);
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
      result.ledger = ledger;
    }

    const full: BenchResult = {
      date,
      quick: QUICK,
      scenarios,
      machine,
      settings: {
        runs: SETTINGS.runs,
        throughputSeconds: SETTINGS.throughputSeconds,
        connections: SETTINGS.connections,
        latency: SETTINGS.latency,
        translation: SETTINGS.translation,
        streaming: SETTINGS.streaming,
        mcp: SETTINGS.mcp,
        guardrails: SETTINGS.guardrails,
        soak: runSoakScenario ? SETTINGS.soak : null,
        limitMinutes: SETTINGS.limitMs / 60_000,
      },
      ...result,
      memory,
      checks: checksOf(result),
      warnings,
      elapsedSeconds: Math.round((performance.now() - startedAt) / 1000),
    };

    const dir = join(ROOT, 'bench', 'results');
    mkdirSync(dir, { recursive: true });
    // A quick smoke, or a run of some scenarios only, never overwrites the day's full figures.
    const suffix = `${QUICK ? '-quick' : ''}${process.env.BENCH_ONLY ? `-${scenarios.join('+')}` : ''}`;
    const file = join(dir, `${date}${suffix}.json`);
    writeFileSync(`${file}.tmp`, `${JSON.stringify(full, null, 2)}\n`);
    renameSync(`${file}.tmp`, file);

    process.stdout.write(`\n${renderMarkdown(full)}\n\n`);
    for (const c of full.checks) process.stdout.write(`${c.met ? 'met   ' : 'MISSED'}  ${c.what}: ${c.value} (goal ${c.goal})\n`);
    for (const w of warnings) process.stdout.write(`warning: ${w}\n`);
    process.stdout.write(`\nwrote ${file} (${full.elapsedSeconds} s)\n`);
  } finally {
    clearTimeout(watchdog);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    if (!aborted) {
      await closeClients();
      await stopStack(stack, progress);
      removeDirs(stack);
    }
  }
}

main().catch((err: Error) => {
  process.stderr.write(`bench failed: ${err.stack ?? err.message}\n`);
  process.exitCode = 1;
});
