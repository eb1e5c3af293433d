// Keys & people: virtual keys (create: the secret shown once), users and teams.
import { useState, type FormEvent } from 'react';
import { useStore } from 'zustand';
import { BUDGET_WINDOWS, type BudgetWindow, type KeyCreateParams } from '../../../shared/contract';
import { useStores } from '../stores';
import { parseGlobs } from '../stores/keys';
import { EmptyState } from '../widgets/EmptyState';
import { usd } from '../widgets/format';
import { Time } from '../widgets/Time';

function SecretOnce() {
  const { keys } = useStores();
  const { created, dismissSecret } = useStore(keys);
  const [copied, setCopied] = useState<'no' | 'yes' | 'failed'>('no');
  if (!created) return null;
  const copy = (): void => {
    navigator.clipboard.writeText(created.secret).then(
      () => setCopied('yes'),
      () => setCopied('failed'),
    );
  };
  return (
    <div className="secret" role="region" aria-labelledby="secret-title">
      <h2 id="secret-title">Key "{created.key.name}" created</h2>
      <p className="warn-text">Copy the secret now: you won't see it again. The gateway keeps only its hash.</p>
      <div className="secret-row">
        <code className="mono secret-value" aria-label="The new key's secret">
          {created.secret}
        </code>
        <button type="button" onClick={copy}>
          {copied === 'yes' ? 'Copied' : 'Copy'}
        </button>
      </div>
      {copied === 'failed' && <p className="muted">The browser refused the clipboard: select the secret and copy it by hand.</p>}
      <button
        type="button"
        className="quiet"
        onClick={() => {
          setCopied('no');
          dismissSecret();
        }}
      >
        Done, I have stored it
      </button>
    </div>
  );
}

function CreateKey({ onDone }: { onDone: () => void }) {
  const { keys } = useStores();
  const { creating, createError, create, users, teams } = useStore(keys);
  const [name, setName] = useState('');
  const [models, setModels] = useState('');
  const [amount, setAmount] = useState('');
  const [budgetWindow, setBudgetWindow] = useState<BudgetWindow>('month');
  const [user, setUser] = useState('');
  const [team, setTeam] = useState('');
  const submit = async (e: FormEvent): Promise<void> => {
    e.preventDefault();
    const p: KeyCreateParams = { name: name.trim() };
    const globs = parseGlobs(models);
    if (globs.length) p.models = globs;
    if (amount.trim() !== '') p.budgets = [{ amountUsd: Number(amount), window: budgetWindow }];
    if (user) p.userId = user;
    if (team) p.teamId = team;
    if (await create(p)) onDone();
  };
  return (
    <form className="form" onSubmit={(e) => void submit(e)} aria-labelledby="create-title">
      <h2 id="create-title">New key</h2>
      <label>
        Name
        <input required maxLength={128} value={name} onChange={(e) => setName(e.target.value)} placeholder="laptop" autoFocus />
      </label>
      <label>
        Models <span className="muted">(optional: routes or globs, comma-separated; empty: all)</span>
        <input value={models} onChange={(e) => setModels(e.target.value)} placeholder="fast, anthropic/*" />
      </label>
      <div className="form-row">
        <label>
          Budget, USD <span className="muted">(optional)</span>
          <input type="number" min="0.01" step="0.01" value={amount} onChange={(e) => setAmount(e.target.value)} placeholder="5" />
        </label>
        <label>
          per
          <select value={budgetWindow} onChange={(e) => setBudgetWindow(e.target.value as BudgetWindow)}>
            {BUDGET_WINDOWS.map((w) => (
              <option key={w} value={w}>
                {w}
              </option>
            ))}
          </select>
        </label>
      </div>
      <div className="form-row">
        <label>
          User <span className="muted">(optional)</span>
          <select value={user} onChange={(e) => setUser(e.target.value)}>
            <option value="">none</option>
            {users.map((u) => (
              <option key={u.id} value={u.id}>
                {u.name}
              </option>
            ))}
          </select>
        </label>
        <label>
          Team <span className="muted">(optional)</span>
          <select value={team} onChange={(e) => setTeam(e.target.value)}>
            <option value="">none</option>
            {teams.map((t) => (
              <option key={t.id} value={t.id}>
                {t.name}
              </option>
            ))}
          </select>
        </label>
      </div>
      {createError && (
        <p role="alert" className="error">
          {createError}
        </p>
      )}
      <div className="buttons">
        <button type="submit" className="primary" disabled={creating}>
          {creating ? 'Creating…' : 'Create key'}
        </button>
        <button type="button" className="quiet" onClick={onDone}>
          Cancel
        </button>
      </div>
    </form>
  );
}

