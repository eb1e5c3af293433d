// What one ledger row costs: group-committed append() against appendNow(), on a real SQLite file.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LlmRequestEvent } from '../src/gateway/http/llm.js';
import { openDatabase } from '../src/gateway/store/db.js';
import { chainHash, createLedger, encodeEvent, GENESIS_HASH, type Ledger } from '../src/gateway/store/ledger.js';
import { median } from './measure.js';

export interface LedgerCost {
  /** Median µs per event for the part before SQLite: canonical JSON and the SHA-256 chain. */
  encodeUs: number;
  /** Median µs per event, one transaction per event. */
  appendNowUs: number;
  /** Median µs per event when `batch` appends share a turn of the event loop (group commit). */
  groupUs: Record<number, number>;
  /** Events per transaction seen by group commit, per batch size (should equal the batch). */
  eventsPerTransaction: Record<number, number>;
  eventsPerRun: number;
  runs: number;
}

const HEX64 = 'ab'.repeat(32);

/** An event with the shape and size of what the gateway writes for one chat completion. */
function requestEvent(): LlmRequestEvent {
  return {
    type: 'llm.request',
    requestId: `req_${randomUUID().replace(/-/g, '')}`,
    keyId: 'key_0123456789abcdef',
    api: 'openai-chat',
    session: null,
    client: 'OpenAI/JS 6.49.0',
    transport: 'http',
    route: 'fast',
    provider: 'mock',
    model: 'gpt-4o-mini',
    requestedModel: 'fast',
    translated: false,
    credential: 'gateway',
    stream: false,
    status: 200,
    outcome: 'ok',
    usage: { inputTokens: 12, outputTokens: 1, cacheReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 },
    usageEstimated: false,
    costUsd: 0.0000024,
    pricing: 'catalog',
    latencyMs: 0.734,
    ttftMs: null,
    attempts: [],
    request: { bytes: 1024, sha256: HEX64 },
    response: { bytes: 262, sha256: HEX64 },
  };
}

function timeEncode(events: number, deadline: number): number {
  let done = 0;
  let hash = GENESIS_HASH;
  const t0 = performance.now();
  for (; done < events && performance.now() < deadline; done++) hash = chainHash(hash, encodeEvent(requestEvent(), new Date().toISOString()));
  return ((performance.now() - t0) * 1000) / Math.max(1, done);
}

function timeAppendNow(ledger: Ledger, events: number, deadline: number): number {
  let done = 0;
  const t0 = performance.now();
  for (; done < events && performance.now() < deadline; done++) ledger.appendNow(requestEvent());
  return ((performance.now() - t0) * 1000) / Math.max(1, done);
}

async function timeGroup(ledger: Ledger, events: number, batch: number, deadline: number): Promise<{ us: number; perTx: number }> {
  const before = ledger.stats();
  let done = 0;
  const t0 = performance.now();
  while (done < events && performance.now() < deadline) {
    const pending: Promise<unknown>[] = [];
    for (let i = 0; i < batch; i++) pending.push(ledger.append(requestEvent()));
    await Promise.all(pending);
    done += batch;
  }
  const us = ((performance.now() - t0) * 1000) / Math.max(1, done);
  const after = ledger.stats();
  return { us, perTx: (after.events - before.events) / Math.max(1, after.transactions - before.transactions) };
}

/**
 * Alternates the ways of writing, `runs` times, on one fresh database in a temp directory.
 * The WAL is checkpointed between measurements (the gateway does it on a timer), outside
 * the timed part. Each measurement stops at `events` or after `maxMsEach`.
 */
export async function measureLedgerCost(opts: { runs: number; events: number; batches: number[]; maxMsEach: number }): Promise<LedgerCost> {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-bench-ledger-'));
  const db = openDatabase(join(dir, 'ledger.sqlite'));
  try {
    const ledger = createLedger(db);
    const now: number[] = [];
    const encode: number[] = [];
    const group = new Map<number, number[]>(opts.batches.map((b) => [b, []]));
    const perTx = new Map<number, number[]>(opts.batches.map((b) => [b, []]));
    // Warm-up: statement caches, page cache, JIT.
    timeAppendNow(ledger, 200, performance.now() + 1000);
    await timeGroup(ledger, 200, 32, performance.now() + 1000);
    for (let run = 0; run < opts.runs; run++) {
      encode.push(timeEncode(opts.events, performance.now() + opts.maxMsEach));
      db.pragma('wal_checkpoint(TRUNCATE)');
      now.push(timeAppendNow(ledger, opts.events, performance.now() + opts.maxMsEach));
      for (const b of opts.batches) {
        db.pragma('wal_checkpoint(TRUNCATE)');
        const r = await timeGroup(ledger, opts.events, b, performance.now() + opts.maxMsEach);
        group.get(b)!.push(r.us);
        perTx.get(b)!.push(r.perTx);
      }
    }
    return {
      encodeUs: median(encode),
      appendNowUs: median(now),
      groupUs: Object.fromEntries([...group].map(([b, v]) => [b, median(v)])),
      eventsPerTransaction: Object.fromEntries([...perTx].map(([b, v]) => [b, median(v)])),
      eventsPerRun: opts.events,
      runs: opts.runs,
    };
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
