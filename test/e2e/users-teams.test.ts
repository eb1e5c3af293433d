// Users and teams from the command line: records keys refer to by name, key counts, refusals and the ledger.
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { KeySummary, TeamSummary, UserSummary } from '../../src/shared/contract.js';
import { runCli, serve } from '../helpers/cli.js';
import { configFor } from '../helpers/gateway.js';

const dirs: string[] = [];
const env = { MOCK_UPSTREAM_KEY: 'sk-mock-upstream', GATEHOUSE_LOG_LEVEL: 'warn' };

function dataDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'gh-owners-'));
  dirs.push(d);
  // No upstream is called here: the provider only has to be valid config.
  writeFileSync(join(d, 'gatehouse.yaml'), configFor('http://127.0.0.1:9/v1'));
  return d;
}

function ledgerBodies(dir: string, type: string): Record<string, unknown>[] {
  const db = new Database(join(dir, 'gatehouse.sqlite'), { readonly: true });
  try {
    return (db.prepare('SELECT body FROM events WHERE type = ? ORDER BY seq').all(type) as { body: string }[]).map((r) => JSON.parse(r.body));
  } finally {
    db.close();
  }
}

afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('gatehouse users and teams', () => {
  it('creates a team and a user, gives a key to both by name, counts it, refuses unknown names, and records disable/enable', async () => {
    const dir = dataDir();
    const served = await serve(['--data-dir', dir, '--port', '0'], env);
    try {
      const cli = (...args: string[]) => runCli([...args, '--data-dir', dir]);

      const team = await cli('teams', 'create', '--name', 'platform', '--budget', '50/month', '--json');
      expect(team.code, team.stderr).toBe(0);
      const t = JSON.parse(team.stdout) as TeamSummary;
      expect(t).toMatchObject({ name: 'platform', budgets: [{ amountUsd: 50, window: 'month' }], keyCount: 0, status: 'active' });
      expect(team.stderr).toBe('');

      const user = await cli('users', 'create', '--name', 'alice', '--email', 'alice@example.com', '--models', 'fast,anthropic/*', '--rpm', '30');
      expect(user.code, user.stderr).toBe(0);
      expect(user.stdout).toMatch(/^created user usr_[0-9a-f]{16} \(alice\)$/m);

      const key = await cli('keys', 'create', '--name', 'laptop', '--user', 'alice', '--team', 'platform', '--json');
      expect(key.code, key.stderr).toBe(0);
      const { id: keyId } = JSON.parse(key.stdout) as { id: string };

      const users = JSON.parse((await cli('users', 'list', '--json')).stdout) as UserSummary[];
      expect(users).toEqual([expect.objectContaining({ name: 'alice', email: 'alice@example.com', models: ['fast', 'anthropic/*'], rpm: 30, keyCount: 1 })]);
      const keys = JSON.parse((await cli('keys', 'list', '--json')).stdout) as KeySummary[];
      // The key stores the ids, whatever names were typed.
      expect(keys.find((k) => k.id === keyId)).toMatchObject({ userId: users[0]!.id, teamId: t.id });

      const table = await cli('teams', 'list');
      expect(table.stdout).toMatch(/^ID\s+NAME\s+STATUS\s+KEYS\s+MODELS\s+BUDGETS\s+CREATED$/m);
      expect(table.stdout).toMatch(new RegExp(`^${t.id}\\s+platform\\s+active\\s+1\\s+\\*\\s+50/month\\s`, 'm'));

      const unknown = await cli('keys', 'create', '--name', 'stray', '--user', 'nobody');
      expect(unknown.code).toBe(2);
      expect(unknown.stderr).toMatch(/no user with id or name "nobody".*gatehouse users create/);
      const unknownTeam = await cli('keys', 'update', keyId, '--team', 'nowhere');
      expect(unknownTeam.code).toBe(2);
      expect(unknownTeam.stderr).toMatch(/no team with id or name "nowhere"/);

      const dup = await cli('users', 'create', '--name', 'alice');
      expect(dup.code).toBe(1);
      expect(dup.stderr).toMatch(/a user named "alice" already exists/);

      const disabled = await cli('users', 'disable', 'alice', '--json');
      expect(disabled.code, disabled.stderr).toBe(0);
      expect(JSON.parse(disabled.stdout)).toMatchObject({ status: 'disabled', keyCount: 1 });
      expect((await cli('users', 'enable', users[0]!.id)).stdout).toMatch(/^enabled user usr_\w+ \(alice\)$/m);
      expect((await cli('teams', 'disable', 'platform')).code).toBe(0);

      expect(ledgerBodies(dir, 'admin.user.disabled')).toEqual([expect.objectContaining({ actor: 'admin-api', userId: users[0]!.id, name: 'alice' })]);
      expect(ledgerBodies(dir, 'admin.user.enabled')).toEqual([expect.objectContaining({ actor: 'admin-api', userId: users[0]!.id })]);
      expect(ledgerBodies(dir, 'admin.team.disabled')).toEqual([expect.objectContaining({ teamId: t.id })]);
      expect(ledgerBodies(dir, 'admin.key.created').at(-1)).toMatchObject({ key: { id: keyId, userId: users[0]!.id, teamId: t.id } });

      const missing = await cli('teams', 'enable', 'nowhere');
      expect(missing.code).toBe(1);
      expect(missing.stderr).toMatch(/no team with id or name "nowhere"; list them with: gatehouse teams list/);
    } finally {
      await served.kill();
    }
  }, 90_000);

  it('works on the data directory with no gateway running, and says there is no delete', async () => {
    const dir = dataDir();
    const created = await runCli(['users', 'create', '--name', 'bob', '--data-dir', dir]);
    expect(created.code, created.stderr).toBe(0);
    expect(ledgerBodies(dir, 'admin.user.created')).toEqual([expect.objectContaining({ actor: 'cli', user: expect.objectContaining({ name: 'bob' }) })]);
    const updated = await runCli(['users', 'update', 'bob', '--name', 'robert', '--tpm', '1000', '--json', '--data-dir', dir]);
    expect(JSON.parse(updated.stdout)).toMatchObject({ name: 'robert', tpm: 1000 });
    expect((await runCli(['users', 'list', '--data-dir', dir])).stdout).toMatch(/^usr_\w+\s+robert\s+-\s+active\s+0\s/m);
    expect((await runCli(['users', 'create', '--name', 'x', '--rpm', 'many', '--data-dir', dir])).code).toBe(2);

    const help = await runCli(['users', '--help']);
    expect(help.stdout).toMatch(/never deleted: disable one instead/);
    expect(help.stdout).not.toMatch(/^\s+delete/m);
  }, 60_000);
});
