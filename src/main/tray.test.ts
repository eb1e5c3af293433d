// The tray's state from control-plane events, its tooltip and its menu.
import { describe, expect, it } from 'vitest';
import type { ControlEvent } from '../shared/contract';
import { createTrayModel, trayMenu, trayTooltip, type TrayState, type TraySource } from './tray';

describe('tray', () => {
  it('counts approvals by id and resets the spend when the UTC day changes', async () => {
    let now = new Date('2026-11-24T23:59:00Z');
    const states: TrayState[] = [];
    const froms: unknown[] = [];
    const source = {
      call: async (method: string, params: { from?: string }) => {
        if (method === 'approvals:list') return [{ id: 'a1' }];
        froms.push(params.from);
        return { totals: { costUsd: 2 } };
      },
    } as unknown as TraySource;
    const model = createTrayModel(source, (s) => states.push(s), () => now);
    model.setGateway({ status: 'running' });
    await model.refresh();
    expect(froms).toEqual(['2026-11-24']);
    model.apply({ event: 'approval:requested', data: { id: 'a1' } } as ControlEvent);
    model.apply({ event: 'request:completed', data: { costUsd: null } } as ControlEvent);
    expect(model.state()).toEqual({ gateway: { status: 'running' }, pendingApprovals: 1, todaySpendUsd: 2 });
    now = new Date('2026-11-25T00:01:00Z');
    model.apply({ event: 'request:completed', data: { costUsd: 0.5 } } as ControlEvent);
    expect(model.state().todaySpendUsd).toBe(0.5);
    const before = states.length;
    model.apply({ event: 'keys:changed', data: { id: 'k', change: 'created' } });
    expect(states).toHaveLength(before);
  });

  it('says what runs, what waits and what it cost', () => {
    const s: TrayState = { gateway: { status: 'running' }, pendingApprovals: 3, todaySpendUsd: 0.125 };
    const actions = { open: () => undefined, approvals: () => undefined, restart: () => undefined, quit: () => undefined };
    expect(trayTooltip(s)).toBe('Gatehouse — running · 3 approvals waiting · $0.13 today');
    expect(trayTooltip({ ...s, gateway: { status: 'stopped' } })).toBe('Gatehouse — stopped');
    expect(trayTooltip({ ...s, gateway: { status: 'restarting', exitCode: 1, attempt: 2, retryInMs: 2000 } })).toBe('Gatehouse — restarting after a crash (in 2 s)');
    const labels = trayMenu(s, actions).map((i) => i.label);
    expect(labels).toEqual(['Gatehouse is running', 'Today: $0.13', undefined, 'Open Gatehouse', 'Approvals (3)', undefined, 'Quit Gatehouse']);
    // Down for good: the reason, and a way to start it again.
    const failed = trayMenu({ ...s, gateway: { status: 'failed', reason: 'the gateway did not start: port 4141 is taken' } }, actions).map((i) => i.label);
    expect(failed).toEqual(['Gatehouse is stopped — restart it from this menu', 'the gateway did not start: port 4141 is taken', 'Today: $0.13', undefined, 'Open Gatehouse', 'Approvals (3)', 'Restart gateway', undefined, 'Quit Gatehouse']);
  });
});
