// Audit: the ledger's records newest first in a virtualised table, filters and search, a detail
// drawer with the record as text, and "Verify chain".
import { useEffect, useState, type FormEvent } from 'react';
import { useStore } from 'zustand';
import type { AuditRecord, AuditVerifyResult } from '../../../shared/contract';
import { useStores } from '../stores';
import { recordCost, recordSummary, type AuditFilters } from '../stores/audit';
import { Drawer, StoredRecord } from '../widgets/Drawer';
import { EmptyState } from '../widgets/EmptyState';
import { count, usd } from '../widgets/format';
import { Time } from '../widgets/Time';
import { VirtualTable, type Column } from '../widgets/VirtualTable';

const TYPES = [
  ['', 'all kinds'],
  ['llm.request', 'model calls (llm.request)'],
  ['mcp.call', 'tool calls (mcp.call)'],
  ['approval.*', 'approvals'],
  ['guardrail.*', 'guardrail findings'],
  ['budget.*', 'budget alerts and reconciliations'],
  ['admin.*', 'admin changes'],
  ['mcp.*', 'all MCP events'],
  ['ledger.*', 'ledger keying and pruning'],
] as const;

const DECISIONS = ['', 'allow', 'ask', 'deny', 'once', 'session', 'always'] as const;

/** `datetime-local` text (local time) to an ISO instant; '' stays ''. */
const localToIso = (v: string): string => (v ? new Date(v).toISOString() : '');

function VerifyResult({ result }: { result: AuditVerifyResult }) {
  if (result.status === 'intact') {
    return (
      <p className="banner banner-ok" role="status">
        Chain intact: {count(result.records)} records{result.firstSeq !== null ? ` (#${result.firstSeq}–#${result.lastSeq})` : ''} checked.
      </p>
    );
  }
  if (result.status === 'broken') {
    return (
      <p className="banner banner-danger" role="alert">
        Chain broken at record #{result.problem?.seq}: {result.problem?.kind} — {result.problem?.message}
      </p>
    );
  }
  return (
    <p className="banner banner-warn" role="status">
      Chain could not be fully verified: {result.notes.join(' ') || 'a ledger key was missing.'}
    </p>
  );
}

function RecordDrawer({ record, onClose }: { record: AuditRecord; onClose: () => void }) {
  const title = (
    <>
      Record #{record.seq} <span className="mono">{record.type}</span>
    </>
  );
  return (
    <Drawer title={title} closeLabel="Close the record" focusKey={record.seq} onClose={onClose}>
      <p className="muted">
        <Time iso={record.at} /> · hash <span className="mono">{record.hash.slice(0, 16)}…</span>
      </p>
      <StoredRecord body={record.body} />
    </Drawer>
  );
}

