// What the resilience suites read back: the ledger and reservations of a data directory, a process's memory, SSE text.
import Database from 'better-sqlite3';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createParser } from 'eventsource-parser';

export interface LedgerRow {
  seq: number;
  type: string;
  body: Record<string, unknown>;
}

/** Every ledger row of the data directory, oldest first (read-only, so it works beside a running gateway). */
export function ledgerRows(dataDir: string, type?: string): LedgerRow[] {
  const db = new Database(join(dataDir, 'gatehouse.sqlite'), { readonly: true });
  try {
    const rows = db.prepare('SELECT seq, type, body FROM events ORDER BY seq').all() as { seq: number; type: string; body: string }[];
    return rows.filter((r) => !type || r.type === type).map((r) => ({ seq: r.seq, type: r.type, body: JSON.parse(r.body) as Record<string, unknown> }));
  } finally {
    db.close();
  }
}

/** The `llm.request` record of one request id, if it is in the ledger. */
export function requestRecord(dataDir: string, requestId: string): Record<string, unknown> | undefined {
  return ledgerRows(dataDir, 'llm.request').find((r) => r.body['requestId'] === requestId)?.body;
}

/** Budget reservations still held (written before an upstream call, removed once its record is in the ledger). */
export function openReservations(dataDir: string): number {
  const db = new Database(join(dataDir, 'gatehouse.sqlite'), { readonly: true });
  try {
    return (db.prepare('SELECT count(*) AS n FROM budget_reservations').get() as { n: number }).n;
  } finally {
    db.close();
  }
}

/** Resident memory of a process now (VmRSS) and at its peak (VmHWM), in bytes, from /proc. */
export function memoryOf(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string): number => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) * 1024;
  return { rss: kb('VmRSS'), peak: kb('VmHWM') };
}

/** The events of SSE text as a client's parser reads them. */
export function sseEvents(text: string): { event?: string; data: string }[] {
  const out: { event?: string; data: string }[] = [];
  const parser = createParser({ onEvent: (ev) => out.push(ev.event === undefined ? { data: ev.data } : { event: ev.event, data: ev.data }) });
  parser.feed(text);
  return out;
}

export const MiB = 1024 * 1024;
