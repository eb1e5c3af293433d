// The benchmark's result: its JSON shape, the targets, and the Markdown tables printed for the README.
import type { EventLoopLag } from './gateway-metrics.js';
import type { GuardrailCostResult } from './guardrail-cost.js';
import type { LedgerCost } from './ledger-cost.js';
import type { McpResult } from './mcp.js';
import type { LatencyRun, ThroughputRun } from './measure.js';
import type { SoakResult } from './soak.js';
import type { HoldResult, StreamCapacityResult, StreamingLatencyResult } from './streaming.js';

export type Target = 'mock' | 'raw' | 'gateway' | 'portkey';
export const TARGETS: readonly Target[] = ['mock', 'raw', 'gateway', 'portkey'];
export const TARGET_LABEL: Record<Target, string> = { mock: 'mock upstream', raw: 'raw proxy', gateway: 'gateway', portkey: 'Portkey' };

/** The translation scenario's two routes through the gateway: the model the client asks for. */
export type TranslationMode = 'passthrough' | 'translated';
export const TRANSLATION_MODES: readonly TranslationMode[] = ['passthrough', 'translated'];
export const TRANSLATION_MODEL: Record<TranslationMode, string> = { passthrough: 'fast', translated: 'translated' };

/** What the gateway is held to; the figures are printed next to them for context. */
export const GOALS = {
  throughputOverRaw: 0.8,
  addedLatencyMs: { '1 KB': { p50: 0.3, p99: 1 }, '400 KB': { p50: 5, p99: 15 } } as Record<string, { p50: number; p99: number }>,
  addedTtftP99Ms: 1,
  stallFreeStreams: 512,
  eventLoopLagP99Ms: 20,
  soakGrowthMBPer10Min: 1,
};

export interface Spread {
  median: number;
  min: number;
  max: number;
}

export interface ThroughputResult {
  connections: number;
  /** rps: successful replies per second; cpuUs: the target process's CPU µs per reply (median). */
  byTarget: Record<Target, { rps: Spread; cpuUs: number; runs: ThroughputRun[] }>;
  /** Ratios of the medians. */
  gatewayOverRaw: number;
  rawOverMock: number;
  /** The median of the ratio taken within each run (the runs are interleaved). */
  gatewayOverRawPerRun: number;
  /** Portkey's share of the raw proxy's throughput, and the gateway's over Portkey's (ratios of the medians). */
  portkeyOverRaw: number;
  gatewayOverPortkey: number;
}

export interface LatencyResult {
  label: string;
  bytes: number;
  byTarget: Record<Target, { p50Ms: number; p99Ms: number; runs: LatencyRun[] }>;
  /** Medians over the runs of the per-run differences, in ms. */
  gatewayMinusRaw: { p50Ms: number; p99Ms: number };
  rawMinusMock: { p50Ms: number; p99Ms: number };
  portkeyMinusRaw: { p50Ms: number; p99Ms: number };
}

export interface TranslationLatency {
  label: string;
  bytes: number;
  byMode: Record<TranslationMode, { p50Ms: number; p99Ms: number; runs: LatencyRun[] }>;
  /** Median over the runs of the per-run difference, in ms. */
  translatedMinusPassthrough: { p50Ms: number; p99Ms: number };
}

/** OpenAI chat in and out, with the upstream in OpenAI format (passed through) or Anthropic format (translated). */
export interface TranslationResult {
  models: Record<TranslationMode, string>;
  latency: TranslationLatency[];
  /** The gateway's CPU µs per reply under load (median); absent when it did not fit in the run's time. */
  cpu?: {
    connections: number;
    bytes: number;
    byMode: Record<TranslationMode, { cpuUs: number; rps: Spread; runs: ThroughputRun[] }>;
    /** Median over the runs of the per-run difference (translated − passthrough). */
    addedCpuUs: number;
  };
}

export interface LedgerComparison extends LedgerCost {
  /** At 32 connections: wall time per reply (1e6 / req/s) and the process's CPU time per reply. */
  gatewayWallUs: number;
  rawWallUs: number;
  gatewayCpuUs: number;
  rawCpuUs: number;
  /** Group commit at 32 per tick as a share of the CPU the gateway adds per reply over the raw proxy. */
  ledgerShareOfAddedCpu: number;
  /** Rows the gateway committed during the run against the 2xx replies the benchmark counted. */
  gatewayRows: number;
  gatewayRepliesCounted: number;
}

export interface Check {
  what: string;
  value: string;
  goal: string;
  met: boolean;
}

