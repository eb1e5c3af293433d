// Opening and migrating real SQLite files: WAL, backups before migrating, newer schemas refused.
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync, mkdirSync, cpSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_MIGRATIONS_DIR, openDatabase, startCheckpointTimer, StoreError } from './db.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'gh-db-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('openDatabase', () => {
  it('loads a given native addon instead of its own (the desktop app passes its Electron build), and names a bad one', () => {
    const addon = createRequire(import.meta.url).resolve('better-sqlite3/build/Release/better_sqlite3.node');
    const db = openDatabase(join(dir, 'n.sqlite'), { nativeBinding: addon });
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    db.close();
    const missing = join(dir, 'electron', 'better_sqlite3.node');
    expect(() => openDatabase(join(dir, 'm.sqlite'), { nativeBinding: missing })).toThrow(expect.objectContaining({ code: 'STORE_OPEN_FAILED', message: expect.stringContaining(missing) }));
  });

  it('creates a WAL database at the latest schema', () => {
    const db = openDatabase(join(dir, 'a.sqlite'));
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('user_version', { simple: true })).toBe(readdirSync(DEFAULT_MIGRATIONS_DIR).filter((f) => f.endsWith('.sql')).length);
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type IN ('table','view') ORDER BY name").all() as { name: string }[];
    expect(tables.map((t) => t.name)).toEqual(expect.arrayContaining(['events', 'keys', 'llm_usage']));
    db.prepare("INSERT INTO keys (id, name, prefix, secret_hash, created_at) VALUES ('k', 'n', 'p', x'01', 'now')").run();
    for (const f of ['a.sqlite', 'a.sqlite-wal']) expect(statSync(join(dir, f)).mode & 0o077, f).toBe(0);
    db.close();
  });

  it('refuses a database written by a newer version, naming both versions, and leaves it untouched', () => {
    const path = join(dir, 'new.sqlite');
    const raw = new Database(path);
    raw.pragma('user_version = 99');
    raw.close();
    let err: unknown;
    try {
      openDatabase(path);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(StoreError);
    expect((err as StoreError).code).toBe('STORE_TOO_NEW');
    const latest = readdirSync(DEFAULT_MIGRATIONS_DIR).filter((f) => /^\d{3}_[a-z0-9_]+\.sql$/.test(f)).length;
    expect((err as Error).message).toMatch(new RegExp(`schema 99.*knows up to ${latest}\\b`));
    const again = new Database(path);
    expect(again.pragma('user_version', { simple: true })).toBe(99);
    again.close();
  });

  it('backs up with VACUUM INTO before migrating an older database, and migrates in one transaction', () => {
    const migrations = join(dir, 'migrations');
    mkdirSync(migrations);
    cpSync(join(DEFAULT_MIGRATIONS_DIR, '001_init.sql'), join(migrations, '001_init.sql'));
    const path = join(dir, 'old.sqlite');
    const db1 = openDatabase(path, { migrationsDir: migrations });
    db1.prepare("INSERT INTO keys (id, name, prefix, secret_hash, created_at) VALUES ('k1', 'n', 'p', x'00', 'now')").run();
    db1.close();

    // A second migration that fails halfway must leave schema 1 and no half-made table.
    writeFileSync(join(migrations, '002_broken.sql'), 'CREATE TABLE half (x); INSERT INTO nope VALUES (1);');
    const backups: string[] = [];
    expect(() => openDatabase(path, { migrationsDir: migrations, onBackup: (p) => backups.push(p) })).toThrow(/from schema 1 to 2/);
    expect(backups).toHaveLength(1);
    const check = new Database(path);
    expect(check.pragma('user_version', { simple: true })).toBe(1);
    expect(check.prepare("SELECT count(*) AS n FROM sqlite_master WHERE name = 'half'").get()).toEqual({ n: 0 });
    check.close();
    const backup = new Database(backups[0]!);
    expect(backup.prepare('SELECT id FROM keys').all()).toEqual([{ id: 'k1' }]);
    backup.close();

    writeFileSync(join(migrations, '002_extra.sql'), 'CREATE TABLE extra (x);');
    rmSync(join(migrations, '002_broken.sql'));
    const db2 = openDatabase(path, { migrationsDir: migrations });
    expect(db2.pragma('user_version', { simple: true })).toBe(2);
    expect(db2.prepare('SELECT id FROM keys').all()).toEqual([{ id: 'k1' }]);
    db2.close();
  });

  it('upgrades a schema-1 database with usage rows to the current usage view, cost included', () => {
    const migrations = join(dir, 'v1');
    mkdirSync(migrations);
    cpSync(join(DEFAULT_MIGRATIONS_DIR, '001_init.sql'), join(migrations, '001_init.sql'));
    const path = join(dir, 'upgrade.sqlite');
    const v1 = openDatabase(path, { migrationsDir: migrations });
    const body = JSON.stringify({ type: 'llm.request', requestId: 'r1', usage: { inputTokens: 5, outputTokens: 2 } });
    v1.prepare("INSERT INTO events (at, type, body, prev_hash, hash) VALUES ('2026-01-01', 'llm.request', ?, 'x', 'y')").run(body);
    v1.close();
    const current = openDatabase(path);
    expect(current.prepare('SELECT request_id, input_tokens, output_tokens, cost_usd FROM llm_usage').all()).toEqual([
      { request_id: 'r1', input_tokens: 5, output_tokens: 2, cost_usd: null },
    ]);
    current.close();
  });

  it('refuses migrations numbered out of sequence', () => {
    const migrations = join(dir, 'm');
    mkdirSync(migrations);
    writeFileSync(join(migrations, '001_a.sql'), 'CREATE TABLE a (x);');
    writeFileSync(join(migrations, '003_c.sql'), 'CREATE TABLE c (x);');
    expect(() => openDatabase(join(dir, 'x.sqlite'), { migrationsDir: migrations })).toThrow(/out of sequence/);
  });
});

