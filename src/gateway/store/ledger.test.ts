// The event ledger: canonical bytes, the SHA-256 chain, group commit, and no rewriting through SQL.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase, type Db } from './db.js';
import { chainHash, createLedger, GENESIS_HASH } from './ledger.js';

let dir: string;
let db: Db;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'gh-ledger-'));
  db = openDatabase(join(dir, 'l.sqlite'));
});
afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

interface Row {
  seq: number;
  body: string;
  prev_hash: string;
  hash: string;
}

function rows(): Row[] {
  return db.prepare('SELECT seq, body, prev_hash, hash FROM events ORDER BY seq').all() as Row[];
}

describe('ledger', () => {
  it('stores canonical JSON (sorted keys) and chains each hash to the previous one', async () => {
    const ledger = createLedger(db, { now: () => new Date('2026-11-24T10:00:00.000Z') });
    await ledger.append({ type: 'a', zeta: 1, alpha: { b: 2, a: 1 } });
    ledger.appendNow({ type: 'b' });
    const r = rows();
    expect(r[0]!.body).toBe('{"alpha":{"a":1,"b":2},"at":"2026-11-24T10:00:00.000Z","type":"a","zeta":1}');
    expect(r[0]!.prev_hash).toBe(GENESIS_HASH);
    expect(r[0]!.hash).toBe(chainHash(GENESIS_HASH, r[0]!.body));
    expect(r[1]!.prev_hash).toBe(r[0]!.hash);
    expect(r[1]!.hash).toBe(chainHash(r[0]!.hash, r[1]!.body));
    expect(ledger.head()).toEqual({ seq: 2, hash: r[1]!.hash });
  });

  it('commits events appended in the same tick in one transaction, in order', async () => {
    const ledger = createLedger(db);
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => ledger.append({ type: 'req', i })));
    expect(results.map((r) => r.seq)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    const r = rows();
    for (let i = 1; i < r.length; i++) expect(r[i]!.prev_hash).toBe(r[i - 1]!.hash);
    expect(JSON.parse(r[49]!.body).i).toBe(49);
    expect(ledger.stats()).toEqual({ transactions: 1, events: 50 });
  });

  it("commits staged writes and an event's own write in the events' transaction, in queue order", async () => {
    db.exec('CREATE TABLE notes (id TEXT PRIMARY KEY)');
    const ledger = createLedger(db);
    const note = (id: string) => () => void db.prepare('INSERT INTO notes (id) VALUES (?)').run(id);
    const gone = (id: string) => () => void db.prepare('DELETE FROM notes WHERE id = ?').run(id);
    const staged = [ledger.stage(note('a')), ledger.stage(note('b'))];
    const appended = ledger.append({ type: 'req', id: 'a' }, { with: gone('a') });
    await Promise.all([...staged, appended]);
    expect(db.prepare('SELECT id FROM notes').all()).toEqual([{ id: 'b' }]);
    expect(ledger.stats()).toEqual({ transactions: 1, events: 1 });
  });

  it('a staged write that fails rejects its whole transaction and commits none of it', async () => {
    db.exec('CREATE TABLE notes (id TEXT PRIMARY KEY)');
    const ledger = createLedger(db);
    const note = (id: string) => () => void db.prepare('INSERT INTO notes (id) VALUES (?)').run(id);
    const results = await Promise.allSettled([ledger.stage(note('a')), ledger.append({ type: 'req' }), ledger.stage(note('a'))]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected', 'rejected']);
    expect(db.prepare('SELECT count(*) AS n FROM notes').get()).toEqual({ n: 0 });
    expect(rows()).toEqual([]);
    // The chain goes on from where it was.
    expect((await ledger.append({ type: 'next' })).seq).toBe(1);
  });

  it("an event's own write is skipped with an event that cannot be encoded", async () => {
    db.exec('CREATE TABLE notes (id TEXT PRIMARY KEY)');
    db.prepare("INSERT INTO notes (id) VALUES ('a')").run();
    const ledger = createLedger(db);
    const big = { type: 'req', n: 1n } as unknown as { type: string };
    await expect(ledger.append(big, { with: () => void db.prepare("DELETE FROM notes WHERE id = 'a'").run() })).rejects.toThrow();
    expect(db.prepare('SELECT id FROM notes').all()).toEqual([{ id: 'a' }]);
  });

  it('continues the chain across reopening', async () => {
    const first = createLedger(db);
    await first.append({ type: 'one' });
    const second = createLedger(db);
    await second.append({ type: 'two' });
    const r = rows();
    expect(r[1]!.prev_hash).toBe(r[0]!.hash);
  });

  it('refuses UPDATE and DELETE on the ledger', async () => {
    const ledger = createLedger(db);
    await ledger.append({ type: 'x' });
    expect(() => db.prepare("UPDATE events SET body = '{}'").run()).toThrow(/append-only/);
    expect(() => db.prepare('DELETE FROM events').run()).toThrow(/append-only/);
  });

  it('rejects every waiting append when the write fails, and keeps the chain head right', async () => {
    const ledger = createLedger(db);
    await ledger.append({ type: 'ok' });
    const head = ledger.head();
    db.exec("CREATE TRIGGER fail_next BEFORE INSERT ON events BEGIN SELECT RAISE(ABORT, 'disk full (simulated)'); END;");
    const pending = [ledger.append({ type: 'lost1' }), ledger.append({ type: 'lost2' })];
    for (const p of pending) await expect(p).rejects.toThrow(/could not be written: disk full/);
    expect(ledger.head()).toEqual(head);
    db.exec('DROP TRIGGER fail_next');
    await ledger.append({ type: 'after' });
    const r = rows();
    expect(r).toHaveLength(2);
    expect(r[1]!.prev_hash).toBe(r[0]!.hash);
  });

  it('feeds the usage view from llm.request events', async () => {
    const ledger = createLedger(db);
    await ledger.append({ type: 'llm.request', requestId: 'r1', keyId: 'k', model: 'm', usage: { inputTokens: 10, outputTokens: 3, cacheReadTokens: 2 } });
    expect(db.prepare('SELECT request_id, input_tokens, output_tokens, cache_read_tokens FROM llm_usage').all()).toEqual([
      { request_id: 'r1', input_tokens: 10, output_tokens: 3, cache_read_tokens: 2 },
    ]);
  });

  it('keeps an event whose text canonical JSON cannot hold (a lone surrogate, an infinite number), made well-formed', async () => {
    const ledger = createLedger(db, { now: () => new Date('2026-11-24T10:00:00.000Z') });
    await ledger.append({ type: 'odd', session: 'a\ud800b', ['k\udc00']: 1, n: Infinity, ok: '🦊' });
    expect(rows()[0]!.body).toBe('{"at":"2026-11-24T10:00:00.000Z","k\ufffd":1,"n":null,"ok":"🦊","session":"a\ufffdb","type":"odd"}');
  });

  it('refuses an event that cannot be encoded on its own: the others of its group are written', async () => {
    const ledger = createLedger(db);
    const results = await Promise.allSettled([ledger.append({ type: 'a' }), ledger.append({ type: 'bad', n: 1n }), ledger.append({ type: 'c' })]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((results[1] as PromiseRejectedResult).reason.message).toMatch(/event bad cannot be encoded/);
    const r = rows();
    expect(r.map((x) => JSON.parse(x.body).type)).toEqual(['a', 'c']);
    expect(r[1]!.prev_hash).toBe(r[0]!.hash);
    expect(ledger.head()).toEqual({ seq: 2, hash: r[1]!.hash });
  });
});
