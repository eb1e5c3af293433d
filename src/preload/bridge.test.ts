// The bridge against a fake ipcRenderer: only contract methods go out, only contract events come in.
import { describe, expect, it } from 'vitest';
import type { ControlEvent, ControlMethod } from '../shared/contract';
import { createBridge, type BridgeIpc } from './bridge';

function fakeIpc(reply: unknown = { ok: true, result: ['k1'] }) {
  const invoked: unknown[][] = [];
  const listeners = new Map<string, Set<(e: unknown, p: unknown) => void>>();
  const ipc: BridgeIpc = {
    invoke: async (...args) => (invoked.push(args), reply),
    on: (ch, l) => listeners.set(ch, (listeners.get(ch) ?? new Set()).add(l)),
    removeListener: (ch, l) => listeners.get(ch)?.delete(l),
  };
  const send = (ch: string, payload: unknown) => listeners.get(ch)?.forEach((l) => l({ sender: 'main' }, payload));
  return { ipc, invoked, send, count: (ch: string) => listeners.get(ch)?.size ?? 0 };
}

describe('preload bridge', () => {
  it('exposes call, subscribe and the login item, and nothing else', () => {
    const bridge = createBridge(fakeIpc().ipc);
    expect(Object.keys(bridge).sort()).toEqual(['app', 'call', 'subscribe']);
    expect(Object.keys(bridge.app)).toEqual(['loginItem']);
    expect(Object.keys(bridge.app.loginItem).sort()).toEqual(['get', 'set']);
  });

  it('reads and sets start-at-login over its own channels, always as a boolean', async () => {
    const f = fakeIpc(true);
    const { loginItem } = createBridge(f.ipc).app;
    expect(await loginItem.get()).toBe(true);
    expect(await loginItem.set('yes' as unknown as boolean)).toBe(true);
    expect(f.invoked).toEqual([['login-item:get'], ['login-item:set', false]]);
    expect(await createBridge(fakeIpc('true').ipc).app.loginItem.get()).toBe(false);
  });

  it('invokes control:call for contract methods and resolves with the result', async () => {
    const f = fakeIpc();
    expect(await createBridge(f.ipc).call('keys:list', {})).toEqual(['k1']);
    expect(f.invoked).toEqual([['control:call', 'keys:list', {}]]);
  });

  it('refuses methods outside the contract without sending them', async () => {
    const f = fakeIpc();
    await expect(createBridge(f.ipc).call('fs:read' as ControlMethod, {} as never)).rejects.toEqual({ name: 'ControlError', code: 'unknown_method', message: 'unknown control method fs:read', details: undefined });
    expect(f.invoked).toEqual([]);
  });

  it('rejects with the control error as plain data (contextBridge keeps no Error fields)', async () => {
    const f = fakeIpc({ ok: false, error: { code: 'not_found', message: 'no key', details: { id: 'k9' } } });
    await expect(createBridge(f.ipc).call('keys:revoke', { id: 'k9' })).rejects.toEqual({ name: 'ControlError', code: 'not_found', message: 'no key', details: { id: 'k9' } });
  });

  it('delivers contract events as { event, data }, drops anything else, and unsubscribes', () => {
    const f = fakeIpc();
    const got: ControlEvent[] = [];
    const off = createBridge(f.ipc).subscribe((e) => got.push(e));
    f.send('control:event', { event: 'keys:changed', data: { id: 'k1', change: 'created' }, extra: 'dropped' });
    f.send('control:event', { event: 'shell:exec', data: {} });
    f.send('control:event', 'keys:changed');
    f.send('control:event', null);
    f.send('other:channel', { event: 'keys:changed', data: {} });
    expect(got).toEqual([{ event: 'keys:changed', data: { id: 'k1', change: 'created' } }]);
    off();
    expect(f.count('control:event')).toBe(0);
  });
});
