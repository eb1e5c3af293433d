// The desktop shell's wiring, written against the few Electron APIs it uses so it can be tested with fakes.
import type { BrowserWindowConstructorOptions, IpcMainInvokeEvent } from 'electron';
import { CONTROL_METHODS, type ControlMethod } from '../shared/contract';

export interface ShellWindow {
  loadURL(url: string): Promise<void>;
  loadFile(path: string): Promise<void>;
  isMinimized(): boolean;
  restore(): void;
  focus(): void;
  webContents: {
    setWindowOpenHandler(handler: (details: { url: string }) => { action: 'deny' }): void;
    on(event: 'will-navigate', listener: (e: { preventDefault(): void }, url: string) => void): void;
  };
}

export interface ShellElectron {
  app: {
    requestSingleInstanceLock(): boolean;
    quit(): void;
    whenReady(): Promise<void>;
    getPath(name: 'userData'): string;
    on(event: 'second-instance' | 'before-quit', listener: () => void): void;
  };
  ipcMain: { handle(channel: string, listener: (e: IpcMainInvokeEvent, ...args: unknown[]) => unknown): void };
  createWindow(options: BrowserWindowConstructorOptions): ShellWindow;
  openExternal(url: string): Promise<void>;
}

export interface ShellGateway {
  start(): Promise<unknown>;
  stop(): Promise<void>;
  call(method: ControlMethod, params: unknown, actor: 'desktop'): Promise<unknown>;
}

export interface ShellPaths {
  preload: string;
  rendererHtml: string;
  rendererUrl?: string;
}

const KNOWN = new Set<string>(CONTROL_METHODS);

/** The window can run no Node, load nothing remote, and open no other window. */
export const WINDOW_OPTIONS = (preload: string): BrowserWindowConstructorOptions => ({
  width: 1100,
  height: 720,
  title: 'Gatehouse',
  webPreferences: { preload, contextIsolation: true, sandbox: true, nodeIntegration: false, webSecurity: true },
});

export async function runShell(electron: ShellElectron, gatewayFor: (userData: string) => ShellGateway, paths: ShellPaths): Promise<ShellWindow | null> {
  const { app } = electron;
  if (!app.requestSingleInstanceLock()) {
    app.quit();
    return null;
  }
  await app.whenReady();
  const gateway = gatewayFor(app.getPath('userData'));
  await gateway.start();

  // The renderer may call contract methods and nothing else.
  electron.ipcMain.handle('control:call', (_e, method, params) => {
    if (typeof method !== 'string' || !KNOWN.has(method)) throw new Error(`unknown control method ${String(method)}`);
    return gateway.call(method as ControlMethod, params, 'desktop');
  });

  const win = electron.createWindow(WINDOW_OPTIONS(paths.preload));
  win.webContents.setWindowOpenHandler(({ url }) => {
    if (url.startsWith('https://')) void electron.openExternal(url);
    return { action: 'deny' };
  });
  win.webContents.on('will-navigate', (e) => e.preventDefault());
  if (paths.rendererUrl) await win.loadURL(paths.rendererUrl);
  else await win.loadFile(paths.rendererHtml);

  app.on('second-instance', () => {
    if (win.isMinimized()) win.restore();
    win.focus();
  });
  app.on('before-quit', () => void gateway.stop());
  return win;
}
