// The control plane's users and teams: validation, id-or-name references, key counts, and the ledger record of each change.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ControlEvent } from '../../shared/contract.js';
import { KeyIndex } from '../policy/keys.js';
import { openDatabase, type Db } from '../store/db.js';
import { getKey, listKeys } from '../store/keys.js';
import { createLedger } from '../store/ledger.js';
import { getTeam, getUser } from '../store/users.js';
import { createControlService, type ControlService } from './service.js';

let dir: string;
let db: Db;
let control: ControlService;
let events: ControlEvent[];
let clock: Date;

function unused(): never {
  throw new Error('not used by these tests');
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'gh-control-'));
  db = openDatabase(join(dir, 'c.sqlite'));
  clock = new Date('2026-11-24T10:00:00.000Z');
  control = createControlService({
    db,
    ledger: createLedger(db, { now: () => clock }),
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
  });
  events = [];
  control.subscribe((e) => events.push(e));
});
afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

function ledger(type: string): Record<string, unknown>[] {
  return (db.prepare('SELECT body FROM events WHERE type = ? ORDER BY seq').all(type) as { body: string }[]).map((r) => JSON.parse(r.body));
}

describe('users', () => {
  it('creates a user with its policy fields, records it and lists it with its key count', async () => {
    const u = await control.call(
      'users:create',
      { name: 'alice', email: 'alice@example.com', models: ['fast'], budgets: [{ amountUsd: 5, window: 'day' }], rpm: 30, maxConcurrency: 2 },
      'cli',
    );
    expect(u).toMatchObject({ name: 'alice', email: 'alice@example.com', models: ['fast'], mcpTools: [], rpm: 30, tpm: null, maxConcurrency: 2, status: 'active', keyCount: 0 });
    expect(u.id).toMatch(/^usr_[0-9a-f]{16}$/);
    expect(getUser(db, u.id)).toMatchObject({ name: 'alice', budgets: [{ amountUsd: 5, window: 'day' }], createdAt: clock.toISOString() });
    expect(ledger('admin.user.created')).toEqual([expect.objectContaining({ actor: 'cli', user: expect.objectContaining({ id: u.id, name: 'alice' }) })]);
    expect(events).toContainEqual({ event: 'users:changed', data: { id: u.id, change: 'created' } });

    await control.call('keys:create', { name: 'laptop', userId: 'alice' }, 'cli');
    await control.call('keys:create', { name: 'ci', userId: u.id }, 'cli');
    const revoked = await control.call('keys:create', { name: 'old', userId: 'alice' }, 'cli');
    await control.call('keys:revoke', { id: revoked.key.id }, 'cli');
    expect(await control.call('users:list', {}, 'cli')).toEqual([expect.objectContaining({ id: u.id, keyCount: 2 })]);
  });

  it('refuses invalid params and a name already taken', async () => {
    await expect(control.call('users:create', { name: '' }, 'cli')).rejects.toMatchObject({ code: 'invalid_params' });
    await expect(control.call('users:create', { name: '--rpm' }, 'cli')).rejects.toMatchObject({ code: 'invalid_params', message: /name/ });
    await expect(control.call('users:create', { name: 'x', email: 'not-an-email' }, 'cli')).rejects.toMatchObject({ code: 'invalid_params', message: /email/ });
    await expect(control.call('users:create', { name: 'x', rpm: 0 }, 'cli')).rejects.toMatchObject({ code: 'invalid_params', message: /rpm/ });
    await expect(control.call('users:create', { name: 'x', defaultRoute: 'fast' } as never, 'cli')).rejects.toMatchObject({ code: 'invalid_params' });
    const a = await control.call('users:create', { name: 'alice' }, 'cli');
    await expect(control.call('users:create', { name: 'alice' }, 'cli')).rejects.toMatchObject({ code: 'conflict', message: /already exists/ });
    // A name may not be another user's id either: names stand in for ids.
    await expect(control.call('users:create', { name: a.id }, 'cli')).rejects.toMatchObject({ code: 'conflict', message: /is the id of user "alice"/ });
    expect(ledger('admin.user.created')).toHaveLength(1);
  });

  it('updates by id or name, records the changes, and can rename', async () => {
    const a = await control.call('users:create', { name: 'alice' }, 'cli');
    await control.call('users:create', { name: 'bob' }, 'cli');
    const updated = await control.call('users:update', { id: 'alice', tpm: 5000, email: 'a@example.com' }, 'admin-api');
    expect(updated).toMatchObject({ id: a.id, tpm: 5000, email: 'a@example.com' });
    await expect(control.call('users:update', { id: a.id, name: 'bob' }, 'cli')).rejects.toMatchObject({ code: 'conflict' });
    expect((await control.call('users:update', { id: a.id, name: 'alicia', email: null }, 'cli')).email).toBeNull();
    expect(await control.call('users:update', { id: 'alicia', name: 'alicia' }, 'cli')).toMatchObject({ id: a.id });
    expect(ledger('admin.user.updated')[0]).toMatchObject({ actor: 'admin-api', userId: a.id, changes: { tpm: 5000, email: 'a@example.com' } });
    await expect(control.call('users:update', { id: 'nobody', rpm: 1 }, 'cli')).rejects.toMatchObject({ code: 'not_found', message: /no user with id or name "nobody"/ });
  });

  it('disables and enables once each, recording each change', async () => {
    const a = await control.call('users:create', { name: 'alice' }, 'cli');
    clock = new Date('2026-11-25T00:00:00.000Z');
    expect(await control.call('users:disable', { id: 'alice' }, 'cli')).toMatchObject({ status: 'disabled', disabledAt: clock.toISOString() });
    expect(await control.call('users:disable', { id: a.id }, 'cli')).toMatchObject({ disabledAt: '2026-11-25T00:00:00.000Z' });
    expect(ledger('admin.user.disabled')).toEqual([expect.objectContaining({ userId: a.id, name: 'alice' })]);
    expect(await control.call('users:enable', { id: 'alice' }, 'cli')).toMatchObject({ status: 'active', disabledAt: null });
    await control.call('users:enable', { id: 'alice' }, 'cli');
    expect(ledger('admin.user.enabled')).toHaveLength(1);
    expect(events.filter((e) => e.event === 'users:changed').map((e) => e.data.change)).toEqual(['created', 'disabled', 'enabled']);
  });
});

