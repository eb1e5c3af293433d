// Providers and routes from the config file: where each key lives (and whether it is there), a
// provider added from a preset with its key typed once into the OS keychain, its connection tested,
// providers removed, and routes (targets in fallback order) added, edited and removed.
import { useEffect, useState, type FormEvent } from 'react';
import { useStore } from 'zustand';
import { useStores } from '../stores';
import type { ProviderEntry } from '../stores/config';
import { keyStatus, PROVIDER_PRESETS, proposedSecretName, ROUTE_STRATEGIES, type ProviderPreset, type ProviderTest, type Route, type RouteStrategy } from '../stores/providers';
import { EmptyState } from '../widgets/EmptyState';
import { Time } from '../widgets/Time';

function AddProvider({ onDone }: { onDone: () => void }) {
  const { providers } = useStores();
  const { add, adding, providers: existing } = useStore(providers);
  const [preset, setPreset] = useState<ProviderPreset>('openai');
  const [id, setId] = useState('openai');
  const [idEdited, setIdEdited] = useState(false);
  const [baseUrl, setBaseUrl] = useState('');
  const [apiKey, setApiKey] = useState('');
  const [secretName, setSecretName] = useState('');
  const [nameEdited, setNameEdited] = useState(false);
  const needsBaseUrl = PROVIDER_PRESETS.find((p) => p.id === preset)?.needsBaseUrl ?? false;
  const name = nameEdited ? secretName : proposedSecretName(id.trim());
  const pickPreset = (p: ProviderPreset): void => {
    setPreset(p);
    if (!idEdited) setId(existing.some((x) => x.id === p) ? '' : p === 'openai-compatible' ? '' : p);
  };
  const submit = async (e: FormEvent): Promise<void> => {
    e.preventDefault();
    const ok = await add({ preset, id: id.trim(), ...(needsBaseUrl ? { baseUrl: baseUrl.trim() } : {}), apiKey, secretName: name });
    // The key leaves the form either way: it is typed once.
    setApiKey('');
    if (ok) onDone();
  };
  return (
    <form className="form" onSubmit={(e) => void submit(e)} aria-labelledby="add-provider-title" autoComplete="off">
      <h2 id="add-provider-title">Add a provider</h2>
      <label>
        Preset
        <select value={preset} onChange={(e) => pickPreset(e.target.value as ProviderPreset)}>
          {PROVIDER_PRESETS.map((p) => (
            <option key={p.id} value={p.id}>
              {p.label}
            </option>
          ))}
        </select>
      </label>
      <label>
        Provider ID <span className="muted">(lower-case letters, digits, - and _; routes name it)</span>
        <input
          required
          pattern="[a-z0-9][a-z0-9_\-]{0,63}"
          value={id}
          onChange={(e) => {
            setId(e.target.value);
            setIdEdited(true);
          }}
          placeholder="groq"
        />
      </label>
      {needsBaseUrl && (
        <label>
          Base URL
          <input required type="url" value={baseUrl} onChange={(e) => setBaseUrl(e.target.value)} placeholder="http://127.0.0.1:11434/v1" />
        </label>
      )}
      <label>
        API key <span className="muted">(stored in the OS keychain; never shown again, never written in the config)</span>
        <input type="password" autoComplete="new-password" spellCheck={false} value={apiKey} onChange={(e) => setApiKey(e.target.value)} required={!needsBaseUrl} />
      </label>
      <label>
        Keychain name
        <input
          required={apiKey !== ''}
          pattern="[A-Za-z0-9_.\-]{1,128}"
          value={name}
          onChange={(e) => {
            setSecretName(e.target.value);
            setNameEdited(true);
          }}
        />
      </label>
      <p className="muted small">
        The config will get <code className="mono">{apiKey ? `apiKey: keychain:${name}` : 'no apiKey (the provider is called without a key)'}</code>.
      </p>
      <div className="buttons">
        <button type="submit" className="primary" disabled={adding}>
          {adding ? 'Saving the key and the config…' : 'Add provider'}
        </button>
        <button type="button" className="quiet" onClick={onDone}>
          Cancel
        </button>
      </div>
    </form>
  );
}

