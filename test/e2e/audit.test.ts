// `gatehouse audit` as a person uses it, with the real OS keychain (gnome-keyring in a private D-Bus
// session) holding the ledger key: verify after some activity, a checkpoint kept aside, an export that
// verifies on its own, and what editing, deleting, cutting or rewriting the SQLite file does to verify.
import Database from 'better-sqlite3';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { chainHash, GENESIS_HASH } from '../../src/gateway/store/ledger.js';
import { runCli } from '../helpers/cli.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'gh-audit-e2e-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const cli = (...args: string[]) => runCli([...args, '--data-dir', dir], { timeoutMs: 30_000 });

/** Some admin activity: each command opens the data directory, so each start reads the key again. */
async function activity(): Promise<void> {
  for (const name of ['alpha', 'beta', 'gamma']) expect((await cli('keys', 'create', '--name', name)).code).toBe(0);
  expect((await cli('users', 'create', '--name', 'ana')).code).toBe(0);
}

/** An attacker with write access to the file: the append-only triggers are just SQL. */
function tamper(fn: (db: Database.Database) => void): void {
  const db = new Database(join(dir, 'gatehouse.sqlite'));
  db.exec('DROP TRIGGER IF EXISTS events_no_update; DROP TRIGGER IF EXISTS events_no_delete;');
  fn(db);
  db.close();
}

describe('gatehouse audit', () => {
  it('verifies an untouched ledger (keyed), and names an edited record after the file is changed', async () => {
    await activity();
    const ok = await cli('audit', 'verify');
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/^intact: 5 records \(1\.\.5\)/);
    expect(ok.stdout).toMatch(/records 1\.\.5: keyed \(ledger [0-9a-f]{16}\)/);
    tamper((db) => {
      const row = db.prepare('SELECT body FROM events WHERE seq = 3').get() as { body: string };
      db.prepare('UPDATE events SET body = ? WHERE seq = 3').run(row.body.replace('beta', 'bet4'));
    });
    const bad = await cli('audit', 'verify');
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(/BROKEN at record 3 \(edited\)/);
  }, 60_000);

  it('names deleted and reordered records', async () => {
    await activity();
    tamper((db) => db.prepare('DELETE FROM events WHERE seq = 2').run());
    expect((await cli('audit', 'verify')).stdout).toMatch(/BROKEN at record 2 \(deleted\): record 2 is missing/);
    tamper((db) => {
      const rows = db.prepare('SELECT * FROM events WHERE seq IN (4, 5) ORDER BY seq').all() as Record<string, unknown>[];
      db.prepare('DELETE FROM events WHERE seq IN (4, 5)').run();
      const ins = db.prepare('INSERT INTO events (seq, at, type, body, prev_hash, hash) VALUES (@seq, @at, @type, @body, @prev_hash, @hash)');
      ins.run({ ...rows[1], seq: 4 });
      ins.run({ ...rows[0], seq: 5 });
      db.prepare('INSERT INTO events (seq, at, type, body, prev_hash, hash) SELECT 2, at, type, body, prev_hash, hash FROM events WHERE seq = 3').run();
    });
    const r = await cli('audit', 'verify', '--json');
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).problem.kind).toMatch(/reordered|edited/);
  }, 60_000);

  it('catches a cut-off tail and a full unkeyed rewrite against a checkpoint kept aside', async () => {
    await activity();
    const cpFile = join(dir, 'cp.json');
    const made = await cli('audit', 'checkpoint', '--out', cpFile);
    expect(made.code, made.stderr).toBe(0);
    expect((await cli('audit', 'checkpoint', '--out', cpFile)).stderr).toMatch(/not overwritten/);
    tamper((db) => db.prepare('DELETE FROM events WHERE seq >= 4').run());
    expect((await cli('audit', 'verify')).code).toBe(0); // alone, a shorter chain looks fine
    const cut = await cli('audit', 'verify', '--checkpoint', cpFile);
    expect(cut.code).toBe(1);
    expect(cut.stdout).toMatch(/BROKEN at record 4 \(truncated\)/);
    // Rewrite every remaining record with the public rule, as if the chain had never been keyed.
    tamper((db) => {
      const rows = db.prepare("SELECT seq, at, type, body FROM events WHERE type != 'ledger.keyed' ORDER BY seq").all() as { seq: number; at: string; type: string; body: string }[];
      db.prepare('DELETE FROM events').run();
      let prev = GENESIS_HASH;
      rows.forEach((r, i) => {
        const h = chainHash(prev, r.body);
        db.prepare('INSERT INTO events (seq, at, type, body, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?)').run(i + 1, r.at, r.type, r.body, prev, h);
        prev = h;
      });
    });
    const rewritten = await cli('audit', 'verify', '--checkpoint', cpFile);
    expect(rewritten.code).toBe(1);
    expect(rewritten.stdout).toMatch(/\(truncated\)|\(rewritten\)/);
    expect(rewritten.stdout).toMatch(/unkeyed/);
  }, 60_000);

  it('exports a range as gzip JSONL that verifies on its own, signed at the end', async () => {
    await activity();
    const out = join(dir, 'evidence.jsonl.gz');
    const ex = await cli('audit', 'export', '--from', '2000-01-01', '--to', '2100-01-01', '--out', out);
    expect(ex.code, ex.stderr).toBe(0);
    expect(ex.stdout).toMatch(/5 records written to .*, the last one signed by the ledger key/);
    expect(existsSync(out)).toBe(true);
    const v = await cli('audit', 'verify', '--export', out);
    expect(v.code, v.stderr).toBe(0);
    expect(v.stdout).toMatch(/^intact: 5 records intact, the last one signed/);
    const bad = await cli('audit', 'export', '--from', 'soon', '--to', '2100-01-01', '--out', join(dir, 'x.gz'));
    expect(bad.code, bad.stderr).toBe(2);
  }, 60_000);

  it('refuses to prune recent records and asks for --yes', async () => {
    await activity();
    expect((await cli('audit', 'prune', '--before', '2020-01-01')).stderr).toMatch(/run again with --yes/);
    const recent = await cli('audit', 'prune', '--before', new Date().toISOString(), '--yes');
    expect(recent.code).toBe(2);
    expect(recent.stderr).toMatch(/records of the last 31 days are kept/);
    const none = await cli('audit', 'prune', '--before', '2020-01-01', '--yes');
    expect(none.stdout).toMatch(/nothing to prune/);
  }, 60_000);
});
