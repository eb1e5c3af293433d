// The grants, limits and budgets a key, a user and a team each carry, as one fieldset.
import { BUDGET_WINDOWS, type BudgetWindow } from '../../../shared/contract';
import type { PolicyForm } from '../stores/keys';

export function PolicyFieldset({ value, onChange, subject }: { value: PolicyForm; onChange: (v: PolicyForm) => void; subject: string }) {
  const set = (patch: Partial<PolicyForm>): void => onChange({ ...value, ...patch });
  const setBudget = (i: number, patch: Partial<PolicyForm['budgets'][number]>): void => set({ budgets: value.budgets.map((b, j) => (j === i ? { ...b, ...patch } : b)) });
  const unusedWindow = BUDGET_WINDOWS.find((w) => !value.budgets.some((b) => b.window === w));
  return (
    <>
      <label>
        Models <span className="muted">(routes or globs, comma-separated; empty: all)</span>
        <input value={value.models} onChange={(e) => set({ models: e.target.value })} placeholder="fast, anthropic/*" />
      </label>
      <label>
        MCP tools <span className="muted">(server__tool globs, comma-separated; empty: all)</span>
        <input className="mono" value={value.mcpTools} onChange={(e) => set({ mcpTools: e.target.value })} placeholder="fs__read_*, github__*" />
      </label>
      {value.budgets.map((b, i) => (
        <div className="form-row" key={i}>
          <label>
            {i === 0 ? 'Budget, USD' : `Budget ${i + 1}, USD`} <span className="muted">(empty: none)</span>
            <input type="number" min="0.01" step="0.01" value={b.amount} onChange={(e) => setBudget(i, { amount: e.target.value })} placeholder="5" />
          </label>
          <label>
            {i === 0 ? 'Budget window' : `Budget ${i + 1} window`}
            <select value={b.window} onChange={(e) => setBudget(i, { window: e.target.value as BudgetWindow })}>
              {BUDGET_WINDOWS.map((w) => (
                <option key={w} value={w}>
                  per {w}
                </option>
              ))}
            </select>
          </label>
          {i > 0 && (
            <button type="button" className="quiet" aria-label={`Remove budget ${i + 1}`} onClick={() => set({ budgets: value.budgets.filter((_, j) => j !== i) })}>
              Remove
            </button>
          )}
        </div>
      ))}
      {unusedWindow && (
        <p>
          <button type="button" className="quiet" onClick={() => set({ budgets: [...value.budgets, { amount: '', window: unusedWindow }] })}>
            Add a budget for another window
          </button>
        </p>
      )}
      <div className="form-row">
        <label>
          Requests per minute <span className="muted">(empty: no limit)</span>
          <input type="number" min="1" step="1" value={value.rpm} onChange={(e) => set({ rpm: e.target.value })} />
        </label>
        <label>
          Tokens per minute
          <input type="number" min="1" step="1" value={value.tpm} onChange={(e) => set({ tpm: e.target.value })} />
        </label>
        <label>
          Concurrent requests
          <input type="number" min="1" step="1" value={value.maxConcurrency} onChange={(e) => set({ maxConcurrency: e.target.value })} />
        </label>
      </div>
      <p className="muted small">A request must pass the grants, limits and budgets of its key, the key's user and the key's team; these are {subject}'s.</p>
    </>
  );
}
