// The append-only event ledger: canonical JSON per event, chained by HMAC-SHA256 under a key kept in
// the OS keychain (plain SHA-256 where no key is at hand), written by group commit.
import { createHmac, hash } from 'node:crypto';
import { canonicalJson } from './canonical-json.js';
import { StoreError, type Db } from './db.js';

export const GENESIS_HASH = '0'.repeat(64);

/** Any event: `type` says what happened; the rest is the event's own data (JSON values only). */
export interface LedgerEventInput {
  type: string;
  [field: string]: unknown;
}

export interface Appended {
  seq: number;
  hash: string;
  at: string;
}

export interface Ledger {
  /**
   * Queues the event and resolves once it is committed. Events appended in the same turn of
   * the event loop share one transaction (group commit), so many concurrent requests pay for
   * one write. Rejects (and the caller must not acknowledge its request) if the write fails.
   */
  append(event: LedgerEventInput, options?: AppendOptions): Promise<Appended>;
  /**
   * Queues a write to another table (a budget reservation's note, say) for the next group commit,
   * in order with the events queued around it; resolves once it is committed. A write that throws
   * fails its whole transaction: nothing of it is committed and every member is rejected.
   */
  stage(write: () => void): Promise<void>;
  /** Writes at once, in its own transaction: for admin changes made outside the request path. */
  appendNow(event: LedgerEventInput): Appended;
  head(): { seq: number; hash: string } | null;
  count(): number;
  /** Commits anything queued. */
  flush(): void;
  /** Re-reads the head from the database: after a surrounding transaction was rolled back. */
  resync(): void;
  /** Transactions committed and events written by this ledger object: group commit at work. */
  stats(): { transactions: number; events: number };
}

export interface AppendOptions {
  /** Runs in the event's own transaction, right after it is inserted: both are committed or neither. */
  with?: () => void;
}

/** The unkeyed chain rule: hash = sha256(prevHash + "\n" + body). */
export function chainHash(prevHash: string, body: string): string {
  // One call, not a Hash object fed three times: this runs for every record.
  return hash('sha256', `${prevHash}\n${body}`, 'hex');
}

/** The keyed chain rule: hash = HMAC-SHA256(key, prevHash + "\n" + body); without the key it cannot be recomputed. */
export function keyedChainHash(key: Buffer, prevHash: string, body: string): string {
  return createHmac('sha256', key).update(prevHash).update('\n').update(body).digest('hex');
}

/**
 * The chain's key. `ledgerId` names it (it is kept in the keychain under `gatehouse.ledger-key.ID`);
 * the fingerprint recorded in `ledger.keyed` lets a verifier tell a wrong key from an edited record.
 */
export interface LedgerKey {
  ledgerId: string;
  key: Buffer;
}

export const LEDGER_KEYED = 'ledger.keyed';
export const LEDGER_UNKEYED = 'ledger.unkeyed';
/** Records before it were deleted; it carries the hash the rest chains from and the rule in force after them. */
export const LEDGER_PRUNED = 'ledger.pruned';

/** The type of the newest switch record (`ledger.keyed` / `ledger.unkeyed`), if any. */
function lastSwitch(db: Db): string | undefined {
  return (db.prepare(`SELECT type FROM events WHERE type IN ('${LEDGER_KEYED}', '${LEDGER_UNKEYED}') ORDER BY seq DESC LIMIT 1`).get() as { type: string } | undefined)?.type;
}

export function keyFingerprint(key: Buffer): string {
  return createHmac('sha256', key).update('gatehouse ledger key fingerprint').digest('hex').slice(0, 16);
}

/**
 * Which rule the chain is on at record `seq` (default: its head): the last `ledger.keyed` (keyed from
 * that event on, itself included) or `ledger.unkeyed` event at or before it; when the switch was
 * pruned away, the rule the newest `ledger.pruned` recorded; unkeyed when there is neither (a ledger
 * from before keys).
 */
