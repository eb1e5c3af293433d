// Verifying the ledger against tampering by someone who can write the SQLite file but does not hold
// the key: edits, deletions, reordering, truncation and a full rewrite (caught by a checkpoint);
// keyed and unkeyed stretches; pruning; exports that verify on their own.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkpointSigned, exportLines, makeCheckpoint, pruneBefore, verifyChain, verifyExport, type KeyLookup } from './audit.js';
import { openDatabase, type Db } from './db.js';
import { chainHash, createLedger, GENESIS_HASH, type LedgerKey } from './ledger.js';

let dir: string;
let db: Db;
const KEY: LedgerKey = { ledgerId: 'L1', key: randomBytes(32) };
const keys: KeyLookup = async (id) => (id === KEY.ledgerId ? KEY.key : null);
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'gh-audit-'));
  db = openDatabase(join(dir, 'a.sqlite'));
});
afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

/** What an attacker with write access to the file can do: the triggers are only SQL. */
function tamper(sql: string, ...params: unknown[]): void {
  db.exec('DROP TRIGGER IF EXISTS events_no_update; DROP TRIGGER IF EXISTS events_no_delete;');
  db.prepare(sql).run(...params);
}

let clock = Date.parse('2026-10-01T00:00:00Z');
const now = (): Date => new Date((clock += 60_000));

/** `legacy`: a ledger opened with no key option at all, as before keys existed. */
async function fill(n: number, key: LedgerKey | null | 'legacy' = KEY): Promise<void> {
  const ledger = createLedger(db, key === 'legacy' ? { now } : { now, key });
  for (let i = 0; i < n; i++) await ledger.append({ type: 'llm.request', requestId: `r${i}`, costUsd: i });
}

describe('verifyChain', () => {
  it('says intact, with the keyed stretch, for an untouched ledger', async () => {
    await fill(20);
    const r = await verifyChain(db, keys);
    expect(r).toMatchObject({ status: 'intact', records: 21, firstSeq: 1, lastSeq: 21 });
    expect(r.segments).toEqual([{ from: 1, to: 21, keyed: true, ledgerId: 'L1' }]);
  });

  it('names an edited record, even when the editor recomputed every later hash without the key', async () => {
    await fill(10);
    const row = db.prepare('SELECT body, prev_hash FROM events WHERE seq = 5').get() as { body: string; prev_hash: string };
    const edited = row.body.replace('"costUsd":3', '"costUsd":0');
    tamper('UPDATE events SET body = ? WHERE seq = 5', edited);
    expect((await verifyChain(db, keys)).problem).toMatchObject({ seq: 5, kind: 'edited' });
    // Recomputing with the public rule does not help: the chain is keyed.
    let prev = row.prev_hash;
    for (const r of db.prepare('SELECT seq, body FROM events WHERE seq >= 5 ORDER BY seq').all() as { seq: number; body: string }[]) {
      const h = chainHash(prev, r.body);
      db.prepare('UPDATE events SET prev_hash = ?, hash = ? WHERE seq = ?').run(prev, h, r.seq);
      prev = h;
    }
    const again = await verifyChain(db, keys);
    expect(again.status).toBe('broken');
    expect(again.problem).toMatchObject({ seq: 5, kind: 'edited' });
    expect(again.problem!.message).toMatch(/without the ledger key/);
  });

  it('names deleted records', async () => {
    await fill(10);
    tamper('DELETE FROM events WHERE seq IN (6, 7)');
    expect((await verifyChain(db, keys)).problem).toMatchObject({ seq: 6, kind: 'deleted', message: 'records 6..7 are missing (deleted)' });
  });

  it('names reordered records', async () => {
    await fill(10);
    const a = db.prepare('SELECT * FROM events WHERE seq = 4').get() as Record<string, unknown>;
    const b = db.prepare('SELECT * FROM events WHERE seq = 5').get() as Record<string, unknown>;
    tamper('DELETE FROM events WHERE seq IN (4, 5)');
    const ins = db.prepare('INSERT INTO events (seq, at, type, body, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?)');
    ins.run(4, b.at, b.type, b.body, b.prev_hash, b.hash);
    ins.run(5, a.at, a.type, a.body, a.prev_hash, a.hash);
    expect((await verifyChain(db, keys)).problem).toMatchObject({ seq: 4, kind: 'reordered' });
  });

  it('catches an edit of the columns outside the hashed bytes', async () => {
    await fill(5);
    tamper("UPDATE events SET type = 'admin.key.created' WHERE seq = 3");
    expect((await verifyChain(db, keys)).problem).toMatchObject({ seq: 3, kind: 'edited' });
  });

  it('catches a cut-off tail only with a checkpoint made before the cut', async () => {
    await fill(10);
    const cp = makeCheckpoint(db, KEY, new Date());
    expect(cp.seq).toBe(11);
    expect(checkpointSigned(cp, KEY.key)).toBe(true);
    tamper('DELETE FROM events WHERE seq > 8');
    expect((await verifyChain(db, keys)).status).toBe('intact');
    const r = await verifyChain(db, keys, { checkpoints: [cp] });
    expect(r.problem).toMatchObject({ seq: 9, kind: 'truncated' });
    expect(r.problem!.message).toMatch(/records 9\.\.11 were cut off/);
  });

  it('catches a whole chain rewritten unkeyed against a checkpoint, and a forged checkpoint', async () => {
    await fill(10);
    const cp = makeCheckpoint(db, KEY, new Date());
    // Rewrite everything from scratch with the public rule and no ledger.keyed record.
    const rows = db.prepare('SELECT seq, at, type, body FROM events ORDER BY seq').all() as { seq: number; at: string; type: string; body: string }[];
    tamper('DELETE FROM events');
    let prev = GENESIS_HASH;
    for (const r of rows.filter((x) => x.type !== 'ledger.keyed')) {
      const body = r.body.replace('"costUsd":2', '"costUsd":0');
      const h = chainHash(prev, body);
      db.prepare('INSERT INTO events (seq, at, type, body, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?)').run(r.seq - 1, r.at, r.type, body, prev, h);
      prev = h;
    }
    const alone = await verifyChain(db, keys);
    expect(alone.status).toBe('intact');
    expect(alone.segments).toEqual([{ from: 1, to: 10, keyed: false }]);
    expect(alone.notes.join(' ')).toMatch(/unkeyed records can be rewritten/);
    const withCp = await verifyChain(db, keys, { checkpoints: [cp] });
    expect(withCp.problem?.kind).toBe('truncated');
    const forged = { ...cp, seq: 10, hash: prev };
    expect((await verifyChain(db, keys, { checkpoints: [forged] })).problem).toMatchObject({ kind: 'rewritten' });
  });

  it('follows unkeyed and keyed stretches, and says what it cannot check without the key', async () => {
    await fill(3, 'legacy'); // a ledger from before keys
    await fill(3, KEY);
    await fill(2, null); // the keychain could not be read at that start
    await fill(2, KEY);
    const r = await verifyChain(db, keys);
    expect(r.status).toBe('intact');
    expect(r.segments.map((s) => [s.from, s.to, s.keyed])).toEqual([
      [1, 3, false],
      [4, 7, true],
      [8, 10, false],
      [11, 13, true],
    ]);
    expect((await verifyChain(db, async () => null)).status).toBe('unverifiable');
    const other: KeyLookup = async () => randomBytes(32);
    expect((await verifyChain(db, other)).problem).toMatchObject({ seq: 4, kind: 'wrong-key' });
  });
});

