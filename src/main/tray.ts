// The tray's state (running, pending approvals, today's spend), kept from control-plane events, and its menu.
import type { MenuItemConstructorOptions } from 'electron';
import type { ControlEvent, ControlMethod, ControlParams, ControlResult } from '../shared/contract';

export interface TrayState {
  running: boolean;
  pendingApprovals: number;
  /** USD spent through the gateway since the start of the UTC day. */
  todaySpendUsd: number;
}

export interface TrayActions {
  open(): void;
  approvals(): void;
  quit(): void;
}

export function trayTooltip(s: TrayState): string {
  if (!s.running) return 'Gatehouse — stopped';
  const waiting = s.pendingApprovals === 1 ? '1 approval waiting' : `${s.pendingApprovals} approvals waiting`;
  return `Gatehouse — running · ${waiting} · $${s.todaySpendUsd.toFixed(2)} today`;
}

export function trayMenu(s: TrayState, actions: TrayActions): MenuItemConstructorOptions[] {
  return [
    { label: s.running ? 'Gatehouse is running' : 'Gatehouse is stopped', enabled: false },
    { label: `Today: $${s.todaySpendUsd.toFixed(2)}`, enabled: false },
    { type: 'separator' },
    { label: 'Open Gatehouse', click: () => actions.open() },
    { label: `Approvals (${s.pendingApprovals})`, click: () => actions.approvals() },
    { type: 'separator' },
    { label: 'Quit Gatehouse', click: () => actions.quit() },
  ];
}

export interface TraySource {
  call<M extends ControlMethod>(method: M, params: ControlParams<M>): Promise<ControlResult<M>>;
}

const utcDay = (d: Date): string => d.toISOString().slice(0, 10);

/**
 * Keeps the tray's state from events, after one read of the pending approvals and today's spend.
 * Events that arrive during that read are applied on top of it (approvals by id, so none counts twice).
 */
export function createTrayModel(source: TraySource, onChange: (s: TrayState) => void, now: () => Date = () => new Date()) {
  const pending = new Set<string>();
  let running = false;
  let day = utcDay(now());
  let spend = 0;

  const state = (): TrayState => ({ running, pendingApprovals: pending.size, todaySpendUsd: spend });
  const changed = () => onChange(state());
  const rollDay = () => {
    const today = utcDay(now());
    if (today !== day) {
      day = today;
      spend = 0;
    }
  };

  return {
    state,
    /** Reads what events alone cannot tell: the approvals already waiting and today's spend so far. */
    async refresh(): Promise<void> {
      rollDay();
      const [approvals, report] = await Promise.all([source.call('approvals:list', {}), source.call('report:usage', { from: day, groupBy: 'day' })]);
      for (const a of approvals) pending.add(a.id);
      spend = report.totals.costUsd;
      changed();
    },
    setRunning(value: boolean): void {
      running = value;
      if (!value) pending.clear();
      changed();
    },
    apply(e: ControlEvent): void {
      rollDay();
      if (e.event === 'approval:requested') pending.add(e.data.id);
      else if (e.event === 'approval:resolved') pending.delete(e.data.id);
      else if (e.event === 'request:completed') spend += e.data.costUsd ?? 0;
      else return;
      changed();
    },
  };
}

export type TrayModel = ReturnType<typeof createTrayModel>;