export function Keys() {
  const { keys } = useStores();
  const { keys: list, users, teams, loaded, error, revoke } = useStore(keys);
  const [creating, setCreating] = useState(false);
  const ownerName = (id: string | null, among: { id: string; name: string }[]): string => (id ? (among.find((o) => o.id === id)?.name ?? id) : '–');
  return (
    <section aria-labelledby="area-title">
      <div className="area-head">
        <h1 id="area-title">Keys & people</h1>
        {!creating && (
          <button type="button" className="primary" onClick={() => setCreating(true)}>
            New key
          </button>
        )}
      </div>
      <SecretOnce />
      {creating && <CreateKey onDone={() => setCreating(false)} />}
      {error && <p role="alert">Could not read the keys: {error}</p>}
      {loaded && list.length === 0 && !creating && (
        <EmptyState title="No keys yet — create one">
          <p>Agents and SDKs call the gateway with a virtual key. Create one here, or run <code className="mono">gatehouse keys create --name laptop</code>.</p>
          <button type="button" className="primary" onClick={() => setCreating(true)}>
            Create a key
          </button>
        </EmptyState>
      )}
      {list.length > 0 && (
        <table className="table" aria-label="Keys">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Prefix</th>
              <th scope="col">User</th>
              <th scope="col">Team</th>
              <th scope="col">Models</th>
              <th scope="col" className="num">
                Budgets
              </th>
              <th scope="col">Status</th>
              <th scope="col">Created</th>
              <th scope="col">
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {list.map((k) => (
              <tr key={k.id}>
                <td>{k.name}</td>
                <td className="mono">{k.prefix}…</td>
                <td>{ownerName(k.userId, users)}</td>
                <td>{ownerName(k.teamId, teams)}</td>
                <td className="mono">{k.models.length ? k.models.join(', ') : 'all'}</td>
                <td className="num">{k.budgets.length ? k.budgets.map((b) => `${usd(b.amountUsd)}/${b.window}`).join(', ') : '–'}</td>
                <td>
                  <span className={`chip chip-${k.status === 'active' ? 'ok' : 'muted'}`}>{k.status}</span>
                </td>
                <td>
                  <Time iso={k.createdAt} />
                </td>
                <td>
                  {k.status === 'active' && (
                    <button type="button" className="quiet" aria-label={`Revoke key ${k.name}`} onClick={() => window.confirm(`Revoke key "${k.name}"? Agents using it stop at once.`) && void revoke(k.id)}>
                      Revoke
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <h2>People</h2>
      {users.length + teams.length === 0 ? (
        <p className="muted">
          No users or teams yet. They group keys under shared grants and budgets: <code className="mono">gatehouse users create --name alice</code>,{' '}
          <code className="mono">gatehouse teams create --name platform</code>.
        </p>
      ) : (
        <table className="table" aria-label="Users and teams">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Kind</th>
              <th scope="col" className="num">
                Keys
              </th>
              <th scope="col" className="num">
                Budgets
              </th>
              <th scope="col">Status</th>
            </tr>
          </thead>
          <tbody>
            {[...users.map((u) => ({ ...u, kind: 'user' })), ...teams.map((t) => ({ ...t, kind: 'team' }))].map((o) => (
              <tr key={o.id}>
                <td>{o.name}</td>
                <td>{o.kind}</td>
                <td className="num">{o.keyCount}</td>
                <td className="num">{o.budgets.length ? o.budgets.map((b) => `${usd(b.amountUsd)}/${b.window}`).join(', ') : '–'}</td>
                <td>{o.status}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
