// The ledger as evidence: recomputing its chain over the stored bytes, checkpoints signed with the
// chain's key, exports of a time range that verify on their own, and pruning that keeps the rest
// verifiable.
//
// Threat model, in short (the README has it in full): a plain hash chain can be recomputed by anyone
// who can write the database, so the chain is keyed (HMAC under a key in the OS keychain): editing,
// deleting or reordering records, even with every later hash recomputed, needs the key. What a key
// does not stop — cutting records off the end, or rewriting the whole chain unkeyed — a checkpoint
// kept elsewhere catches: the head (sequence number and hash) at a time, signed with the key.
import canonicalize from 'canonicalize';
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { AuditCheckpoint, AuditProblemKind, AuditVerifyResult } from '../../shared/contract.js';
import type { Db } from './db.js';
import { chainHash, chainMode, GENESIS_HASH, keyedChainHash, keyFingerprint, LEDGER_KEYED, LEDGER_PRUNED, LEDGER_UNKEYED, type Ledger, type LedgerKey } from './ledger.js';

export { LEDGER_PRUNED };

export const CHECKPOINT_FORMAT = 'gatehouse-checkpoint/1';
export const EXPORT_FORMAT = 'gatehouse-audit-export/1';

export type Checkpoint = AuditCheckpoint;
export type VerifyResult = AuditVerifyResult;
type ProblemKind = AuditProblemKind;

/** Finds the key of a ledger id (from the keychain); null when it cannot be had. */
export type KeyLookup = (ledgerId: string) => Promise<Buffer | null>;

interface Row {
  seq: number;
  at: string;
  type: string;
  body: string;
  prev_hash: string;
  hash: string;
}

const macOf = (key: Buffer, fields: Omit<Checkpoint, 'mac'>): string => createHmac('sha256', key).update(canonicalize(fields)!).digest('hex');

function sameHex(a: string, b: string): boolean {
  const x = Buffer.from(a, 'hex');
  const y = Buffer.from(b, 'hex');
  return x.length === y.length && x.length > 0 && timingSafeEqual(x, y);
}

/** Signs the head of the chain (or record `seq`). The chain must be keyed there. */
export function makeCheckpoint(db: Db, key: LedgerKey, now: Date, seq?: number): Checkpoint {
  const row = (seq === undefined ? db.prepare('SELECT seq, at, hash FROM events ORDER BY seq DESC LIMIT 1').get() : db.prepare('SELECT seq, at, hash FROM events WHERE seq = ?').get(seq)) as
    | { seq: number; at: string; hash: string }
    | undefined;
  if (!row) throw new Error(seq === undefined ? 'the ledger is empty: there is nothing to sign yet' : `there is no record ${seq}`);
  const fields = { format: CHECKPOINT_FORMAT, ledgerId: key.ledgerId, seq: row.seq, hash: row.hash, recordAt: row.at, madeAt: now.toISOString() } as const;
  return { ...fields, mac: macOf(key.key, fields) };
}

/** Whether a checkpoint is one this key signed. */
export function checkpointSigned(cp: Checkpoint, key: Buffer): boolean {
  const { mac, ...fields } = cp;
  return typeof mac === 'string' && sameHex(mac, macOf(key, fields));
}

export function parseCheckpoint(text: string): Checkpoint {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw new Error('not JSON: a checkpoint is the JSON printed by gatehouse audit checkpoint');
  }
  const c = v as Partial<Checkpoint>;
  if (c?.format !== CHECKPOINT_FORMAT || typeof c.ledgerId !== 'string' || !Number.isSafeInteger(c.seq) || typeof c.hash !== 'string' || typeof c.mac !== 'string' || typeof c.recordAt !== 'string' || typeof c.madeAt !== 'string') {
    throw new Error(`not a checkpoint of format ${CHECKPOINT_FORMAT}`);
  }
  return c as Checkpoint;
}

/** The newest prune: where the remaining chain starts, and under which rule. */
function anchorOf(db: Db): { seq: number; hash: string; keyed: boolean; ledgerId?: string } {
  const row = db.prepare(`SELECT body FROM events WHERE type = '${LEDGER_PRUNED}' ORDER BY seq DESC LIMIT 1`).get() as { body: string } | undefined;
  if (!row) return { seq: 0, hash: GENESIS_HASH, keyed: false };
  const b = JSON.parse(row.body) as { throughSeq: number; hash: string; next: { keyed: boolean; ledgerId?: string } };
  return { seq: b.throughSeq, hash: b.hash, keyed: b.next.keyed, ...(b.next.ledgerId ? { ledgerId: b.next.ledgerId } : {}) };
}