/** Scenarios a run can be limited to (`BENCH_ONLY=streaming,mcp`). */
export const SCENARIOS = ['throughput', 'latency', 'translation', 'streaming', 'mcp', 'guardrails', 'soak', 'ledger'] as const;
export type Scenario = (typeof SCENARIOS)[number];

export interface StreamingResult {
  /** TTFT and inter-chunk delay by target (`differences`: gateway − raw, raw − mock, portkey − raw). */
  latency?: StreamingLatencyResult;
  /** The gateway's step-up, and the raw proxy's for reference (same upstream pool size). */
  capacity?: StreamCapacityResult;
  rawCapacity?: StreamCapacityResult;
  /** The hold during which the gateway's event-loop delay was read, with `lagStreams` streams open. */
  lagStreams: number;
  lagHold?: HoldResult;
  eventLoopLag?: EventLoopLag;
}

export interface BenchResult {
  date: string;
  quick: boolean;
  /** The scenarios this run measured (all unless BENCH_ONLY was set). */
  scenarios: Scenario[];
  machine: { cpu: string; cores: number; node: string; os: string; memoryGiB: number; loadAverageAtStart: number };
  settings: {
    runs: number;
    throughputSeconds: number;
    connections: number[];
    latency: { label: string; bytes: number; maxSamples: number; minSamples: number; maxMs: number }[];
    translation: { sizes: string[]; cpuConnections: number };
  } & Record<string, unknown>;
  throughput?: ThroughputResult[];
  latency?: LatencyResult[];
  translation?: TranslationResult;
  streaming?: StreamingResult;
  mcp?: McpResult;
  guardrails?: GuardrailCostResult;
  soak?: SoakResult;
  ledger?: LedgerComparison;
  /**
   * Resident memory of each process in MiB at points of the run (growth under load shows here); the
   * gateway's idle figures right after it started, before any request; its RSS with streams open.
   */
  memory: {
    gatewayIdle?: { rssMiB: number; heapUsedMiB: number };
    afterStart: Partial<Record<Target, number>>;
    afterThroughput?: Partial<Record<Target, number>>;
    afterLatency?: Partial<Record<Target, number>>;
    gatewayWithStreamsOpen?: { streams: number; rssMiB: number };
    gatewayAfterStreaming?: number;
  };
  checks: Check[];
  warnings: string[];
  elapsedSeconds: number;
}

export function spread(values: number[], median: (v: number[]) => number): Spread {
  return { median: median(values), min: Math.min(...values), max: Math.max(...values) };
}

const int = (n: number): string => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '–');
const fixed = (n: number, digits = 2): string => (Number.isFinite(n) ? n.toFixed(digits) : '–');
const ratio = (n: number): string => (Number.isFinite(n) ? `${n.toFixed(2)}×` : '–');
const mark = (met: boolean): string => (met ? '✓' : '✗');

/** A Markdown pipe table, padded so it also reads well in a terminal. */
export function markdownTable(header: string[], rows: string[][], align: ('l' | 'r')[]): string {
  const width = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length), 3));
  const cell = (s: string, i: number): string => (align[i] === 'r' ? s.padStart(width[i]!) : s.padEnd(width[i]!));
  const line = (cells: string[]): string => `| ${cells.map(cell).join(' | ')} |`;
  const rule = `|${width.map((w, i) => (align[i] === 'r' ? `${'-'.repeat(w + 1)}:` : `:${'-'.repeat(w + 1)}`)).join('|')}|`;
  return [line(header), rule, ...rows.map(line)].join('\n');
}

const pair = (a: { p50Ms: number; p99Ms: number }): string => `${fixed(a.p50Ms)} / ${fixed(a.p99Ms)}`;
const signed = (n: number, digits = 2): string => (Number.isFinite(n) ? `${n >= 0 ? '+' : ''}${n.toFixed(digits)}` : '–');