export function Audit({ initial }: { initial?: Record<string, string> }) {
  const { audit, keys } = useStores();
  const { records, nextBefore, loading, loaded, error, stale, selected, verifying, verify, verifyError, filters, setFilters, refresh, loadMore, select, verifyChain } = useStore(audit);
  const keyList = useStore(keys, (s) => s.keys);
  const [draft, setDraft] = useState<AuditFilters & { fromLocal?: string; toLocal?: string }>(() => ({ ...filters, ...initial }));

  useEffect(() => {
    void setFilters({ ...filters, ...initial });
    // Filters given by a link (a budget's "Requests →") apply once, on arrival.
  }, [JSON.stringify(initial)]);

  const apply = (e?: FormEvent): void => {
    e?.preventDefault();
    const { fromLocal, toLocal, ...rest } = draft;
    void setFilters({ ...rest, from: localToIso(fromLocal ?? ''), to: localToIso(toLocal ?? '') });
  };
  const keyName = (id: unknown): string => (typeof id === 'string' ? (keyList.find((k) => k.id === id)?.name ?? id) : '');
  const columns: Column<AuditRecord>[] = [
    { id: 'seq', header: '#', width: '3.5rem', align: 'right', cell: (r) => r.seq },
    { id: 'at', header: 'When', width: '6.5rem', cell: (r) => <Time iso={r.at} /> },
    { id: 'type', header: 'Kind', width: '8.5rem', cell: (r) => <span className="mono">{r.type}</span> },
    { id: 'key', header: 'Key', width: '7rem', cell: (r) => keyName(r.body.keyId) },
    { id: 'what', header: 'What', width: 'minmax(10rem, 1fr)', cell: (r) => recordSummary(r) },
    { id: 'cost', header: 'Cost', width: '6rem', align: 'right', cell: (r) => (recordCost(r) === null ? '' : usd(recordCost(r)!)) },
  ];
  const set = (k: keyof typeof draft) => (e: { target: { value: string } }) => setDraft({ ...draft, [k]: e.target.value });

  return (
    <section aria-labelledby="area-title" className="audit">
      <div className="area-head">
        <h1 id="area-title">Audit</h1>
        <button type="button" onClick={() => void verifyChain()} disabled={verifying}>
          {verifying ? 'Verifying the chain…' : 'Verify chain'}
        </button>
      </div>
      {verify && <VerifyResult result={verify} />}
      {verifyError && (
        <p role="alert" className="banner banner-danger">
          Could not verify: {verifyError}
        </p>
      )}
      <form className="filters" onSubmit={apply} aria-label="Filters">
        <label>
          Search
          <input type="search" value={draft.q ?? ''} onChange={set('q')} placeholder="text in the record" />
        </label>
        <label>
          Kind
          <select value={draft.type ?? ''} onChange={set('type')}>
            {TYPES.map(([v, l]) => (
              <option key={v} value={v}>
                {l}
              </option>
            ))}
          </select>
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
          Tool
          <input value={draft.tool ?? ''} onChange={set('tool')} placeholder="echo or every__echo" />
        </label>
        <label>
          Decision
          <select value={draft.decision ?? ''} onChange={set('decision')}>
            {DECISIONS.map((d) => (
              <option key={d} value={d}>
                {d || 'any'}
              </option>
            ))}
          </select>
        </label>
        <label>
          From
          <input type="datetime-local" value={draft.fromLocal ?? ''} onChange={set('fromLocal')} />
        </label>
        <label>
          To
          <input type="datetime-local" value={draft.toLocal ?? ''} onChange={set('toLocal')} />
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
      {stale && (
        <p className="banner" role="status">
          New records were written.{' '}
          <button type="button" className="link" onClick={() => void refresh()}>
            Show them
          </button>
        </p>
      )}
      {error && <p role="alert">Could not read the ledger: {error}</p>}
      <div className="audit-body">
        {loaded && records.length === 0 && !loading ? (
          <EmptyState title={Object.values(filters).some(Boolean) ? 'No records match these filters' : 'The ledger is empty'}>
            <p>
              {Object.values(filters).some(Boolean)
                ? 'Widen the time range or clear a filter.'
                : 'Every model call, tool call, approval and admin change is recorded here. Send a request through the gateway to see the first one.'}{' '}
              {nextBefore !== null && (
                <button type="button" className="link" onClick={() => void loadMore()}>
                  Search older records
                </button>
              )}
            </p>
          </EmptyState>
        ) : (
          <VirtualTable<AuditRecord>
            label="Ledger records, newest first"
            columns={columns}
            rows={records}
            rowKey={(r) => String(r.seq)}
            selectedKey={selected ? String(selected.seq) : null}
            onOpen={(r) => select(r)}
            onEndReached={() => void loadMore()}
          />
        )}
        {selected && <RecordDrawer record={selected} onClose={() => select(null)} />}
      </div>
      <p className="muted small" aria-live="polite">
        {loading ? 'Reading the ledger…' : `${count(records.length)} records shown${nextBefore !== null ? ' · scroll for older' : ''}`}
      </p>
    </section>
  );
}
