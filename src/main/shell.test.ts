// The shell's wiring, run against fake Electron APIs (the Electron binary cannot run in CI).
import { describe, expect, it } from 'vitest';
import { runShell, type ShellElectron, type ShellGateway, type ShellWindow } from './shell';

function fakes(lock = true) {
  const handlers = new Map<string, (e: never, ...a: unknown[]) => unknown>();
  const appEvents = new Map<string, () => void>();
  const calls: { method: string; params: unknown }[] = [];
  let options: unknown;
  let started = 0;
  let stopped = 0;
  let quit = 0;
  const opened: string[] = [];
  let openHandler: ((d: { url: string }) => { action: 'deny' }) | undefined;
  let navigate: ((e: { preventDefault(): void }, url: string) => void) | undefined;
  const win: ShellWindow = {
    loadURL: async () => undefined,
    loadFile: async () => undefined,
    isMinimized: () => false,
    restore: () => undefined,
    focus: () => undefined,
    webContents: {
      setWindowOpenHandler: (h) => (openHandler = h),
      on: (_ev, l) => (navigate = l),
    },
  };
  const electron: ShellElectron = {
    app: {
      requestSingleInstanceLock: () => lock,
      quit: () => void quit++,
      whenReady: async () => undefined,
      getPath: () => '/tmp/userData',
      on: (ev, l) => void appEvents.set(ev, l),
    },
    ipcMain: { handle: (ch, l) => void handlers.set(ch, l as never) },
    createWindow: (o) => {
      options = o;
      return win;
    },
    openExternal: async (u) => void opened.push(u),
  };
  const gateway: ShellGateway = {
    start: async () => void started++,
    stop: async () => void stopped++,
    call: async (method, params) => {
      calls.push({ method, params });
      return { ok: true };
    },
  };
  return { electron, gateway, handlers, appEvents, calls, opened, get: () => ({ options, started, stopped, quit, openHandler, navigate }) };
}

describe('desktop shell', () => {
  it('quits when another instance holds the lock, without starting a gateway', async () => {
    const f = fakes(false);
    expect(await runShell(f.electron, () => f.gateway, { preload: 'p', rendererHtml: 'r' })).toBeNull();
    expect(f.get()).toMatchObject({ quit: 1, started: 0 });
  });

  it('opens a sandboxed, isolated window and stops the gateway on quit', async () => {
    const f = fakes();
    await runShell(f.electron, () => f.gateway, { preload: '/x/preload.cjs', rendererHtml: 'r' });
    expect(f.get().options).toMatchObject({ webPreferences: { preload: '/x/preload.cjs', contextIsolation: true, sandbox: true, nodeIntegration: false } });
    expect(f.get().started).toBe(1);
    f.appEvents.get('before-quit')!();
    expect(f.get().stopped).toBe(1);
  });

  it('passes contract methods to the gateway and refuses anything else', async () => {
    const f = fakes();
    await runShell(f.electron, () => f.gateway, { preload: 'p', rendererHtml: 'r' });
    const handle = f.handlers.get('control:call')!;
    await handle({} as never, 'keys:list', {});
    expect(f.calls).toEqual([{ method: 'keys:list', params: {} }]);
    expect(() => handle({} as never, 'fs:read', {})).toThrow(/unknown control method/);
    expect(() => handle({} as never, { toString: () => 'keys:list' }, {})).toThrow(/unknown control method/);
  });

  it('blocks navigation and new windows; only https links open, in the system browser', async () => {
    const f = fakes();
    await runShell(f.electron, () => f.gateway, { preload: 'p', rendererHtml: 'r' });
    let prevented = false;
    f.get().navigate!({ preventDefault: () => (prevented = true) }, 'https://evil.example');
    expect(prevented).toBe(true);
    expect(f.get().openHandler!({ url: 'https://docs.example' })).toEqual({ action: 'deny' });
    expect(f.get().openHandler!({ url: 'file:///etc/passwd' })).toEqual({ action: 'deny' });
    expect(f.opened).toEqual(['https://docs.example']);
  });
});
