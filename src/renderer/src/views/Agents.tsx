// Agents: a card per coding agent (last seen, its files, a key and a route), its settings to copy,
// and "Write config" after a confirmation naming the exact files.
import { useEffect, useRef, useState } from 'react';
import { useStore } from 'zustand';
import type { AgentSetupResult, AgentSummary, AgentsOverview, KeySummary } from '../../../shared/contract';
import { useStores } from '../stores';
import { canWrite, type KeyChoice, type SetupDraft } from '../stores/agents';
import { EmptyState } from '../widgets/EmptyState';
import { Time } from '../widgets/Time';

const FAMILY_TEXT = { openai: 'OpenAI format', anthropic: 'Anthropic', gemini: 'Gemini' } as const;

/** A block of text to paste somewhere, with a Copy button. */
function CopyBlock({ label, text }: { label: string; text: string }) {
  const [copied, setCopied] = useState<'no' | 'yes' | 'failed'>('no');
  const copy = (): void => {
    navigator.clipboard.writeText(text).then(
      () => setCopied('yes'),
      () => setCopied('failed'),
    );
  };
  return (
    <div className="copy-block">
      <div className="copy-head">
        <span className="mono small">{label}</span>
        <button type="button" className="quiet" onClick={copy} aria-label={`Copy ${label}`}>
          {copied === 'yes' ? 'Copied' : 'Copy'}
        </button>
      </div>
      <pre className="mono snippet">{text}</pre>
      {copied === 'failed' && <p className="muted small">The browser refused the clipboard: select the text and copy it by hand.</p>}
    </div>
  );
}

function Files({ agent }: { agent: AgentSummary }) {
  if (agent.problem) return <p className="error small">{agent.problem}</p>;
  return (
    <ul className="agent-files" aria-label={`${agent.title} files`}>
      {agent.files.map((f) => (
        <li key={f.path}>
          <code className="mono">{f.path}</code>{' '}
          {!f.exists ? (
            <span className="chip">not there yet</span>
          ) : f.pointsHere ? (
            <span className="chip chip-ok">points here</span>
          ) : f.holdsKey ? (
            <span className="chip chip-warn">not pointed here</span>
          ) : (
            <span className="chip">exists</span>
          )}
          {f.key &&
            (f.key.status === 'active' ? (
              <span className="chip chip-accent">key {f.key.name}</span>
            ) : (
              <span className="chip chip-danger">
                {f.key.status} key {f.key.prefix ?? ''}
              </span>
            ))}
        </li>
      ))}
    </ul>
  );
}

function LastSeen({ agent }: { agent: AgentSummary }) {
  const seen = agent.lastSeen;
  if (!seen) return <span className="muted">not seen yet</span>;
  return (
    <span>
      last seen <Time iso={seen.at} /> · <span className="num">{seen.requests.toLocaleString()}</span> {seen.requests === 1 ? 'call' : 'calls'} ·{' '}
      <code className="mono small" title="The user-agent of its latest call">
        {seen.client}
      </code>
    </span>
  );
}

function Result({ result, onDismiss }: { result: AgentSetupResult; onDismiss: () => void }) {
  const changed = result.written?.filter((w) => w.changed) ?? [];
  return (
    <div className="agent-result" role="region" aria-label={`${result.title} settings`}>
      {result.created && (
        <div className="secret">
          <p className="warn-text">
            Key "{result.created.key.name}" was created for {result.title}. Its secret is in the settings below{result.written ? ' and in the file written' : ''}: you won't see it again.
          </p>
        </div>
      )}
      <p className="small">
        {result.title} → <code className="mono">{result.gatewayUrl}</code>, route <code className="mono">{result.model}</code> <span className="muted">({result.modelWhy})</span>
        {result.key ? (
          <>
            , key <code className="mono">{result.key.name}</code> <span className="muted mono">{result.key.prefix}…</span>
          </>
        ) : (
          <>, no key: the settings hold the placeholder gh_YOUR_KEY</>
        )}
      </p>
      {result.written && (
        <div role="status" className="banner banner-ok">
          {changed.length === 0 ? (
            <p>{result.title} was already set up: nothing changed.</p>
          ) : (
            <ul className="written">
              {result.written.map((w) => (
                <li key={w.path}>
                  {w.changed ? 'Wrote' : 'Already set, unchanged:'} <code className="mono">{w.path}</code>
                  {w.changed && (w.backup ? <> (the old file is kept as <code className="mono">{w.backup}</code>)</> : ' (new file)')}
                  {w.changed && w.secret && ', mode 0600'}
                </li>
              ))}
            </ul>
          )}
        </div>
      )}
      {result.written
        ? changed.map((w) => <CopyBlock key={w.path} label={`Changes to ${w.path}`} text={w.diff} />)
        : result.snippets.map((s) => <CopyBlock key={s.path} label={s.path} text={s.text} />)}
      {result.exports.length > 0 && <CopyBlock label="Shell exports" text={result.exports.join('\n')} />}
      {result.notes.length > 0 && (
        <ul className="notes small">
          {result.notes.map((n) => (
            <li key={n}>{n}</li>
          ))}
        </ul>
      )}
      <button type="button" className="quiet" onClick={onDismiss}>
        Close the settings of {result.title}
      </button>
    </div>
  );
}