const TEST_ERROR_LABEL: Record<string, string> = {
  key_missing: 'key missing',
  key_refused: 'key refused',
  unreachable: 'unreachable',
  timeout: 'no answer',
  no_listing: 'no model listing',
  misconfigured: 'misconfigured',
  keychain: 'keychain unreadable',
  upstream_error: 'provider error',
};

/** Model ids shown before "show all": enough to recognise the account, short enough for one glance. */
const MODELS_FOLDED = 12;

/** The last connection test of a provider, inline under its row. */
function TestResult({ id, test }: { id: string; test: ProviderTest }) {
  const [all, setAll] = useState(false);
  if (test.status === 'running') return <p className="muted small">Calling {id}'s model list with its key…</p>;
  if (test.status === 'failed')
    return (
      <p className="error small" role="alert">
        {test.message}
      </p>
    );
  const r = test.result;
  if (!r.ok && r.error)
    return (
      <div className="provider-test" role="alert">
        <p>
          <span className="chip chip-danger">{TEST_ERROR_LABEL[r.error.code] ?? r.error.code}</span>{' '}
          {r.error.status !== undefined && <span className="muted small">HTTP {r.error.status} · </span>}
          <span className="muted small">
            after <span className="num">{r.latencyMs.toLocaleString('en-US')} ms</span> · <Time iso={r.testedAt} />
          </span>
        </p>
        <p className="provider-test-message">{r.error.message}</p>
      </div>
    );
  const shown = all ? r.models : r.models.slice(0, MODELS_FOLDED);
  return (
    <div className="provider-test" role="status">
      <p>
        <span className="chip chip-ok">connected</span>{' '}
        <span className="num" aria-label="Latency">
          {r.latencyMs.toLocaleString('en-US')} ms
        </span>{' '}
        · {r.modelCount === 0 ? 'no models listed' : `${r.modelCount.toLocaleString('en-US')} ${r.modelCount === 1 ? 'model' : 'models'}`} ·{' '}
        <span className="muted small">
          <Time iso={r.testedAt} />
        </span>
      </p>
      {shown.length > 0 && (
        <ul className="chips" aria-label={`Models of ${id}`}>
          {shown.map((m) => (
            <li key={m} className="chip mono">
              {m}
            </li>
          ))}
          {r.models.length > MODELS_FOLDED && (
            <li>
              <button type="button" className="link small" onClick={() => setAll(!all)}>
                {all ? 'show fewer' : `show all ${r.models.length}`}
              </button>
            </li>
          )}
        </ul>
      )}
      {r.modelCount > r.models.length && <p className="muted small">The first {r.models.length} are shown.</p>}
    </div>
  );
}

function ProviderRows({ p }: { p: ProviderEntry }) {
  const { providers: store } = useStores();
  const { secrets, keychainError, tests, test, remove, busy } = useStore(store);
  const k = keyStatus(p.apiKey, secrets);
  const current = tests[p.id];
  const onRemove = (): void => {
    if (window.confirm(`Remove provider "${p.id}" from the config? Its key stays in the keychain.`)) void remove(p.id);
  };
  return (
    <>
      <tr>
        <td className="mono">{p.id}</td>
        <td>{p.type}</td>
        <td className="mono">{p.baseUrl ?? (p.preset ? `preset ${p.preset}` : 'default')}</td>
        <td>
          {k.kind === 'none' ? (
            <span className="muted">none</span>
          ) : (
            <>
              <code className="mono">{p.apiKey}</code>{' '}
              {k.kind === 'keychain' ? (
                keychainError ? (
                  <span className="chip chip-warn">keychain unreadable</span>
                ) : (
                  <span className={`chip chip-${k.present ? 'ok' : 'danger'}`}>{k.present ? 'in keychain' : 'missing from keychain'}</span>
                )
              ) : (
                <span className="chip">environment variable</span>
              )}
            </>
          )}
        </td>
        <td>
          <div className="row-actions">
            <button type="button" onClick={() => void test(p.id)} disabled={current?.status === 'running'} aria-label={`Test connection to ${p.id}`}>
              {current?.status === 'running' ? 'Testing…' : 'Test connection'}
            </button>
            <button type="button" className="quiet" onClick={onRemove} disabled={busy === `remove:${p.id}`} aria-label={`Remove provider ${p.id}`}>
              Remove
            </button>
          </div>
        </td>
      </tr>
      {current && (
        <tr className="detail-row">
          <td colSpan={5} aria-label={`Connection test of ${p.id}`}>
            <TestResult id={p.id} test={current} />
          </td>
        </tr>
      )}
    </>
  );
}