export function checksOf(r: Pick<BenchResult, 'throughput' | 'latency' | 'streaming' | 'soak'>): Check[] {
  const checks: Check[] = [];
  for (const t of r.throughput ?? []) {
    checks.push({
      what: `throughput at ${t.connections} connections, gateway / raw`,
      value: ratio(t.gatewayOverRaw),
      goal: `≥ ${ratio(GOALS.throughputOverRaw)}`,
      met: t.gatewayOverRaw >= GOALS.throughputOverRaw,
    });
  }
  for (const l of r.latency ?? []) {
    const goal = GOALS.addedLatencyMs[l.label];
    if (!goal) continue;
    checks.push({
      what: `added latency at ${l.label}, p50 / p99`,
      value: `${fixed(l.gatewayMinusRaw.p50Ms)} / ${fixed(l.gatewayMinusRaw.p99Ms)} ms`,
      goal: `≤ ${goal.p50} / ${goal.p99} ms`,
      met: l.gatewayMinusRaw.p50Ms <= goal.p50 && l.gatewayMinusRaw.p99Ms <= goal.p99,
    });
  }
  const s = r.streaming;
  const ttft = s?.latency?.differences.find((d) => d.a === 'gateway' && d.b === 'raw');
  if (ttft) {
    checks.push({
      what: 'added time to first token, p99 (gateway − raw)',
      value: `${fixed(ttft.figures.ttftP99Ms)} ms`,
      goal: `≤ ${GOALS.addedTtftP99Ms} ms`,
      met: ttft.figures.ttftP99Ms <= GOALS.addedTtftP99Ms,
    });
  }
  if (s?.capacity) {
    checks.push({
      what: 'concurrent streams the gateway held with no stall',
      value: `${s.capacity.maxStallFree} (${s.capacity.stoppedBecause})`,
      goal: `≥ ${GOALS.stallFreeStreams}`,
      met: s.capacity.maxStallFree >= GOALS.stallFreeStreams,
    });
  }
  if (s?.eventLoopLag) {
    checks.push({
      what: `gateway event-loop delay p99 with ${s.lagStreams} streams open (beyond the 10 ms sampling interval)`,
      value: `${fixed(s.eventLoopLag.p99LateMs, 1)} ms (metric ${fixed(s.eventLoopLag.p99Ms, 1)} ms)`,
      goal: `≤ ${GOALS.eventLoopLagP99Ms} ms`,
      met: s.eventLoopLag.p99LateMs <= GOALS.eventLoopLagP99Ms,
    });
  }
  if (r.soak) {
    checks.push({
      what: `soak: gateway RSS growth after a ${r.soak.warmupMinutes} min warm-up (${r.soak.minutes} min in all)`,
      value: `${signed(r.soak.rssGrowthMBPer10Min)} MB per 10 min`,
      goal: `< ${GOALS.soakGrowthMBPer10Min} MB per 10 min`,
      met: r.soak.rssGrowthMBPer10Min < GOALS.soakGrowthMBPer10Min,
    });
  }
  return checks;
}