describe('pruning', () => {
  it('deletes old records and keeps the rest verifiable from the pruned hash, keyed on', async () => {
    await fill(10);
    const cpOld = makeCheckpoint(db, KEY, new Date(), 5);
    const ledger = createLedger(db, { now, key: KEY });
    const cutAt = (db.prepare('SELECT at FROM events WHERE seq = 7').get() as { at: string }).at;
    expect(pruneBefore(db, ledger, cutAt)).toEqual({ deleted: 6, throughSeq: 6 });
    await ledger.append({ type: 'llm.request', requestId: 'after' });
    const r = await verifyChain(db, keys, { checkpoints: [cpOld] });
    expect(r).toMatchObject({ status: 'intact', firstSeq: 7 });
    expect(r.checkpoints).toEqual([expect.objectContaining({ seq: 5, status: 'pruned' })]);
    // A ledger opened later (its ledger.keyed record pruned away) stays keyed, without a new switch.
    const reopened = createLedger(db, { now, key: KEY });
    await reopened.append({ type: 'x' });
    expect(db.prepare("SELECT count(*) AS n FROM events WHERE type = 'ledger.keyed'").get()).toEqual({ n: 0 });
    expect((await verifyChain(db, keys)).status).toBe('intact');
    // Deleting more of what remains is still caught.
    tamper('DELETE FROM events WHERE seq = 8');
    expect((await verifyChain(db, keys)).problem).toMatchObject({ seq: 8, kind: 'deleted' });
  });

  it('refuses to delete everything, and leaves the append-only triggers in place', async () => {
    await fill(3);
    const ledger = createLedger(db, { now, key: KEY });
    expect(() => pruneBefore(db, ledger, '2999-01-01T00:00:00Z')).toThrow(/keep at least the newest/);
    pruneBefore(db, ledger, (db.prepare('SELECT at FROM events WHERE seq = 3').get() as { at: string }).at);
    expect(() => db.prepare('DELETE FROM events WHERE seq = 3').run()).toThrow(/append-only/);
  });
});

describe('exports', () => {
  it('verify on their own, signed at the end; an edited line is caught', async () => {
    await fill(10);
    const rows = db.prepare('SELECT at FROM events ORDER BY seq').all() as { at: string }[];
    const lines = [...exportLines(db, { from: rows[3]!.at, to: rows[8]!.at }, KEY, new Date())];
    expect(JSON.parse(lines[0]!)).toMatchObject({ format: 'gatehouse-audit-export/1', records: 5, mode: { keyed: true, ledgerId: 'L1' } });
    expect(JSON.parse(lines.at(-1)!).checkpoint).toMatchObject({ seq: 8 });
    expect(await verifyExport(lines, keys)).toMatchObject({ ok: true, records: 5, checkpoint: true });
    const edited = [...lines];
    edited[2] = edited[2]!.replace('costUsd\\":3', 'costUsd\\":9');
    expect(edited[2]).not.toBe(lines[2]);
    expect(await verifyExport(edited, keys)).toMatchObject({ ok: false });
    const dropped = lines.filter((_, i) => i !== 3);
    expect((await verifyExport(dropped, keys)).message).toMatch(/does not follow/);
  });
});
