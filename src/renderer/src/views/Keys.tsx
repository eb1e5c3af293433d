// Keys & people: virtual keys (create or rotate: the secret shown once; edit grants, limits and
// budgets; revoke), users and teams (create, edit, disable).
import { useState, type FormEvent } from 'react';
import { useStore } from 'zustand';
import type { KeySummary, TeamSummary, UserSummary } from '../../../shared/contract';
import { useStores } from '../stores';
import { emptyPolicyForm, filledPolicy, policyFormOf, policyOfForm, type PersonKind, type PolicyForm } from '../stores/keys';
import { EmptyState } from '../widgets/EmptyState';
import { usd } from '../widgets/format';
import { PolicyFieldset } from '../widgets/PolicyFieldset';
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
      <h2 id="secret-title">
        Key "{created.key.name}" {created.how}
      </h2>
      <p className="warn-text">
        Copy the secret now: you won't see it again. The gateway keeps only its hash.{created.how === 'rotated' && ' The old secret stopped working.'}
      </p>
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

/** The end of every form here: what is wrong (in the form, or as the gateway said), Save and Cancel. */
function FormEnd({ invalid, submitLabel, onDone }: { invalid: string | null; submitLabel: string; onDone: () => void }) {
  const { keys } = useStores();
  const { saving, saveError, clearSaveError } = useStore(keys);
  return (
    <>
      {[invalid, saveError].filter(Boolean).map((text) => (
        <p key={text} role="alert" className="error">
          {text}
        </p>
      ))}
      <div className="buttons">
        <button type="submit" className="primary" disabled={saving}>
          {saving ? 'Saving…' : submitLabel}
        </button>
        <button
          type="button"
          className="quiet"
          onClick={() => {
            clearSaveError();
            onDone();
          }}
        >
          Cancel
        </button>
      </div>
    </>
  );
}

/** Creates a key (no `editing`) or edits one: name, owner, grants, limits, budgets. */
function KeyForm({ editing, onDone }: { editing?: KeySummary; onDone: () => void }) {
  const { keys } = useStores();
  const { create, update, users, teams } = useStore(keys);
  const [name, setName] = useState(editing?.name ?? '');
  const [policy, setPolicy] = useState<PolicyForm>(editing ? policyFormOf(editing) : emptyPolicyForm());
  const [user, setUser] = useState(editing?.userId ?? '');
  const [team, setTeam] = useState(editing?.teamId ?? '');
  const [invalid, setInvalid] = useState<string | null>(null);
  const submit = async (e: FormEvent): Promise<void> => {
    e.preventDefault();
    const parsed = policyOfForm(policy);
    setInvalid(parsed.ok ? null : parsed.error);
    if (!parsed.ok) return;
    const owner = { userId: user || null, teamId: team || null };
    const ok = editing ? await update({ id: editing.id, name: name.trim(), ...owner, ...parsed.value }) : await create({ name: name.trim(), ...filledPolicy(parsed.value), ...(user ? { userId: user } : {}), ...(team ? { teamId: team } : {}) });
    if (ok) onDone();
  };
  const title = editing ? `Edit key "${editing.name}"` : 'New key';
  return (
    <form className="form" onSubmit={(e) => void submit(e)} aria-label={title}>
      <h2>{title}</h2>
      <label>
        Name
        <input required maxLength={128} value={name} onChange={(e) => setName(e.target.value)} placeholder="laptop" autoFocus />
      </label>
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
      <PolicyFieldset value={policy} onChange={setPolicy} subject="this key" />
      <FormEnd invalid={invalid} submitLabel={editing ? 'Save key' : 'Create key'} onDone={onDone} />
    </form>
  );
}

type Person = (UserSummary & { kind: 'user' }) | (TeamSummary & { kind: 'team' });

/** Creates or edits a user or a team. */
function PersonForm({ kind, editing, onDone }: { kind: PersonKind; editing?: Person; onDone: () => void }) {
  const { keys } = useStores();
  const { savePerson } = useStore(keys);
  const [name, setName] = useState(editing?.name ?? '');
  const [email, setEmail] = useState(editing?.kind === 'user' ? (editing.email ?? '') : '');
  const [policy, setPolicy] = useState<PolicyForm>(editing ? policyFormOf(editing) : emptyPolicyForm());
  const [invalid, setInvalid] = useState<string | null>(null);
  const submit = async (e: FormEvent): Promise<void> => {
    e.preventDefault();
    const parsed = policyOfForm(policy);
    setInvalid(parsed.ok ? null : parsed.error);
    if (!parsed.ok) return;
    const contact = kind === 'user' ? (editing ? { email: email.trim() || null } : email.trim() ? { email: email.trim() } : {}) : {};
    const fields = editing ? parsed.value : filledPolicy(parsed.value);
    if (await savePerson(kind, { ...(editing ? { id: editing.id } : {}), name: name.trim(), ...contact, ...fields })) onDone();
  };
  const title = editing ? `Edit ${kind} "${editing.name}"` : `New ${kind}`;
  return (
    <form className="form" onSubmit={(e) => void submit(e)} aria-label={title}>
      <h2>{title}</h2>
      <div className="form-row">
        <label>
          Name
          <input required maxLength={128} value={name} onChange={(e) => setName(e.target.value)} placeholder={kind === 'user' ? 'alice' : 'platform'} autoFocus />
        </label>
        {kind === 'user' && (
          <label>
            Email <span className="muted">(optional)</span>
            <input type="email" value={email} onChange={(e) => setEmail(e.target.value)} />
          </label>
        )}
      </div>
      <PolicyFieldset value={policy} onChange={setPolicy} subject={`this ${kind}`} />
      <FormEnd invalid={invalid} submitLabel={editing ? `Save ${kind}` : `Create ${kind}`} onDone={onDone} />
    </form>
  );
}

