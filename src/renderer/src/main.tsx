// The UI's entry: a status page until the full console lands (see the desktop issue).
import { StrictMode, useEffect, useState } from 'react';
import { createRoot } from 'react-dom/client';
import type { GatewayStatus } from '../../shared/contract';
import { controlClient } from './client';

function App() {
  const [status, setStatus] = useState<GatewayStatus | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    controlClient()
      .call('status:get', {})
      .then(setStatus, (e: Error) => setError(e.message));
  }, []);
  if (error) return <p role="alert">Cannot reach the gateway: {error}</p>;
  if (!status) return <p>Connecting to the gateway…</p>;
  return (
    <main style={{ font: '14px system-ui', margin: '2rem' }}>
      <h1 style={{ fontSize: 18 }}>Gatehouse</h1>
      <p>
        Listening on <code>{status.url}</code> · {status.ledger.events} ledger events
      </p>
      <ul>
        {status.providers.map((p) => (
          <li key={p.id}>
            {p.id} ({p.type}): {p.ready ? 'ready' : p.error}
          </li>
        ))}
      </ul>
    </main>
  );
}

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
