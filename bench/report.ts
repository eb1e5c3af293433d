// The benchmark's result: its JSON shape, the targets, and the Markdown tables printed for the README.
import type { LedgerCost } from './ledger-cost.js';
import type { LatencyRun, ThroughputRun } from './measure.js';

export type Target = 'mock' | 'raw' | 'gateway';
export const TARGETS: readonly Target[] = ['mock', 'raw', 'gateway'];
export const TARGET_LABEL: Record<Target, string> = { mock: 'mock upstream', raw: 'raw proxy', gateway: 'gateway' };

/** The translation scenario's two routes through the gateway: the model the client asks for. */
export type TranslationMode = 'passthrough' | 'translated';
export const TRANSLATION_MODES: readonly TranslationMode[] = ['passthrough', 'translated'];
export const TRANSLATION_MODEL: Record<TranslationMode, string> = { passthrough: 'fast', translated: 'translated' };

/** What the gateway is held to; the figures are printed next to them for context. */
export const GOALS = {
  throughputOverRaw: 0.8,
  addedLatencyMs: { '1 KB': { p50: 0.3, p99: 1 }, '400 KB': { p50: 5, p99: 15 } } as Record<string, { p50: number; p99: number }>,
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
}

export interface LatencyResult {
  label: string;
  bytes: number;
  byTarget: Record<Target, { p50Ms: number; p99Ms: number; runs: LatencyRun[] }>;
  /** Medians over the runs of the per-run differences, in ms. */
  gatewayMinusRaw: { p50Ms: number; p99Ms: number };
  rawMinusMock: { p50Ms: number; p99Ms: number };
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

export interface BenchResult {
  date: string;
  quick: boolean;
  machine: { cpu: string; cores: number; node: string; os: string; memoryGiB: number; loadAverageAtStart: number };
  settings: {
    runs: number;
    throughputSeconds: number;
    connections: number[];
    latency: { label: string; bytes: number; maxSamples: number; minSamples: number; maxMs: number }[];
    translation: { sizes: string[]; cpuConnections: number };
  };
  throughput: ThroughputResult[];
  latency: LatencyResult[];
  translation: TranslationResult;
  ledger: LedgerComparison;
  /** Resident memory of each process in MiB, at three points: growth under load shows here. */
  memory: { afterStart: Record<Target, number>; afterThroughput?: Record<Target, number>; afterLatency?: Record<Target, number> };
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

export function checksOf(r: Pick<BenchResult, 'throughput' | 'latency'>): Check[] {
  const checks: Check[] = [];
  for (const t of r.throughput) {
    checks.push({
      what: `throughput at ${t.connections} connections, gateway / raw`,
      value: ratio(t.gatewayOverRaw),
      goal: `≥ ${ratio(GOALS.throughputOverRaw)}`,
      met: t.gatewayOverRaw >= GOALS.throughputOverRaw,
    });
  }
  for (const l of r.latency) {
    const goal = GOALS.addedLatencyMs[l.label];
    if (!goal) continue;
    checks.push({
      what: `added latency at ${l.label}, p50 / p99`,
      value: `${fixed(l.gatewayMinusRaw.p50Ms)} / ${fixed(l.gatewayMinusRaw.p99Ms)} ms`,
      goal: `≤ ${goal.p50} / ${goal.p99} ms`,
      met: l.gatewayMinusRaw.p50Ms <= goal.p50 && l.gatewayMinusRaw.p99Ms <= goal.p99,
    });
  }
  return checks;
}

export function renderMarkdown(r: BenchResult): string {
  const out: string[] = [];
  out.push(`### Gatehouse benchmark, ${r.date}${r.quick ? ' (QUICK MODE: fewer, shorter runs; a smoke test, not a measurement)' : ''}`);
  out.push('');
  out.push(
    `${r.machine.cpu}, ${r.machine.cores} cores, ${r.machine.memoryGiB} GiB, ${r.machine.os}, Node ${r.machine.node}, load average ${r.machine.loadAverageAtStart.toFixed(2)} at start. ` +
      `Load generator, mock upstream, proxy and gateway share these cores; compare the ratios, not the absolute figures. ` +
      `Each figure is the median of ${r.settings.runs} runs; runs alternate between the targets.`,
  );
  out.push('');

  out.push(`**Throughput** (non-streaming chat completion, 1 KB request, ${r.settings.throughputSeconds} s per run; successful replies per second)`);
  out.push('');
  out.push(
    markdownTable(
      ['Connections', 'mock upstream', 'raw proxy', 'gateway', 'gateway / raw', 'raw / mock', `goal: gateway / raw ≥ ${GOALS.throughputOverRaw}`, 'CPU µs per reply: raw → gateway'],
      r.throughput.map((t) => [
        String(t.connections),
        int(t.byTarget.mock.rps.median),
        int(t.byTarget.raw.rps.median),
        int(t.byTarget.gateway.rps.median),
        ratio(t.gatewayOverRaw),
        ratio(t.rawOverMock),
        mark(t.gatewayOverRaw >= GOALS.throughputOverRaw),
        `${int(t.byTarget.raw.cpuUs)} → ${int(t.byTarget.gateway.cpuUs)}`,
      ]),
      ['r', 'r', 'r', 'r', 'r', 'r', 'l', 'r'],
    ),
  );
  out.push('');

  out.push('**Latency at concurrency 1** (one keep-alive connection, requests one after another; p50 / p99 in ms)');
  out.push('');
  out.push(
    markdownTable(
      ['Request body', 'mock upstream', 'raw proxy', 'gateway', 'added by gateway (gateway − raw)', 'added by raw proxy (raw − mock)', 'goal for gateway − raw'],
      r.latency.map((l) => {
        const goal = GOALS.addedLatencyMs[l.label];
        const pair = (a: { p50Ms: number; p99Ms: number }): string => `${fixed(a.p50Ms)} / ${fixed(a.p99Ms)}`;
        return [
          `${l.label} (${l.byTarget.gateway.runs[0]?.samples ?? 0}+ samples/run)`,
          pair(l.byTarget.mock),
          pair(l.byTarget.raw),
          pair(l.byTarget.gateway),
          pair(l.gatewayMinusRaw),
          pair(l.rawMinusMock),
          goal ? `≤ ${goal.p50} / ${goal.p99} ${mark(l.gatewayMinusRaw.p50Ms <= goal.p50 && l.gatewayMinusRaw.p99Ms <= goal.p99)}` : '–',
        ];
      }),
      ['l', 'r', 'r', 'r', 'r', 'r', 'l'],
    ),
  );
  out.push('');

  const tr = r.translation;
  const cpu = tr.cpu;
  out.push(
    `**Translation** (gateway only, concurrency 1; an OpenAI chat completion routed as \`${tr.models.passthrough}\` to the OpenAI-format mock, passed through, ` +
      `or as \`${tr.models.translated}\` to the Anthropic-format mock, translated both ways; p50 / p99 in ms)`,
  );
  out.push('');
  const cpuHeader = cpu ? [`CPU µs per reply at ${cpu.connections} connections: passthrough → translated (added)`] : [];
  out.push(
    markdownTable(
      ['Request body', 'passthrough', 'translated', 'added by translation (translated − passthrough)', ...cpuHeader],
      tr.latency.map((l) => {
        const pair = (a: { p50Ms: number; p99Ms: number }): string => `${fixed(a.p50Ms)} / ${fixed(a.p99Ms)}`;
        // CPU was measured with one request size only: it goes on that size's row.
        const cpuCell = cpu
          ? [l.bytes === cpu.bytes ? `${int(cpu.byMode.passthrough.cpuUs)} → ${int(cpu.byMode.translated.cpuUs)} (${cpu.addedCpuUs >= 0 ? '+' : ''}${int(cpu.addedCpuUs)})` : '–']
          : [];
        return [`${l.label} (${l.byMode.translated.runs[0]?.samples ?? 0}+ samples/run)`, pair(l.byMode.passthrough), pair(l.byMode.translated), pair(l.translatedMinusPassthrough), ...cpuCell];
      }),
      ['l', 'r', 'r', 'r', ...(cpu ? (['r'] as const) : [])],
    ),
  );
  out.push('');

  const g = r.ledger;
  out.push(`**Ledger write cost** (SQLite WAL file in a temp dir, ${g.eventsPerRun} events per run; µs per event)`);
  out.push('');
  const batches = Object.keys(g.groupUs).map(Number);
  out.push(
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
  );
  out.push('');
  out.push(`Ledger rows the gateway committed: ${int(g.gatewayRows)} for ${int(g.gatewayRepliesCounted)} successful replies the benchmark counted.`);
  const m = r.memory;
  const rss = (t: Target): string => [m.afterStart[t], m.afterThroughput?.[t], m.afterLatency?.[t]].map((v) => int(v ?? Number.NaN)).join(' → ');
  out.push(`Resident memory (MiB) at start → after throughput → after latency: ${TARGETS.map((t) => `${TARGET_LABEL[t]} ${rss(t)}`).join('; ')}.`);
  return out.join('\n');
}