/**
 * Recomputes the chain over the stored bytes, from the start (or the newest prune) to the head,
 * then checks each checkpoint. Yields to the event loop every `yieldEvery` records when asked to
 * (a running gateway verifying its own ledger keeps serving).
 */
export async function verifyChain(db: Db, keys: KeyLookup, opts: { checkpoints?: Checkpoint[]; yieldEvery?: number } = {}): Promise<VerifyResult> {
  const anchor = anchorOf(db);
  const result: VerifyResult = { status: 'intact', records: 0, firstSeq: null, lastSeq: null, segments: [], checkpoints: [], notes: [] };
  const keyCache = new Map<string, Buffer | null>();
  const keyFor = async (ledgerId: string): Promise<Buffer | null> => {
    if (!keyCache.has(ledgerId)) keyCache.set(ledgerId, await keys(ledgerId).catch(() => null));
    return keyCache.get(ledgerId)!;
  };
  let key: Buffer | null = null;
  let keyed = anchor.keyed;
  let ledgerId = anchor.ledgerId;
  if (keyed && ledgerId) {
    key = await keyFor(ledgerId);
    if (!key) return unverifiable(result, anchor.seq + 1, ledgerId);
  }
  if (anchor.seq > 0) result.notes.push(`records 1..${anchor.seq} were pruned; the chain is checked from record ${anchor.seq + 1}, which must follow the pruned record's hash`);
  const broken = (seq: number, kind: ProblemKind, message: string): VerifyResult => ({ ...result, status: 'broken', problem: { seq, kind, message } });

  let expectedSeq = anchor.seq + 1;
  let prevHash = anchor.hash;
  let segment: VerifyResult['segments'][number] | undefined;
  const yieldEvery = opts.yieldEvery ?? 0;
  for (const row of db.prepare('SELECT seq, at, type, body, prev_hash, hash FROM events WHERE seq > ? ORDER BY seq').iterate(anchor.seq) as IterableIterator<Row>) {
    if (yieldEvery > 0 && result.records > 0 && result.records % yieldEvery === 0) await new Promise((r) => setImmediate(r));
    if (row.seq !== expectedSeq) {
      return broken(expectedSeq, 'deleted', expectedSeq === row.seq - 1 ? `record ${expectedSeq} is missing (deleted)` : `records ${expectedSeq}..${row.seq - 1} are missing (deleted)`);
    }
    if (row.prev_hash !== prevHash) {
      const moved = db.prepare('SELECT seq FROM events WHERE hash = ?').get(row.prev_hash) as { seq: number } | undefined;
      if (moved && moved.seq !== row.seq - 1) return broken(row.seq, 'reordered', `record ${row.seq} follows record ${moved.seq}, not record ${row.seq - 1}: records were reordered`);
      return broken(row.seq - 1, 'edited', `record ${row.seq - 1} was changed after record ${row.seq} was written: its hash is no longer the one record ${row.seq} chained to`);
    }
    let body: { type?: unknown; at?: unknown; ledgerId?: unknown; keyFingerprint?: unknown; reason?: unknown };
    try {
      body = JSON.parse(row.body) as typeof body;
    } catch {
      return broken(row.seq, 'edited', `record ${row.seq} was edited: its body is not JSON`);
    }
    // The rule switches with the event that switches it (itself written under the new rule).
    if (row.type === LEDGER_KEYED && typeof body.ledgerId === 'string') {
      keyed = true;
      ledgerId = body.ledgerId;
      key = await keyFor(ledgerId);
      if (!key) return unverifiable(result, row.seq, ledgerId);
      if (body.keyFingerprint !== keyFingerprint(key)) return broken(row.seq, 'wrong-key', `record ${row.seq} starts a chain keyed with another key than the keychain holds for ledger ${ledgerId}`);
    } else if (row.type === LEDGER_UNKEYED) {
      keyed = false;
      key = null;
    }
    const expected = keyed && key ? keyedChainHash(key, row.prev_hash, row.body) : chainHash(row.prev_hash, row.body);
    if (expected !== row.hash) {
      return broken(row.seq, 'edited', keyed ? `record ${row.seq} was edited: its bytes do not match its keyed hash (a change made without the ledger key)` : `record ${row.seq} was edited: its bytes do not match its hash`);
    }
    if (body.type !== row.type || body.at !== row.at) return broken(row.seq, 'edited', `record ${row.seq} was edited: its type or time column differs from what was hashed`);
    if (!segment || segment.keyed !== keyed || segment.ledgerId !== (keyed ? ledgerId : undefined)) {
      segment = { from: row.seq, to: row.seq, keyed, ...(keyed ? { ledgerId } : {}), ...(!keyed && typeof body.reason === 'string' ? { reason: body.reason } : {}) };
      result.segments.push(segment);
    }
    segment.to = row.seq;
    result.firstSeq ??= row.seq;
    result.lastSeq = row.seq;
    result.records++;
    prevHash = row.hash;
    expectedSeq = row.seq + 1;
  }

  for (const cp of opts.checkpoints ?? []) {
    const k = await keyFor(cp.ledgerId);
    if (!k) {
      result.checkpoints.push({ seq: cp.seq, madeAt: cp.madeAt, status: 'unverifiable' });
      result.notes.push(`the checkpoint made ${cp.madeAt} cannot be checked: the key of ledger ${cp.ledgerId} is not in the keychain`);
      continue;
    }
    if (!checkpointSigned(cp, k)) return broken(cp.seq, 'rewritten', `the checkpoint made ${cp.madeAt} is not signed by this ledger's key: it was altered, or belongs to another ledger`);
    if (cp.seq <= anchor.seq) {
      result.checkpoints.push({ seq: cp.seq, madeAt: cp.madeAt, status: 'pruned' });
      continue;
    }
    const row = db.prepare('SELECT hash FROM events WHERE seq = ?').get(cp.seq) as { hash: string } | undefined;
    if (!row) {
      return broken(
        (result.lastSeq ?? anchor.seq) + 1,
        'truncated',
        `the chain ends at record ${result.lastSeq ?? anchor.seq}, but the checkpoint made ${cp.madeAt} signed record ${cp.seq}: records ${(result.lastSeq ?? anchor.seq) + 1}..${cp.seq} were cut off`,
      );
    }
    if (row.hash !== cp.hash) return broken(cp.seq, 'rewritten', `record ${cp.seq} is not the one the checkpoint made ${cp.madeAt} signed: the chain was rewritten at or before it`);
    result.checkpoints.push({ seq: cp.seq, madeAt: cp.madeAt, status: 'matches' });
  }
  if (result.segments.some((s) => !s.keyed)) {
    result.notes.push('unkeyed records can be rewritten by anyone who can write the database; a checkpoint made after them is what vouches for them');
  }
  return result;
}

