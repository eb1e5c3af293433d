// The console's reads through the control plane: audit:list (filters, paging newest first) and budgets:list (spent, reserved, reset).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KeyIndex } from '../policy/keys.js';
import { openDatabase, type Db } from '../store/db.js';
import { listKeys } from '../store/keys.js';
import { createLedger, type Ledger } from '../store/ledger.js';
import { createControlService, type ControlService } from './service.js';

let dir: string;
let db: Db;
let ledger: Ledger;
let control: ControlService;
let clock: Date;
let inFlight: Map<string, number>;

function unused(): never {
  throw new Error('not used by these tests');
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'gh-readings-'));
  db = openDatabase(join(dir, 'r.sqlite'));
  clock = new Date('2026-11-24T10:00:00.000Z');
  ledger = createLedger(db, { now: () => clock });
  inFlight = new Map();
  control = createControlService({
    db,
    ledger,
    keys: new KeyIndex(() => listKeys(db)),
    now: () => clock,
    secrets: unused,
    onSecretChanged: unused,
    config: { snapshot: unused, validate: unused, edit: unused },
    status: unused,
    consoleLoginUrl: unused,
    approvals: { pending: unused, decide: unused },
    pins: { quarantined: unused, accept: unused },
    audit: { key: () => null, unkeyedReason: () => 'no keychain in these tests', lookup: async () => null },
    budgets: { global: () => [{ amountUsd: 100, window: 'month' }], inFlight: () => inFlight },
  });
});
afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('audit:list', () => {
  beforeEach(() => {
    for (let i = 0; i < 30; i++) {
      clock = new Date(Date.UTC(2026, 10, 24, 10, i));
      ledger.appendNow(
        i % 3 === 0
          ? { type: 'mcp.call', keyId: 'key_a', server: 'every', tool: 'echo', name: 'every__echo', decision: i % 2 ? 'allow' : 'once', arguments: { masked: { message: `hello ${i}` } } }
          : { type: 'llm.request', keyId: i % 2 ? 'key_a' : 'key_b', model: 'gpt-4o-mini', costUsd: 0.001 },
      );
    }
  });

  it('pages newest first with nextBefore until the start', async () => {
    const first = await control.call('audit:list', { limit: 12 }, 'console');
    expect(first.records.map((r) => r.seq)).toEqual([30, 29, 28, 27, 26, 25, 24, 23, 22, 21, 20, 19]);
    expect(first.records[0]).toMatchObject({ type: 'llm.request', at: '2026-11-24T10:29:00.000Z', body: { keyId: 'key_a', model: 'gpt-4o-mini' }, hash: expect.stringMatching(/^[0-9a-f]{64}$/) });
    const second = await control.call('audit:list', { limit: 12, before: first.nextBefore! }, 'console');
    expect(second.records[0]!.seq).toBe(18);
    const third = await control.call('audit:list', { limit: 12, before: second.nextBefore! }, 'console');
    expect(third.records.map((r) => r.seq)).toEqual([6, 5, 4, 3, 2, 1]);
    expect(third.nextBefore).toBeNull();
  });

  it('filters by type (exact or prefix), key, tool, decision, time and text, combined', async () => {
    const calls = await control.call('audit:list', { type: 'mcp.call' }, 'console');
    expect(calls.records).toHaveLength(10);
    expect((await control.call('audit:list', { type: 'mcp.*' }, 'console')).records).toHaveLength(10);
    expect((await control.call('audit:list', { type: 'llm.' }, 'console')).records).toHaveLength(20);
    expect((await control.call('audit:list', { tool: 'every__echo', decision: 'once' }, 'console')).records.map((r) => r.seq)).toEqual([25, 19, 13, 7, 1]);
    expect((await control.call('audit:list', { keyId: 'key_b' }, 'console')).records.every((r) => r.body.keyId === 'key_b')).toBe(true);
    const ranged = await control.call('audit:list', { from: '2026-11-24T10:10:00Z', to: '2026-11-24T12:20:00+02:00' }, 'console');
    expect(ranged.records.map((r) => r.seq)).toEqual([20, 19, 18, 17, 16, 15, 14, 13, 12, 11]);
    expect((await control.call('audit:list', { q: 'HELLO 27' }, 'console')).records.map((r) => r.seq)).toEqual([28]);
    // Parameters are values, never SQL.
    expect((await control.call('audit:list', { q: "' OR 1=1 --" }, 'console')).records).toEqual([]);
    await expect(control.call('audit:list', { limit: 501 }, 'console')).rejects.toMatchObject({ code: 'invalid_params' });
    await expect(control.call('audit:list', { type: "mcp'; drop" }, 'console')).rejects.toMatchObject({ code: 'invalid_params' });
  });
});

describe('budgets:list', () => {
  it('meters every budget in its current period: spent from the ledger, reserved in flight, reset time', async () => {
    const u = await control.call('users:create', { name: 'alice', budgets: [{ amountUsd: 10, window: 'week' }] }, 'cli');
    const k = await control.call('keys:create', { name: 'laptop', userId: 'alice', budgets: [{ amountUsd: 5, window: 'day' }, { amountUsd: 20, window: 'total' }] }, 'cli');
    await control.call('keys:create', { name: 'unbudgeted' }, 'cli');
    ledger.appendNow({ type: 'llm.request', requestId: 'r1', keyId: k.key.id, costUsd: 1.25, credential: 'gateway' });
    inFlight.set(`key:${k.key.id}`, 0.5);
    const meters = await control.call('budgets:list', {}, 'console');
    expect(meters).toEqual([
      { subject: 'global', kind: 'global', name: 'gateway', window: 'month', period: '2026-11', limitUsd: 100, spentUsd: 1.25, reservedUsd: 0, resetsAt: '2026-12-01T00:00:00.000Z' },
      { subject: `user:${u.id}`, kind: 'user', name: 'alice', window: 'week', period: 'week-of-2026-11-23', limitUsd: 10, spentUsd: 1.25, reservedUsd: 0, resetsAt: '2026-11-30T00:00:00.000Z' },
      { subject: `key:${k.key.id}`, kind: 'key', name: 'laptop', window: 'day', period: '2026-11-24', limitUsd: 5, spentUsd: 1.25, reservedUsd: 0.5, resetsAt: '2026-11-25T00:00:00.000Z' },
      { subject: `key:${k.key.id}`, kind: 'key', name: 'laptop', window: 'total', period: 'total', limitUsd: 20, spentUsd: 1.25, reservedUsd: 0.5, resetsAt: null },
    ]);
    await control.call('keys:revoke', { id: k.key.id }, 'cli');
    expect((await control.call('budgets:list', {}, 'console')).map((m) => m.kind)).toEqual(['global', 'user']);
  });
});
