// Settings: where the gateway runs and keeps its files, the config's server, approvals, guardrail and
// alert settings (written back with the file's comments kept), the admin token, and start at login.
import { useEffect, useState, type FormEvent, type ReactNode } from 'react';
import { useStore } from 'zustand';
import { useStores } from '../stores';
import { GUARD_ACTIONS, GUARD_KINDS, OUTPUT_MODES, parseOrigins, parseThresholds, type GuardAction, type GuardKind, type OutputMode, type SettingsView } from '../stores/settings';
import { Time } from '../widgets/Time';

const KIND_TEXT: Record<GuardKind, string> = { secrets: 'Secrets', cards: 'Payment cards', pii: 'Personal data (PII)', injection: 'Prompt injection' };

function Section({ id, title, children, onSubmit, saving }: { id: string; title: string; children: ReactNode; onSubmit: () => void; saving: boolean }) {
  const submit = (e: FormEvent): void => {
    e.preventDefault();
    onSubmit();
  };
  return (
    <form className="form settings-form" aria-labelledby={id} onSubmit={submit}>
      <h2 id={id}>{title}</h2>
      {children}
      <div className="buttons">
        <button type="submit" className="primary" disabled={saving} aria-label={`Save ${title.toLowerCase()}`}>
          {saving ? 'Saving…' : 'Save'}
        </button>
      </div>
    </form>
  );
}

