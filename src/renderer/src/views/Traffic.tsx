// Traffic: model and tool calls as they happen in a virtualised, sortable table (pause to read), a
// filter bar, and a drawer with everything the ledger recorded for one call.
import { useEffect, useState, type FormEvent, type ReactNode } from 'react';
import { useStore } from 'zustand';
import type { AuditRecord, TrafficDetail, TrafficRow } from '../../../shared/contract';
import { useStores } from '../stores';
import { MAX_TRAFFIC_ROWS, trafficStatus, trafficTarget, type TrafficFilters } from '../stores/traffic';
import { Drawer, StoredRecord } from '../widgets/Drawer';
import { EmptyState } from '../widgets/EmptyState';
import { count, usd } from '../widgets/format';
import { Time } from '../widgets/Time';
import { VirtualTable, type Column } from '../widgets/VirtualTable';

const OUTCOMES = [
  ['', 'any outcome'],
  ['ok', 'ok'],
  ['!ok', 'anything but ok'],
  ['upstream_error', 'upstream error'],
  ['upstream_cut', 'upstream cut'],
  ['client_aborted', 'client aborted'],
  ['budget_cut', 'budget cut'],
  ['guardrail_blocked', 'guardrail blocked'],
  ['refused', 'refused (tool)'],
  ['tool_error', 'tool error'],
  ['cancelled', 'cancelled (tool)'],
] as const;

/** Columns left out while a call is open in the drawer, so the rest fit beside it. */
const DRAWER_HIDES = new Set(['kind', 'key', 'tokens']);

const ms = (n: number): string => `${n.toLocaleString('en-US', { maximumFractionDigits: 1 })} ms`;
const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);
const numOr = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const obj = (v: unknown): Record<string, unknown> => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {});

interface Finding {
  type: string;
  rule: string;
  action: string;
  location?: string;
}

/** The findings a call carries: its own (`mcp.call`) and those of its `guardrail.findings` records. */
export function findingsOf(detail: TrafficDetail): Finding[] {
  const lists: { location?: unknown; findings?: unknown }[] = [detail.record.body, ...detail.findings.map((f) => f.body)];
  const out: Finding[] = [];
  for (const l of lists) {
    if (!Array.isArray(l.findings)) continue;
    for (const f of l.findings as Record<string, unknown>[]) {
      const location = str(f.location) ?? str(l.location);
      out.push({ type: String(f.type ?? '?'), rule: String(f.rule ?? '?'), action: String(f.action ?? '?'), ...(location ? { location } : {}) });
    }
  }
  return out;
}

const CHIP_BY_ACTION: Record<string, string> = { block: 'chip-danger', ask: 'chip-warn', mask: 'chip-accent' };

/** A label and its value, or nothing when there is no value. */
function Field({ label, children }: { label: string; children: ReactNode }) {
  if (children === null || children === undefined || children === '') return null;
  return (
    <>
      <dt>{label}</dt>
      <dd>{children}</dd>
    </>
  );
}

function Attempts({ attempts }: { attempts: unknown }) {
  if (!Array.isArray(attempts) || attempts.length === 0) return <p className="muted small">Answered by the first target: no retries or fallbacks.</p>;
  return (
    <ol className="traffic-attempts" aria-label="Attempts before the answer">
      {(attempts as Record<string, unknown>[]).map((a, i) => (
        <li key={i}>
          <span className="mono">
            {String(a.provider ?? '?')}/{String(a.model ?? '?')}
          </span>{' '}
          · {a.status ? `HTTP ${String(a.status)}` : 'no answer'}
          {str(a.error) && <span className="error"> — {str(a.error)}</span>}
        </li>
      ))}
    </ol>
  );
}