export function chainMode(db: Db, seq = Number.MAX_SAFE_INTEGER): { keyed: false } | { keyed: true; ledgerId: string } {
  const row = db.prepare(`SELECT type, body FROM events WHERE seq <= ? AND type IN ('${LEDGER_KEYED}', '${LEDGER_UNKEYED}') ORDER BY seq DESC LIMIT 1`).get(seq) as { type: string; body: string } | undefined;
  if (row) return row.type === LEDGER_KEYED ? { keyed: true, ledgerId: (JSON.parse(row.body) as { ledgerId: string }).ledgerId } : { keyed: false };
  const pruned = db.prepare(`SELECT body FROM events WHERE type = '${LEDGER_PRUNED}' ORDER BY seq DESC LIMIT 1`).get() as { body: string } | undefined;
  const next = pruned ? (JSON.parse(pruned.body) as { next: { keyed: boolean; ledgerId?: string } }).next : undefined;
  return next?.keyed && next.ledgerId ? { keyed: true, ledgerId: next.ledgerId } : { keyed: false };
}

/**
 * The exact bytes stored and hashed: RFC 8785 canonical JSON of the event with its time. Text a
 * client sent may hold what canonical JSON cannot (a lone surrogate, a number beyond a double):
 * such values are made well-formed (U+FFFD, null) rather than the event being lost.
 */
export function encodeEvent(event: LedgerEventInput, at: string): string {
  const body = canonicalText({ ...event, at });
  if (body === undefined) throw new StoreError('STORE_WRITE_FAILED', `event ${event.type} cannot be encoded as JSON`);
  return body;
}

/** RFC 8785 canonical JSON of any value JSON.parse can give (made well-formed first when it must be). */
export function canonicalText(value: unknown): string | undefined {
  try {
    return canonicalJson(value);
  } catch {
    return canonicalJson(wellFormed(value));
  }
}

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
const wellFormedText = (s: string): string => s.replace(LONE_SURROGATE, '\ufffd');

/** A copy canonical JSON can always encode: lone surrogates replaced, non-finite numbers as null. */
function wellFormed(value: unknown): unknown {
  if (typeof value === 'string') return wellFormedText(value);
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (Array.isArray(value)) return value.map(wellFormed);
  if (value && typeof value === 'object') {
    if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return wellFormed(JSON.parse(JSON.stringify(value)));
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [wellFormedText(k), wellFormed(v)]));
  }
  return value;
}

type Pending =
  | { event: LedgerEventInput; with: (() => void) | undefined; resolve: (a: Appended) => void; reject: (e: Error) => void }
  | { event?: undefined; write: () => void; resolve: () => void; reject: (e: Error) => void };

/** A member of one transaction: an event to chain (with its own write, if any) or a write to another table. */
type Member = { event: LedgerEventInput; with?: (() => void) | undefined } | { event?: undefined; write: () => void };

export interface LedgerOptions {
  now?: () => Date;
  /**
   * The chain's key. Given: the chain is keyed from here on (a `ledger.keyed` event is written when
   * it was not, or was keyed with another key). `null`: no key could be had (`unkeyedReason` says why):
   * a keyed chain records `ledger.unkeyed` and goes on unkeyed. Absent: the chain stays as it is
   * when unkeyed; a keyed chain is switched to unkeyed, as for `null`.
   */
  key?: LedgerKey | null;
  unkeyedReason?: string;
}