function ServerForm({ view }: { view: SettingsView }) {
  const { settings } = useStores();
  const { save, saving } = useStore(settings);
  const [host, setHost] = useState(view.host);
  const [port, setPort] = useState(String(view.port));
  const [origins, setOrigins] = useState(view.allowedOrigins.join('\n'));
  const [problem, setProblem] = useState<string | null>(null);
  const submit = (): void => {
    const n = Number(port);
    if (!/^\d+$/.test(port.trim()) || n > 65535) return setProblem('Port: expected a whole number from 0 to 65535 (0: any free port).');
    if (host.trim() === '') return setProblem('Bind address: expected a host name or IP address, e.g. 127.0.0.1.');
    const parsed = parseOrigins(origins);
    if ('bad' in parsed) return setProblem(`Allowed origins: "${parsed.bad}" is not an http:// or https:// origin.`);
    setProblem(null);
    void save('Server settings', { host: host.trim(), port: n, allowedOrigins: parsed.origins });
  };
  return (
    <Section id="server-title" title="Server" onSubmit={submit} saving={saving}>
      <div className="form-row">
        <label>
          Bind address
          <input value={host} onChange={(e) => setHost(e.target.value)} spellCheck={false} />
        </label>
        <label>
          Port
          <input value={port} onChange={(e) => setPort(e.target.value)} inputMode="numeric" className="num narrow" />
        </label>
      </div>
      {host.trim() !== '127.0.0.1' && host.trim() !== 'localhost' && host.trim() !== '::1' && (
        <p className="warn-text small">Other machines can reach the gateway on {host.trim() || 'this address'}: every key and the admin token then travel over the network.</p>
      )}
      <label>
        Allowed origins <span className="muted">(browser pages allowed to call the gateway, one per line, e.g. http://localhost:5173)</span>
        <textarea rows={3} value={origins} onChange={(e) => setOrigins(e.target.value)} spellCheck={false} className="mono" />
      </label>
      <p className="muted small">The bind address and port apply when the gateway restarts; allowed origins apply at once.</p>
      {problem && (
        <p role="alert" className="error">
          {problem}
        </p>
      )}
    </Section>
  );
}

function PolicyForm({ view }: { view: SettingsView }) {
  const { settings } = useStores();
  const { save, saving } = useStore(settings);
  const [timeout, setTimeoutText] = useState(String(view.approvalsTimeoutSeconds));
  const [actions, setActions] = useState<Record<GuardKind, GuardAction>>({ ...view.guardrails });
  const [output, setOutput] = useState<OutputMode>(view.guardrails.output);
  const [thresholds, setThresholds] = useState(view.thresholds.join(', '));
  const [problem, setProblem] = useState<string | null>(null);
  const submit = (): void => {
    const t = Number(timeout);
    if (!/^\d+$/.test(timeout.trim()) || t < 1 || t > 3600) return setProblem('Approval timeout: expected whole seconds from 1 to 3600.');
    const th = parseThresholds(thresholds);
    if (!th) return setProblem('Alert thresholds: expected percents over 0 and at most 1000, comma-separated, e.g. 50, 80, 100.');
    setProblem(null);
    void save('Approvals, guardrails and alerts', { approvalsTimeoutSeconds: t, guardrails: { ...actions, output }, thresholds: th });
  };
  return (
    <Section id="policy-title" title="Approvals, guardrails and alerts" onSubmit={submit} saving={saving}>
      <label>
        Approval timeout, seconds <span className="muted">(a tool call that asks is denied after this long without an answer)</span>
        <input value={timeout} onChange={(e) => setTimeoutText(e.target.value)} inputMode="numeric" className="num narrow" />
      </label>
      <fieldset className="guard-grid">
        <legend>Guardrail defaults <span className="muted">(profiles, routes and MCP servers may override them)</span></legend>
        {GUARD_KINDS.map((k) => (
          <label key={k}>
            {KIND_TEXT[k]}
            <select value={actions[k]} onChange={(e) => setActions((a) => ({ ...a, [k]: e.target.value as GuardAction }))}>
              {GUARD_ACTIONS.map((a) => (
                <option key={a} value={a}>
                  {a}
                </option>
              ))}
            </select>
          </label>
        ))}
        <label>
          Model answers
          <select value={output} onChange={(e) => setOutput(e.target.value as OutputMode)}>
            {OUTPUT_MODES.map((m) => (
              <option key={m} value={m}>
                {m === 'record' ? 'record (scan after sending)' : 'enforce (act while streaming)'}
              </option>
            ))}
          </select>
        </label>
      </fieldset>
      <label>
        Budget alert thresholds, % <span className="muted">(an alert when a budget's spend crosses each)</span>
        <input value={thresholds} onChange={(e) => setThresholds(e.target.value)} />
      </label>
      {problem && (
        <p role="alert" className="error">
          {problem}
        </p>
      )}
    </Section>
  );
}

function AdminToken() {
  const { settings } = useStores();
  const { rotateToken, rotating } = useStore(settings);
  const [asking, setAsking] = useState(false);
  const rotate = async (): Promise<void> => {
    setAsking(false);
    const out = await rotateToken();
    // This console's own session ended with the others: sign in again with the link made for it.
    if (out?.relogin) location.replace(`${out.relogin}#/settings?rotated=${out.sessionsEnded}`);
  };
  return (
    <div className="form settings-form" role="group" aria-labelledby="token-title">
      <h2 id="token-title">Admin token</h2>
      <p className="small">
        The CLI authenticates with the admin token in the data directory. Rotating it makes a new one: the old token, other console sessions and unused login links stop working at once;
        this console signs in again by itself, and the CLI reads the new file.
      </p>
      {asking ? (
        <div className="buttons" role="alertdialog" aria-labelledby="token-confirm">
          <span id="token-confirm" className="warn-text">
            Rotate the admin token now?
          </span>
          <button type="button" autoFocus onClick={() => setAsking(false)}>
            Cancel
          </button>
          <button type="button" className="danger" onClick={() => void rotate()}>
            Rotate the token
          </button>
        </div>
      ) : (
        <div className="buttons">
          <button type="button" disabled={rotating} onClick={() => setAsking(true)}>
            {rotating ? 'Rotating the admin token…' : 'Rotate admin token…'}
          </button>
        </div>
      )}
    </div>
  );
}

function LoginItem() {
  const { settings } = useStores();
  const { loginItem, setLoginItem } = useStore(settings);
  return (
    <div className="form settings-form" role="group" aria-labelledby="login-title">
      <h2 id="login-title">Start at login</h2>
      <label className="check">
        <input type="checkbox" disabled={!loginItem.available || loginItem.enabled === null} checked={loginItem.enabled === true} onChange={(e) => void setLoginItem(e.target.checked)} />
        Start Gatehouse when I log in (in the tray, without a window)
      </label>
      {!loginItem.available && <p className="muted small">Only in the desktop app: in a terminal, run gatehouse serve from your login scripts or a service manager.</p>}
      {loginItem.error && (
        <p role="alert" className="error">
          {loginItem.error}
        </p>
      )}
    </div>
  );
}

export function Settings({ initial }: { initial?: Record<string, string> }) {
  const { settings } = useStores();
  const { status, snapshot, view, loaded, error, notice, restartNeeded, refresh } = useStore(settings);
  useEffect(() => {
    void refresh();
  }, [refresh]);
  const rotated = initial?.rotated;
  return (
    <section aria-labelledby="area-title">
      <div className="area-head">
        <h1 id="area-title">Settings</h1>
      </div>
      {!loaded && <p className="muted">Reading the settings…</p>}
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
      {rotated !== undefined && !notice && (
        <p role="status" className="banner banner-ok">
          Admin token rotated; this console signed in again. The old token and the other {rotated} console sessions and login links no longer work.
        </p>
      )}
      {notice && (
        <p role="status" className="banner banner-ok">
          {notice}
        </p>
      )}
      {restartNeeded && (
        <p role="status" className="banner banner-warn">
          Restart the gateway to listen on the new address or port: it keeps listening on {status?.url ?? 'the old one'} until then.
        </p>
      )}
      {status && snapshot && (
        <>
          <dl className="facts" aria-label="Gateway">
            <dt>Listening on</dt>
            <dd>
              <span className="mono">{status.url || 'not serving'}</span>
              {status.url && !restartNeeded && new URL(status.url).port !== String(view.port) && (
                <span className="muted small"> · the file says port {view.port}: a --port flag or GATEHOUSE_PORT overrides it</span>
              )}
            </dd>
            <dt>Data directory</dt>
            <dd className="mono">{status.dataDir}</dd>
            <dt>Config file</dt>
            <dd className="mono">{status.configPath}</dd>
            <dt>Running since</dt>
            <dd>
              <Time iso={status.startedAt} /> <span className="muted">· version {status.version}, pid {status.pid}</span>
            </dd>
          </dl>
          {snapshot.lastError && (
            <p role="alert" className="error">
              The config file has a change the gateway refused; the previous config keeps running. Fix it in an editor (<code className="mono">gatehouse config validate</code> lists the problems).
            </p>
          )}
          {/* Keyed by the file's hash: a reload (here or after an edit elsewhere) resets the forms to the file. */}
          <ServerForm key={`server-${snapshot.hash}`} view={view} />
          <PolicyForm key={`policy-${snapshot.hash}`} view={view} />
        </>
      )}
      <AdminToken />
      <LoginItem />
    </section>
  );
}
