// The shell's wiring, run against fake Electron APIs (the Electron binary cannot run in CI).
import type { MenuItemConstructorOptions } from 'electron';
import { describe, expect, it } from 'vitest';
import type { ControlEvent } from '../shared/contract';
import { ControlError } from '../shared/control-client';
import type { OsNotification } from './approval-popup';
import { runShell, type ShellElectron, type ShellGateway, type ShellPopup, type ShellWindow } from './shell';

type Prevented = { preventDefault(): void; prevented: boolean };
const event = (): Prevented => {
  const e = { prevented: false, preventDefault: () => void (e.prevented = true) };
  return e;
};

function fakes(lock = true, startFails = false) {
  const handlers = new Map<string, (e: never, ...a: unknown[]) => Promise<unknown>>();
  const appEvents = new Map<string, (e: Prevented) => void>();
  const calls: { method: string; params: unknown }[] = [];
  const sent: { channel: string; payload: unknown }[] = [];
  const winEvents = new Map<string, (e: Prevented) => void>();
  const tray = { tooltip: '', menu: [] as MenuItemConstructorOptions[], click: undefined as (() => void) | undefined };
  const gatewayListeners: ((e: ControlEvent) => void)[] = [];
  let exit: ((code: number) => void) | undefined;
  const state = { allow: undefined as ((p: string) => boolean) | undefined, options: undefined as unknown, popupOptions: undefined as unknown, started: 0, stopped: 0, quit: 0, shown: 0, hidden: 0, focused: 0 };
  const opened: string[] = [];
  let openHandler: ((d: { url: string }) => { action: 'deny' }) | undefined;
  let navigate: ((e: { preventDefault(): void }, url: string) => void) | undefined;
  const control = { startFails };
  const loaded: string[] = [];
  const notes: OsNotification[] = [];
  const popupLog: string[] = [];
  let loginOpen = false;
  const popupEvents = new Map<string, (e: Prevented) => void>();
  let popupVisible = false;
  const popup: ShellPopup = {
    loadURL: async (u) => void loaded.push(u),
    loadFile: async (f, o) => void loaded.push(`${f}#${o?.hash ?? ''}`),
    isMinimized: () => false,
    restore: () => undefined,
    show: () => void (popupLog.push('show'), (popupVisible = true)),
    showInactive: () => void (popupLog.push('showInactive'), (popupVisible = true)),
    hide: () => void (popupLog.push('hide'), (popupVisible = false)),
    focus: () => void popupLog.push('focus'),
    isVisible: () => popupVisible,
    isDestroyed: () => false,
    on: (ev, l) => void popupEvents.set(ev, l),
    webContents: {
      id: 9,
      send: (channel, payload) => void sent.push({ channel: `popup ${channel}`, payload }),
      setWindowOpenHandler: () => undefined,
      on: () => undefined,
    },
  };
  const win: ShellWindow = {
    loadURL: async (u) => void loaded.push(u),
    loadFile: async (f, o) => void loaded.push(`${f}#${o?.hash ?? ''}`),
    isMinimized: () => false,
    restore: () => undefined,
    show: () => void state.shown++,
    hide: () => void state.hidden++,
    focus: () => void state.focused++,
    isDestroyed: () => false,
    on: (ev, l) => void winEvents.set(ev, l),
    webContents: {
      id: 7,
      send: (channel, payload) => void sent.push({ channel, payload }),
      setWindowOpenHandler: (h) => (openHandler = h),
      on: (_ev, l) => (navigate = l),
    },
  };
  const electron: ShellElectron = {
    app: {
      requestSingleInstanceLock: () => lock,
      quit: () => void state.quit++,
      whenReady: async () => undefined,
      getPath: () => '/tmp/userData',
      on: (ev: string, l: (e: Prevented) => void) => void appEvents.set(ev, l),
    },
    ipcMain: { handle: (ch, l) => void handlers.set(ch, l as never) },
    createWindow: (o) => {
      state.options = o;
      return win;
    },
    createPopup: (o) => {
      state.popupOptions = o;
      return popup;
    },
    notify: (n) => void notes.push(n),
    loginItem: { get: async () => loginOpen, set: async (open) => (loginOpen = open) },
    createTray: () => ({
      setToolTip: (t) => void (tray.tooltip = t),
      setMenu: (m) => void (tray.menu = m),
      onClick: (l) => void (tray.click = l),
    }),
    restrictPermissions: (allow) => void (state.allow = allow),
    openExternal: async (u) => void opened.push(u),
  };
  const gateway: ShellGateway = {
    start: async () => {
      if (control.startFails) throw new Error('port 4000 is taken');
      state.started++;
    },
    stop: async () => void state.stopped++,
    call: async (method, params) => {
      calls.push({ method, params });
      if (method === 'approvals:list') return [{ id: 'a1' }];
      if (method === 'report:usage') return { totals: { costUsd: 1.5 } };
      if (method === 'keys:revoke') throw new ControlError('not_found', 'no key with id "k9"');
      return { ok: true };
    },
    subscribe: (l) => {
      gatewayListeners.push(l);
      return () => undefined;
    },
    onExit: (l) => void (exit = l),
  };
  const emit = (e: ControlEvent) => gatewayListeners.forEach((l) => l(e));
  const fromWindow = { sender: win.webContents } as never;
  const fromPopup = { sender: popup.webContents } as never;
  return { control, electron, gateway, fromWindow, fromPopup, handlers, appEvents, winEvents, popupEvents, calls, sent, tray, opened, state, emit, loaded, notes, popupLog, exit: (c: number) => exit!(c), get: () => ({ openHandler, navigate }) };
}

