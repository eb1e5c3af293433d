// The shell: the left rail of areas (Approvals with its pending count), the area shown, the approval
// dialog over everything, and the event stream's state.
import { lazy, Suspense, useEffect, useRef, useState, type KeyboardEvent } from 'react';
import { useStore } from 'zustand';
import type { EventsState } from './client';
import { ApprovalDialog, ApprovalNotices, useApprovalNotifications } from './approvals/ApprovalDialog';
import { useStores } from './stores';
import { Approvals } from './views/Approvals';
import { Audit } from './views/Audit';
import { Budgets } from './views/Budgets';
import { Keys } from './views/Keys';
import { McpServers } from './views/McpServers';
import { Overview } from './views/Overview';
import { Providers } from './views/Providers';
import { Agents } from './views/Agents';
import { Settings } from './views/Settings';
import { Traffic } from './views/Traffic';

// Reports bring the chart library with them: loaded when the area is first opened, not with the window.
const Reports = lazy(() => import('./views/Reports').then((m) => ({ default: m.Reports })));

interface Area {
  id: string;
  title: string;
}

export const AREAS: Area[] = [
  { id: 'overview', title: 'Overview' },
  { id: 'traffic', title: 'Traffic' },
  { id: 'approvals', title: 'Approvals' },
  { id: 'agents', title: 'Agents' },
  { id: 'providers', title: 'Providers' },
  { id: 'mcp', title: 'MCP servers' },
  { id: 'keys', title: 'Keys & people' },
  { id: 'budgets', title: 'Budgets' },
  { id: 'audit', title: 'Audit' },
  { id: 'reports', title: 'Reports' },
  { id: 'settings', title: 'Settings' },
];

/** `#/audit?keyId=k` -> area and its filters. */
export function parseHash(hash: string): { area: string; params: Record<string, string> } {
  const [path = '', query = ''] = hash.replace(/^#\/?/, '').split('?');
  const area = AREAS.some((a) => a.id === path) ? path : 'overview';
  return { area, params: Object.fromEntries(new URLSearchParams(query)) };
}

function useHashRoute() {
  const [hash, setHash] = useState(() => location.hash);
  useEffect(() => {
    const on = (): void => setHash(location.hash);
    window.addEventListener('hashchange', on);
    return () => window.removeEventListener('hashchange', on);
  }, []);
  return parseHash(hash);
}

const go = (area: string, params?: Record<string, string>): void => {
  const q = params ? new URLSearchParams(params).toString() : '';
  location.hash = `#/${area}${q ? `?${q}` : ''}`;
};

const CONNECTION_TEXT: Record<EventsState, string> = {
  connecting: 'Connecting to the gateway…',
  live: 'Live',
  reconnecting: 'Connection lost, reconnecting…',
  polling: 'Refreshing every few seconds',
};

export function App({ connection }: { connection: EventsState }) {
  const { approvals } = useStores();
  const pendingCount = useStore(approvals, (s) => s.pending.length);
  const { area, params } = useHashRoute();
  const main = useRef<HTMLElement>(null);
  const rail = useRef<HTMLUListElement>(null);
  useApprovalNotifications();

  useEffect(() => {
    const current = AREAS.find((a) => a.id === area);
    document.title = `${current?.title ?? 'Gatehouse'}${pendingCount ? ` (${pendingCount} waiting)` : ''} · Gatehouse`;
  }, [area, pendingCount]);

  // Up/Down (and Home/End) move between the rail's areas; Tab leaves the rail.
  const onRailKey = (e: KeyboardEvent): void => {
    const links = [...(rail.current?.querySelectorAll('a') ?? [])];
    const i = links.indexOf(document.activeElement as HTMLAnchorElement);
    const to = { ArrowDown: i + 1, ArrowUp: i - 1, Home: 0, End: links.length - 1 }[e.key];
    if (to === undefined || i < 0) return;
    e.preventDefault();
    links[(to + links.length) % links.length]?.focus();
  };

  return (
    <div className="shell">
      <a className="skip" href="#main" onClick={(e) => (e.preventDefault(), main.current?.focus())}>
        Skip to content
      </a>
      <nav className="rail" aria-label="Areas">
        <div className="brand" aria-hidden="true">
          Gatehouse
        </div>
        <ul ref={rail} onKeyDown={onRailKey}>
          {AREAS.map((a) => (
            <li key={a.id}>
              <a
                href={`#/${a.id}`}
                aria-current={a.id === area ? 'page' : undefined}
                aria-label={a.id === 'approvals' && pendingCount ? `Approvals, ${pendingCount} waiting` : undefined}
              >
                <span>{a.title}</span>
                {a.id === 'approvals' && pendingCount > 0 && (
                  <span className="badge" aria-hidden="true">
                    {pendingCount}
                  </span>
                )}
              </a>
            </li>
          ))}
        </ul>
        <p className={`connection connection-${connection}`} role="status">
          <span className="dot" aria-hidden="true" /> {CONNECTION_TEXT[connection]}
        </p>
      </nav>
      <main id="main" ref={main} tabIndex={-1} className="content">
        {area === 'overview' && <Overview go={go} />}
        {area === 'approvals' && <Approvals />}
        {area === 'providers' && <Providers />}
        {area === 'mcp' && <McpServers />}
        {area === 'keys' && <Keys />}
        {area === 'budgets' && <Budgets go={go} />}
        {area === 'audit' && <Audit initial={params} />}
        {area === 'agents' && <Agents />}
        {area === 'settings' && <Settings initial={params} />}
        {area === 'traffic' && <Traffic />}
        {area === 'reports' && (
          <Suspense fallback={<p className="muted" role="status">Loading reports…</p>}>
            <Reports />
          </Suspense>
        )}
      </main>
      <ApprovalDialog />
      <ApprovalNotices />
    </div>
  );
}
