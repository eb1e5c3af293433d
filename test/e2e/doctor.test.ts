// `gatehouse doctor` as a user runs it: against a served gateway with healthy routes to each
// provider family it passes every agent; with a route broken it names the cause and the fix.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMockAnthropic, type MockAnthropic } from '../fixtures/mock-anthropic.js';
import { MOCK_GEMINI_KEY, startMockGemini, type MockGemini } from '../fixtures/mock-gemini.js';
import { startMockOpenAI, type MockOpenAI } from '../fixtures/mock-openai.js';
import { runCli, serve } from '../helpers/cli.js';
import { closedPort } from '../helpers/upstream-server.js';

let oai: MockOpenAI;
let anth: MockAnthropic;
let gem: MockGemini;
const dirs: string[] = [];
const env = { MOCK_UPSTREAM_KEY: 'sk-mock-upstream', ANTH_KEY: 'sk-ant-mock', GEM_KEY: MOCK_GEMINI_KEY, GATEHOUSE_LOG_LEVEL: 'warn' };

function dataDir(config: string): string {
  const d = mkdtempSync(join(tmpdir(), 'gh-doctor-'));
  dirs.push(d);
  writeFileSync(join(d, 'gatehouse.yaml'), config);
  return d;
}

function config(anthropicBaseUrl: string): string {
  return `version: 1
server: { port: 0 }
providers:
  - { id: oai, type: openai-compatible, baseUrl: ${oai.url}, apiKey: env:MOCK_UPSTREAM_KEY }
  - { id: anth, type: anthropic, baseUrl: ${anthropicBaseUrl}, apiKey: env:ANTH_KEY }
  - { id: gem, type: gemini, baseUrl: ${gem.url}, apiKey: env:GEM_KEY }
routing: { retries: 0, attemptTimeoutMs: 5000 }
models:
  - name: gpt
    targets: [{ provider: oai, model: gpt-4o-mini }]
  - name: claude
    targets: [{ provider: anth, model: claude-sonnet-4-5 }]
  - name: gemini
    targets: [{ provider: gem, model: gemini-2.5-flash }]
`;
}

beforeAll(async () => {
  oai = await startMockOpenAI();
  anth = await startMockAnthropic();
  gem = await startMockGemini();
});
afterAll(async () => {
  await Promise.all([oai?.close(), anth?.close(), gem?.close()]);
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('gatehouse doctor', () => {
  it('passes every agent against a healthy gateway, each on a route to its own family, and revokes its temporary key', async () => {
    const dir = dataDir(config(anth.url));
    const served = await serve(['--data-dir', dir, '--port', '0'], env);
    try {
      const run = await runCli(['doctor', '--data-dir', dir], { env, timeoutMs: 60_000 });
      expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0);
      expect(run.stdout).toMatch(/PASS {2}Claude Code on route "claude" \(4\/4 steps\)/);
      expect(run.stdout).toMatch(/PASS {2}Codex CLI on route "gpt" \(3\/3 steps\)/);
      expect(run.stdout).toMatch(/PASS {2}Gemini CLI on route "gemini" \(4\/4 steps\)/);
      expect(run.stdout).toMatch(/PASS {2}Continue, opencode, Aider .* on route "gpt" \(4\/4 steps\)/);
      expect(run.stdout).toMatch(/all 4 agent checks passed$/m);
      // Codex's replay included its WebSocket turns, which reached the provider like the rest.
      expect(run.stdout).toMatch(/ok {4}WebSocket turns/);
      expect(anth.requests.some((q) => q.path === '/v1/messages/count_tokens')).toBe(true);

      const keys = await runCli(['keys', 'list', '--json', '--data-dir', dir], { env });
      const doctorKeys = (JSON.parse(keys.stdout) as { name: string; status: string }[]).filter((k) => k.name.startsWith('doctor-'));
      expect(doctorKeys).toEqual([]);
      const all = await runCli(['keys', 'list', '--all', '--json', '--data-dir', dir], { env });
      expect((JSON.parse(all.stdout) as { name: string; status: string }[]).filter((k) => k.name.startsWith('doctor-')).map((k) => k.status)).toEqual(['revoked']);
    } finally {
      await served.kill();
    }
  }, 90_000);

  it('names the cause and the fix when a route is broken, and exits 1', async () => {
    const dir = dataDir(config(`http://127.0.0.1:${await closedPort()}`));
    const served = await serve(['--data-dir', dir, '--port', '0'], { ...env, GEM_KEY: 'wrong-gemini-key' });
    try {
      const run = await runCli(['doctor', '--data-dir', dir, '--json'], { env, timeoutMs: 60_000 });
      expect(run.code, run.stderr).toBe(1);
      const report = JSON.parse(run.stdout) as { results: { agent: string; ok: boolean; steps: { name: string; status: string; cause?: string; fix?: string }[] }[] };
      const by = Object.fromEntries(report.results.map((r) => [r.agent, r]));
      expect(by['codex']!.ok).toBe(true);
      expect(by['openai-chat']!.ok).toBe(true);

      const claude = by['claude-code']!;
      expect(claude.ok).toBe(false);
      // Listing models needs no provider; counting tokens is the first call that reaches Anthropic.
      expect(claude.steps.map((s) => s.status)).toEqual(['pass', 'fail', 'skipped', 'skipped']);
      expect(claude.steps[1]).toMatchObject({ cause: expect.stringMatching(/provider "anth" could not be reached/), fix: expect.stringMatching(/baseUrl/) });

      const gemini = by['gemini']!;
      expect(gemini.ok).toBe(false);
      const failed = gemini.steps.find((s) => s.status === 'fail')!;
      expect(failed.cause).toMatch(/refused the gateway's credentials/);
      expect(failed.fix).toMatch(/gatehouse secrets set/);
      expect(run.stdout).not.toContain('wrong-gemini-key');
    } finally {
      await served.kill();
    }
  }, 90_000);

  it('says what to do when no gateway is running, or an agent or route is unknown', async () => {
    const dir = dataDir(config(anth.url));
    const none = await runCli(['doctor', '--data-dir', dir], { env });
    expect(none.code).toBe(3);
    expect(none.stderr).toMatch(/no gateway is running .*"gatehouse serve"/);
    const badAgent = await runCli(['doctor', '--data-dir', dir, '--agent', 'vim'], { env });
    expect(badAgent.code).toBe(2);
    expect(badAgent.stderr).toMatch(/--agent "vim": expected one of claude-code, codex, gemini, openai-chat/);

    const served = await serve(['--data-dir', dir, '--port', '0'], env);
    try {
      const run = await runCli(['doctor', '--data-dir', dir, '--agent', 'codex', '--model', 'no-such-route'], { env, timeoutMs: 60_000 });
      expect(run.code).toBe(1);
      expect(run.stdout).toMatch(/is not a route, alias or provider\/model/);
      expect(run.stdout).toMatch(/fix: {3}add a route named "no-such-route"/);
    } finally {
      await served.kill();
    }
  }, 90_000);
});
