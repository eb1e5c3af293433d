// MCP servers: each configured server's exact command or URL, its tools with their policies
// (editable), quarantined tool changes to review and accept, and a form to add a server.
import { useEffect, useState, type FormEvent } from 'react';
import { useStore } from 'zustand';
import type { QuarantinedTool } from '../../../shared/contract';
import { useStores } from '../stores';
import { commandLine, parseArgs, TOOL_POLICIES, toolVerdict, type McpServerEntry, type ToolPolicy } from '../stores/config';
import type { McpServerDraft } from '../stores/mcp';
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

function Server({ s }: { s: McpServerEntry }) {
  const { mcp } = useStores();
  const { pinned, quarantined, setPolicy, busy } = useStore(mcp);
  const tools = pinned.filter((p) => p.server === s.id).sort((a, b) => a.tool.localeCompare(b.tool));
  const held = quarantined.filter((q) => q.server === s.id);
  return (
    <section className="card mcp-server" aria-labelledby={`server-${s.id}`}>
      <h2 id={`server-${s.id}`} className="mono">
        {s.id}
      </h2>
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
      {tools.length === 0 ? (
        <p className="muted">No tools seen yet: a server's tools are pinned the first time an agent lists them through /mcp. Connect one, then come back to set their policies.</p>
      ) : (
        <table className="table" aria-label={`Tools of ${s.id}`}>
          <thead>
            <tr>
              <th scope="col">Tool</th>
              <th scope="col">Policy</th>
              <th scope="col">Decided by</th>
              <th scope="col">Pinned</th>
            </tr>
          </thead>
          <tbody>
            {tools.map((t) => {
              const v = toolVerdict(s.tools, t.tool);
              return (
                <tr key={t.tool}>
                  <td className="mono">{t.tool}</td>
                  <td>
                    <select aria-label={`Policy for ${s.id}/${t.tool}`} value={v.policy} disabled={busy === `${s.id}/${t.tool}`} onChange={(e) => void setPolicy(s.id, t.tool, e.target.value as ToolPolicy)}>
                      {TOOL_POLICIES.map((p) => (
                        <option key={p} value={p}>
                          {p}
                        </option>
                      ))}
                    </select>
                  </td>
                  <td className="mono small">{v.rule}</td>
                  <td className="small">
                    <Time iso={t.pinnedAt} /> <span className="muted">({t.pinnedBy})</span>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </section>
  );
}

export function McpServers() {
  const { mcp } = useStores();
  const { servers, quarantined, loaded, error, notice, refresh } = useStore(mcp);
  const [adding, setAdding] = useState(false);
  useEffect(() => {
    void refresh();
  }, [refresh]);
  const orphans = quarantined.filter((q) => !servers.some((s) => s.id === q.server));
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
      {servers.map((s) => (
        <Server key={s.id} s={s} />
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
    </section>
  );
}
