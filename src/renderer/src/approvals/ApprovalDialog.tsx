// The approval popup: which agent wants which tool on which server, with the full arguments, the
// guardrail findings and a countdown. Resistant to misclicks: every button is inert for ARM_MS after
// an approval appears (or another takes its place), Deny has the focus, and Enter never allows —
// the Allow buttons take a click or Space only.
import { useEffect, useRef, useState, type KeyboardEvent } from 'react';
import { useStore } from 'zustand';
import type { ApprovalDecision } from '../../../shared/contract';
import { isDesktop } from '../client';
import { useStores } from '../stores';
import type { ShownApproval } from '../stores/approvals';
import { patternCandidates } from '../widgets/json';
import { JsonView } from '../widgets/JsonView';
import { useNow } from '../widgets/hooks';
import { span } from '../widgets/format';

/** How long the buttons stay inert after an approval appears. */
export const ARM_MS = 1000;

/** Whether the person is typing in a field outside the dialog: then the dialog does not take the focus. */
function typingElsewhere(dialog: HTMLElement | null): boolean {
  const el = document.activeElement as HTMLElement | null;
  if (!el || (dialog && dialog.contains(el))) return false;
  return el.isContentEditable || el instanceof HTMLTextAreaElement || el instanceof HTMLSelectElement || (el instanceof HTMLInputElement && !['button', 'checkbox', 'radio', 'submit'].includes(el.type));
}

function Countdown({ a }: { a: ShownApproval }) {
  const now = useNow(250);
  const total = Math.max(1, Date.parse(a.expiresAt) - Date.parse(a.requestedAt));
  const left = Math.max(0, Math.min(total, Date.parse(a.expiresAt) - now));
  return (
    <div className="countdown" role="timer" aria-label={`Denied automatically in ${span(left)}`}>
      <div className="countdown-bar" style={{ width: `${(left / total) * 100}%` }} />
      <span className="countdown-text muted">denied in {span(left)} without an answer</span>
    </div>
  );
}