function unverifiable(result: VerifyResult, seq: number, ledgerId: string): VerifyResult {
  return {
    ...result,
    status: 'unverifiable',
    problem: { seq, kind: 'wrong-key', message: `record ${seq} on is keyed with the key of ledger ${ledgerId}, which the keychain does not hold (gatehouse.ledger-key.${ledgerId}); without it the records cannot be checked` },
  };
}


/** One line of an export: a record exactly as stored. */
export interface ExportedRecord {
  seq: number;
  at: string;
  type: string;
  prevHash: string;
  hash: string;
  /** The stored bytes (canonical JSON) as a string: hash them to check. */
  body: string;
}

export interface ExportHeader {
  format: typeof EXPORT_FORMAT;
  from: string;
  to: string;
  exportedAt: string;
  records: number;
  /** The rule the chain was on at the first exported record. */
  mode: { keyed: boolean; ledgerId?: string };
}

/** The lines of an export of records written in [from, to): a header, the records, and a checkpoint of the last one when the key is at hand. */
export function* exportLines(db: Db, range: { from: string; to: string }, key: LedgerKey | null, now: Date): Generator<string> {
  const bounds = db.prepare('SELECT min(seq) AS first, max(seq) AS last, count(*) AS n FROM events WHERE at >= ? AND at < ?').get(range.from, range.to) as { first: number | null; last: number | null; n: number };
  const header: ExportHeader = { format: EXPORT_FORMAT, from: range.from, to: range.to, exportedAt: now.toISOString(), records: bounds.n, mode: bounds.first === null ? { keyed: false } : chainMode(db, bounds.first) };
  yield JSON.stringify(header);
  if (bounds.first === null || bounds.last === null) return;
  const rows = db.prepare('SELECT seq, at, type, body, prev_hash, hash FROM events WHERE seq BETWEEN ? AND ? ORDER BY seq').iterate(bounds.first, bounds.last) as IterableIterator<Row>;
  for (const r of rows) yield JSON.stringify({ seq: r.seq, at: r.at, type: r.type, prevHash: r.prev_hash, hash: r.hash, body: r.body } satisfies ExportedRecord);
  const lastMode = chainMode(db, bounds.last);
  if (key && lastMode.keyed && lastMode.ledgerId === key.ledgerId) yield JSON.stringify({ checkpoint: makeCheckpoint(db, key, now, bounds.last) });
}

