// The console's traffic reads (traffic:list, traffic:get) and the live `tool:completed` event for MCP calls.
import { TRAFFIC_LIST_SCAN, type AuditRecord, type ControlEvents, type TrafficDetail, type TrafficListParams, type TrafficListResult, type TrafficRow } from '../../shared/contract.js';
import { ControlError } from '../../shared/control-client.js';
import type { Db } from '../store/db.js';
import type { Ledger, LedgerEventInput } from '../store/ledger.js';
import { firstSeqAtOrAfter } from '../store/usage.js';
import { ledgerSpan } from './readings.js';

const DEFAULT_PAGE = 200;
/** How far back from the head traffic:get looks for a request id given without its seq: the list's live rows are recent. */
const GET_SCAN = 100_000;
/** Findings are written while their request runs: looked for from its start to a little after its record. */
const FINDINGS_SLACK_MS = 5_000;
/** Records after a call's own that may still be its findings (output findings are written as it ends). */
const FINDINGS_AFTER = 2_000;

interface EventRow {
  seq: number;
  at: string;
  type: string;
  hash: string;
  body: string;
}

const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);
const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);

/** A `llm.request` or `mcp.call` record as one list row (tokens counted as request:completed counts them). */
export function trafficRowOf(seq: number, at: string, type: string, body: Record<string, unknown>): TrafficRow {
  const base = { requestId: str(body.requestId) ?? `seq-${seq}`, seq, at, keyId: str(body.keyId), outcome: str(body.outcome) ?? '', costUsd: typeof body.costUsd === 'number' ? body.costUsd : null };
  if (type === 'mcp.call') {
    return { ...base, kind: 'mcp', model: null, provider: str(body.server), tool: str(body.name) ?? `${str(body.server) ?? '?'}__${str(body.tool) ?? '?'}`, status: null, latencyMs: num(body.durationMs), inputTokens: 0, outputTokens: 0 };
  }
  const usage = (typeof body.usage === 'object' && body.usage !== null ? body.usage : {}) as Record<string, unknown>;
  return {
    ...base,
    kind: 'llm',
    model: str(body.model) ?? str(body.requestedModel),
    provider: str(body.provider),
    tool: null,
    status: typeof body.status === 'number' ? body.status : null,
    latencyMs: num(body.latencyMs),
    inputTokens: num(usage.inputTokens) + num(usage.cacheReadTokens) + num(usage.cacheWriteTokens),
    outputTokens: num(usage.outputTokens),
  };
}

/**
 * Model and tool calls newest first. Like audit:list, one call reads at most TRAFFIC_LIST_SCAN
 * records below `before`, so a rare filter costs a bounded read per page, never a ledger scan.
 */
export function listTraffic(db: Db, p: TrafficListParams): TrafficListResult {
  const span = ledgerSpan(db);
  if (span.first === null || span.last === null) return { rows: [], nextBefore: null };
  const high = Math.min(span.last, p.before !== undefined ? p.before - 1 : span.last);
  if (high < span.first) return { rows: [], nextBefore: null };
  const low = Math.max(span.first, high - TRAFFIC_LIST_SCAN + 1);
  const limit = p.limit ?? DEFAULT_PAGE;

  const where = ['seq BETWEEN ? AND ?'];
  const args: (string | number)[] = [low, high];
  if (p.kind) {
    where.push('type = ?');
    args.push(p.kind === 'llm' ? 'llm.request' : 'mcp.call');
  } else where.push("type IN ('llm.request', 'mcp.call')");
  if (p.keyId) {
    where.push("json_extract(body, '$.keyId') = ?");
    args.push(p.keyId);
  }
  if (p.model) {
    // Model calls by the model that answered, the one asked for and the route; tool calls by the name called.
    where.push(
      "instr(lower(coalesce(json_extract(body, '$.model'), '') || ' ' || coalesce(json_extract(body, '$.requestedModel'), '') || ' ' || coalesce(json_extract(body, '$.route'), '') || ' ' || coalesce(json_extract(body, '$.name'), '')), lower(?)) > 0",
    );
    args.push(p.model);
  }
  if (p.outcome === '!ok') where.push("coalesce(json_extract(body, '$.outcome'), '') != 'ok'");
  else if (p.outcome) {
    where.push("json_extract(body, '$.outcome') = ?");
    args.push(p.outcome);
  }
  if (p.q) {
    where.push('instr(lower(body), lower(?)) > 0');
    args.push(p.q);
  }
  const found = db.prepare(`SELECT seq, at, type, body FROM events WHERE ${where.join(' AND ')} ORDER BY seq DESC LIMIT ?`).all(...args, limit) as Omit<EventRow, 'hash'>[];
  const rows = found.map((r) => trafficRowOf(r.seq, r.at, r.type, JSON.parse(r.body) as Record<string, unknown>));
  const lastRead = rows.length === limit ? rows[rows.length - 1]!.seq! : low;
  return { rows, nextBefore: lastRead > span.first ? lastRead : null };
}

