// The side panel an area opens beside its list: a heading, a close button that takes the focus when
// another item opens, Escape to close; and the record a panel shows as the ledger stored it.
import { useEffect, useId, useRef, type ReactNode } from 'react';

export function Drawer({ title, closeLabel, focusKey, className, onClose, children }: { title: ReactNode; closeLabel: string; focusKey: unknown; className?: string; onClose(): void; children: ReactNode }) {
  const close = useRef<HTMLButtonElement>(null);
  const titleId = useId();
  useEffect(() => close.current?.focus(), [focusKey]);
  return (
    <aside className={className ? `drawer ${className}` : 'drawer'} aria-labelledby={titleId} onKeyDown={(e) => e.key === 'Escape' && onClose()}>
      <div className="drawer-head">
        <h2 id={titleId}>{title}</h2>
        <button ref={close} type="button" className="icon" aria-label={closeLabel} onClick={onClose}>
          ×
        </button>
      </div>
      {children}
    </aside>
  );
}

export function StoredRecord({ body }: { body: Record<string, unknown> }) {
  return (
    <pre className="mono record-json" aria-label="The record as stored">
      {JSON.stringify(body, null, 2)}
    </pre>
  );
}