function throughputSection(throughput: ThroughputResult[], seconds: number): string[] {
  return [
    `**Throughput** (non-streaming chat completion, 1 KB request, ${seconds} s per run; successful replies per second)`,
    '',
    markdownTable(
      ['Connections', 'mock upstream', 'raw proxy', 'gateway', 'Portkey', 'gateway / raw', 'raw / mock', 'Portkey / raw', 'gateway / Portkey', `goal: gateway / raw ≥ ${GOALS.throughputOverRaw}`, 'CPU µs per reply: raw → gateway (Portkey)'],
      throughput.map((t) => [
        String(t.connections),
        int(t.byTarget.mock.rps.median),
        int(t.byTarget.raw.rps.median),
        int(t.byTarget.gateway.rps.median),
        int(t.byTarget.portkey.rps.median),
        ratio(t.gatewayOverRaw),
        ratio(t.rawOverMock),
        ratio(t.portkeyOverRaw),
        ratio(t.gatewayOverPortkey),
        mark(t.gatewayOverRaw >= GOALS.throughputOverRaw),
        `${int(t.byTarget.raw.cpuUs)} → ${int(t.byTarget.gateway.cpuUs)} (${int(t.byTarget.portkey.cpuUs)})`,
      ]),
      ['r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'l', 'r'],
    ),
    '',
  ];
}

function latencySection(latency: LatencyResult[]): string[] {
  return [
    '**Latency at concurrency 1** (one keep-alive connection, requests one after another; p50 / p99 in ms)',
    '',
    markdownTable(
      ['Request body', 'mock upstream', 'raw proxy', 'gateway', 'Portkey', 'added by gateway (gateway − raw)', 'added by raw proxy (raw − mock)', 'added by Portkey (Portkey − raw)', 'goal for gateway − raw'],
      latency.map((l) => {
        const goal = GOALS.addedLatencyMs[l.label];
        return [
          `${l.label} (${l.byTarget.gateway.runs[0]?.samples ?? 0}+ samples/run)`,
          pair(l.byTarget.mock),
          pair(l.byTarget.raw),
          pair(l.byTarget.gateway),
          pair(l.byTarget.portkey),
          pair(l.gatewayMinusRaw),
          pair(l.rawMinusMock),
          pair(l.portkeyMinusRaw),
          goal ? `≤ ${goal.p50} / ${goal.p99} ${mark(l.gatewayMinusRaw.p50Ms <= goal.p50 && l.gatewayMinusRaw.p99Ms <= goal.p99)}` : '–',
        ];
      }),
      ['l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'l'],
    ),
    '',
  ];
}

function translationSection(tr: TranslationResult): string[] {
  const cpu = tr.cpu;
  const cpuHeader = cpu ? [`CPU µs per reply at ${cpu.connections} connections: passthrough → translated (added)`] : [];
  return [
    `**Translation** (gateway only, concurrency 1; an OpenAI chat completion routed as \`${tr.models.passthrough}\` to the OpenAI-format mock, passed through, ` +
      `or as \`${tr.models.translated}\` to the Anthropic-format mock, translated both ways; p50 / p99 in ms)`,
    '',
    markdownTable(
      ['Request body', 'passthrough', 'translated', 'added by translation (translated − passthrough)', ...cpuHeader],
      tr.latency.map((l) => {
        // CPU was measured with one request size only: it goes on that size's row.
        const cpuCell = cpu
          ? [l.bytes === cpu.bytes ? `${int(cpu.byMode.passthrough.cpuUs)} → ${int(cpu.byMode.translated.cpuUs)} (${cpu.addedCpuUs >= 0 ? '+' : ''}${int(cpu.addedCpuUs)})` : '–']
          : [];
        return [`${l.label} (${l.byMode.translated.runs[0]?.samples ?? 0}+ samples/run)`, pair(l.byMode.passthrough), pair(l.byMode.translated), pair(l.translatedMinusPassthrough), ...cpuCell];
      }),
      ['l', 'r', 'r', 'r', ...(cpu ? (['r'] as const) : [])],
    ),
    '',
  ];
}

function streamingSection(s: StreamingResult): string[] {
  const out: string[] = [];
  const l = s.latency;
  if (l) {
    out.push(
      `**Streaming** (chat completion with \`stream: true\` and \`include_usage\`; the mock sends 64 chunks 20 ms apart; ${l.concurrency} streams at a time per target, ` +
        `${l.secondsPerRun} s per run; TTFT from sending the request to the first content chunk; extra gap = gap between chunks − 20 ms; p50 / p99 in ms)`,
      '',
      markdownTable(
        ['Target', 'TTFT', 'extra gap between chunks', 'streams/run'],
        Object.entries(l.byTarget).map(([name, t]) => [name, `${fixed(t.ttftP50Ms)} / ${fixed(t.ttftP99Ms)}`, `${fixed(t.extraGapP50Ms)} / ${fixed(t.extraGapP99Ms)}`, String(t.runs[0]?.streams ?? 0)]),
        ['l', 'r', 'r', 'r'],
      ),
      '',
      markdownTable(
        ['Difference', 'added TTFT', 'added extra gap', `goal: added TTFT p99 ≤ ${GOALS.addedTtftP99Ms} ms`],
        l.differences.map((d) => [
          `${d.a} − ${d.b}`,
          `${signed(d.figures.ttftP50Ms)} / ${signed(d.figures.ttftP99Ms)}`,
          `${signed(d.figures.extraGapP50Ms)} / ${signed(d.figures.extraGapP99Ms)}`,
          d.a === 'gateway' && d.b === 'raw' ? mark(d.figures.ttftP99Ms <= GOALS.addedTtftP99Ms) : '',
        ]),
        ['l', 'r', 'r', 'l'],
      ),
      '',
    );
  }
  const rows: string[][] = [];
  for (const cap of [s.capacity, s.rawCapacity]) {
    for (const h of cap?.levels ?? []) {
      rows.push([
        cap!.target,
        String(h.level),
        String(h.streams),
        String(h.failed),
        `${h.stalledGaps} (max gap ${fixed(h.maxGapMs, 1)} ms)`,
        `${h.slowFirstChunks} (p99 ${fixed(h.firstChunkP99Ms, 1)}, max ${fixed(h.firstChunkMaxMs, 1)} ms)`,
        mark(h.stallFree),
      ]);
    }
  }
  if (rows.length) {
    out.push(
      '**Concurrent streams held** (step-up; at each level that many streams stay open for the hold, one connection each; a stall is a gap between chunks, or a wait for the first chunk, over 20 + 50 ms; the step-up stops at the first level with a stall)',
      '',
      markdownTable(['Target', 'Streams open', 'streams done', 'failed', 'stalled gaps', 'slow first chunks', 'stall-free'], rows, ['l', 'r', 'r', 'r', 'l', 'l', 'l']),
      '',
    );
    const summary = [s.capacity, s.rawCapacity].filter((c) => c).map((c) => `${c!.target}: ${c!.maxStallFree} held with no stall (${c!.stoppedBecause})`);
    out.push(`${summary.join('; ')}; goal for the gateway ≥ ${GOALS.stallFreeStreams}.`, '');
  }
  if (s.eventLoopLag) {
    const e = s.eventLoopLag;
    out.push(
      `**Gateway event-loop delay with ${s.lagStreams} streams open** (prom-client's \`nodejs_eventloop_lag_*_seconds\` from its \`/metrics\`, over a ${fixed(e.seconds, 1)} s window; ` +
        `each sample includes the monitor's 10 ms interval): p50 ${fixed(e.p50Ms, 1)} ms, p99 ${fixed(e.p99Ms, 1)} ms, max ${fixed(e.maxMs, 1)} ms; ` +
        `p99 beyond the interval ${fixed(e.p99LateMs, 1)} ms (goal ≤ ${GOALS.eventLoopLagP99Ms} ms ${mark(e.p99LateMs <= GOALS.eventLoopLagP99Ms)}).`,
      '',
    );
  }
  return out;
}

function mcpSection(m: McpResult): string[] {
  const d = m.latency.byPath.direct;
  const g = m.latency.byPath.gateway;
  return [
    `**MCP \`tools/call\`** (an \`echo\` tool with a ${m.argumentBytes}-byte argument on a small SDK server; ${m.transport}; tool policy \`allow\`)`,
    '',
    markdownTable(
      ['Path', 'latency p50 / p99 at concurrency 1 (ms)', `calls/s at ${m.rate.concurrency} concurrent`],
      [
        ['direct', pair(d), int(m.rate.byPath.direct.callsPerSecond)],
        ['through the gateway', pair(g), int(m.rate.byPath.gateway.callsPerSecond)],
        ['added / ratio', `${signed(m.latency.gatewayMinusDirect.p50Ms)} / ${signed(m.latency.gatewayMinusDirect.p99Ms)}`, ratio(m.rate.gatewayOverDirect)],
      ],
      ['l', 'r', 'r'],
    ),
    '',
  ];
}

function guardrailSection(gr: GuardrailCostResult): string[] {
  return [
    `**Guardrails** (end to end, concurrency 1: a ${int(gr.promptBytes)}-byte chat completion of prose and code, new text every request, through the gateway with the default guardrails and through a second gateway with every kind off; p50 / p99 in ms)`,
    '',
    markdownTable(
      ['default guardrails', 'guardrails off', 'added by guardrails (default − off)'],
      [[pair(gr.byMode.default), pair(gr.byMode.off), `${signed(gr.addedByGuardrails.p50Ms)} / ${signed(gr.addedByGuardrails.p99Ms)}`]],
      ['r', 'r', 'r'],
    ),
    '',
  ];
}

function ledgerSection(g: LedgerComparison): string[] {
  const batches = Object.keys(g.groupUs).map(Number);
  return [
    `**Ledger write cost** (SQLite WAL file in a temp dir, ${g.eventsPerRun} events per run; µs per event)`,
    '',
    markdownTable(
      ['What', 'µs'],
      [
        ['canonical JSON + SHA-256 chain only (no SQLite)', fixed(g.encodeUs, 1)],
        ['appendNow(): one transaction per event', fixed(g.appendNowUs, 1)],
        ...batches.map((b) => [`append(): group commit, ${b} event${b === 1 ? '' : 's'} per tick (${fixed(g.eventsPerTransaction[b] ?? NaN, 1)} per transaction)`, fixed(g.groupUs[b] ?? NaN, 1)]),
        ['gateway process CPU per reply at 32 connections', fixed(g.gatewayCpuUs, 1)],
        ['raw proxy process CPU per reply at 32 connections', fixed(g.rawCpuUs, 1)],
        ['CPU the gateway adds per reply (gateway − raw)', fixed(g.gatewayCpuUs - g.rawCpuUs, 1)],
        ['group commit (32 per tick) as a share of what the gateway adds', Number.isFinite(g.ledgerShareOfAddedCpu) ? `${(g.ledgerShareOfAddedCpu * 100).toFixed(0)} %` : '–'],
      ],
      ['l', 'r'],
    ),
    '',
    `Ledger rows the gateway committed: ${int(g.gatewayRows)} for ${int(g.gatewayRepliesCounted)} successful replies the benchmark counted.`,
  ];
}

function memorySection(r: BenchResult): string[] {
  const m = r.memory;
  const out: string[] = ['**Memory**', ''];
  if (m.gatewayIdle) out.push(`- gateway idle after start: RSS ${fixed(m.gatewayIdle.rssMiB, 1)} MiB, V8 heap used ${fixed(m.gatewayIdle.heapUsedMiB, 1)} MiB.`);
  const started = TARGETS.filter((t) => m.afterStart[t] !== undefined);
  const rss = (t: Target): string => [m.afterStart[t], m.afterThroughput?.[t], m.afterLatency?.[t]].filter((v) => v !== undefined).map((v) => int(v!)).join(' → ');
  if (m.afterThroughput || m.afterLatency) {
    out.push(`- RSS (MiB) at start → after throughput → after latency: ${started.map((t) => `${TARGET_LABEL[t]} ${rss(t)}`).join('; ')}.`);
  }
  if (m.gatewayWithStreamsOpen) out.push(`- gateway RSS with ${m.gatewayWithStreamsOpen.streams} streams open: ${int(m.gatewayWithStreamsOpen.rssMiB)} MiB.`);
  if (m.gatewayAfterStreaming !== undefined) out.push(`- gateway RSS after the streaming figures: ${int(m.gatewayAfterStreaming)} MiB.`);
  const s = r.soak;
  if (s) {
    const warm = s.samples.filter((x) => x.atSeconds >= s.warmupMinutes * 60);
    const first = warm[0];
    const last = warm.at(-1);
    out.push(
      `- soak: ${s.minutes} min at ${SOAK_MIX(s)}, ${s.errors} errors, ${s.skipped} starts skipped at the in-flight bound; ` +
        `${s.samples.length} samples every ${s.sampleEverySeconds} s; after the ${s.warmupMinutes} min warm-up RSS ${fixed(first?.rssMB ?? NaN, 1)} → ${fixed(last?.rssMB ?? NaN, 1)} MB, ` +
        `heap ${fixed(first?.heapUsedMB ?? NaN, 1)} → ${fixed(last?.heapUsedMB ?? NaN, 1)} MB; growth (least-squares slope) RSS ${signed(s.rssGrowthMBPer10Min)} MB and heap ${signed(s.heapGrowthMBPer10Min)} MB per 10 min ` +
        `(goal < ${GOALS.soakGrowthMBPer10Min} MB ${mark(s.rssGrowthMBPer10Min < GOALS.soakGrowthMBPer10Min)}).`,
    );
  }
  return out;
}

const SOAK_MIX = (s: SoakResult): string => `${s.ratePerSecond.plain} plain + ${s.ratePerSecond.stream} streamed + ${s.ratePerSecond.mcp} MCP requests/s (completed ${s.completed.plain} + ${s.completed.stream} + ${s.completed.mcp})`;

export function renderMarkdown(r: BenchResult): string {
  const out: string[] = [];
  out.push(`### Gatehouse benchmark, ${r.date}${r.quick ? ' (QUICK MODE: fewer, shorter runs; a smoke test, not a measurement)' : ''}`);
  out.push('');
  out.push(
    `${r.machine.cpu}, ${r.machine.cores} cores, ${r.machine.memoryGiB} GiB, ${r.machine.os}, Node ${r.machine.node}, load average ${r.machine.loadAverageAtStart.toFixed(2)} at start. ` +
      `Load generator, mock upstream, proxies and gateways share these cores; compare the ratios, not the absolute figures. ` +
      `Each figure is the median of ${r.settings.runs} runs; runs alternate between the targets. Scenarios: ${r.scenarios.join(', ')}.`,
  );
  out.push('');
  if (r.throughput?.length) out.push(...throughputSection(r.throughput, r.settings.throughputSeconds));
  if (r.latency?.length) out.push(...latencySection(r.latency));
  if (r.streaming) out.push(...streamingSection(r.streaming));
  if (r.mcp) out.push(...mcpSection(r.mcp));
  if (r.guardrails) out.push(...guardrailSection(r.guardrails));
  if (r.translation) out.push(...translationSection(r.translation));
  if (r.ledger) out.push(...ledgerSection(r.ledger), '');
  out.push(...memorySection(r));
  return out.join('\n');
}
