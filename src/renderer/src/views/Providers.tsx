// Providers and routes from the config file, where each key lives (and whether it is there), and a
// provider added from a preset with its key typed once into the OS keychain.
import { useEffect, useState, type FormEvent } from 'react';
import { useStore } from 'zustand';
import { useStores } from '../stores';
import { keyStatus, PROVIDER_PRESETS, proposedSecretName, type ProviderPreset } from '../stores/providers';
import { EmptyState } from '../widgets/EmptyState';

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

export function Providers() {
  const { providers: store } = useStores();
  const { providers, routes, secrets, loaded, error, notice, refresh } = useStore(store);
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
      {adding && <AddProvider onDone={() => setAdding(false)} />}
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
            </tr>
          </thead>
          <tbody>
            {providers.map((p) => {
              const k = keyStatus(p.apiKey, secrets);
              return (
                <tr key={p.id}>
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
                          <span className={`chip chip-${k.present ? 'ok' : 'danger'}`}>{k.present ? 'in keychain' : 'missing from keychain'}</span>
                        ) : (
                          <span className="chip">environment variable</span>
                        )}
                      </>
                    )}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
      <h2>Routes</h2>
      {routes.length === 0 ? (
        <p className="muted">
          No routes yet. A route is a model name clients ask for and the provider models that serve it, in order: add one under <code className="mono">models:</code> in the config file.
        </p>
      ) : (
        <table className="table" aria-label="Routes">
          <thead>
            <tr>
              <th scope="col">Route</th>
              <th scope="col">Targets, in order</th>
            </tr>
          </thead>
          <tbody>
            {routes.map((r) => (
              <tr key={r.name}>
                <td className="mono">{r.name}</td>
                <td className="mono">{r.targets.map((t) => `${t.provider}/${t.model}`).join(' → ')}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
