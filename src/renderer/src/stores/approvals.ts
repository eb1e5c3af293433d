// Pending MCP tool approvals: the dialog's stack (newest first), the answers given here, and the
// notices shown when one goes away by itself (withdrawn, timed out, answered elsewhere).
import { createStore } from 'zustand/vanilla';
import type { ApprovalDecision, ApprovalResolved, ControlEvent, PendingApproval } from '../../../shared/contract';
import type { ControlClient } from '../../../shared/control-client';

export interface ShownApproval extends PendingApproval {
  /** When this page learnt of it (ms, the page's clock): the countdown runs from here, immune to clock skew. */
  receivedAt: number;
}

export interface Notice {
  id: number;
  text: string;
}

export interface ApprovalsState {
  /** Newest first. */
  pending: ShownApproval[];
  notices: Notice[];
  /** Approvals whose answer is on its way. */
  deciding: Record<string, true>;
  error: string | null;
  /** The one the dialog shows when a person picked it; null: the newest. A new arrival resets it. */
  focus: string | null;
  show(id: string | null): void;
  refresh(): Promise<void>;
  decide(id: string, decision: ApprovalDecision, where?: Record<string, string>): Promise<boolean>;
  dismissNotice(id: number): void;
  onEvent(e: ControlEvent): void;
}

const label = (a: Pick<PendingApproval, 'server' | 'tool'>): string => `${a.server}/${a.tool}`;

function goneText(a: PendingApproval, r: ApprovalResolved): string {
  switch (r.outcome) {
    case 'withdrawn':
      return `The call to ${label(a)} was withdrawn: the client cancelled it.`;
    case 'timeout':
      return `The call to ${label(a)} was denied: no answer in time.`;
    default:
      return `The call to ${label(a)} was ${r.outcome === 'approved' ? 'allowed' : 'denied'} elsewhere (${r.by}).`;
  }
}

const newestFirst = (a: ShownApproval, b: ShownApproval): number => (a.requestedAt < b.requestedAt ? 1 : a.requestedAt > b.requestedAt ? -1 : b.receivedAt - a.receivedAt);

export function createApprovalsStore(client: ControlClient, now: () => number = Date.now) {
  let noticeId = 0;
  /** Answered from this page: their `approval:resolved` needs no notice. */
  const answeredHere = new Set<string>();
  return createStore<ApprovalsState>()((set, get) => {
    const notice = (text: string): void => set((s) => ({ notices: [...s.notices, { id: ++noticeId, text }].slice(-5) }));
    const remove = (id: string): void => set((s) => ({ pending: s.pending.filter((p) => p.id !== id) }));
    return {
      pending: [],
      notices: [],
      deciding: {},
      error: null,
      focus: null,
      show(focus) {
        set({ focus });
      },
      async refresh() {
        try {
          const list = await client.call('approvals:list', {});
          const known = new Map(get().pending.map((p) => [p.id, p]));
          set({ pending: list.map((p) => ({ ...p, receivedAt: known.get(p.id)?.receivedAt ?? now() })).sort(newestFirst), error: null });
        } catch (e) {
          set({ error: `Could not read the pending approvals: ${(e as Error).message}` });
        }
      },
      async decide(id, decision, where) {
        const a = get().pending.find((p) => p.id === id);
        answeredHere.add(id);
        set((s) => ({ deciding: { ...s.deciding, [id]: true } }));
        try {
          await client.call('approvals:decide', where ? { id, decision, where } : { id, decision });
          remove(id);
          return true;
        } catch (e) {
          const err = e as Error & { code?: string };
          if (err.code === 'not_found') {
            remove(id);
            notice(`${a ? `The call to ${label(a)}` : 'That call'} was no longer waiting: it was answered, timed out or withdrawn.`);
          } else set({ error: `Could not send the answer: ${err.message}` });
          return false;
        } finally {
          set((s) => {
            const { [id]: _done, ...rest } = s.deciding;
            return { deciding: rest };
          });
        }
      },
      dismissNotice(id) {
        set((s) => ({ notices: s.notices.filter((n) => n.id !== id) }));
      },
      onEvent(e) {
        if (e.event === 'approval:requested') {
          if (get().pending.some((p) => p.id === e.data.id)) return;
          set((s) => ({ pending: [...s.pending, { ...e.data, receivedAt: now() }].sort(newestFirst), focus: null }));
        } else if (e.event === 'approval:resolved') {
          const a = get().pending.find((p) => p.id === e.data.id);
          if (!a) return;
          remove(a.id);
          if (!answeredHere.has(a.id)) notice(goneText(a, e.data));
        }
      },
    };
  });
}

export type ApprovalsStore = ReturnType<typeof createApprovalsStore>;
