// Approvals: the tool calls waiting for a person (each opens in the approval dialog), and browser notifications.
import { useState } from 'react';
import { useStore } from 'zustand';
import { isDesktop } from '../client';
import { useStores } from '../stores';
import { EmptyState } from '../widgets/EmptyState';
import { Time } from '../widgets/Time';

function NotificationSetting() {
  const [permission, setPermission] = useState(() => (isDesktop() ? 'desktop' : typeof Notification === 'undefined' ? 'unsupported' : Notification.permission));
  if (permission === 'desktop') return <p className="muted">Each new approval opens in a small window on top of the others, with a system notification.</p>;
  if (permission === 'unsupported') return <p className="muted">This browser cannot show notifications; keep this page open to see approvals.</p>;
  if (permission === 'granted') return <p className="muted">Browser notifications are on: a new approval notifies you while this page is in the background.</p>;
  if (permission === 'denied') return <p className="muted">Browser notifications are blocked for this page; allow them in the browser's site settings to be notified.</p>;
  return (
    <p>
      <button type="button" onClick={() => void Notification.requestPermission().then(setPermission)}>
        Notify me in the browser
      </button>{' '}
      <span className="muted">when a tool call waits while this page is in the background.</span>
    </p>
  );
}

export function Approvals() {
  const { approvals } = useStores();
  const { pending, show } = useStore(approvals);
  return (
    <section aria-labelledby="area-title">
      <h1 id="area-title">Approvals</h1>
      <NotificationSetting />
      {pending.length === 0 ? (
        <EmptyState title="No tool calls are waiting">
          <p>
            A call to an MCP tool whose policy is <code className="mono">ask</code> waits here, and pops up, until you allow or deny it. Set a tool to ask in the
            config: <code className="mono">tools: {'{'} "write_*": ask {'}'}</code>. From a terminal: <code className="mono">gatehouse approvals list</code>.
          </p>
        </EmptyState>
      ) : (
        <table className="table">
          <thead>
            <tr>
              <th scope="col">Tool</th>
              <th scope="col">Asked by</th>
              <th scope="col">Why</th>
              <th scope="col">Asked</th>
              <th scope="col">
                <span className="sr-only">Open</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {pending.map((p) => (
              <tr key={p.id}>
                <td className="mono">
                  {p.server}/{p.tool}
                </td>
                <td>
                  key "{p.keyName}"{p.user ? ` · ${p.user}` : ''}
                  {p.team ? ` · ${p.team}` : ''}
                </td>
                <td className="muted">{p.reason}</td>
                <td>
                  <Time iso={p.requestedAt} />
                </td>
                <td>
                  <button type="button" onClick={() => show(p.id)} aria-label={`Review ${p.server}/${p.tool} asked by ${p.keyName}`}>
                    Review
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
