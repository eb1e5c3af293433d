// The gateway as the benchmark runs it: its config (all policy on), its key, and the processes of one run, stopped by PID.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { runNode, startService, type Service } from './processes.js';
import { TRANSLATION_MODEL } from './report.js';

export const UPSTREAM_KEY = 'sk-bench-upstream';
/** The scrape token the gateway reads from its environment (`observability.metrics.token: env:...`). */
export const METRICS_TOKEN = 'bench-metrics-token';
/** The MCP server's id in the gateway's config: its tool is `bench__echo` on `/mcp`. */
export const MCP_SERVER_ID = 'bench';

/**
 * Limits and budgets far above anything the bench sends, so none refuses a request but every
 * request still goes through the rate windows and the budget reservation (and its settling).
 */
export const KEY_LIMITS = ['--rpm', '1000000000', '--tpm', '1000000000', '--budget', '1000000/day'];
const GLOBAL_BUDGET = '1000000/month';

/** The processes and temp directories of one run: everything is stopped and removed at the end. */
export interface Stack {
  services: Service[];
  dirs: string[];
}

export function newStack(): Stack {
  return { services: [], dirs: [] };
}

export async function stopStack(stack: Stack, progress: (line: string) => void): Promise<void> {
  for (const s of stack.services.splice(0).reverse()) {
    await s.stop().catch((err: Error) => progress(`could not stop ${s.name} (pid ${s.pid}): ${err.message}`));
  }
}

export function removeDirs(stack: Stack): void {
  for (const d of stack.dirs.splice(0)) rmSync(d, { recursive: true, force: true });
}

/** The environment for children: none of the caller's GATEHOUSE_* settings leak into the run. */
export function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('GATEHOUSE_')) env[k] = v;
  return { ...env, ...extra };
}

export interface GatewayOptions {
  upstream: string;
  /** The bench MCP server's Streamable HTTP URL, when the MCP figures run. */
  mcpUrl?: string;
  /** `default`: the config's default guardrails; `off`: every kind off (the guardrail figure's baseline). */
  guardrails: 'default' | 'off';
}

export function gatewayConfig(o: GatewayOptions): string {
  return [
    '# Written by bench/run.ts for one benchmark run: every policy on, limits and budgets never reached.',
    'version: 1',
    'server: { host: 127.0.0.1, port: 0, logLevel: warn }',
    'providers:',
    '  - id: mock',
    '    type: openai-compatible',
    `    baseUrl: ${o.upstream}/v1`,
    '    apiKey: env:BENCH_UPSTREAM_KEY',
    // The same mock in Anthropic's format: a chat completion routed here is translated both ways.
    '  - id: anth',
    '    type: anthropic',
    `    baseUrl: ${o.upstream}`,
    '    apiKey: env:BENCH_UPSTREAM_KEY',
    // Prices and output limits given, so the budget reservation runs as for a catalogued model.
    'models:',
    '  - name: fast',
    '    targets:',
    '      - { provider: mock, model: gpt-4o-mini, maxOutputTokens: 16384, pricing: { inputPerMTok: 0.15, outputPerMTok: 0.6 } }',
    `  - name: ${TRANSLATION_MODEL.translated}`,
    '    targets:',
    '      - { provider: anth, model: claude-sonnet-4-5, maxOutputTokens: 64000, pricing: { inputPerMTok: 3, outputPerMTok: 15 } }',
    `budgets: ["${GLOBAL_BUDGET}"]`,
    o.guardrails === 'off'
      ? 'guardrails: { secrets: off, cards: off, pii: off, injection: off }'
      : '# guardrails: the defaults (secrets and cards mask-and-restore, pii and injection warn, answers recorded)',
    'ledger: { bodies: hash, toolArguments: masked }',
    'observability: { metrics: { enabled: true, token: env:BENCH_METRICS_TOKEN } }',
    ...(o.mcpUrl ? ['mcpServers:', `  - id: ${MCP_SERVER_ID}`, `    url: ${o.mcpUrl}`, '    tools: { "*": allow }'] : []),
    '',
  ].join('\n');
}

export interface StartedGateway {
  service: Service;
  key: string;
  dataDir: string;
}

/** A fresh data directory, the config, a virtual key with limits and a budget (`keys create`), then `serve`. */
export async function startGateway(stack: Stack, name: string, root: string, o: GatewayOptions): Promise<StartedGateway> {
  const dataDir = mkdtempSync(join(os.tmpdir(), 'gatehouse-bench-'));
  stack.dirs.push(dataDir);
  writeFileSync(join(dataDir, 'gatehouse.yaml'), gatewayConfig(o));
  const created = await runNode(['bin/gatehouse.js', 'keys', 'create', '--name', 'bench', ...KEY_LIMITS, '--json', '--data-dir', dataDir], {
    cwd: root,
    env: childEnv(),
    timeoutMs: 30_000,
  });
  const { key } = JSON.parse(created) as { key: string };
  const service = await startService(name, ['bin/gatehouse.js', 'serve', '--data-dir', dataDir, '--host', '127.0.0.1', '--port', '0'], {
    cwd: root,
    env: childEnv({ BENCH_UPSTREAM_KEY: UPSTREAM_KEY, BENCH_METRICS_TOKEN: METRICS_TOKEN }),
    readyTimeoutMs: 30_000,
  });
  stack.services.push(service);
  return { service, key, dataDir };
}
