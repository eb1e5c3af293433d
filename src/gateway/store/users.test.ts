// The user and team repositories, and migration 006 turning pre-existing free-text owners into records.
import { cpSync, mkdtempSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_MIGRATIONS_DIR, openDatabase, type Db } from './db.js';
import { keyRow } from '../../../test/fixtures/key-row.js';
import { insertKey, revokeKey, type KeyRow } from './keys.js';
import {
  findTeam,
  findUser,
  getTeam,
  getUser,
  insertTeam,
  insertUser,
  listTeams,
  listUsers,
  setTeamDisabled,
  setUserDisabled,
  teamKeyCounts,
  updateTeam,
  updateUser,
  userKeyCounts,
  type TeamRow,
  type UserRow,
} from './users.js';

let dir: string;
let db: Db;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'gh-users-'));
  db = openDatabase(join(dir, 'u.sqlite'));
});
afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

const user = (over: Partial<UserRow> = {}): UserRow => ({
  id: 'usr_1',
  name: 'alice',
  email: 'alice@example.com',
  models: ['fast', 'anthropic/*'],
  mcpTools: ['fs__read_*'],
  budgets: [{ amountUsd: 5, window: 'day' }],
  rpm: 60,
  tpm: 10_000,
  maxConcurrency: 2,
  createdAt: '2026-11-24T10:00:00.000Z',
  disabledAt: null,
  ...over,
});

const team = (over: Partial<TeamRow> = {}): TeamRow => ({
  id: 'team_1',
  name: 'platform',
  models: [],
  mcpTools: [],
  budgets: [{ amountUsd: 50, window: 'month' }],
  rpm: null,
  tpm: null,
  maxConcurrency: 8,
  createdAt: '2026-11-24T10:00:00.000Z',
  disabledAt: null,
  ...over,
});

let keySeq = 0;
const key = (over: Partial<KeyRow> = {}): KeyRow => keyRow(`key_${++keySeq}`, { name: 'k', prefix: 'gh_x', ...over });

describe('users', () => {
  it('round-trips every field, the policy JSON parsed', () => {
    insertUser(db, user());
    expect(getUser(db, 'usr_1')).toEqual(user());
    expect(getUser(db, 'alice')).toBeUndefined();
    expect(listUsers(db)).toEqual([user()]);
  });

  it('finds a user by id first, then by name', () => {
    insertUser(db, user());
    insertUser(db, user({ id: 'usr_2', name: 'bob', email: null }));
    expect(findUser(db, 'usr_2')?.name).toBe('bob');
    expect(findUser(db, 'alice')?.id).toBe('usr_1');
    expect(findUser(db, 'carol')).toBeUndefined();
  });

  it('refuses a second user with the same name', () => {
    insertUser(db, user());
    expect(() => insertUser(db, user({ id: 'usr_2' }))).toThrow(/UNIQUE/);
  });

  it('updates only the fields given, serialising arrays', () => {
    insertUser(db, user());
    updateUser(db, 'usr_1', { name: 'alicia', email: null, budgets: [{ amountUsd: 1, window: 'total' }], rpm: null, models: undefined });
    expect(getUser(db, 'usr_1')).toEqual(user({ name: 'alicia', email: null, budgets: [{ amountUsd: 1, window: 'total' }], rpm: null }));
  });

  it('disables keeping the first time, and enables', () => {
    insertUser(db, user());
    setUserDisabled(db, 'usr_1', '2026-11-25T00:00:00.000Z');
    setUserDisabled(db, 'usr_1', '2026-11-26T00:00:00.000Z');
    expect(getUser(db, 'usr_1')?.disabledAt).toBe('2026-11-25T00:00:00.000Z');
    setUserDisabled(db, 'usr_1', null);
    expect(getUser(db, 'usr_1')?.disabledAt).toBeNull();
  });
});