function LlmDetail({ record }: { record: AuditRecord }) {
  const b = record.body;
  const usage = obj(b.usage);
  const request = obj(b.request);
  const response = obj(b.response);
  return (
    <>
      <h3>Timings</h3>
      <dl className="traffic-fields">
        <Field label="Total">{numOr(b.latencyMs) !== null ? ms(numOr(b.latencyMs)!) : null}</Field>
        <Field label="First byte">{numOr(b.ttftMs) !== null ? ms(numOr(b.ttftMs)!) : 'not recorded'}</Field>
        <Field label="Streamed">{b.stream ? 'yes' : 'no'}</Field>
      </dl>
      <h3>Tokens and cost</h3>
      <dl className="traffic-fields">
        <Field label="Input">{count(numOr(usage.inputTokens) ?? 0)}</Field>
        <Field label="Output">{count(numOr(usage.outputTokens) ?? 0)}</Field>
        <Field label="Cache read">{count(numOr(usage.cacheReadTokens) ?? 0)}</Field>
        <Field label="Cache write">{count(numOr(usage.cacheWriteTokens) ?? 0)}</Field>
        <Field label="Reasoning">{numOr(usage.reasoningTokens) ? `${count(numOr(usage.reasoningTokens)!)} (inside output)` : null}</Field>
        <Field label="Counts">{b.usageEstimated ? 'estimated by the gateway (the provider reported none)' : null}</Field>
        <Field label="Cost">{numOr(b.costUsd) !== null ? `${usd(numOr(b.costUsd)!)}${str(b.pricing) ? ` (${str(b.pricing)} price)` : ''}` : 'unpriced'}</Field>
        <Field label="Paid by">{b.credential === 'caller' ? "the caller's own subscription" : b.credential === 'gateway' ? "the gateway's provider key" : null}</Field>
      </dl>
      <h3>Route</h3>
      <dl className="traffic-fields">
        <Field label="Asked for">{str(b.requestedModel) && <span className="mono">{str(b.requestedModel)}</span>}</Field>
        <Field label="Route">{str(b.route) && <span className="mono">{str(b.route)}</span>}</Field>
        <Field label="Answered by">
          <span className="mono">
            {str(b.provider) ?? '?'}/{str(b.model) ?? '?'}
          </span>
        </Field>
        <Field label="API">{str(b.api) ? `${str(b.api)}${b.translated ? ' (translated)' : ''} over ${str(b.transport) ?? 'http'}` : null}</Field>
      </dl>
      <Attempts attempts={b.attempts} />
      <h3>Bodies</h3>
      <dl className="traffic-fields">
        <Field label="Request">{`${count(numOr(request.bytes) ?? 0)} bytes`}</Field>
        <Field label="Request hash">{str(request.sha256) && <span className="mono hash">{str(request.sha256)}</span>}</Field>
        <Field label="Response">{`${count(numOr(response.bytes) ?? 0)} bytes`}</Field>
        <Field label="Response hash">{str(response.sha256) && <span className="mono hash">{str(response.sha256)}</span>}</Field>
      </dl>
    </>
  );
}

function McpDetail({ record }: { record: AuditRecord }) {
  const b = record.body;
  const args = obj(b.arguments);
  const result = obj(b.result);
  const classifier = obj(b.classifier);
  return (
    <>
      <h3>Call</h3>
      <dl className="traffic-fields">
        <Field label="Server">{str(b.server) && <span className="mono">{str(b.server)}</span>}</Field>
        <Field label="Tool">{str(b.tool) && <span className="mono">{str(b.tool)}</span>}</Field>
        <Field label="Decision">{str(b.decision) ? `${str(b.decision)}${str(b.decidedBy) ? ` (${str(b.decidedBy)})` : ''}` : null}</Field>
        <Field label="Took">{numOr(b.durationMs) !== null ? ms(numOr(b.durationMs)!) : null}</Field>
        <Field label="Cost">{numOr(b.costUsd) !== null ? usd(numOr(b.costUsd)!) : 'unpriced'}</Field>
        <Field label="Error">{str(b.error)}</Field>
        <Field label="Classifier">{'injection' in classifier ? `${classifier.injection ? 'injection suspected' : 'no injection'} (score ${String(classifier.score)})` : str(classifier.error)}</Field>
      </dl>
      <h3>Arguments and result</h3>
      <dl className="traffic-fields">
        <Field label="Arguments">{`${count(numOr(args.bytes) ?? 0)} bytes`}</Field>
        <Field label="Arguments hash">{str(args.sha256) && <span className="mono hash">{str(args.sha256)}</span>}</Field>
        <Field label="Result">{b.result ? `${count(numOr(result.bytes) ?? 0)} bytes` : 'none'}</Field>
        <Field label="Result hash">{str(result.sha256) && <span className="mono hash">{str(result.sha256)}</span>}</Field>
      </dl>
      {args.masked !== undefined && (
        <pre className="mono record-json" aria-label="The arguments as recorded (masked)">
          {JSON.stringify(args.masked, null, 2)}
        </pre>
      )}
    </>
  );
}

