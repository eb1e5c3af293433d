// The tray's state (running, pending approvals, today's spend), kept from control-plane events, and its menu.
import type { MenuItemConstructorOptions } from 'electron';
import type { ControlEvent, ControlMethod, ControlParams, ControlResult } from '../shared/contract';
import type { GatewayState } from './supervisor';

export interface TrayState {
  gateway: GatewayState;
  pendingApprovals: number;
  /** USD spent through the gateway since the start of the UTC day. */
  todaySpendUsd: number;
}

export interface TrayActions {
  open(): void;
  approvals(): void;
  restart(): void;
  quit(): void;
}

/** The gateway's state in a few words (the tooltip's and the menu's first line). */
export function gatewayLine(g: GatewayState): string {
  switch (g.status) {
    case 'running':
      return 'running';
    case 'starting':
      return 'starting';
    case 'restarting':
      return `restarting after a crash (in ${Math.ceil(g.retryInMs / 1000)} s)`;
    case 'failed':
      return 'stopped — restart it from this menu';
    case 'stopped':
      return 'stopped';
  }
}

export function trayTooltip(s: TrayState): string {
  if (s.gateway.status !== 'running') return `Gatehouse — ${gatewayLine(s.gateway)}`;
  const waiting = s.pendingApprovals === 1 ? '1 approval waiting' : `${s.pendingApprovals} approvals waiting`;
  return `Gatehouse — running · ${waiting} · $${s.todaySpendUsd.toFixed(2)} today`;
}

export function trayMenu(s: TrayState, actions: TrayActions): MenuItemConstructorOptions[] {
  const down = s.gateway.status === 'failed' || s.gateway.status === 'stopped';
  return [
    { label: `Gatehouse is ${gatewayLine(s.gateway)}`, enabled: false },
    ...(s.gateway.status === 'failed' ? [{ label: s.gateway.reason, enabled: false }] : []),
    { label: `Today: $${s.todaySpendUsd.toFixed(2)}`, enabled: false },
    { type: 'separator' },
    { label: 'Open Gatehouse', click: () => actions.open() },
    { label: `Approvals (${s.pendingApprovals})`, click: () => actions.approvals() },
    ...(down ? [{ label: 'Restart gateway', click: () => actions.restart() }] : []),
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
  let gateway: GatewayState = { status: 'stopped' };
  let day = utcDay(now());
  let spend = 0;

  const state = (): TrayState => ({ gateway, pendingApprovals: pending.size, todaySpendUsd: spend });
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
    /** A gateway that is not running has no approvals waiting: its calls ended with it. */
    setGateway(value: GatewayState): void {
      gateway = value;
      if (value.status !== 'running') pending.clear();
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