/** Adds a route, or edits the strategy and the targets (in order) of the one named `editing`. */
function RouteForm({ editing, onDone }: { editing?: Route; onDone: () => void }) {
  const { providers: store } = useStores();
  const { providers, tests, saveRoute, busy } = useStore(store);
  const [name, setName] = useState(editing?.name ?? '');
  const [strategy, setStrategy] = useState<RouteStrategy>(editing?.strategy ?? 'fallback');
  const [targets, setTargets] = useState<{ provider: string; model: string }[]>(
    editing?.targets.map((t) => ({ provider: t.provider, model: t.model })) ?? [{ provider: providers[0]?.id ?? '', model: '' }],
  );
  const change = (i: number, patch: Partial<{ provider: string; model: string }>): void => setTargets(targets.map((t, j) => (j === i ? { ...t, ...patch } : t)));
  const move = (i: number, by: number): void => {
    const next = [...targets];
    const [t] = next.splice(i, 1);
    next.splice(i + by, 0, t!);
    setTargets(next);
  };
  const submit = async (e: FormEvent): Promise<void> => {
    e.preventDefault();
    if (await saveRoute({ name, strategy, targets }, editing?.name)) onDone();
  };
  const modelsOf = (provider: string): string[] => {
    const t = tests[provider];
    return t?.status === 'done' ? t.result.models : [];
  };
  const title = editing ? `Edit route ${editing.name}` : 'Add a route';
  return (
    <form className="form route-form" onSubmit={(e) => void submit(e)} aria-label={title}>
      <h2>{title}</h2>
      {!editing && (
        <label>
          Route name <span className="muted">(the model name clients ask for, e.g. fast or claude-sonnet)</span>
          <input required maxLength={256} value={name} onChange={(e) => setName(e.target.value)} placeholder="fast" autoFocus />
        </label>
      )}
      <label>
        Strategy
        <select value={strategy} onChange={(e) => setStrategy(e.target.value as RouteStrategy)}>
          {ROUTE_STRATEGIES.map((s) => (
            <option key={s.id} value={s.id}>
              {s.label}
            </option>
          ))}
        </select>
      </label>
      <fieldset className="targets">
        <legend>Targets, in order {strategy === 'fallback' && <span className="muted">(the first serves; the others are fallbacks, tried in turn)</span>}</legend>
        <ol>
          {targets.map((t, i) => (
            <li key={i} className="target-row">
              <select aria-label={`Provider of target ${i + 1}`} value={t.provider} onChange={(e) => change(i, { provider: e.target.value })}>
                {!providers.some((p) => p.id === t.provider) && <option value={t.provider}>{t.provider || '(choose)'}</option>}
                {providers.map((p) => (
                  <option key={p.id} value={p.id}>
                    {p.id}
                  </option>
                ))}
              </select>
              <input aria-label={`Model of target ${i + 1}`} className="mono" required value={t.model} onChange={(e) => change(i, { model: e.target.value })} placeholder="gpt-4o-mini" list={`models-${i}`} spellCheck={false} />
              <datalist id={`models-${i}`}>
                {modelsOf(t.provider).map((m) => (
                  <option key={m} value={m} />
                ))}
              </datalist>
              <button type="button" className="icon" aria-label={`Move target ${i + 1} up`} disabled={i === 0} onClick={() => move(i, -1)}>
                ↑
              </button>
              <button type="button" className="icon" aria-label={`Move target ${i + 1} down`} disabled={i === targets.length - 1} onClick={() => move(i, 1)}>
                ↓
              </button>
              <button type="button" className="icon" aria-label={`Remove target ${i + 1}`} disabled={targets.length === 1} onClick={() => setTargets(targets.filter((_, j) => j !== i))}>
                ×
              </button>
            </li>
          ))}
        </ol>
        <button type="button" onClick={() => setTargets([...targets, { provider: targets.at(-1)?.provider ?? providers[0]?.id ?? '', model: '' }])}>
          Add target
        </button>
        <p className="muted small">Test a provider's connection to get its model names suggested here.</p>
      </fieldset>
      <div className="buttons">
        <button type="submit" className="primary" disabled={busy === `route:${editing?.name ?? name.trim()}`}>
          {busy === `route:${editing?.name ?? name.trim()}` ? 'Saving the route…' : 'Save route'}
        </button>
        <button type="button" className="quiet" onClick={onDone}>
          Cancel
        </button>
      </div>
    </form>
  );
}

