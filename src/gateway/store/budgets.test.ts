// What a budget counts as spent, read from a real ledger: a key's priced calls in the window, its
// user's or team's keys together, crash reconciliations, and never calls on a caller's own subscription.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { keySpentSince, ownerSpentSince, requestRecorded } from './budgets.js';
import { openDatabase, type Db } from './db.js';
import { keyRow } from '../../../test/fixtures/key-row.js';
import { insertKey } from './keys.js';
import { createLedger, type Ledger } from './ledger.js';

let dir: string;
let db: Db;
let ledger: Ledger;
let clock: Date;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'gh-budget-store-'));
  db = openDatabase(join(dir, 'b.sqlite'));
  clock = new Date('2026-11-20T10:00:00.000Z');
  ledger = createLedger(db, { now: () => clock });
  for (const [id, userId] of [
    ['k1', 'u1'],
    ['k2', 'u1'],
    ['k3', null],
  ] as const) {
    insertKey(db, keyRow(id, { userId }));
  }
});
afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

function spend(at: string, keyId: string, costUsd: number | null, credential = 'gateway', requestId = `r-${at}-${keyId}`): void {
  clock = new Date(at);
  ledger.appendNow({ type: 'llm.request', requestId, keyId, credential, costUsd });
}

describe('spent', () => {
  it('sums a key’s priced calls from a time on, with crash reconciliations and without subscription calls', () => {
    spend('2026-11-20T10:00:00.000Z', 'k1', 0.5);
    spend('2026-11-21T10:00:00.000Z', 'k1', 0.25);
    spend('2026-11-21T11:00:00.000Z', 'k1', 9, 'caller');
    spend('2026-11-21T12:00:00.000Z', 'k1', null);
    spend('2026-11-21T13:00:00.000Z', 'k3', 7);
    clock = new Date('2026-11-21T14:00:00.000Z');
    ledger.appendNow({ type: 'budget.reconciled', requestId: 'lost', keyId: 'k1', costUsd: 0.125 });
    expect(keySpentSince(db, 'k1', '')).toBeCloseTo(0.875, 9);
    expect(keySpentSince(db, 'k1', '2026-11-21T00:00:00.000Z')).toBeCloseTo(0.375, 9);
    expect(keySpentSince(db, 'k2', '')).toBe(0);
  });

  it('adds up a user’s keys together and no one else’s', () => {
    spend('2026-11-21T10:00:00.000Z', 'k1', 0.5);
    spend('2026-11-21T11:00:00.000Z', 'k2', 0.25);
    spend('2026-11-21T12:00:00.000Z', 'k3', 7);
    expect(ownerSpentSince(db, 'user', 'u1', '')).toBeCloseTo(0.75, 9);
    expect(ownerSpentSince(db, 'team', 'u1', '')).toBe(0);
  });

  it('finds whether a request was recorded after a time', () => {
    spend('2026-11-21T10:00:00.000Z', 'k1', 0.5, 'gateway', 'req-a');
    expect(requestRecorded(db, 'req-a', '2026-11-21T09:00:00.000Z')).toBe(true);
    expect(requestRecorded(db, 'req-b', '2026-11-21T09:00:00.000Z')).toBe(false);
  });
});