export function createLedger(db: Db, opts: LedgerOptions = {}): Ledger {
  const now = opts.now ?? (() => new Date());
  const key = opts.key ?? null;
  const insert = db.prepare('INSERT INTO events (seq, at, type, body, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?)');
  const selectHead = db.prepare('SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1');
  let headSeq = 0;
  let headHash = GENESIS_HASH;
  const resync = (): void => {
    const last = selectHead.get() as { seq: number; hash: string } | undefined;
    headSeq = last?.seq ?? 0;
    headHash = last?.hash ?? GENESIS_HASH;
  };
  // The rule the next record is written under: the key once `ledger.keyed` is written, none after `ledger.unkeyed`.
  let keyedWith: Buffer | null = null;
  const resyncMode = (): void => {
    const mode = chainMode(db);
    keyedWith = mode.keyed && key && mode.ledgerId === key.ledgerId ? key.key : null;
  };
  resync();
  resyncMode();
  let queue: Pending[] = [];
  const counters = { transactions: 0, events: 0 };
  let scheduled = false;

  // Computes and inserts a batch; the in-memory head only moves once the transaction commits.
  // An event that cannot be encoded is refused alone: the others of its group are still written.
  const writeBatch = db.transaction((members: Member[]): (Appended | Error | undefined)[] => {
    let seq = headSeq;
    let hash = headHash;
    const out: (Appended | Error | undefined)[] = [];
    for (const member of members) {
      if (member.event === undefined) {
        member.write();
        out.push(undefined);
        continue;
      }
      const event = member.event;
      const at = now().toISOString();
      let body: string;
      try {
        body = encodeEvent(event, at);
      } catch (err) {
        out.push(err instanceof StoreError ? err : new StoreError('STORE_WRITE_FAILED', `event ${event.type} cannot be encoded as JSON: ${(err as Error).message}`));
        continue;
      }
      seq += 1;
      // A switching event is written under the rule it switches to.
      if (event.type === LEDGER_KEYED) keyedWith = key?.key ?? null;
      else if (event.type === LEDGER_UNKEYED) keyedWith = null;
      const next = keyedWith ? keyedChainHash(keyedWith, hash, body) : chainHash(hash, body);
      insert.run(seq, at, event.type, body, hash, next);
      member.with?.();
      hash = next;
      out.push({ seq, hash, at });
    }
    return out;
  });

  function commit(members: Member[]): (Appended | Error | undefined)[] {
    let written: (Appended | Error | undefined)[];
    try {
      written = writeBatch(members);
    } catch (err) {
      resync();
      resyncMode();
      throw new StoreError('STORE_WRITE_FAILED', `the event ledger could not be written: ${(err as Error).message}`, { cause: err });
    }
    const appended = written.filter((w): w is Appended => w !== undefined && !(w instanceof Error));
    counters.transactions += 1;
    counters.events += appended.length;
    const lastWritten = appended[appended.length - 1];
    if (lastWritten) {
      headSeq = lastWritten.seq;
      headHash = lastWritten.hash;
    }
    return written;
  }

  function commitOne(event: LedgerEventInput): Appended {
    const w = commit([{ event }])[0];
    if (w instanceof Error) throw w;
    return w!;
  }

  function flush(): void {
    scheduled = false;
    const batch = queue;
    queue = [];
    if (batch.length === 0) return;
    try {
      const written = commit(batch.map((p): Member => (p.event === undefined ? { write: p.write } : { event: p.event, with: p.with })));
      batch.forEach((p, i) => {
        const w = written[i];
        if (w instanceof Error) p.reject(w);
        else if (p.event === undefined) p.resolve();
        else p.resolve(w!);
      });
    } catch (err) {
      for (const p of batch) p.reject(err as Error);
    }
  }

  // Bring the chain to the rule this ledger writes under.
  const mode = chainMode(db);
  if (key && (!mode.keyed || mode.ledgerId !== key.ledgerId)) {
    commitOne({ type: LEDGER_KEYED, ledgerId: key.ledgerId, keyFingerprint: keyFingerprint(key.key), previous: mode.keyed ? mode.ledgerId : null });
  } else if (!key && mode.keyed) {
    commitOne({ type: LEDGER_UNKEYED, ledgerId: mode.ledgerId, reason: opts.unkeyedReason ?? 'the gateway was started without the ledger key' });
  } else if (opts.key === null && lastSwitch(db) !== LEDGER_UNKEYED) {
    // A key was wanted and could not be had (the keychain absent or frozen) on a chain not yet keyed: say why, once.
    commitOne({ type: LEDGER_UNKEYED, ledgerId: null, reason: opts.unkeyedReason ?? 'no ledger key could be had' });
  }

  const enqueue = (p: Pending): void => {
    queue.push(p);
    if (!scheduled) {
      scheduled = true;
      setImmediate(flush);
    }
  };

  return {
    append(event, options) {
      return new Promise<Appended>((resolve, reject) => enqueue({ event, with: options?.with, resolve, reject }));
    },
    stage(write) {
      return new Promise<void>((resolve, reject) => enqueue({ write, resolve, reject }));
    },
    appendNow(event) {
      flush();
      return commitOne(event);
    },
    head: () => (headSeq === 0 ? null : { seq: headSeq, hash: headHash }),
    count: () => (db.prepare('SELECT count(*) AS n FROM events').get() as { n: number }).n,
    flush,
    resync,
    stats: () => ({ ...counters }),
  };
}