export function ApprovalDialog() {
  const { approvals } = useStores();
  const { pending, deciding, focus, decide, show, error } = useStore(approvals);
  const dialog = useRef<HTMLDivElement>(null);
  const denyButton = useRef<HTMLButtonElement>(null);
  const [armedFor, setArmedFor] = useState<string | null>(null);
  const [patternOpen, setPatternOpen] = useState(false);
  const [pattern, setPattern] = useState<Record<string, { on: boolean; glob: string }>>({});

  const index = Math.max(0, focus ? pending.findIndex((p) => p.id === focus) : 0);
  const current = pending[index];
  const currentId = current?.id;

  useEffect(() => {
    if (!currentId) return;
    setArmedFor(null);
    setPatternOpen(false);
    const t = setTimeout(() => setArmedFor(currentId), ARM_MS);
    if (!typingElsewhere(dialog.current)) denyButton.current?.focus({ preventScroll: true });
    return () => clearTimeout(t);
  }, [currentId]);

  useEffect(() => {
    setPattern(Object.fromEntries(patternCandidates(current?.arguments).map((c) => [c.name, { on: false, glob: c.value }])));
  }, [current?.arguments]);

  if (!current) return null;
  const armed = armedFor === current.id && !deciding[current.id];
  const answer = (decision: ApprovalDecision, where?: Record<string, string>): void => {
    if (!armed) return;
    void decide(current.id, decision, where);
  };
  // Enter activates a focused button natively: swallowed everywhere in the dialog except on Deny.
  const onKeyDown = (e: KeyboardEvent): void => {
    if (e.key === 'Enter' && e.target !== denyButton.current) e.preventDefault();
  };
  const who = [`key "${current.keyName}"`, current.user && `user ${current.user}`, current.team && `team ${current.team}`].filter(Boolean).join(' · ');
  const where = Object.fromEntries(Object.entries(pattern).filter(([, p]) => p.on && p.glob !== '').map(([k, p]) => [k, p.glob]));
  const inert = { 'aria-disabled': !armed };

  return (
    <div ref={dialog} className="approval" role="alertdialog" aria-modal="false" aria-labelledby="approval-title" aria-describedby="approval-who" onKeyDown={onKeyDown}>
      <div className="approval-top">
        <span className="chip chip-accent">Approval</span>
        {pending.length > 1 && (
          <span className="approval-stack" aria-live="polite">
            <button type="button" className="icon" aria-label="Previous (newer) approval" disabled={index === 0} onClick={() => show(pending[index - 1]!.id)}>
              ‹
            </button>
            <span>
              {index + 1} of {pending.length} waiting
            </span>
            <button type="button" className="icon" aria-label="Next (older) approval" disabled={index >= pending.length - 1} onClick={() => show(pending[index + 1]!.id)}>
              ›
            </button>
          </span>
        )}
      </div>
      <h2 id="approval-title" className="approval-title">
        Run <span className="mono">{current.tool}</span> on <span className="mono">{current.server}</span>?
      </h2>
      <p id="approval-who" className="approval-who">
        Asked by {who} <span className="muted">· session {current.session.slice(0, 12)}</span>
      </p>
      <p className="approval-reason muted">{current.reason}</p>
      {current.findings.length > 0 && (
        <ul className="chips" aria-label="Guardrail findings">
          {current.findings.map((f, i) => (
            <li key={i} className={`chip chip-${f.action === 'block' ? 'danger' : 'warn'}`}>
              {f.type} · {f.rule} → {f.action}
            </li>
          ))}
        </ul>
      )}
      <JsonView value={current.arguments} label={`Arguments of ${current.tool}`} />
      <Countdown a={current} />
      {patternOpen && (
        <fieldset className="pattern">
          <legend>Always allow {current.tool} for this key — remembered across restarts</legend>
          {Object.keys(pattern).length === 0 && <p className="muted">This call has no plain arguments to match: it will be allowed whatever its arguments.</p>}
          {Object.entries(pattern).map(([name, p]) => (
            <div key={name} className="pattern-row">
              <label>
                <input type="checkbox" checked={p.on} onChange={(e) => setPattern({ ...pattern, [name]: { ...p, on: e.target.checked } })} /> only when <span className="mono">{name}</span> matches
              </label>
              <input
                type="text"
                className="mono"
                aria-label={`Pattern (glob) for ${name}`}
                value={p.glob}
                disabled={!p.on}
                onChange={(e) => setPattern({ ...pattern, [name]: { ...p, glob: e.target.value } })}
              />
            </div>
          ))}
          <p className="muted small">{Object.keys(where).length ? `Later calls run without asking when ${Object.entries(where).map(([k, g]) => `${k} matches ${g}`).join(' and ')}.` : 'Later calls run without asking, whatever their arguments.'}</p>
          <div className="buttons">
            <button type="button" {...inert} onClick={() => answer('always', Object.keys(where).length ? where : undefined)}>
              Always allow with this pattern
            </button>
            <button type="button" className="quiet" onClick={() => setPatternOpen(false)}>
              Cancel
            </button>
          </div>
        </fieldset>
      )}
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
      <div className="buttons approval-buttons">
        <button ref={denyButton} type="button" className="primary" {...inert} onClick={() => answer('deny')}>
          Deny
        </button>
        <button type="button" {...inert} onClick={() => answer('once')}>
          Allow once
        </button>
        <button type="button" {...inert} onClick={() => answer('session')}>
          Allow for this session
        </button>
        <button type="button" {...inert} aria-expanded={patternOpen} onClick={() => armed && setPatternOpen(true)}>
          Always allow…
        </button>
      </div>
      <p className="muted small approval-hint">{armed ? 'Enter denies. Allow with a click or Space.' : 'Buttons activate in a moment…'}</p>
    </div>
  );
}

/** Notices for approvals that went away by themselves (withdrawn, timed out, answered elsewhere). */
export function ApprovalNotices() {
  const { approvals } = useStores();
  const { notices, dismissNotice } = useStore(approvals);
  useEffect(() => {
    if (notices.length === 0) return;
    const t = setTimeout(() => dismissNotice(notices[0]!.id), 8000);
    return () => clearTimeout(t);
  }, [notices, dismissNotice]);
  return (
    <div className="notices" aria-live="polite">
      {notices.map((n) => (
        <div key={n.id} className="notice" role="status">
          <span>{n.text}</span>
          <button type="button" className="icon" aria-label="Dismiss" onClick={() => dismissNotice(n.id)}>
            ×
          </button>
        </div>
      ))}
    </div>
  );
}

/** A browser notification for each new approval while the page is not in front (only once a person allowed them). */
export function useApprovalNotifications(): void {
  const { approvals } = useStores();
  useEffect(() => {
    // The desktop app's main process notifies through the OS, and shows its popup window.
    if (isDesktop()) return;
    const seen = new Set(approvals.getState().pending.map((p) => p.id));
    return approvals.subscribe((s) => {
      for (const p of s.pending) {
        if (seen.has(p.id)) continue;
        seen.add(p.id);
        if (typeof Notification === 'undefined' || Notification.permission !== 'granted' || document.hasFocus()) continue;
        const n = new Notification('Gatehouse: a tool call needs your approval', { body: `key "${p.keyName}" wants ${p.tool} on ${p.server}`, tag: p.id, requireInteraction: true });
        n.onclick = () => {
          window.focus();
          approvals.getState().show(p.id);
          n.close();
        };
      }
    });
  }, [approvals]);
}