const menuLabels = (m: MenuItemConstructorOptions[]) => m.map((i) => i.label).filter(Boolean);
const paths = { preload: '/x/preload.cjs', rendererHtml: 'r' };

describe('desktop shell', () => {
  it('quits when another instance holds the lock, without starting a gateway', async () => {
    const f = fakes(false);
    expect(await runShell(f.electron, () => f.gateway, paths)).toBeNull();
    expect(f.state).toMatchObject({ quit: 1, started: 0 });
  });

  it('opens a sandboxed, isolated window; a second instance focuses it', async () => {
    const f = fakes();
    await runShell(f.electron, () => f.gateway, paths);
    expect(f.state.options).toMatchObject({ webPreferences: { preload: '/x/preload.cjs', contextIsolation: true, sandbox: true, nodeIntegration: false } });
    expect(f.state.started).toBe(1);
    const focused = f.state.focused;
    f.appEvents.get('second-instance')!(event());
    expect(f.state.focused).toBe(focused + 1);
  });

  it('closes the window to the tray, and stops the gateway before quitting', async () => {
    const f = fakes();
    await runShell(f.electron, () => f.gateway, paths);
    const close = event();
    f.winEvents.get('close')!(close);
    expect(close.prevented).toBe(true);
    expect(f.state.hidden).toBe(1);

    const quit = event();
    f.appEvents.get('before-quit')!(quit);
    f.appEvents.get('before-quit')!(event()); // Quit clicked twice: one stop
    expect(quit.prevented).toBe(true);
    await new Promise((r) => setTimeout(r, 0));
    expect(f.state).toMatchObject({ stopped: 1, quit: 1 });
    // The second before-quit (from app.quit()) goes through, and the window then closes for real.
    const again = event();
    f.appEvents.get('before-quit')!(again);
    expect(again.prevented).toBe(false);
    const finalClose = event();
    f.winEvents.get('close')!(finalClose);
    expect(finalClose.prevented).toBe(false);
  });

  it('passes contract methods to the gateway, refuses anything else, and carries errors as data', async () => {
    const f = fakes();
    await runShell(f.electron, () => f.gateway, paths);
    const handle = f.handlers.get('control:call')!;
    expect(await handle(f.fromWindow, 'keys:list', {})).toEqual({ ok: true, result: { ok: true } });
    expect(f.calls).toContainEqual({ method: 'keys:list', params: {} });
    expect(await handle(f.fromWindow, 'fs:read', {})).toMatchObject({ ok: false, error: { code: 'unknown_method' } });
    expect(await handle(f.fromWindow, { toString: () => 'keys:list' }, {})).toMatchObject({ ok: false, error: { code: 'unknown_method' } });
    expect(await handle(f.fromWindow, 'keys:revoke', { id: 'k9' })).toEqual({ ok: false, error: { code: 'not_found', message: 'no key with id "k9"', details: undefined } });
  });

  it('answers only its own window, and grants it notifications and no other permission', async () => {
    const f = fakes();
    await runShell(f.electron, () => f.gateway, paths);
    const calls = f.calls.length;
    expect(await f.handlers.get('control:call')!({ sender: { id: 8 } } as never, 'keys:list', {})).toMatchObject({ ok: false, error: { code: 'unauthorized' } });
    expect(f.calls).toHaveLength(calls);
    expect(['notifications', 'media', 'geolocation', 'clipboard-read'].map(f.state.allow!)).toEqual([true, false, false, false]);
  });

  it('forwards gateway events to both windows and keeps the tray state from them', async () => {
    const f = fakes();
    await runShell(f.electron, () => f.gateway, paths);
    expect(f.tray.tooltip).toBe('Gatehouse — running · 1 approval waiting · $1.50 today');
    expect(menuLabels(f.tray.menu)).toContain('Approvals (1)');

    const requested = { event: 'approval:requested', data: { id: 'a2', keyName: 'k', tool: 't', server: 's' } } as ControlEvent;
    const completed = { event: 'request:completed', data: { costUsd: 0.25 } } as ControlEvent;
    f.emit(requested);
    f.emit(completed);
    expect(f.sent).toEqual([
      { channel: 'control:event', payload: requested },
      { channel: 'popup control:event', payload: requested },
      { channel: 'control:event', payload: completed },
      { channel: 'popup control:event', payload: completed },
    ]);
    expect(f.tray.tooltip).toBe('Gatehouse — running · 2 approvals waiting · $1.75 today');

    f.emit({ event: 'approval:resolved', data: { id: 'a1' } } as ControlEvent);
    expect(menuLabels(f.tray.menu)).toContain('Approvals (1)');
  });

  it('shows the approval popup without the focus, with an OS notification, and lets it decide', async () => {
    const f = fakes();
    await runShell(f.electron, () => f.gateway, paths);
    expect(f.state.popupOptions).toMatchObject({ alwaysOnTop: true, webPreferences: { sandbox: true, contextIsolation: true } });
    expect(f.loaded).toEqual(['r#/overview', 'r#/popup']);
    // The approval already waiting at start (approvals:list answers a1) shows the popup, unannounced.
    expect(f.popupLog).toEqual(['showInactive']);
    f.emit({ event: 'approval:requested', data: { id: 'a2', keyName: 'claude', tool: 'fs__write', server: 'fs' } } as ControlEvent);
    expect(f.notes.map((n) => n.body)).toEqual(['key "claude" wants fs__write on fs']);
    expect(await f.handlers.get('control:call')!(f.fromPopup, 'approvals:decide', { id: 'a2', decision: 'deny' })).toEqual({ ok: true, result: { ok: true } });
    f.emit({ event: 'approval:resolved', data: { id: 'a1' } } as ControlEvent);
    f.emit({ event: 'approval:resolved', data: { id: 'a2' } } as ControlEvent);
    expect(f.popupLog).toEqual(['showInactive', 'hide']);
    // Closing the popup hides it; the tray's Approvals item brings it back with the focus.
    const close = event();
    f.popupEvents.get('close')!(close);
    expect(close.prevented).toBe(true);
    (f.tray.menu.find((i) => i.label?.startsWith('Approvals')) as { click(): void }).click();
    expect(f.popupLog.slice(-2)).toEqual(['show', 'focus']);
  });

  it('start at login is read and set from the main window only', async () => {
    const f = fakes();
    await runShell(f.electron, () => f.gateway, paths);
    expect(await f.handlers.get('login-item:get')!(f.fromWindow)).toBe(false);
    expect(await f.handlers.get('login-item:set')!(f.fromWindow, true)).toBe(true);
    expect(await f.handlers.get('login-item:set')!(f.fromWindow, 'yes')).toBe(false);
    expect(() => f.handlers.get('login-item:set')!(f.fromPopup, true)).toThrow('only the Gatehouse window may change how it starts');
  });

  it('starts a crashed gateway again and says so in the tray meanwhile', async () => {
    const f = fakes();
    const timers: (() => void)[] = [];
    let spawned = 0;
    await runShell(f.electron, () => (spawned++, f.gateway), paths, { setTimer: (run) => (timers.push(run), { cancel: () => undefined }) });
    f.exit(137);
    expect(f.tray.tooltip).toBe('Gatehouse — restarting after a crash (in 1 s)');
    expect(await f.handlers.get('control:call')!(f.fromWindow, 'keys:list', {})).toMatchObject({ ok: false, error: { code: 'unavailable' } });
    timers.shift()!();
    await new Promise((r) => setTimeout(r, 0));
    expect(spawned).toBe(2);
    expect(f.state.started).toBe(2);
    expect(f.tray.tooltip).toBe('Gatehouse — running · 1 approval waiting · $1.50 today');
  });

  it('tray items open the window and quit the app', async () => {
    const f = fakes();
    await runShell(f.electron, () => f.gateway, paths);
    const item = (label: string) => f.tray.menu.find((i) => i.label?.startsWith(label))!;
    const shown = f.state.shown;
    (item('Open') as { click(): void }).click();
    f.tray.click!();
    expect(f.state.shown).toBe(shown + 2);
    (item('Quit') as { click(): void }).click();
    expect(f.state.quit).toBe(1);
  });

  it('still opens the window, saying why the gateway is stopped, and restarts it from the tray', async () => {
    const f = fakes(true, true);
    expect(await runShell(f.electron, () => f.gateway, paths)).not.toBeNull();
    expect(f.tray.tooltip).toBe('Gatehouse — stopped — restart it from this menu');
    expect(menuLabels(f.tray.menu)).toContain('the gateway did not start: port 4000 is taken');
    expect(f.calls).toEqual([]);
    // The port is free again: Restart gateway brings it up.
    f.control.startFails = false;
    (f.tray.menu.find((i) => i.label === 'Restart gateway') as { click(): void }).click();
    await new Promise((r) => setTimeout(r, 0));
    expect(f.state.started).toBe(1);
    expect(f.tray.tooltip).toBe('Gatehouse — running · 1 approval waiting · $1.50 today');
  });

  it('started at login: the tray only, no window', async () => {
    const f = fakes();
    await runShell(f.electron, () => f.gateway, { ...paths, startHidden: true });
    expect(f.state.shown).toBe(0);
    f.tray.click!();
    expect(f.state.shown).toBe(1);
  });

  it('blocks navigation and new windows; only https links open, in the system browser', async () => {
    const f = fakes();
    await runShell(f.electron, () => f.gateway, paths);
    let prevented = false;
    f.get().navigate!({ preventDefault: () => (prevented = true) }, 'https://evil.example');
    expect(prevented).toBe(true);
    expect(f.get().openHandler!({ url: 'https://docs.example' })).toEqual({ action: 'deny' });
    expect(f.get().openHandler!({ url: 'file:///etc/passwd' })).toEqual({ action: 'deny' });
    expect(f.opened).toEqual(['https://docs.example']);
  });
});
