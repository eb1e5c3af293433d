// The ledger tap: records are counted for /metrics once the ledger has committed them, never before.
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { configSchema } from '../config/schema.js';
import type { Ledger } from '../store/ledger.js';
import { createObservability } from './observe.js';

const config = configSchema.parse({
  version: 1,
  providers: [{ id: 'local', type: 'openai-compatible', baseUrl: 'http://127.0.0.1:1/v1' }],
  models: [{ name: 'fast', targets: [{ provider: 'local', model: 'llama-3' }] }],
});

const record = {
  type: 'llm.request',
  requestId: 'req_1',
  keyId: 'key_1',
  route: 'fast',
  provider: 'local',
  model: 'llama-3',
  stream: false,
  status: 200,
  outcome: 'ok',
  usage: { inputTokens: 10, outputTokens: 2, cacheReadTokens: 0, cacheWriteTokens: 0 },
  costUsd: null,
  latencyMs: 5,
  ttftMs: null,
  attempts: [],
};

/** A ledger whose appends settle when the test says so. */
function heldLedger() {
  const pending: { resolve: () => void; reject: (e: Error) => void }[] = [];
  const ledger = {
    append: () =>
      new Promise((resolve, reject) => pending.push({ resolve: () => resolve({ seq: 1, hash: 'h', at: '' }), reject })),
  } as unknown as Ledger;
  return { ledger, pending };
}

const requests = async (o: ReturnType<typeof createObservability>): Promise<number> => {
  const body = (await o.metrics.scrape()).body;
  const line = body.split('\n').find((l: string) => l.startsWith('gatehouse_llm_requests_total{'));
  return line ? Number(line.split(' ').at(-1)) : 0;
};

describe('observability tap', () => {
  it('counts a model call once its record is committed, and not at all when the write fails', async () => {
    const o = createObservability({ version: '0', config: () => config, secrets: { get: () => undefined, interpolate: (s: string) => s } as never, log: () => pino({ level: 'silent' }), pendingApprovals: () => 0, budgets: () => [], processMetrics: false });
    const { ledger, pending } = heldLedger();
    const tapped = o.tap(ledger);
    const ok = tapped.append(record);
    expect(await requests(o)).toBe(0);
    pending[0]!.resolve();
    await ok;
    expect(await requests(o)).toBe(1);
    const failed = tapped.append({ ...record, requestId: 'req_2' });
    pending[1]!.reject(new Error('disk full'));
    await expect(failed).rejects.toThrow('disk full');
    expect(await requests(o)).toBe(1);
    await o.shutdown();
  });
});