describe('teams', () => {
  it('round-trip, find by id or name, update and disable like users', () => {
    insertTeam(db, team());
    expect(getTeam(db, 'team_1')).toEqual(team());
    expect(findTeam(db, 'platform')?.id).toBe('team_1');
    expect(listTeams(db)).toEqual([team()]);
    updateTeam(db, 'team_1', { mcpTools: ['*'], maxConcurrency: null });
    setTeamDisabled(db, 'team_1', '2026-11-25T00:00:00.000Z');
    expect(getTeam(db, 'team_1')).toEqual(team({ mcpTools: ['*'], maxConcurrency: null, disabledAt: '2026-11-25T00:00:00.000Z' }));
    expect(() => insertTeam(db, team({ id: 'team_2' }))).toThrow(/UNIQUE/);
  });

  it('users and teams are separate tables: a team and a user may share a name', () => {
    insertUser(db, user({ name: 'ops' }));
    insertTeam(db, team({ name: 'ops' }));
    expect(findUser(db, 'ops')?.id).toBe('usr_1');
    expect(findTeam(db, 'ops')?.id).toBe('team_1');
  });
});

describe('key counts', () => {
  it('counts the keys of each user and team that are not revoked', () => {
    insertUser(db, user());
    insertTeam(db, team());
    insertKey(db, key({ userId: 'usr_1', teamId: 'team_1' }));
    insertKey(db, key({ userId: 'usr_1' }));
    const revoked = key({ userId: 'usr_1', teamId: 'team_1' });
    insertKey(db, revoked);
    revokeKey(db, revoked.id, '2026-11-25T00:00:00.000Z');
    insertKey(db, key());
    expect([...userKeyCounts(db)]).toEqual([['usr_1', 2]]);
    expect([...teamKeyCounts(db)]).toEqual([['team_1', 1]]);
  });
});

describe('migration 006', () => {
  it('turns each distinct free-text user and team of existing keys into a record with that id and name', () => {
    // A database at schema 5, with keys whose owners were free text.
    const old = join(dir, 'migrations-005');
    mkdirSync(old);
    for (const f of readdirSync(DEFAULT_MIGRATIONS_DIR).filter((f) => /^00[1-5]_/.test(f))) cpSync(join(DEFAULT_MIGRATIONS_DIR, f), join(old, f));
    const path = join(dir, 'old.sqlite');
    const v5 = openDatabase(path, { migrationsDir: old });
    // Written with the columns a schema-5 database has (today's insertKey knows later ones).
    const v5Key = (over: Partial<KeyRow>): void => {
      const k = key(over);
      v5.prepare('INSERT INTO keys (id, name, prefix, secret_hash, user_id, team_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)').run(k.id, k.name, k.prefix, k.secretHash, k.userId, k.teamId, k.createdAt);
    };
    v5Key({ userId: 'alice', teamId: 'ml', createdAt: '2026-01-02T00:00:00.000Z' });
    v5Key({ userId: 'alice', createdAt: '2026-01-01T00:00:00.000Z' });
    v5Key({ userId: 'bob', teamId: 'ml', createdAt: '2026-01-03T00:00:00.000Z' });
    v5.close();

    const upgraded = openDatabase(path);
    try {
      expect(upgraded.pragma('user_version', { simple: true })).toBeGreaterThanOrEqual(6);
      expect(listUsers(upgraded).map((u) => [u.id, u.name, u.createdAt])).toEqual([
        ['alice', 'alice', '2026-01-01T00:00:00.000Z'],
        ['bob', 'bob', '2026-01-03T00:00:00.000Z'],
      ]);
      expect(listTeams(upgraded).map((t) => [t.id, t.name])).toEqual([['ml', 'ml']]);
      expect(getUser(upgraded, 'alice')).toMatchObject({ email: null, models: [], budgets: [], rpm: null, disabledAt: null });
      expect([...teamKeyCounts(upgraded)]).toEqual([['ml', 2]]);
    } finally {
      upgraded.close();
    }
  });
});
