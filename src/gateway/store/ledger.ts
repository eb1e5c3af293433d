// The append-only event ledger: canonical JSON per event, SHA-256 chained, written by group commit.
import canonicalize from 'canonicalize';
import { createHash } from 'node:crypto';
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
  append(event: LedgerEventInput): Promise<Appended>;
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

/** The chain rule, in one place: hash = sha256(prevHash + "\n" + body). */
export function chainHash(prevHash: string, body: string): string {
  return createHash('sha256').update(prevHash).update('\n').update(body).digest('hex');
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
    return canonicalize(value);
  } catch {
    return canonicalize(wellFormed(value));
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

interface Pending {
  event: LedgerEventInput;
  resolve: (a: Appended) => void;
  reject: (e: Error) => void;
}

export function createLedger(db: Db, opts: { now?: () => Date } = {}): Ledger {
  const now = opts.now ?? (() => new Date());
  const insert = db.prepare('INSERT INTO events (seq, at, type, body, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?)');
  const selectHead = db.prepare('SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1');
  let headSeq = 0;
  let headHash = GENESIS_HASH;
  const resync = (): void => {
    const last = selectHead.get() as { seq: number; hash: string } | undefined;
    headSeq = last?.seq ?? 0;
    headHash = last?.hash ?? GENESIS_HASH;
  };
  resync();
  let queue: Pending[] = [];
  const counters = { transactions: 0, events: 0 };
  let scheduled = false;

  // Computes and inserts a batch; the in-memory head only moves once the transaction commits.
  // An event that cannot be encoded is refused alone: the others of its group are still written.
  const writeBatch = db.transaction((events: LedgerEventInput[]): (Appended | Error)[] => {
    let seq = headSeq;
    let hash = headHash;
    const out: (Appended | Error)[] = [];
    for (const event of events) {
      const at = now().toISOString();
      let body: string;
      try {
        body = encodeEvent(event, at);
      } catch (err) {
        out.push(err instanceof StoreError ? err : new StoreError('STORE_WRITE_FAILED', `event ${event.type} cannot be encoded as JSON: ${(err as Error).message}`));
        continue;
      }
      seq += 1;
      const next = chainHash(hash, body);
      insert.run(seq, at, event.type, body, hash, next);
      hash = next;
      out.push({ seq, hash, at });
    }
    return out;
  });

  function commit(events: LedgerEventInput[]): (Appended | Error)[] {
    let written: (Appended | Error)[];
    try {
      written = writeBatch(events);
    } catch (err) {
      resync();
      throw new StoreError('STORE_WRITE_FAILED', `the event ledger could not be written: ${(err as Error).message}`, { cause: err });
    }
    const appended = written.filter((w): w is Appended => !(w instanceof Error));
    counters.transactions += 1;
    counters.events += appended.length;
    const lastWritten = appended[appended.length - 1];
    if (lastWritten) {
      headSeq = lastWritten.seq;
      headHash = lastWritten.hash;
    }
    return written;
  }

  function flush(): void {
    scheduled = false;
    const batch = queue;
    queue = [];
    if (batch.length === 0) return;
    try {
      const written = commit(batch.map((p) => p.event));
      batch.forEach((p, i) => {
        const w = written[i]!;
        if (w instanceof Error) p.reject(w);
        else p.resolve(w);
      });
    } catch (err) {
      for (const p of batch) p.reject(err as Error);
    }
  }

  return {
    append(event) {
      return new Promise<Appended>((resolve, reject) => {
        queue.push({ event, resolve, reject });
        if (!scheduled) {
          scheduled = true;
          setImmediate(flush);
        }
      });
    },
    appendNow(event) {
      flush();
      const w = commit([event])[0]!;
      if (w instanceof Error) throw w;
      return w;
    },
    head: () => (headSeq === 0 ? null : { seq: headSeq, hash: headHash }),
    count: () => (db.prepare('SELECT count(*) AS n FROM events').get() as { n: number }).n,
    flush,
    resync,
    stats: () => ({ ...counters }),
  };
}
