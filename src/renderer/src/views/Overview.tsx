// Overview: is the gateway up, what is it doing, what is it costing; then what needs attention.
import { useStore } from 'zustand';
import { useStores } from '../stores';
import { meterLevel } from '../stores/budgets';
import { liveRates, perMinute } from '../stores/status';
import { absolute, count, span, usd } from '../widgets/format';
import { useNow } from '../widgets/hooks';
import { Time } from '../widgets/Time';

function Sparkline({ values, label }: { values: number[]; label: string }) {
  const max = Math.max(1, ...values);
  const w = 120;
  const h = 28;
  const points = values.map((v, i) => `${((i / Math.max(1, values.length - 1)) * w).toFixed(1)},${(h - (v / max) * (h - 2) - 1).toFixed(1)}`).join(' ');
  return (
    <svg className="spark" width={w} height={h} viewBox={`0 0 ${w} ${h}`} role="img" aria-label={label}>
      <polyline points={points} fill="none" stroke="currentColor" strokeWidth="1.5" />
    </svg>
  );
}

export function Overview({ go }: { go: (area: string, filters?: Record<string, string>) => void }) {
  const { status: statusStore, approvals, budgets } = useStores();
  const { status, usage, error, recent, alerts } = useStore(statusStore);
  const pending = useStore(approvals, (s) => s.pending);
  const meters = useStore(budgets, (s) => s.meters);
  const now = useNow(1000);

  if (error && !status) return <p role="alert">Cannot reach the gateway: {error}</p>;
  if (!status) return <p className="muted">Reading the gateway's status…</p>;

  const today = new Date(now).toISOString().slice(0, 10);
  const todayRow = usage?.rows.find((r) => r.group === today);
  const live = liveRates(recent, now);
  const monthBudget = meters.find((m) => m.kind === 'global' && m.window === 'month');
  const hot = meters.filter((m) => meterLevel(m).level !== 'ok');
  const unready = status.providers.filter((p) => !p.ready);
  const openTargets = status.targets.filter((t) => t.state !== 'closed');
  const failures = recent.filter((r) => r.status >= 400).slice(-5).reverse();

  return (
    <section aria-labelledby="area-title">
      <h1 id="area-title">Overview</h1>
      <div className="cards">
        <article className="card" aria-labelledby="card-up">
          <h2 id="card-up">
            <span className="dot dot-ok" aria-hidden="true" /> Gateway up
          </h2>
          <p className="big mono">{status.url}</p>
          <p className="muted">
            up <span title={absolute(status.startedAt)}>{span(now - Date.parse(status.startedAt))}</span> · v{status.version} · pid {status.pid}
          </p>
          <p className="muted">
            {status.providers.length} provider{status.providers.length === 1 ? '' : 's'} · {count(status.ledger.events)} ledger records
          </p>
        </article>
        <article className="card" aria-labelledby="card-doing">
          <h2 id="card-doing">Doing</h2>
          <p className="big">
            <span className="num">{live.perMinute}</span> <span className="muted">req/min</span>
          </p>
          <Sparkline values={perMinute(recent, now)} label="Requests per minute, last 30 minutes" />
          <p className="muted">
            today {count(todayRow?.requests ?? 0)} requests · {count(todayRow?.errors ?? 0)} errors · p50 {live.p50Ms === null ? '–' : `${live.p50Ms} ms`}
          </p>
        </article>
        <article className="card" aria-labelledby="card-cost">
          <h2 id="card-cost">Costing</h2>
          <p className="big">
            <span className="num">{usd(todayRow?.costUsd ?? 0)}</span> <span className="muted">today</span>
          </p>
          <p className="muted">
            {usd(usage?.totals.costUsd ?? 0)} this month{monthBudget ? ` of ${usd(monthBudget.limitUsd)} (gateway budget)` : ''}
          </p>
          {(usage?.totals.unpricedRequests ?? 0) > 0 && <p className="muted">{usage!.totals.unpricedRequests} requests had no known price</p>}
        </article>
      </div>
      <h2>Needs attention</h2>
      <ul className="attention">
        {pending.length > 0 && (
          <li>
            <button type="button" className="link" onClick={() => go('approvals')}>
              {pending.length} tool call{pending.length === 1 ? '' : 's'} waiting for approval
            </button>
          </li>
        )}
        {hot.map((m, i) => (
          <li key={`${m.subject}-${m.window}-${i}`}>
            <button type="button" className="link" onClick={() => go('budgets')}>
              Budget of {m.kind} {m.name} ({m.window}) at {Math.round(((m.spentUsd + m.reservedUsd) / m.limitUsd) * 100)} %
            </button>
          </li>
        ))}
        {alerts.slice(0, 3).map((a, i) => (
          <li key={`alert-${i}`}>
            {a.label}: {a.thresholdPercent} % of {usd(a.amountUsd)} per {a.window} spent · <Time iso={a.at} />
          </li>
        ))}
        {unready.map((p) => (
          <li key={p.id}>
            Provider {p.id} is not ready: {p.error}
          </li>
        ))}
        {openTargets.map((t) => (
          <li key={t.targetId}>
            Target {t.targetId} is {t.state} after {t.consecutiveFailures} failures
          </li>
        ))}
        {failures.map((f) => (
          <li key={f.requestId}>
            Request to {f.model ?? 'unknown model'} failed with {f.status} ({f.outcome})
          </li>
        ))}
        {pending.length + hot.length + alerts.length + unready.length + openTargets.length + failures.length === 0 && <li className="muted">Nothing needs you right now.</li>}
      </ul>
    </section>
  );
}
