// MCP servers: each configured server's exact command or URL, its settings (timeout, sessions) and
// removal, its tools (sortable, filterable) with their policies (editable) and pin status, a drawer
// with a tool's pin and quarantined diff, and a form to add a server.
import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { useStore } from 'zustand';
import type { QuarantinedTool } from '../../../shared/contract';
import { useStores } from '../stores';
import { commandLine, parseArgs, TOOL_POLICIES, type McpServerEntry, type ToolPolicy } from '../stores/config';
import { sortTools, toolRows, type McpServerDraft, type SessionsMode, type ToolSort, type ToolSortKey } from '../stores/mcp';
import { Drawer } from '../widgets/Drawer';
import { EmptyState } from '../widgets/EmptyState';
import { Time } from '../widgets/Time';

function AddServer({ onDone }: { onDone: () => void }) {
  const { mcp } = useStores();
  const { addServer, busy } = useStore(mcp);
  const [id, setId] = useState('');
  const [kind, setKind] = useState<'stdio' | 'http'>('stdio');
  const [command, setCommand] = useState('');
  const [args, setArgs] = useState('');
  const [url, setUrl] = useState('');
  const draft: McpServerDraft = kind === 'stdio' ? { id: id.trim(), kind, command: command.trim(), args: parseArgs(args) } : { id: id.trim(), kind, url: url.trim() };
  const submit = async (e: FormEvent): Promise<void> => {
    e.preventDefault();
    if (await addServer(draft)) onDone();
  };
  return (
    <form className="form" onSubmit={(e) => void submit(e)} aria-labelledby="add-server-title">
      <h2 id="add-server-title">Add an MCP server</h2>
      <label>
        Server ID <span className="muted">(letters, digits, - and _; tools appear as ID__tool)</span>
        <input required pattern="[A-Za-z0-9][A-Za-z0-9_\-]{0,31}" value={id} onChange={(e) => setId(e.target.value)} placeholder="fs" autoFocus />
      </label>
      <fieldset className="form-row">
        <legend>Transport</legend>
        <label>
          <input type="radio" name="transport" checked={kind === 'stdio'} onChange={() => setKind('stdio')} /> Local command (stdio)
        </label>
        <label>
          <input type="radio" name="transport" checked={kind === 'http'} onChange={() => setKind('http')} /> Remote URL (Streamable HTTP)
        </label>
      </fieldset>
      {kind === 'stdio' ? (
        <>
          <label>
            Command
            <input required value={command} onChange={(e) => setCommand(e.target.value)} placeholder="npx" />
          </label>
          <label>
            Arguments <span className="muted">(one per line, exactly as passed)</span>
            <textarea rows={3} value={args} onChange={(e) => setArgs(e.target.value)} placeholder={'-y\n@modelcontextprotocol/server-filesystem\n/home/me/project'} />
          </label>
          <p className="muted small">
            The gateway starts it on first use with a minimal environment (HOME, PATH, USER…, not the gateway's keys). It will run:
          </p>
          <pre className="mono command-preview" aria-label="Command that will run">
            {draft.kind === 'stdio' && draft.command ? commandLine(draft.command, draft.args) : '(type a command)'}
          </pre>
        </>
      ) : (
        <>
          <label>
            URL
            <input required type="url" value={url} onChange={(e) => setUrl(e.target.value)} placeholder="https://example.com/mcp" />
          </label>
          <p className="muted small">
            The gateway will connect to: <code className="mono">{url.trim() || '(type a URL)'}</code>. Headers with keys (e.g. Authorization) go in the config file as{' '}
            <code className="mono">{'${keychain:NAME}'}</code>.
          </p>
        </>
      )}
      <div className="buttons">
        <button type="submit" className="primary" disabled={busy === 'add'}>
          {busy === 'add' ? 'Saving…' : 'Save server'}
        </button>
        <button type="button" className="quiet" onClick={onDone}>
          Cancel
        </button>
      </div>
    </form>
  );
}

function Quarantined({ q }: { q: QuarantinedTool }) {
  const { mcp } = useStores();
  const { accept, busy } = useStore(mcp);
  const name = `${q.server}/${q.tool}`;
  return (
    <li className="quarantine" aria-label={`Quarantined tool ${name}`}>
      <div className="quarantine-head">
        <span>
          <strong className="mono">{q.tool}</strong> <span className="chip chip-warn">{q.reason === 'changed' ? 'definition changed' : 'flagged'}</span>{' '}
          <span className="muted small">
            <Time iso={q.detectedAt} />
          </span>
        </span>
        <button type="button" onClick={() => window.confirm(`Accept the new definition of ${name}? Agents will see and may call it.`) && void accept(q.server, q.tool)} disabled={busy === name} aria-label={`Accept the new definition of ${name}`}>
          Accept
        </button>
      </div>
      <p>{q.message}</p>
      {q.diff && (
        <pre className="mono diff" aria-label={`Changes to ${name}`}>
          {q.diff}
        </pre>
      )}
    </li>
  );
}

function SortHeader({ label, by, sort, onSort }: { label: string; by: ToolSortKey; sort: ToolSort; onSort: (s: ToolSort) => void }) {
  const active = sort.key === by;
  return (
    <th scope="col" aria-sort={active ? (sort.dir === 'asc' ? 'ascending' : 'descending') : 'none'}>
      <button type="button" className="sort" onClick={() => onSort({ key: by, dir: active && sort.dir === 'asc' ? 'desc' : 'asc' })}>
        {label}
        <span aria-hidden="true">{active ? (sort.dir === 'asc' ? ' ▲' : ' ▼') : ''}</span>
      </button>
    </th>
  );
}

function ServerSettingsForm({ s, onDone }: { s: McpServerEntry; onDone: () => void }) {
  const { mcp } = useStores();
  const { settings, setServerSettings, busy } = useStore(mcp);
  const current = settings[s.id];
  const [timeout, setTimeoutText] = useState(current?.timeoutSeconds === null || !current ? '' : String(current.timeoutSeconds));
  const [sessions, setSessions] = useState<SessionsMode>(current?.sessions ?? 'shared');
  const submit = async (e: FormEvent): Promise<void> => {
    e.preventDefault();
    if (await setServerSettings(s.id, { timeoutSeconds: timeout.trim() === '' ? null : Number(timeout), sessions })) onDone();
  };
  return (
    <form className="form" onSubmit={(e) => void submit(e)} aria-label={`Settings of ${s.id}`}>
      <label>
        Tool-call timeout, seconds <span className="muted">(a call without progress for this long fails; empty: 120 s)</span>
        <input type="number" min={1} max={3600} step="any" value={timeout} onChange={(e) => setTimeoutText(e.target.value)} placeholder="120" />
      </label>
      <label>
        Sessions
        <select value={sessions} onChange={(e) => setSessions(e.target.value as SessionsMode)}>
          <option value="shared">shared: one connection (one process) serves every agent session</option>
          <option value="per-session">per-session: each agent session gets its own (for sampling, elicitation, roots)</option>
        </select>
      </label>
      <div className="buttons">
        <button type="submit" className="primary" disabled={busy === `settings:${s.id}`}>
          {busy === `settings:${s.id}` ? 'Saving…' : 'Save settings'}
        </button>
        <button type="button" className="quiet" onClick={onDone}>
          Cancel
        </button>
      </div>
    </form>
  );
}

function Server({ s, selected, onOpen }: { s: McpServerEntry; selected: string | null; onOpen: (tool: string) => void }) {
  const { mcp } = useStores();
  const { pinned, quarantined, settings, setPolicy, removeServer, busy } = useStore(mcp);
  const [sort, setSort] = useState<ToolSort>({ key: 'tool', dir: 'asc' });
  const [filter, setFilter] = useState('');
  const [editing, setEditing] = useState(false);
  const all = toolRows(s, pinned, quarantined);
  const rows = sortTools(all, sort, filter);
  const held = quarantined.filter((q) => q.server === s.id);
  const mode = settings[s.id];
  const onRemove = (): void => {
    if (window.confirm(`Remove MCP server "${s.id}" from the config? Agents will no longer see its tools.`)) void removeServer(s.id);
  };
  return (
    <section className="card mcp-server" aria-labelledby={`server-${s.id}`}>
      <div className="area-head">
        <h2 id={`server-${s.id}`} className="mono">
          {s.id}
        </h2>
        <div className="buttons">
          {!editing && (
            <button type="button" onClick={() => setEditing(true)} aria-label={`Edit settings of ${s.id}`}>
              Settings
            </button>
          )}
          <button type="button" className="quiet" onClick={onRemove} disabled={busy === `remove:${s.id}`} aria-label={`Remove server ${s.id}`}>
            Remove
          </button>
        </div>
      </div>
      {s.command !== null ? (
        <p>
          Runs <code className="mono" aria-label={`Command for ${s.id}`}>{commandLine(s.command, s.args)}</code>
        </p>
      ) : (
        <p>
          Connects to <code className="mono" aria-label={`URL for ${s.id}`}>{s.url}</code>
          {s.transport === 'sse' ? ' (legacy SSE)' : ''}
        </p>
      )}
      {mode && (
        <p className="muted small" aria-label={`Settings summary of ${s.id}`}>
          Sessions {mode.sessions} · tool calls time out after {mode.timeoutSeconds === null ? '120 s (default)' : `${mode.timeoutSeconds} s`}
        </p>
      )}
      {editing && <ServerSettingsForm s={s} onDone={() => setEditing(false)} />}
      {Object.keys(s.tools).length > 0 && (
        <p className="muted small">
          Policies in the config:{' '}
          {Object.entries(s.tools)
            .map(([k, v]) => `${k}: ${v}`)
            .join(', ')}
        </p>
      )}
      {held.length > 0 && (
        <>
          <h3>Quarantined ({held.length})</h3>
          <p className="muted small">Held back from agents until you review the change and accept it.</p>
          <ul className="quarantines">
            {held.map((q) => (
              <Quarantined key={q.tool} q={q} />
            ))}
          </ul>
        </>
      )}
      {all.length === 0 ? (
        <p className="muted">No tools seen yet: a server's tools are pinned the first time an agent lists them through /mcp. Connect one, then come back to set their policies.</p>
      ) : (
        <>
          <div className="filters">
            <label>
              Filter tools
              <input type="search" value={filter} onChange={(e) => setFilter(e.target.value)} placeholder="name contains…" aria-label={`Filter tools of ${s.id}`} />
            </label>
            <span className="muted small">
              {rows.length === all.length ? `${all.length} ${all.length === 1 ? 'tool' : 'tools'}` : `${rows.length} of ${all.length} tools`}
            </span>
          </div>
          <div className="table-scroll">
            <table className="table" aria-label={`Tools of ${s.id}`}>
              <thead>
                <tr>
                  <SortHeader label="Tool" by="tool" sort={sort} onSort={setSort} />
                  <SortHeader label="Policy" by="policy" sort={sort} onSort={setSort} />
                  <th scope="col">Decided by</th>
                  <SortHeader label="Status" by="status" sort={sort} onSort={setSort} />
                  <SortHeader label="Pinned" by="pinnedAt" sort={sort} onSort={setSort} />
                </tr>
              </thead>
              <tbody>
                {rows.map((t) => (
                  <tr key={t.tool} className={selected === t.tool ? 'selected' : undefined}>
                    <td className="mono">
                      <button type="button" className="link" onClick={() => onOpen(t.tool)} aria-label={`Details of ${s.id}/${t.tool}`}>
                        {t.tool}
                      </button>
                    </td>
                    <td>
                      <select aria-label={`Policy for ${s.id}/${t.tool}`} value={t.policy} disabled={busy === `${s.id}/${t.tool}`} onChange={(e) => void setPolicy(s.id, t.tool, e.target.value as ToolPolicy)}>
                        {TOOL_POLICIES.map((p) => (
                          <option key={p} value={p}>
                            {p}
                          </option>
                        ))}
                      </select>
                    </td>
                    <td className="mono small wrap">{t.rule}</td>
                    <td>
                      {t.quarantine ? (
                        <span className="chip chip-warn">quarantined: {t.quarantine.reason === 'changed' ? 'definition changed' : 'flagged'}</span>
                      ) : (
                        <span className="chip chip-ok">pinned</span>
                      )}
                    </td>
                    <td className="small">
                      {t.pin ? (
                        <>
                          <Time iso={t.pin.pinnedAt} /> <span className="muted">({t.pin.pinnedBy})</span>
                        </>
                      ) : (
                        <span className="muted">not yet</span>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      )}
    </section>
  );
}

/** One tool in full: its policy and why, its pin, and a quarantined change with the diff. */
function ToolDrawer({ server, tool, onClose }: { server: McpServerEntry; tool: string; onClose: () => void }) {
  const { mcp } = useStores();
  const { pinned, quarantined, accept, busy } = useStore(mcp);
  const row = toolRows(server, pinned, quarantined).find((r) => r.tool === tool);
  const name = `${server.id}/${tool}`;
  const title = (
    <>
      Tool <span className="mono">{name}</span>
    </>
  );
  return (
    <Drawer title={title} closeLabel="Close the tool details" focusKey={name} className="tool-drawer" onClose={onClose}>
      {!row ? (
        <p className="muted">This tool is no longer listed.</p>
      ) : (
        <>
          <dl className="facts">
            <dt>Agents call it as</dt>
            <dd className="mono">
              {server.id}__{tool}
            </dd>
            <dt>Policy</dt>
            <dd>
              {row.policy} <span className="muted small mono">{row.rule}</span>
            </dd>
            <dt>Pinned</dt>
            <dd>
              {row.pin ? (
                <>
                  <Time iso={row.pin.pinnedAt} /> by {row.pin.pinnedBy}
                </>
              ) : (
                'not yet'
              )}
            </dd>
            {row.pin && (
              <>
                <dt>Definition hash</dt>
                <dd className="mono small hash">{row.pin.hash}</dd>
                <dt>Server version</dt>
                <dd className="mono">{row.pin.serverVersion ?? 'not given'}</dd>
              </>
            )}
          </dl>
          {row.quarantine ? (
            <div className="quarantine">
              <p>
                <span className="chip chip-warn">{row.quarantine.reason === 'changed' ? 'definition changed' : 'flagged'}</span>{' '}
                <span className="muted small">
                  <Time iso={row.quarantine.detectedAt} />
                </span>
              </p>
              <p>{row.quarantine.message}</p>
              {row.quarantine.diff && (
                <pre className="mono diff" aria-label={`Diff of ${name}`}>
                  {row.quarantine.diff}
                </pre>
              )}
              <button type="button" className="primary" disabled={busy === name} onClick={() => window.confirm(`Accept the new definition of ${name}? Agents will see and may call it.`) && void accept(server.id, tool)}>
                Accept the new definition
              </button>
            </div>
          ) : (
            <p className="muted small">Its definition matches the pinned one: agents see it as it was first approved.</p>
          )}
        </>
      )}
    </Drawer>
  );
}

export function McpServers() {
  const { mcp } = useStores();
  const { servers, quarantined, loaded, error, notice, refresh } = useStore(mcp);
  const [adding, setAdding] = useState(false);
  const [open, setOpen] = useState<{ server: string; tool: string } | null>(null);
  useEffect(() => {
    void refresh();
  }, [refresh]);
  const orphans = quarantined.filter((q) => !servers.some((s) => s.id === q.server));
  const openServer = open ? servers.find((s) => s.id === open.server) : undefined;
  const close = useCallback(() => setOpen(null), []);
  return (
    <section aria-labelledby="area-title">
      <div className="area-head">
        <h1 id="area-title">MCP servers</h1>
        {!adding && (
          <button type="button" className="primary" onClick={() => setAdding(true)}>
            Add server
          </button>
        )}
      </div>
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
      {notice && (
        <p role="status" className="banner banner-ok">
          {notice}
        </p>
      )}
      {adding && <AddServer onDone={() => setAdding(false)} />}
      {!loaded && <p className="muted">Reading the config file and the pinned tools…</p>}
      {loaded && servers.length === 0 && !adding && (
        <EmptyState title="No MCP servers yet — add one">
          <p>
            Agents connect to one governed endpoint, <code className="mono">/mcp</code>, instead of to each server: every call is checked against the tool's policy (allow, ask a person, deny), and
            tool definitions are pinned so a changed one is held back for you to review.
          </p>
          <button type="button" className="primary" onClick={() => setAdding(true)}>
            Add an MCP server
          </button>
        </EmptyState>
      )}
      <div className="mcp-body">
        <div className="mcp-list">
          {servers.map((s) => (
            <Server key={s.id} s={s} selected={open?.server === s.id ? open.tool : null} onOpen={(tool) => setOpen({ server: s.id, tool })} />
          ))}
          {orphans.length > 0 && (
            <section className="card" aria-labelledby="orphans-title">
              <h2 id="orphans-title">Quarantined tools of servers no longer configured</h2>
              <ul className="quarantines">
                {orphans.map((q) => (
                  <Quarantined key={`${q.server}/${q.tool}`} q={q} />
                ))}
              </ul>
            </section>
          )}
        </div>
        {open && openServer && <ToolDrawer server={openServer} tool={open.tool} onClose={close} />}
      </div>
    </section>
  );
}
