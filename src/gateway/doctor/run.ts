// `gatehouse doctor`: replays each agent's calls against the running gateway and reports, per
// agent, which step failed, why, and what to change. An agent's replay stops at its first failure.
import { randomUUID } from 'node:crypto';
import { AGENT_STEPS, AGENT_TITLE, type DoctorAgent } from './agents.js';
import { diagnose } from './diagnose.js';
import { ProbeFailure } from './probe.js';

export interface DoctorOptions {
  url: string;
  key: string;
  /** The key's name, for the fixes that mention it. */
  keyName?: string;
  agents: readonly DoctorAgent[];
  /** The route each agent is replayed on; an agent with none is skipped, saying why. */
  models: Partial<Record<DoctorAgent, string>>;
  timeoutMs: number;
}

export interface StepResult {
  name: string;
  /** `warn`: an optional step failed; `skipped`: an earlier step failed. */
  status: 'pass' | 'fail' | 'warn' | 'skipped';
  ms: number;
  cause?: string;
  fix?: string;
}

export interface AgentResult {
  agent: DoctorAgent;
  title: string;
  model: string | null;
  ok: boolean;
  /** Why the agent was not replayed at all. */
  skipped?: string;
  steps: StepResult[];
}

export async function runDoctor(opts: DoctorOptions): Promise<AgentResult[]> {
  const results: AgentResult[] = [];
  for (const agent of opts.agents) {
    const model = opts.models[agent];
    const result: AgentResult = { agent, title: AGENT_TITLE[agent], model: model ?? null, ok: true, steps: [] };
    results.push(result);
    if (!model) {
      result.ok = false;
      result.skipped = 'no route to replay it on: add a route to the config (models:) or pass --model ROUTE';
      continue;
    }
    const ctx = { key: opts.key, model, session: `doctor-${randomUUID()}` };
    let failed = false;
    for (const step of AGENT_STEPS[agent]) {
      if (failed) {
        result.steps.push({ name: step.name, status: 'skipped', ms: 0 });
        continue;
      }
      const started = performance.now();
      try {
        await step.run({ url: opts.url, timeoutMs: opts.timeoutMs }, ctx);
        result.steps.push({ name: step.name, status: 'pass', ms: Math.round(performance.now() - started) });
      } catch (err) {
        const failure = err instanceof ProbeFailure ? err : new ProbeFailure((err as Error).message);
        const { cause, fix } = diagnose(failure, { model, keyName: opts.keyName });
        const ms = Math.round(performance.now() - started);
        if (step.optional) {
          result.steps.push({ name: step.name, status: 'warn', ms, cause, fix });
          continue;
        }
        result.steps.push({ name: step.name, status: 'fail', ms, cause, fix });
        result.ok = false;
        failed = true;
      }
    }
  }
  return results;
}

const MARK: Record<StepResult['status'], string> = { pass: 'ok  ', fail: 'FAIL', warn: 'warn', skipped: 'skip' };

export function formatDoctorReport(results: AgentResult[]): string {
  const lines: string[] = [];
  for (const r of results) {
    const passed = r.steps.filter((s) => s.status === 'pass').length;
    lines.push(`${r.ok ? 'PASS' : 'FAIL'}  ${r.title}${r.model ? ` on route "${r.model}"` : ''}${r.steps.length ? ` (${passed}/${r.steps.length} steps)` : ''}`);
    if (r.skipped) lines.push(`      not replayed: ${r.skipped}`);
    for (const s of r.steps) {
      lines.push(`  ${MARK[s.status]}  ${s.name}${s.status === 'pass' || s.status === 'warn' ? `  ${s.ms} ms` : ''}`);
      if (s.cause) lines.push(`          cause: ${s.cause}`);
      if (s.fix) lines.push(`          fix:   ${s.fix}`);
    }
  }
  const failed = results.filter((r) => !r.ok).length;
  lines.push(failed === 0 ? `all ${results.length} agent checks passed` : `${failed} of ${results.length} agent checks failed`);
  return lines.join('\n');
}
