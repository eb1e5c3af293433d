// The data directory stops accepting writes mid-run. We run as root, so chmod and read-only mounts
// do not stop the gateway's writes; instead the running `gatehouse serve` gets a file-size limit
// (RLIMIT_FSIZE, set with util-linux `prlimit`) just above the size of its database files: SQLite's
// next write past it fails (EFBIG, as a full disk fails with ENOSPC) on the same write path.
// Checked: no reply the client saw as successful is missing from the ledger, the gateway keeps
// serving errors in the client's shape, and after a restart without the limit the chain verifies.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFaultUpstream, type FaultUpstream } from '../fixtures/fault-upstream.js';
import { runCli, serve } from '../helpers/cli.js';
import { ledgerRows, openReservations } from './harness.js';

const prlimit = ((): boolean => {
  try {
    execFileSync('prlimit', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();
if (!prlimit && process.env.CI) throw new Error('the disk-full test needs util-linux prlimit');

interface Run {
  dir: string;
  env: Record<string, string>;
  /** x-request-id of every reply the client saw complete (a 200, a stream to its [DONE]). */
  ok: string[];
  refused: { status: number; body: unknown }[];
  aliveAfter: boolean;
}

/** Serves requests until the limit bites (or 200 went through), then kills the gateway with SIGKILL. */
async function fillUp(upstreamUrl: string): Promise<Run> {
  const dir = mkdtempSync(join(tmpdir(), 'gh-disk-full-'));
  writeFileSync(
    join(dir, 'gatehouse.yaml'),
    `version: 1
server: { port: 0 }
providers:
  - { id: up, type: openai-compatible, baseUrl: ${upstreamUrl}, apiKey: env:MOCK_UPSTREAM_KEY }
routing: { retries: 0 }
budgets: ["1000/total"]
models:
  - name: solo
    targets: [{ provider: up, model: m1, pricing: { inputPerMTok: 1, outputPerMTok: 10 } }]
`,
  );
  const env = { MOCK_UPSTREAM_KEY: 'sk-mock-upstream', GATEHOUSE_LOG_LEVEL: 'silent' };
  const { key } = JSON.parse((await runCli(['keys', 'create', '--name', 'full', '--json', '--data-dir', dir], { env })).stdout) as { key: string };
  const served = await serve(['--data-dir', dir, '--port', '0'], env);
  const run: Run = { dir, env, ok: [], refused: [], aliveAfter: false };
  try {
    const size = (f: string): number => {
      try {
        return statSync(join(dir, f)).size;
      } catch {
        return 0;
      }
    };
    const limit = Math.max(size('gatehouse.sqlite'), size('gatehouse.sqlite-wal')) + 32 * 1024;
    execFileSync('prlimit', ['--pid', String(served.child.pid), `--fsize=${limit}:${limit}`]);
    for (let i = 0; i < 200 && run.refused.length < 5; i++) {
      const stream = i % 2 === 1;
      const res = await fetch(`${served.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'solo', stream, messages: [{ role: 'user', content: `fill ${i} ${'z'.repeat(2000)}` }] }),
      }).catch(() => undefined);
      const text = res ? await res.text().catch(() => '') : '';
      if (res?.status === 200 && (!stream || text.endsWith('data: [DONE]\n\n'))) run.ok.push(res.headers.get('x-request-id')!);
      else run.refused.push({ status: res?.status ?? 0, body: text.startsWith('{') ? (JSON.parse(text) as unknown) : text.slice(0, 80) });
    }
    run.aliveAfter = (await fetch(`${served.url}/healthz`).catch(() => undefined))?.status === 200;
  } finally {
    await served.kill('SIGKILL');
  }
  return run;
}

describe.skipIf(!prlimit)('a data directory that cannot grow', () => {
  let up: FaultUpstream;
  let run: Run;
  beforeAll(async () => {
    up = await startFaultUpstream('openai');
    run = await fillUp(up.url);
  }, 60_000);
  afterAll(async () => {
    await up?.close();
    if (run) rmSync(run.dir, { recursive: true, force: true });
  });

  it('requests the ledger cannot record are refused, never acknowledged; the gateway stays up; after a restart everything verifies', async () => {
    // The limit was reached, and every refusal is a server error in the OpenAI shape (or a stream cut before [DONE]).
    expect(run.refused.length).toBeGreaterThan(0);
    for (const r of run.refused.filter((x) => x.status !== 200)) expect(r).toMatchObject({ status: expect.any(Number), body: { error: { message: expect.any(String) } } });
    expect(run.refused.every((r) => r.status === 200 || r.status >= 500)).toBe(true);
    expect(run.aliveAfter).toBe(true);

    const served = await serve(['--data-dir', run.dir, '--port', '0'], run.env);
    try {
      const recorded = new Set(ledgerRows(run.dir, 'llm.request').map((r) => r.body['requestId'] as string));
      expect(run.ok.length).toBeGreaterThan(0);
      expect(run.ok.filter((id) => !recorded.has(id))).toEqual([]);
      expect(openReservations(run.dir)).toBe(0);
      const verified = await runCli(['audit', 'verify', '--json', '--data-dir', run.dir], { env: run.env });
      expect(verified.code, verified.stdout + verified.stderr).toBe(0);
    } finally {
      await served.kill();
    }
  }, 30_000);

  // A bug this found (fixed): when the data directory could not be written, a model call was refused with
  // 500 "the gateway hit an internal error" instead of the documented 503 LEDGER_UNAVAILABLE
  // ("the gateway could not record this request in its ledger ...; check the free space and
  // permissions of the data directory"). Reproduction: this file (prlimit --fsize on `gatehouse serve`
  // just above its database size, then a few model calls under a budget). The first write of a call
  // is its budget reservation: insertReservation (src/gateway/store/budgets.ts), called from `hold` in
  // src/gateway/index.ts via reserveBudget (src/gateway/http/admission.ts), lets the raw SqliteError
  // (SQLITE_IOERR_WRITE) escape, and createHttpServer's `fail` turns any non-GatewayError into INTERNAL 500.
  it('the refusal says the data directory cannot be written (503), as a ledger write failure does', () => {
    const errors = run.refused.filter((r) => r.status !== 200);
    expect(errors.length).toBeGreaterThan(0);
    for (const r of errors) expect(r).toMatchObject({ status: 503, body: { error: { message: expect.stringMatching(/could not record|data directory/) } } });
  });
});
