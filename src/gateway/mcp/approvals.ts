// Tool calls that ask a person first: a call waits while its approval is pending (shown through a
// control-plane event and `gatehouse approvals`), and ends approved, denied, timed out (denied), or
// withdrawn when the client cancels. Answers for a session or for always are remembered.
import { randomBytes } from 'node:crypto';
import type { ApprovalDecision, ApprovalResolved, PendingApproval } from '../../shared/contract.js';
import { globMatch } from '../policy/keys.js';

/** Under the MCP SDK's default request timeout (60 s), so the client hears the answer. */
export const DEFAULT_APPROVAL_TIMEOUT_MS = 50_000;

export type ApprovalRequest = Omit<PendingApproval, 'id' | 'requestedAt' | 'expiresAt'>;

export interface ApprovalOutcome {
  approved: boolean;
  outcome: ApprovalResolved['outcome'];
  decision: ApprovalDecision | null;
  by: string;
}

export interface ApprovalEvents {
  requested(p: PendingApproval): void;
  resolved(r: ApprovalResolved): void;
}

/** Where "always" answers are kept (SQLite), per server, tool and key, with the argument patterns they cover. */
export interface ApprovalRules {
  /** Each rule's patterns (argument name -> glob; empty: any arguments). */
  patterns(server: string, tool: string, keyId: string): Record<string, string>[];
  add(server: string, tool: string, keyId: string, by: string, where: Record<string, string>): void;
}

/** Whether arguments match a rule's patterns: each named argument, as text, matches its glob. */
export function argumentsMatch(where: Record<string, string>, args: Record<string, unknown> | undefined): boolean {
  return Object.entries(where).every(([name, glob]) => {
    const v = args?.[name];
    return (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') && globMatch(glob, String(v));
  });
}

export interface Approvals {
  /**
   * Waits for a person's answer. `signal` aborting (the client cancelled the call) withdraws it;
   * no answer within `timeoutMs` denies it. `onWaiting` is called every `tickMs` while it waits
   * (for progress notifications that keep the client from timing out).
   */
  request(req: ApprovalRequest, options: { signal: AbortSignal; timeoutMs?: number; tickMs?: number; onWaiting?: (waitedMs: number, timeoutMs: number) => void }): Promise<ApprovalOutcome>;
  /** A remembered answer that lets this call run without asking: how it was given, else undefined. */
  remembered(server: string, tool: string, keyId: string, session: string, args: Record<string, unknown> | undefined): string | undefined;
  pending(): PendingApproval[];
  /**
   * Answers a pending approval; throws ApprovalNotFound when there is none by that id (answered,
   * expired, withdrawn). `where` limits an `always` to arguments matching its patterns.
   */
  decide(id: string, decision: ApprovalDecision, by: string, where?: Record<string, string>): PendingApproval;
  /** Forgets a session's answers (the session ended). */
  endSession(session: string): void;
}

export class ApprovalNotFound extends Error {
  constructor(id: string) {
    super(`no pending approval "${id}": it was answered, timed out, or its call was cancelled`);
    this.name = 'ApprovalNotFound';
  }
}

export function createApprovals(deps: { rules: ApprovalRules; events: ApprovalEvents; now?: () => Date }): Approvals {
  const now = deps.now ?? (() => new Date());
  const waiting = new Map<string, { item: PendingApproval; settle: (o: ApprovalOutcome) => void }>();
  /** `session\nserver\ntool` approved for the rest of the session. */
  const sessionGrants = new Set<string>();

  return {
    request(req, options) {
      const timeoutMs = options.timeoutMs ?? DEFAULT_APPROVAL_TIMEOUT_MS;
      const at = now();
      const item: PendingApproval = { ...req, id: `apr_${randomBytes(9).toString('base64url')}`, requestedAt: at.toISOString(), expiresAt: new Date(at.getTime() + timeoutMs).toISOString() };
      return new Promise<ApprovalOutcome>((resolve) => {
        const started = Date.now();
        const tick = options.onWaiting ? setInterval(() => options.onWaiting!(Date.now() - started, timeoutMs), options.tickMs ?? 5_000) : undefined;
        const timer = setTimeout(() => settle({ approved: false, outcome: 'timeout', decision: null, by: 'gatehouse' }), timeoutMs);
        const onAbort = (): void => settle({ approved: false, outcome: 'withdrawn', decision: null, by: 'gatehouse' });
        function settle(o: ApprovalOutcome): void {
          if (!waiting.delete(item.id)) return;
          clearTimeout(timer);
          if (tick) clearInterval(tick);
          options.signal.removeEventListener('abort', onAbort);
          deps.events.resolved({ id: item.id, outcome: o.outcome, decision: o.decision, by: o.by });
          resolve(o);
        }
        waiting.set(item.id, { item, settle });
        options.signal.addEventListener('abort', onAbort, { once: true });
        deps.events.requested(item);
        if (options.signal.aborted) onAbort();
      });
    },
    remembered(server, tool, keyId, session, args) {
      if (sessionGrants.has(`${session}\n${server}\n${tool}`)) return 'approved for this session';
      const rule = deps.rules.patterns(server, tool, keyId).find((where) => argumentsMatch(where, args));
      if (rule) return Object.keys(rule).length ? `approved always for this key where ${Object.entries(rule).map(([k, g]) => `${k}=${g}`).join(', ')}` : 'approved always for this key';
      return undefined;
    },
    pending: () => [...waiting.values()].map((w) => w.item),
    decide(id, decision, by, where = {}) {
      const w = waiting.get(id);
      if (!w) throw new ApprovalNotFound(id);
      const { item } = w;
      if (decision === 'session') sessionGrants.add(`${item.session}\n${item.server}\n${item.tool}`);
      if (decision === 'always') deps.rules.add(item.server, item.tool, item.keyId, by, where);
      w.settle({ approved: decision !== 'deny', outcome: decision === 'deny' ? 'denied' : 'approved', decision, by });
      return item;
    },
    endSession(session) {
      for (const k of sessionGrants) if (k.startsWith(`${session}\n`)) sessionGrants.delete(k);
    },
  };
}