describe('WAL checkpoints', () => {
  it('are made by a worker thread with its own connection: the log reaches the database file while this thread never checkpoints', async () => {
    const file = join(dir, 'w.sqlite');
    const db = openDatabase(file);
    const insert = db.prepare("INSERT INTO events (at, type, body, hash, prev_hash) VALUES (?, 'test', ?, ?, ?)");
    const before = statSync(file).size;
    db.transaction(() => {
      for (let i = 0; i < 2000; i++) insert.run(new Date().toISOString(), JSON.stringify({ i, pad: 'x'.repeat(500) }), `h${i}`, `p${i}`);
    })();
    // wal_autocheckpoint is off: the rows are only in the log so far.
    expect(statSync(file).size).toBe(before);
    const errors: Error[] = [];
    const stop = startCheckpointTimer(db, 50, (e) => errors.push(e));
    try {
      await expect.poll(() => statSync(file).size, { timeout: 5000 }).toBeGreaterThan(before + 1_000_000);
    } finally {
      await stop();
    }
    expect(errors).toEqual([]);
    // Once stop() has resolved the worker's connection is closed: this one is the last, and closing
    // the last connection removes the log. A worker still closing would leave it for a while.
    db.close();
    expect(existsSync(`${file}-wal`)).toBe(false);
    const again = openDatabase(file);
    expect((again.prepare("SELECT count(*) AS n FROM events WHERE type = 'test'").get() as { n: number }).n).toBe(2000);
    again.close();
  });

  it('are stopped before the worker touches the files again, even when stopped as soon as started', async () => {
    // A gateway started and stopped at once: its worker may still be starting (and about to open the
    // database) when stop() is called. Once stop() resolves, the files are the caller's to remove.
    const file = join(dir, 'quick.sqlite');
    const db = openDatabase(file);
    const errors: Error[] = [];
    const stop = startCheckpointTimer(db, 50, (e) => errors.push(e));
    await stop();
    db.close();
    rmSync(dir, { recursive: true, force: true });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(existsSync(dir)).toBe(false);
    expect(errors).toEqual([]);
  });

  it('report what went wrong instead of throwing on the gateway\'s thread', async () => {
    const file = join(dir, 'gone.sqlite');
    const db = openDatabase(file);
    const errors: Error[] = [];
    const stop = startCheckpointTimer(db, 50, (e) => errors.push(e), join(dir, 'no-such-addon.node'));
    try {
      await expect.poll(() => errors.length, { timeout: 5000 }).toBeGreaterThan(0);
    } finally {
      await stop();
      db.close();
    }
    expect(errors[0]!.message).toMatch(/no-such-addon/);
  });
});