function CallDrawer({ row, detail, loading, error, keyLabel, onClose }: { row: TrafficRow; detail: TrafficDetail | null; loading: boolean; error: string | null; keyLabel(id: string | null): string; onClose(): void }) {
  const record = detail?.record;
  const findings = detail ? findingsOf(detail) : [];
  const audit = `#/audit?${new URLSearchParams({ type: row.kind === 'llm' ? 'llm.request' : 'mcp.call', q: row.requestId }).toString()}`;
  const title = (
    <>
      {row.kind === 'llm' ? 'Model call' : 'Tool call'} <span className="mono">{trafficTarget(row)}</span>
    </>
  );
  return (
    <Drawer title={title} closeLabel="Close the call" focusKey={row.requestId} className="traffic-drawer" onClose={onClose}>
      <dl className="traffic-fields">
        <Field label="When">
          <Time iso={record?.at ?? row.at} />
        </Field>
        <Field label="Outcome">
          <span className={row.outcome === 'ok' ? 'chip chip-ok' : 'chip chip-danger'}>{trafficStatus(row)}</span>
        </Field>
        <Field label="Request id">
          <span className="mono">{row.requestId}</span>
        </Field>
        <Field label="Key">{row.keyId ? keyLabel(row.keyId) : null}</Field>
        <Field label="Client">{record && (str(record.body.client) ? <span className="mono">{str(record.body.client)}</span> : 'not given')}</Field>
        <Field label="Session">{record && str(record.body.session) && <span className="mono">{str(record.body.session)}</span>}</Field>
      </dl>
      <p>
        <a href={audit}>Open in Audit</a>
        {record && <span className="muted small"> · record #{record.seq}, hash <span className="mono">{record.hash.slice(0, 16)}…</span></span>}
      </p>
      {loading && <p className="muted" role="status">Reading the call from the ledger…</p>}
      {error && (
        <p role="alert" className="banner banner-danger">
          Could not read the call: {error}
        </p>
      )}
      {detail && (
        <>
          <h3>Guardrail findings</h3>
          {findings.length === 0 ? (
            <p className="muted small">None.</p>
          ) : (
            <ul className="chips" aria-label="Guardrail findings">
              {findings.map((f, i) => (
                <li key={i} className={`chip ${CHIP_BY_ACTION[f.action] ?? ''}`} title={f.location ? `in ${f.location}` : undefined}>
                  {f.type}: {f.rule} → {f.action}
                </li>
              ))}
            </ul>
          )}
          {record!.type === 'mcp.call' ? <McpDetail record={record!} /> : <LlmDetail record={record!} />}
          <details>
            <summary>The record as stored</summary>
            <StoredRecord body={record!.body} />
          </details>
        </>
      )}
    </Drawer>
  );
}

export function Traffic() {
  const { traffic, keys } = useStores();
  const { rows, held, paused, loading, loaded, error, nextBefore, filters, selected, detail, detailLoading, detailError, load, setFilters, loadMore, pause, resume, select } = useStore(traffic);
  const keyList = useStore(keys, (s) => s.keys);
  const [draft, setDraft] = useState<TrafficFilters>(filters);

  useEffect(() => void load(), [load]);

  const keyLabel = (id: string | null): string => (id ? (keyList.find((k) => k.id === id)?.name ?? id) : '');
  const apply = (e?: FormEvent): void => {
    e?.preventDefault();
    void setFilters(draft);
  };
  const set = (k: keyof TrafficFilters) => (e: { target: { value: string } }) => setDraft({ ...draft, [k]: e.target.value || undefined });
  const filtered = Object.values(filters).some(Boolean);

  const columns: Column<TrafficRow>[] = [
    { id: 'at', header: 'When', width: '5.5rem', cell: (r) => <Time iso={r.at} />, sortValue: (r) => r.at },
    { id: 'kind', header: 'Kind', width: '3.5rem', cell: (r) => (r.kind === 'llm' ? 'LLM' : 'MCP'), sortValue: (r) => r.kind },
    { id: 'target', header: 'Model / tool', width: 'minmax(6rem, 1.4fr)', cell: (r) => <span className="mono">{trafficTarget(r)}</span>, sortValue: trafficTarget },
    { id: 'key', header: 'Key', width: 'minmax(5rem, 1fr)', cell: (r) => keyLabel(r.keyId), sortValue: (r) => keyLabel(r.keyId) },
    { id: 'status', header: 'Status', width: '7.5rem', cell: (r) => <span className={r.outcome === 'ok' ? undefined : 'error'}>{trafficStatus(r)}</span>, sortValue: trafficStatus },
    { id: 'latency', header: 'Latency', width: '5.5rem', align: 'right', cell: (r) => ms(r.latencyMs), sortValue: (r) => r.latencyMs },
    {
      id: 'tokens',
      header: 'Tokens',
      width: '7rem',
      align: 'right',
      cell: (r) => (r.kind === 'llm' ? `${count(r.inputTokens)} → ${count(r.outputTokens)}` : ''),
      sortValue: (r) => (r.kind === 'llm' ? r.inputTokens + r.outputTokens : null),
    },
    { id: 'cost', header: 'Cost', width: '5rem', align: 'right', cell: (r) => (r.costUsd === null ? '' : usd(r.costUsd)), sortValue: (r) => r.costUsd },
  ];
  // With the drawer open the table keeps the columns that tell calls apart; the drawer shows the rest.
  const shown = selected ? columns.filter((c) => !DRAWER_HIDES.has(c.id)) : columns;

  return (
    <section aria-labelledby="area-title" className="audit traffic">
      <div className="area-head">
        <h1 id="area-title">Traffic</h1>
        <div className="buttons">
          {paused ? (
            <button type="button" className="primary" onClick={resume}>
              Resume{held.length ? ` (${count(held.length)} new)` : ''}
            </button>
          ) : (
            <button type="button" onClick={pause}>
              Pause
            </button>
          )}
        </div>
      </div>
      <form className="filters" onSubmit={apply} aria-label="Filters">
        <label>
          Kind
          <select value={draft.kind ?? ''} onChange={set('kind')}>
            <option value="">model and tool calls</option>
            <option value="llm">model calls (LLM)</option>
            <option value="mcp">tool calls (MCP)</option>
          </select>
        </label>
        <label>
          Model or tool
          <input value={draft.model ?? ''} onChange={set('model')} placeholder="gpt-4o or every__echo" />
        </label>
        <label>
          Key
          <select value={draft.keyId ?? ''} onChange={set('keyId')}>
            <option value="">any key</option>
            {keyList.map((k) => (
              <option key={k.id} value={k.id}>
                {k.name}
              </option>
            ))}
          </select>
        </label>
        <label>
          Outcome
          <select value={draft.outcome ?? ''} onChange={set('outcome')}>
            {OUTCOMES.map(([v, l]) => (
              <option key={v} value={v}>
                {l}
              </option>
            ))}
          </select>
        </label>
        <label>
          Search
          <input type="search" value={draft.q ?? ''} onChange={set('q')} placeholder="request id, text in the record" />
        </label>
        <button type="submit" className="primary">
          Apply
        </button>
        <button
          type="button"
          className="quiet"
          onClick={() => {
            setDraft({});
            void setFilters({});
          }}
        >
          Clear
        </button>
      </form>
      {error && (
        <p role="alert" className="banner banner-danger">
          Could not read the traffic: {error}
        </p>
      )}
      <div className="audit-body">
        {loaded && rows.length === 0 && !loading ? (
          <EmptyState title={filtered ? 'No calls match these filters' : 'No traffic yet'}>
            <p>
              {filtered
                ? 'Clear a filter, or wait: matching calls appear here as they happen.'
                : 'Model and tool calls appear here as they happen. Point an agent at this gateway (the Agents area has its setup), or send a request with a key from Keys & people.'}{' '}
              {nextBefore !== null && (
                <button type="button" className="link" onClick={() => void loadMore()}>
                  Search older records
                </button>
              )}
            </p>
          </EmptyState>
        ) : (
          <VirtualTable<TrafficRow>
            label="Model and tool calls, newest first"
            columns={shown}
            rows={rows}
            rowKey={(r) => r.requestId}
            selectedKey={selected?.requestId ?? null}
            onOpen={(r) => void select(r)}
            onEndReached={() => void loadMore()}
          />
        )}
        {selected && <CallDrawer row={selected} detail={detail} loading={detailLoading} error={detailError} keyLabel={keyLabel} onClose={() => void select(null)} />}
      </div>
      <p className="muted small" aria-live="polite">
        {loading
          ? 'Reading recent traffic from the ledger…'
          : `${count(rows.length)} call${rows.length === 1 ? '' : 's'} shown${paused ? ` · paused${held.length ? `, ${count(held.length)} waiting` : ''}` : ' · live'}${rows.length >= MAX_TRAFFIC_ROWS ? ` · the newest ${count(MAX_TRAFFIC_ROWS)} are kept: filter to find older ones` : nextBefore !== null ? ' · scroll for older' : ''}`}
      </p>
    </section>
  );
}