const asRecord = (r: EventRow): AuditRecord => ({ seq: r.seq, at: r.at, type: r.type, hash: r.hash, body: JSON.parse(r.body) as Record<string, unknown> });

/** One call's record (by its seq when given, else among the latest GET_SCAN records) and the guardrail findings written for it. */
export function trafficDetail(db: Db, p: { requestId: string; seq?: number }): TrafficDetail {
  const span = ledgerSpan(db);
  const [low, high] = p.seq !== undefined ? [p.seq, p.seq] : [Math.max(span.first ?? 0, (span.last ?? 0) - GET_SCAN + 1), span.last ?? 0];
  const found = db
    .prepare("SELECT seq, at, type, hash, body FROM events WHERE seq BETWEEN ? AND ? AND type IN ('llm.request', 'mcp.call') AND json_extract(body, '$.requestId') = ? ORDER BY seq DESC LIMIT 1")
    .get(low, high, p.requestId) as EventRow | undefined;
  if (!found) {
    throw new ControlError('not_found', `no model or tool call "${p.requestId}"${p.seq !== undefined ? ` at record #${p.seq}` : ' among the latest records'}; search the Audit area for it`);
  }
  const record = asRecord(found);
  const took = num(record.body.latencyMs ?? record.body.durationMs);
  const startedAt = new Date(Date.parse(record.at) - took - FINDINGS_SLACK_MS).toISOString();
  const endedAt = new Date(Date.parse(record.at) + FINDINGS_SLACK_MS).toISOString();
  const first = span.first!;
  const last = span.last!;
  // Bounded in records too: a burst of traffic puts many records in a few seconds.
  const from = Math.max(firstSeqAtOrAfter(db, startedAt, first, last), record.seq - TRAFFIC_LIST_SCAN);
  const to = Math.min(firstSeqAtOrAfter(db, endedAt, first, last), record.seq + FINDINGS_AFTER);
  const findings = (
    db
      .prepare("SELECT seq, at, type, hash, body FROM events WHERE seq >= ? AND seq < ? AND type = 'guardrail.findings' AND json_extract(body, '$.requestId') = ? ORDER BY seq")
      .all(from, to, p.requestId) as EventRow[]
  ).map(asRecord);
  return { record, findings };
}

type ToolCompleted = ControlEvents['tool:completed'];

function toolEventOf(e: LedgerEventInput): ToolCompleted {
  return {
    requestId: String(e.requestId ?? ''),
    keyId: String(e.keyId ?? ''),
    server: String(e.server ?? ''),
    tool: String(e.tool ?? ''),
    name: String(e.name ?? ''),
    decision: String(e.decision ?? ''),
    outcome: String(e.outcome ?? ''),
    durationMs: num(e.durationMs),
    costUsd: typeof e.costUsd === 'number' ? e.costUsd : null,
  };
}

/**
 * The ledger the MCP endpoint writes through: each `mcp.call` it records is also announced as
 * `tool:completed`, once committed (a record that fails to commit announces nothing; its writer
 * gets the error), so a console that reads the record on the event finds it.
 */
export function announcingToolCalls(ledger: Ledger, emit: (data: ToolCompleted) => void): Ledger {
  return {
    ...ledger,
    append(event, options) {
      const appended = ledger.append(event, options);
      if (event.type === 'mcp.call') appended.then(() => emit(toolEventOf(event)), () => undefined);
      return appended;
    },
    appendNow(event) {
      const appended = ledger.appendNow(event);
      if (event.type === 'mcp.call') emit(toolEventOf(event));
      return appended;
    },
  };
}