/** The confirmation before anything is written in the user's home: the exact files, Cancel focused. */
function ConfirmWrite({ agent, onCancel, onConfirm }: { agent: AgentSummary; onCancel: () => void; onConfirm: () => void }) {
  const dialog = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    dialog.current?.showModal();
  }, []);
  const titleId = `confirm-${agent.id}`;
  return (
    <dialog ref={dialog} className="confirm" aria-labelledby={titleId} onCancel={onCancel}>
      <h2 id={titleId}>Write {agent.title}'s settings?</h2>
      <p>These files are changed (each is copied to a backup first; your other settings stay):</p>
      <ul>
        {agent.files.map((f) => (
          <li key={f.path}>
            <code className="mono">{f.path}</code> {f.exists ? '' : <span className="muted">(created)</span>}
            {f.holdsKey && <span className="muted"> — holds the key, written mode 0600</span>}
          </li>
        ))}
      </ul>
      <div className="buttons">
        <button type="button" autoFocus onClick={onCancel}>
          Cancel
        </button>
        <button type="button" className="primary" onClick={onConfirm}>
          Write {agent.files.length === 1 ? 'the file' : `${agent.files.length} files`}
        </button>
      </div>
    </dialog>
  );
}

function keyChoiceValue(k: KeyChoice): string {
  return k.kind === 'existing' ? `key:${k.keyId}` : k.kind;
}

function AgentCard({ agent, overview, keys }: { agent: AgentSummary; overview: AgentsOverview; keys: KeySummary[] }) {
  const { agents } = useStores();
  const result = useStore(agents, (s) => s.results[agent.id]);
  const busy = useStore(agents, (s) => s.busy[agent.id]);
  const error = useStore(agents, (s) => s.errors[agent.id]);
  const { setup, dismiss } = agents.getState();
  const [draft, setDraft] = useState<SetupDraft>({ key: { kind: 'create' }, model: agent.suggestedModel?.model ?? '', smallModel: '', subscription: false });
  const [confirming, setConfirming] = useState(false);
  const chosenKey = draft.key.kind === 'existing' ? keys.find((k) => k.id === (draft.key as { keyId: string }).keyId) : undefined;
  const id = (field: string): string => `${agent.id}-${field}`;

  const run = async (write: boolean): Promise<void> => {
    setConfirming(false);
    // The suggested route is left for the gateway to pick, so the result says why it is the one.
    const asked = draft.model === agent.suggestedModel?.model ? { ...draft, model: '' } : draft;
    const ok = await setup(agent.id, asked, write ? { confirmPaths: agent.files.map((f) => f.path) } : null);
    const created = ok ? agents.getState().results[agent.id]?.created : null;
    // The key made for the preview is the one to write with: no second key on "Write config".
    if (created) setDraft((d) => ({ ...d, key: { kind: 'existing', keyId: created.key.id, secret: created.secret } }));
  };
  const pickKey = (value: string): void => {
    const key: KeyChoice = value === 'create' || value === 'none' ? { kind: value } : { kind: 'existing', keyId: value.slice(4), secret: '' };
    setDraft((d) => ({ ...d, key }));
  };

  return (
    <article className="agent card" aria-labelledby={id('title')}>
      <header className="agent-head">
        <h2 id={id('title')}>{agent.title}</h2>
        <span className="chip">{FAMILY_TEXT[agent.family]}</span>
        {agent.pointsHere ? <span className="chip chip-ok">set up for this gateway</span> : <span className="chip">not set up</span>}
        <span className="agent-seen small">
          <LastSeen agent={agent} />
        </span>
      </header>
      <Files agent={agent} />
      <form className="agent-form" onSubmit={(e) => (e.preventDefault(), void run(false))}>
        <label htmlFor={id('key')}>Key</label>
        <select id={id('key')} aria-label={`Key for ${agent.title}`} value={keyChoiceValue(draft.key)} onChange={(e) => pickKey(e.target.value)}>
          <option value="create">Create a key for this agent</option>
          {keys.map((k) => (
            <option key={k.id} value={`key:${k.id}`}>
              {k.name} ({k.prefix}…)
            </option>
          ))}
          <option value="none">No key (placeholder, to fill in by hand)</option>
        </select>
        {draft.key.kind === 'existing' && (
          <>
            <label htmlFor={id('secret')}>Its secret</label>
            <input
              id={id('secret')}
              type="password"
              autoComplete="off"
              spellCheck={false}
              // The keys list may not have the key yet (one just made for this preview): never a blank name.
              aria-label={`Secret of ${chosenKey ? `key ${chosenKey.name}` : 'the chosen key'} for ${agent.title}`}
              placeholder={`${chosenKey?.prefix ?? 'gh_'}… (the gateway keeps only its hash)`}
              value={draft.key.secret}
              onChange={(e) => setDraft((d) => ({ ...d, key: { ...(d.key as { kind: 'existing'; keyId: string }), kind: 'existing', secret: e.target.value } }))}
            />
          </>
        )}
        <label htmlFor={id('model')}>Route</label>
        <select id={id('model')} aria-label={`Route for ${agent.title}`} value={draft.model} onChange={(e) => setDraft((d) => ({ ...d, model: e.target.value }))}>
          {overview.routes.map((r) => (
            <option key={r.name} value={r.name}>
              {r.name}
              {r.family ? ` (${FAMILY_TEXT[r.family]}${r.family === agent.family ? ', passed through' : ', translated'})` : ''}
            </option>
          ))}
        </select>
        <label htmlFor={id('small')}>Small model</label>
        <select id={id('small')} aria-label={`Small model for ${agent.title}`} value={draft.smallModel} onChange={(e) => setDraft((d) => ({ ...d, smallModel: e.target.value }))}>
          <option value="">same route</option>
          {overview.routes.map((r) => (
            <option key={r.name} value={r.name}>
              {r.name}
            </option>
          ))}
        </select>
        {agent.subscription && (
          <label className="check">
            <input type="checkbox" checked={draft.subscription} onChange={(e) => setDraft((d) => ({ ...d, subscription: e.target.checked }))} />
            Keep my own {agent.title} sign-in (the key travels in x-gatehouse-key)
          </label>
        )}
        <div className="buttons">
          <button type="submit" disabled={busy !== undefined} aria-label={`Show settings for ${agent.title}`}>
            {busy === 'preview' ? 'Preparing the settings…' : 'Show settings'}
          </button>
          <button
            type="button"
            className="primary"
            disabled={busy !== undefined || !canWrite(draft) || agent.problem !== null}
            title={canWrite(draft) ? undefined : 'Writing needs a key: create one, or paste an existing key\'s secret'}
            onClick={() => setConfirming(true)}
            aria-label={`Write config for ${agent.title}`}
          >
            {busy === 'write' ? 'Writing…' : 'Write config…'}
          </button>
        </div>
      </form>
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
      {confirming && <ConfirmWrite agent={agent} onCancel={() => setConfirming(false)} onConfirm={() => void run(true)} />}
      {result && <Result result={result} onDismiss={() => dismiss(agent.id)} />}
    </article>
  );
}

