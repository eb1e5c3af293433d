// kill -9 of `gatehouse serve` with 50 streams in flight, then a restart: every reply a client saw
// finish is in the ledger, the chain verifies, no reservation outlives the restart, nothing is billed twice.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { startFaultUpstream } from '../fixtures/fault-upstream.js';
import { runCli, serve } from '../helpers/cli.js';
import { ledgerRows, openReservations } from './harness.js';

it('50 concurrent streams, kill -9, restart: every completed reply recorded, chain intact, no reservation leaked', async () => {
  const up = await startFaultUpstream('openai');
  // Ten pieces 30 ms apart: each stream is in flight for about a third of a second.
  up.fallback = { kind: 'ok', deltas: 10, delayMs: 30 };
  const dir = mkdtempSync(join(tmpdir(), 'gh-crash-'));
  writeFileSync(
    join(dir, 'gatehouse.yaml'),
    `version: 1
server: { port: 0 }
providers:
  - { id: up, type: openai-compatible, baseUrl: ${up.url}, apiKey: env:MOCK_UPSTREAM_KEY }
routing: { retries: 0 }
budgets: ["1000/total"]
models:
  - name: solo
    targets: [{ provider: up, model: m1, pricing: { inputPerMTok: 1, outputPerMTok: 10 } }]
`,
  );
  const env = { MOCK_UPSTREAM_KEY: 'sk-mock-upstream', GATEHOUSE_LOG_LEVEL: 'warn' };
  try {
    let served = await serve(['--data-dir', dir, '--port', '0'], env);
    const { key } = JSON.parse((await runCli(['keys', 'create', '--name', 'load', '--json', '--data-dir', dir], { env })).stdout) as { key: string };
    const url = served.url;
    /** Request ids of the streams whose final event ([DONE]) the client received. */
    const completed: string[] = [];
    let cut = 0;
    let stop = false;
    const worker = async (): Promise<void> => {
      while (!stop) {
        try {
          const res = await fetch(`${url}/v1/chat/completions`, {
            method: 'POST',
            headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', 'x-gatehouse-session': randomUUID() },
            body: JSON.stringify({ model: 'solo', stream: true, messages: [{ role: 'user', content: 'crash test' }] }),
          });
          const text = await res.text();
          if (res.status === 200 && text.endsWith('data: [DONE]\n\n')) completed.push(res.headers.get('x-request-id')!);
          else cut++;
        } catch {
          cut++;
        }
      }
    };
    const workers = Array.from({ length: 50 }, () => worker());
    await expect.poll(() => completed.length, { timeout: 20_000, interval: 20 }).toBeGreaterThanOrEqual(100);
    // Streams are in flight and holding reservations at the moment of the kill.
    expect(openReservations(dir)).toBeGreaterThan(0);
    await served.kill('SIGKILL');
    stop = true;
    await Promise.all(workers);
    expect(cut).toBeGreaterThan(0);

    const beforeRestart = new Set(ledgerRows(dir, 'llm.request').map((r) => r.body['requestId'] as string));
    expect(completed.filter((id) => !beforeRestart.has(id))).toEqual([]);

    served = await serve(['--data-dir', dir, '--port', '0'], env);
    try {
      expect(openReservations(dir)).toBe(0);
      // A reservation a crash left is charged in full, unless its request had been recorded: never both.
      const reconciled = ledgerRows(dir, 'budget.reconciled').map((r) => r.body['requestId'] as string);
      expect(reconciled.length).toBeGreaterThan(0);
      expect(reconciled.filter((id) => beforeRestart.has(id))).toEqual([]);
      const verified = await runCli(['audit', 'verify', '--json', '--data-dir', dir], { env });
      expect(verified.code, verified.stdout + verified.stderr).toBe(0);
      expect(JSON.parse(verified.stdout)).toMatchObject({ status: 'intact' });
      // And it serves again.
      const res = await fetch(`${served.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'solo', messages: [{ role: 'user', content: 'after' }] }),
      });
      expect(res.status).toBe(200);
    } finally {
      await served.kill();
    }
  } finally {
    await up.close();
    rmSync(dir, { recursive: true, force: true });
  }
}, 60_000);