const limitsText = (p: { rpm: number | null; tpm: number | null; maxConcurrency: number | null }): string =>
  [p.rpm && `${p.rpm} rpm`, p.tpm && `${p.tpm} tpm`, p.maxConcurrency && `${p.maxConcurrency} at once`].filter(Boolean).join(', ') || '–';
const budgetsText = (b: { amountUsd: number; window: string }[]): string => (b.length ? b.map((x) => `${usd(x.amountUsd)}/${x.window}`).join(', ') : '–');

export function Keys() {
  const { keys } = useStores();
  const { keys: list, users, teams, loaded, error, revoke, rotate, setPersonDisabled } = useStore(keys);
  // One form open at a time: a new key, an edited key, a new or edited user or team.
  const [form, setForm] = useState<{ what: 'key'; editing?: KeySummary } | { what: PersonKind; editing?: Person } | null>(null);
  const close = (): void => setForm(null);
  const ownerName = (id: string | null, among: { id: string; name: string }[]): string => (id ? (among.find((o) => o.id === id)?.name ?? id) : '–');
  const people: Person[] = [...users.map((u) => ({ ...u, kind: 'user' as const })), ...teams.map((t) => ({ ...t, kind: 'team' as const }))];
  return (
    <section aria-labelledby="area-title">
      <div className="area-head">
        <h1 id="area-title">Keys & people</h1>
        {!form && (
          <button type="button" className="primary" onClick={() => setForm({ what: 'key' })}>
            New key
          </button>
        )}
      </div>
      <SecretOnce />
      {form?.what === 'key' && <KeyForm key={form.editing?.id ?? 'new'} editing={form.editing} onDone={close} />}
      {error && <p role="alert">Could not read or change the keys: {error}</p>}
      {loaded && list.length === 0 && !form && (
        <EmptyState title="No keys yet — create one">
          <p>Agents and SDKs call the gateway with a virtual key. Create one here, or run <code className="mono">gatehouse keys create --name laptop</code>.</p>
          <button type="button" className="primary" onClick={() => setForm({ what: 'key' })}>
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
              <th scope="col">Limits</th>
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
                <td>{limitsText(k)}</td>
                <td className="num">{budgetsText(k.budgets)}</td>
                <td>
                  <span className={`chip chip-${k.status === 'active' ? 'ok' : 'muted'}`}>{k.status}</span>
                </td>
                <td>
                  <Time iso={k.createdAt} />
                </td>
                <td className="actions">
                  {k.status === 'active' && (
                    <>
                      <button type="button" className="quiet" aria-label={`Edit key ${k.name}`} onClick={() => setForm({ what: 'key', editing: k })}>
                        Edit
                      </button>
                      <button type="button" className="quiet" aria-label={`Rotate key ${k.name}`} onClick={() => window.confirm(`Rotate key "${k.name}"? A new secret is shown once and the old one stops working at once.`) && void rotate(k.id)}>
                        Rotate
                      </button>
                      <button type="button" className="quiet" aria-label={`Revoke key ${k.name}`} onClick={() => window.confirm(`Revoke key "${k.name}"? Agents using it stop at once.`) && void revoke(k.id)}>
                        Revoke
                      </button>
                    </>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <div className="area-head">
        <h2>People</h2>
        {!form && (
          <span className="buttons">
            <button type="button" onClick={() => setForm({ what: 'user' })}>
              New user
            </button>
            <button type="button" onClick={() => setForm({ what: 'team' })}>
              New team
            </button>
          </span>
        )}
      </div>
      {form && form.what !== 'key' && <PersonForm key={form.editing?.id ?? `new-${form.what}`} kind={form.what} editing={form.editing} onDone={close} />}
      {people.length === 0 ? (
        <p className="muted">No users or teams yet. They group keys under shared grants, limits and budgets: a request must pass those of its key, its user and its team.</p>
      ) : (
        <table className="table" aria-label="Users and teams">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Kind</th>
              <th scope="col" className="num">
                Keys
              </th>
              <th scope="col">Models</th>
              <th scope="col">Limits</th>
              <th scope="col" className="num">
                Budgets
              </th>
              <th scope="col">Status</th>
              <th scope="col">
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {people.map((o) => (
              <tr key={o.id}>
                <td>{o.name}</td>
                <td>{o.kind}</td>
                <td className="num">{o.keyCount}</td>
                <td className="mono">{o.models.length ? o.models.join(', ') : 'all'}</td>
                <td>{limitsText(o)}</td>
                <td className="num">{budgetsText(o.budgets)}</td>
                <td>
                  <span className={`chip chip-${o.status === 'active' ? 'ok' : 'muted'}`}>{o.status}</span>
                </td>
                <td className="actions">
                  <button type="button" className="quiet" aria-label={`Edit ${o.kind} ${o.name}`} onClick={() => setForm({ what: o.kind, editing: o })}>
                    Edit
                  </button>
                  {o.status === 'active' ? (
                    <button
                      type="button"
                      className="quiet"
                      aria-label={`Disable ${o.kind} ${o.name}`}
                      onClick={() => window.confirm(`Disable ${o.kind} "${o.name}"? Its ${o.keyCount} key(s) are refused until it is enabled again.`) && void setPersonDisabled(o.kind, o.id, true)}
                    >
                      Disable
                    </button>
                  ) : (
                    <button type="button" className="quiet" aria-label={`Enable ${o.kind} ${o.name}`} onClick={() => void setPersonDisabled(o.kind, o.id, false)}>
                      Enable
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