describe('teams', () => {
  it('create, list with key counts, update, disable and enable, recorded as admin.team.*', async () => {
    const t = await control.call('teams:create', { name: 'platform', budgets: [{ amountUsd: 50, window: 'month' }] }, 'cli');
    expect(t.id).toMatch(/^team_[0-9a-f]{16}$/);
    expect(t).not.toHaveProperty('email');
    await expect(control.call('teams:create', { name: 'x', email: 'a@example.com' } as never, 'cli')).rejects.toMatchObject({ code: 'invalid_params' });
    await control.call('keys:create', { name: 'k', teamId: 'platform' }, 'cli');
    expect(await control.call('teams:list', {}, 'cli')).toEqual([expect.objectContaining({ name: 'platform', keyCount: 1, status: 'active' })]);
    await control.call('teams:update', { id: 'platform', mcpTools: ['fs__*'] }, 'cli');
    expect(getTeam(db, t.id)?.mcpTools).toEqual(['fs__*']);
    await control.call('teams:disable', { id: 'platform' }, 'cli');
    expect(getTeam(db, t.id)?.disabledAt).toBe(clock.toISOString());
    await control.call('teams:enable', { id: t.id }, 'cli');
    expect(['created', 'updated', 'disabled', 'enabled'].map((v) => ledger(`admin.team.${v}`).length)).toEqual([1, 1, 1, 1]);
    expect(ledger('admin.team.updated')[0]).toMatchObject({ teamId: t.id, changes: { mcpTools: ['fs__*'] } });
  });
});

describe("a key's user and team", () => {
  it('accepts an id or a name and stores the id', async () => {
    const u = await control.call('users:create', { name: 'alice' }, 'cli');
    const t = await control.call('teams:create', { name: 'platform' }, 'cli');
    const k = await control.call('keys:create', { name: 'k', userId: 'alice', teamId: t.id }, 'cli');
    expect(k.key).toMatchObject({ userId: u.id, teamId: t.id });
    expect(getKey(db, k.key.id)).toMatchObject({ userId: u.id, teamId: t.id });
    expect(ledger('admin.key.created')[0]).toMatchObject({ key: { userId: u.id, teamId: t.id } });

    const moved = await control.call('keys:update', { id: k.key.id, userId: null, teamId: 'platform' }, 'cli');
    expect(moved).toMatchObject({ userId: null, teamId: t.id });
    expect(ledger('admin.key.updated')[0]).toMatchObject({ changes: { userId: null, teamId: t.id } });
  });

  it('refuses an unknown user or team with invalid_params, changing nothing', async () => {
    await expect(control.call('keys:create', { name: 'k', userId: 'nobody' }, 'cli')).rejects.toMatchObject({
      code: 'invalid_params',
      message: expect.stringMatching(/userId: no user with id or name "nobody"/),
    });
    await expect(control.call('keys:create', { name: 'k', teamId: 'nowhere' }, 'cli')).rejects.toMatchObject({
      code: 'invalid_params',
      message: expect.stringMatching(/teamId: no team with id or name "nowhere"/),
    });
    expect(listKeys(db)).toEqual([]);
    const k = await control.call('keys:create', { name: 'k' }, 'cli');
    await expect(control.call('keys:update', { id: k.key.id, teamId: 'nowhere' }, 'cli')).rejects.toMatchObject({ code: 'invalid_params' });
    expect(getKey(db, k.key.id)?.teamId).toBeNull();
    expect(ledger('admin.key.updated')).toEqual([]);
  });
});

describe('audit', () => {
  it('verifies the ledger, refuses a checkpoint without a key, and keeps the last 31 days from pruning', async () => {
    await control.call('keys:create', { name: 'a' }, 'cli');
    expect(await control.call('audit:verify', {}, 'cli')).toMatchObject({ status: 'intact', records: 1, segments: [{ from: 1, to: 1, keyed: false }] });
    await expect(control.call('audit:checkpoint', {}, 'cli')).rejects.toThrow(/not keyed right now \(no keychain in these tests\)/);
    await expect(control.call('audit:prune', { before: '2026-11-20T00:00:00Z' }, 'cli')).rejects.toThrow(/records of the last 31 days are kept/);
    expect(await control.call('audit:prune', { before: '2026-01-01T00:00:00Z' }, 'cli')).toEqual({ deleted: 0, throughSeq: 0 });
  });
});
