// Guardrail cost end to end: a 16 KiB agent-sized prompt through the gateway with the default guardrails and with every kind off.
import { readFileSync } from 'node:fs';
import type { Pool } from 'undici';
import { median, percentile } from './measure.js';

export type GuardMode = 'default' | 'off';
export const GUARD_MODES: readonly GuardMode[] = ['default', 'off'];

export interface GuardLatencyRun {
  samples: number;
  p50Ms: number;
  p99Ms: number;
}

export interface GuardrailCostResult {
  promptBytes: number;
  byMode: Record<GuardMode, { p50Ms: number; p99Ms: number; runs: GuardLatencyRun[] }>;
  /** Median over the runs of the per-run difference (default − off), ms. */
  addedByGuardrails: { p50Ms: number; p99Ms: number };
}

export const PROMPT_BYTES = 16 * 1024;

/**
 * Prose and code from this repository (README, the gateway's LLM handler), cut at a different place
 * for every request and numbered: each prompt is new to the gateway, so its scan is never answered
 * from the guardrails' memo of text already seen (the first-scan cost, the dearer case).
 */
function promptSource(root: string): string {
  return readFileSync(`${root}/README.md`, 'utf8') + readFileSync(`${root}/src/gateway/http/llm.ts`, 'utf8');
}

function body(source: string, i: number): Buffer {
  const shell = (content: string): string => JSON.stringify({ model: 'fast', messages: [{ role: 'user', content }] });
  const start = (i * 997) % (source.length - PROMPT_BYTES);
  let content = `request ${i}: ${source.slice(start, start + PROMPT_BYTES)}`;
  // Trimmed to 16 KiB of JSON body (escapes make the text's own length a poor guide).
  while (Buffer.byteLength(shell(content)) > PROMPT_BYTES) content = content.slice(0, content.length - Math.ceil((Buffer.byteLength(shell(content)) - PROMPT_BYTES) / 2) - 1);
  return Buffer.from(shell(content));
}

async function run(client: Pool, headers: Record<string, string>, bodies: Buffer[], first: number, opts: { samples: number; maxMs: number }): Promise<GuardLatencyRun> {
  const times: number[] = [];
  const deadline = performance.now() + opts.maxMs;
  for (let i = 0; i < opts.samples && performance.now() < deadline; i++) {
    const t0 = performance.now();
    const res = await client.request({ path: '/v1/chat/completions', method: 'POST', headers, body: bodies[(first + i) % bodies.length]! });
    const text = await res.body.text();
    if (res.statusCode !== 200) throw new Error(`guardrail figure: HTTP ${res.statusCode}: ${text.slice(0, 300)}`);
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return { samples: times.length, p50Ms: percentile(times, 0.5), p99Ms: percentile(times, 0.99) };
}

/** Concurrency 1 against two gateways that differ only in `guardrails:`; the two take turns going first. */
export async function measureGuardrailCost(
  clients: Record<GuardMode, { client: Pool; headers: Record<string, string> }>,
  opts: { root: string; runs: number; samples: number; maxMs: number; progress: (line: string) => void },
): Promise<{ result: GuardrailCostResult; replies: number }> {
  const source = promptSource(opts.root);
  // Distinct prompts for every request of the whole scenario, built before anything is timed.
  const perMode = opts.samples * (opts.runs + 1);
  const bodies = Array.from({ length: perMode * GUARD_MODES.length }, (_, i) => body(source, i));
  let next = 0;
  let replies = 0;
  const take = (n: number): number => {
    const first = next;
    next += n;
    return first;
  };
  for (const m of GUARD_MODES) {
    const w = await run(clients[m].client, clients[m].headers, bodies, take(opts.samples), { samples: Math.min(opts.samples, 30), maxMs: opts.maxMs });
    replies += w.samples;
  }
  const runs: Record<GuardMode, GuardLatencyRun[]> = { default: [], off: [] };
  for (let r = 0; r < opts.runs; r++) {
    for (const m of r % 2 === 0 ? GUARD_MODES : [...GUARD_MODES].reverse()) {
      const x = await run(clients[m].client, clients[m].headers, bodies, take(opts.samples), opts);
      runs[m].push(x);
      replies += x.samples;
    }
    opts.progress(`guardrails 16 KiB, run ${r + 1}/${opts.runs} (p50/p99 ms): ${GUARD_MODES.map((m) => `${m} ${runs[m][r]!.p50Ms.toFixed(3)}/${runs[m][r]!.p99Ms.toFixed(3)}`).join(', ')}`);
  }
  const diff = (f: 'p50Ms' | 'p99Ms'): number => median(runs.default.map((x, i) => x[f] - runs.off[i]![f]));
  return {
    result: {
      promptBytes: bodies[0]!.length,
      byMode: Object.fromEntries(GUARD_MODES.map((m) => [m, { p50Ms: median(runs[m].map((x) => x.p50Ms)), p99Ms: median(runs[m].map((x) => x.p99Ms)), runs: runs[m] }])) as GuardrailCostResult['byMode'],
      addedByGuardrails: { p50Ms: diff('p50Ms'), p99Ms: diff('p99Ms') },
    },
    replies,
  };
}
