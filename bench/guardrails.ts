// Guardrail cost on an agent-sized prompt: the default config's detectors over 16 KiB of mixed prose
// and code (first scan, and a resent history answered from memory), median of runs, against the
// cost of merely walking and copying the same text (the baseline measured in the same run); then each
// detector of a first scan alone, on the same texts.
// Run: node --import tsx bench/guardrails.ts
import { readFileSync } from 'node:fs';
import { injectionDetector } from '../src/gateway/policy/guardrails/injection.js';
import { cardsDetector, piiDetector } from '../src/gateway/policy/guardrails/pii.js';
import { createGuardrails } from '../src/gateway/policy/guardrails/pipeline.js';
import { secretsDetector } from '../src/gateway/policy/guardrails/secrets.js';
import type { Detector } from '../src/gateway/policy/guardrails/types.js';

const source = readFileSync(new URL('../README.md', import.meta.url), 'utf8') + readFileSync(new URL('../src/gateway/http/llm.ts', import.meta.url), 'utf8');
const RUNS = 201;
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function sample(i: number): string {
  // A different 16 KiB each run, so the first-scan figure is never served from memory.
  const start = (i * 997) % (source.length - 16_384);
  return source.slice(start, start + 16_384);
}

const config = { secrets: 'mask-and-restore', cards: 'mask-and-restore', pii: 'warn', injection: 'warn' } as const;
const guard = createGuardrails(() => config);
const first: number[] = [];
const again: number[] = [];
const toolResult: number[] = [];
const baseline: number[] = [];
const detectors: Record<string, Detector> = { secrets: secretsDetector(), cards: cardsDetector(), pii: piiDetector(), injection: injectionDetector() };
const alone: Record<string, number[]> = Object.fromEntries(Object.keys(detectors).map((name) => [name, []]));
for (let i = 0; i < RUNS; i++) {
  const text = `${sample(i)} run ${i}`;
  let t = performance.now();
  guard.scan(text, 'llm.input');
  first.push(performance.now() - t);
  t = performance.now();
  guard.scan(`${text} `, 'tool.result');
  toolResult.push(performance.now() - t);
  t = performance.now();
  guard.scan(text, 'llm.input');
  again.push(performance.now() - t);
  t = performance.now();
  let n = 0;
  for (let j = 0; j < text.length; j++) n += text.charCodeAt(j) & 1;
  baseline.push(performance.now() - t + n * 0);
  for (const [name, detector] of Object.entries(detectors)) {
    t = performance.now();
    detector.scan(text);
    alone[name]?.push(performance.now() - t);
  }
}
console.log(`16 KiB prompt, default guardrails, median of ${RUNS}:`);
console.log(`  first scan      ${median(first).toFixed(3)} ms  (a prompt: secrets, cards, PII)`);
console.log(`  as a tool result ${median(toolResult).toFixed(3)} ms  (the same detectors plus injection)`);
console.log(`  resent (memo)   ${median(again).toFixed(3)} ms`);
console.log(`  baseline walk   ${median(baseline).toFixed(3)} ms  (first scan = ${(median(first) / Math.max(median(baseline), 1e-6)).toFixed(0)}x a plain pass over the text)`);
console.log(`  each detector   ${Object.entries(alone).map(([name, times]) => `${name} ${median(times).toFixed(3)}`).join(', ')} ms`);
