// Budgets: a meter per budget of the gateway, teams, users and keys.
import { useStore } from 'zustand';
import type { BudgetMeter } from '../../../shared/contract';
import { useStores } from '../stores';
import { EmptyState } from '../widgets/EmptyState';
import { useNow } from '../widgets/hooks';
import { Meter } from '../widgets/Meter';

const GROUPS: { kind: BudgetMeter['kind']; title: string }[] = [
  { kind: 'global', title: 'Gateway' },
  { kind: 'team', title: 'Teams' },
  { kind: 'user', title: 'Users' },
  { kind: 'key', title: 'Keys' },
];

export function Budgets({ go }: { go: (area: string, filters?: Record<string, string>) => void }) {
  const { budgets } = useStores();
  const { meters, loaded, error } = useStore(budgets);
  const now = useNow(30_000);
  return (
    <section aria-labelledby="area-title">
      <h1 id="area-title">Budgets</h1>
      {error && <p role="alert">Could not read the budgets: {error}</p>}
      {!loaded && <p className="muted">Reading the budgets…</p>}
      {loaded && meters.length === 0 && (
        <EmptyState title="No budgets yet">
          <p>
            Give a key a budget when you create it (Keys & people), or from a terminal: <code className="mono">gatehouse keys update ID --budget 5/day</code>; a
            team's with <code className="mono">gatehouse teams update NAME --budget 50/month</code>; the whole gateway's under <code className="mono">budgets:</code> in
            the config.
          </p>
        </EmptyState>
      )}
      {GROUPS.map((g) => {
        const list = meters.filter((m) => m.kind === g.kind);
        if (list.length === 0) return null;
        return (
          <div key={g.kind} className="meter-group">
            <h2>{g.title}</h2>
            {list.map((m) => (
              <Meter
                key={`${m.subject}-${m.window}`}
                meter={m}
                now={now}
                onOpen={m.kind === 'key' ? () => go('audit', { keyId: m.subject.slice(4), type: 'llm.request' }) : undefined}
              />
            ))}
          </div>
        );
      })}
    </section>
  );
}
