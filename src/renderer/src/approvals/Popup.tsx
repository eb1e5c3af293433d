// The desktop app's approval popup window (`#/popup`): only the approval dialog, filling the small
// always-on-top window the main process shows while tool calls wait.
import { useEffect } from 'react';
import { useStore } from 'zustand';
import { useStores } from '../stores';
import { ApprovalDialog, ApprovalNotices } from './ApprovalDialog';

export const isPopupRoute = (hash: string): boolean => /^#\/popup(\?|$)/.test(hash);

export function Popup() {
  const { approvals } = useStores();
  const count = useStore(approvals, (s) => s.pending.length);
  useEffect(() => {
    document.title = count ? `Approval (${count} waiting) · Gatehouse` : 'Approvals · Gatehouse';
  }, [count]);
  return (
    <main className="popup" aria-label="Approvals">
      {count === 0 && <p className="muted popup-empty">No tool call is waiting for you. This window hides itself until one does.</p>}
      <ApprovalDialog />
      <ApprovalNotices />
    </main>
  );
}