/** Checks an export on its own: the chain inside it, and its checkpoint against the key. */
export async function verifyExport(lines: string[], keys: KeyLookup): Promise<{ ok: boolean; records: number; message: string; checkpoint: boolean }> {
  const fail = (message: string, records = 0): { ok: false; records: number; message: string; checkpoint: boolean } => ({ ok: false, records, message, checkpoint: false });
  let header: ExportHeader;
  try {
    header = JSON.parse(lines[0] ?? '') as ExportHeader;
  } catch {
    return fail('the first line is not the export header');
  }
  if (header.format !== EXPORT_FORMAT) return fail(`not an export of format ${EXPORT_FORMAT}`);
  let keyed = header.mode.keyed;
  let key = keyed && header.mode.ledgerId ? await keys(header.mode.ledgerId) : null;
  if (keyed && !key) return fail(`the records are keyed with the key of ledger ${header.mode.ledgerId}, which the keychain does not hold`);
  let prev: ExportedRecord | undefined;
  let checkpoint: Checkpoint | undefined;
  let n = 0;
  for (const line of lines.slice(1)) {
    if (!line.trim()) continue;
    const v = JSON.parse(line) as ExportedRecord | { checkpoint: Checkpoint };
    if ('checkpoint' in v) {
      checkpoint = v.checkpoint;
      continue;
    }
    if (prev && (v.seq !== prev.seq + 1 || v.prevHash !== prev.hash)) return fail(`record ${v.seq} does not follow record ${prev.seq} in the export`, n);
    if (v.type === LEDGER_KEYED) {
      const b = JSON.parse(v.body) as { ledgerId: string };
      keyed = true;
      key = await keys(b.ledgerId);
      if (!key) return fail(`record ${v.seq} on is keyed with ledger ${b.ledgerId}'s key, which the keychain does not hold`, n);
    } else if (v.type === LEDGER_UNKEYED) {
      keyed = false;
      key = null;
    }
    const expected = keyed && key ? keyedChainHash(key, v.prevHash, v.body) : chainHash(v.prevHash, v.body);
    if (expected !== v.hash) return fail(`record ${v.seq} was edited: its bytes do not match its hash`, n);
    prev = v;
    n++;
  }
  if (n !== header.records) return fail(`the header says ${header.records} records, the file has ${n}`, n);
  if (checkpoint) {
    const k = await keys(checkpoint.ledgerId);
    if (!k || !checkpointSigned(checkpoint, k)) return fail('the export\'s checkpoint is not signed by the ledger key', n);
    if (!prev || checkpoint.seq !== prev.seq || checkpoint.hash !== prev.hash) return fail('the export\'s checkpoint does not sign its last record', n);
  }
  return { ok: true, records: n, message: `${n} records intact${checkpoint ? ', the last one signed by the ledger key' : ' (no checkpoint: the records are unkeyed or the key was not at hand when exporting)'}`, checkpoint: checkpoint !== undefined };
}

/**
 * Deletes the records written before `before`, keeping the rest verifiable: one transaction drops
 * them and appends `ledger.pruned` with the hash of the last one deleted (where the rest now
 * starts) and the rule in force after it. Returns how many were deleted.
 */
export function pruneBefore(db: Db, ledger: Ledger, before: string): { deleted: number; throughSeq: number } {
  const last = db.prepare('SELECT seq, hash, at FROM events WHERE at < ? ORDER BY seq DESC LIMIT 1').get(before) as { seq: number; hash: string; at: string } | undefined;
  if (!last) return { deleted: 0, throughSeq: 0 };
  const head = ledger.head();
  if (head && last.seq >= head.seq) throw new Error('every record is older than that: keep at least the newest one');
  const next = chainMode(db, last.seq + 1);
  const trigger = db.prepare("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = 'events_no_delete'").get() as { sql: string } | undefined;
  const first = (db.prepare('SELECT min(seq) AS s FROM events').get() as { s: number }).s;
  const run = db.transaction(() => {
    db.exec('DROP TRIGGER IF EXISTS events_no_delete');
    const info = db.prepare('DELETE FROM events WHERE seq <= ?').run(last.seq);
    if (trigger) db.exec(trigger.sql);
    ledger.appendNow({ type: LEDGER_PRUNED, throughSeq: last.seq, fromSeq: first, hash: last.hash, recordAt: last.at, records: info.changes, next });
    return info.changes;
  });
  try {
    return { deleted: run(), throughSeq: last.seq };
  } catch (err) {
    ledger.resync();
    throw err;
  }
}