export function Agents() {
  const { agents } = useStores();
  const { overview, keys, loaded, error, refresh } = useStore(agents);
  useEffect(() => {
    void refresh();
  }, [refresh]);
  return (
    <section aria-labelledby="area-title">
      <div className="area-head">
        <h1 id="area-title">Agents</h1>
        <button type="button" className="quiet" onClick={() => void refresh()}>
          Refresh
        </button>
      </div>
      {error && (
        <p role="alert" className="error">
          Could not read the agents: {error}
        </p>
      )}
      {!loaded && <p className="muted">Reading the agents' files and the ledger…</p>}
      {overview && (
        <>
          <p className="muted small">
            Point a coding agent at <code className="mono">{overview.gatewayUrl}</code>: pick a key and a route, copy the settings, or let Gatehouse merge them into the agent's own file. The
            same as <code className="mono">gatehouse agents setup AGENT --write</code>.
          </p>
          {overview.routes.length === 0 ? (
            <EmptyState title="No routes yet — add a provider and a route first">
              <p>
                Agents ask the gateway for a route (a model name and the provider models that serve it). Add a provider in <a href="#/providers">Providers</a>, then a route under{' '}
                <code className="mono">models:</code> in the config file.
              </p>
            </EmptyState>
          ) : (
            <div className="agents">
              {overview.agents.map((a) => (
                <AgentCard key={a.id} agent={a} overview={overview} keys={keys} />
              ))}
            </div>
          )}
          <h2>Other clients</h2>
          {overview.otherClients.length === 0 ? (
            <p className="muted">No other user-agents in the ledger's {overview.scanned.toLocaleString()} newest records.</p>
          ) : (
            <table className="table" aria-label="Other clients">
              <thead>
                <tr>
                  <th scope="col">User-agent</th>
                  <th scope="col">Last call</th>
                  <th scope="col" className="num">
                    Calls
                  </th>
                </tr>
              </thead>
              <tbody>
                {overview.otherClients.map((c) => (
                  <tr key={c.client}>
                    <td className="mono">{c.client}</td>
                    <td>
                      <Time iso={c.at} />
                    </td>
                    <td className="num">{c.requests.toLocaleString()}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          <p className="muted small">Last seen comes from the user-agent of model calls among the ledger's {overview.scanned.toLocaleString()} newest records.</p>
        </>
      )}
    </section>
  );
}