function Routes() {
  const { providers: store } = useStores();
  const { routes, providers, removeRoute, busy } = useStore(store);
  // null: no form; '': adding; a name: editing that route.
  const [form, setForm] = useState<string | null>(null);
  const editing = form ? routes.find((r) => r.name === form) : undefined;
  return (
    <section aria-labelledby="routes-title">
      <div className="area-head">
        <h2 id="routes-title">Routes</h2>
        {form === null && providers.length > 0 && (
          <button type="button" onClick={() => setForm('')}>
            Add route
          </button>
        )}
      </div>
      {form !== null && <RouteForm key={form} editing={editing} onDone={() => setForm(null)} />}
      {routes.length === 0 ? (
        <p className="muted">
          No routes yet. A route is a model name clients ask for and the provider models that serve it, in order
          {providers.length === 0 ? ': add a provider first, then a route.' : ': add one with "Add route".'}
        </p>
      ) : (
        <table className="table" aria-label="Routes">
          <thead>
            <tr>
              <th scope="col">Route</th>
              <th scope="col">Strategy</th>
              <th scope="col">Targets, in order</th>
              <th scope="col">
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {routes.map((r) => (
              <tr key={r.name}>
                <td className="mono">{r.name}</td>
                <td>{r.strategy}</td>
                <td className="mono wrap" aria-label={`Targets of ${r.name}`}>
                  {r.targets.map((t, i) => (
                    <span key={i}>
                      {i > 0 && <span className="muted"> {r.strategy === 'fallback' ? '→' : '·'} </span>}
                      {t.provider}/{t.model}
                    </span>
                  ))}
                </td>
                <td>
                  <div className="row-actions">
                    <button type="button" onClick={() => setForm(r.name)} aria-label={`Edit route ${r.name}`}>
                      Edit
                    </button>
                    <button
                      type="button"
                      className="quiet"
                      disabled={busy === `remove-route:${r.name}`}
                      onClick={() => window.confirm(`Remove route "${r.name}"? Clients asking for it will get "model not found".`) && void removeRoute(r.name)}
                      aria-label={`Remove route ${r.name}`}
                    >
                      Remove
                    </button>
                  </div>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

export function Providers() {
  const { providers: store } = useStores();
  const { providers, loaded, error, notice, keychainError, refresh } = useStore(store);
  const [adding, setAdding] = useState(false);
  useEffect(() => {
    void refresh();
  }, [refresh]);
  return (
    <section aria-labelledby="area-title">
      <div className="area-head">
        <h1 id="area-title">Providers</h1>
        {!adding && (
          <button type="button" className="primary" onClick={() => setAdding(true)}>
            Add provider
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
      {keychainError && (adding || providers.some((p) => p.apiKey?.startsWith('keychain:'))) && (
        <p role="status" className="banner banner-warn small">
          {keychainError}
        </p>
      )}
      {adding && <AddProvider onDone={() => setAdding(false)} />}
      {!loaded && <p className="muted">Reading the config file…</p>}
      {loaded && providers.length === 0 && !adding && (
        <EmptyState title="No providers yet — add one">
          <p>A provider is an upstream LLM API (OpenAI, Anthropic, Gemini, or any OpenAI-compatible server). Its key goes to the OS keychain; the config only names it.</p>
          <button type="button" className="primary" onClick={() => setAdding(true)}>
            Add a provider
          </button>
        </EmptyState>
      )}
      {providers.length > 0 && (
        <table className="table" aria-label="Providers">
          <thead>
            <tr>
              <th scope="col">ID</th>
              <th scope="col">Type</th>
              <th scope="col">Base URL</th>
              <th scope="col">Key</th>
              <th scope="col">
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {providers.map((p) => (
              <ProviderRows key={p.id} p={p} />
            ))}
          </tbody>
        </table>
      )}
      {loaded && <Routes />}
    </section>
  );
}
