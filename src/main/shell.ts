// The desktop shell's wiring, written against the few Electron APIs it uses so it can be tested with fakes.
import type { BrowserWindowConstructorOptions, IpcMainInvokeEvent, MenuItemConstructorOptions } from 'electron';
import type { ControlEvent, ControlMethod } from '../shared/contract';
// The channel names and payloads are the preload's (the bridge is their other end).
import { CALL_CHANNEL, EVENT_CHANNEL, type CallReply } from '../preload/ipc';
import { isControlMethod, toWireError } from './gateway-protocol';
import { createTrayModel, trayMenu, trayTooltip } from './tray';

export interface ShellWindow {
  loadURL(url: string): Promise<void>;
  loadFile(path: string): Promise<void>;
  isMinimized(): boolean;
  restore(): void;
  show(): void;
  hide(): void;
  focus(): void;
  isDestroyed(): boolean;
  on(event: 'close', listener: (e: { preventDefault(): void }) => void): void;
  webContents: {
    readonly id: number;
    send(channel: string, payload: ControlEvent): void;
    setWindowOpenHandler(handler: (details: { url: string }) => { action: 'deny' }): void;
    on(event: 'will-navigate', listener: (e: { preventDefault(): void }, url: string) => void): void;
  };
}

export interface ShellTray {
  setToolTip(text: string): void;
  setMenu(template: MenuItemConstructorOptions[]): void;
  onClick(listener: () => void): void;
}

export interface ShellElectron {
  app: {
    requestSingleInstanceLock(): boolean;
    quit(): void;
    whenReady(): Promise<void>;
    getPath(name: 'userData'): string;
    on(event: 'second-instance' | 'activate', listener: () => void): void;
    on(event: 'before-quit', listener: (e: { preventDefault(): void }) => void): void;
  };
  ipcMain: { handle(channel: string, listener: (e: IpcMainInvokeEvent, ...args: unknown[]) => unknown): void };
  createWindow(options: BrowserWindowConstructorOptions): ShellWindow;
  createTray(): ShellTray;
  /** Answers every permission request and check of the app's session with `allow` (after app ready). */
  restrictPermissions(allow: (permission: string) => boolean): void;
  openExternal(url: string): Promise<void>;
}

/** The gateway as the shell sees it: in production a utilityProcess behind connectGateway(). */
export interface ShellGateway {
  start(): Promise<unknown>;
  stop(): Promise<void>;
  call(method: ControlMethod, params: unknown): Promise<unknown>;
  subscribe(listener: (e: ControlEvent) => void): () => void;
  onExit(listener: (code: number) => void): void;
}

export interface ShellPaths {
  preload: string;
  rendererHtml: string;
  rendererUrl?: string;
}

/** The window may show notifications (approval prompts) and ask for nothing else: camera, geolocation... are refused. */
export const allowPermission = (permission: string): boolean => permission === 'notifications';

/** The window can run no Node, load nothing remote, and open no other window. */
export const WINDOW_OPTIONS = (preload: string): BrowserWindowConstructorOptions => ({
  width: 1100,
  height: 720,
  title: 'Gatehouse',
  show: false,
  webPreferences: { preload, contextIsolation: true, sandbox: true, nodeIntegration: false, webSecurity: true },
});

export async function runShell(electron: ShellElectron, gatewayFor: (userData: string) => ShellGateway, paths: ShellPaths): Promise<ShellWindow | null> {
  const { app } = electron;
  if (!app.requestSingleInstanceLock()) {
    app.quit();
    return null;
  }
  await app.whenReady();
  electron.restrictPermissions(allowPermission);
  const gateway = gatewayFor(app.getPath('userData'));

  const win = electron.createWindow(WINDOW_OPTIONS(paths.preload));

  // Only our window may call, only contract methods; errors travel as data.
  electron.ipcMain.handle(CALL_CHANNEL, async (e, method, params): Promise<CallReply> => {
    if (e.sender.id !== win.webContents.id) return { ok: false, error: { code: 'unauthorized', message: 'control calls come from the Gatehouse window only' } };
    if (!isControlMethod(method)) return { ok: false, error: { code: 'unknown_method', message: `unknown control method ${String(method)}` } };
    try {
      return { ok: true, result: await gateway.call(method, params) };
    } catch (err) {
      return { ok: false, error: toWireError(err) };
    }
  });

  const showWindow = () => {
    if (win.isMinimized()) win.restore();
    win.show();
    win.focus();
  };
  win.webContents.setWindowOpenHandler(({ url }) => {
    if (url.startsWith('https://')) void electron.openExternal(url);
    return { action: 'deny' };
  });
  win.webContents.on('will-navigate', (e) => e.preventDefault());

  // Closing the window hides it to the tray; only Quit (or the OS) ends the app.
  let quitting = false;
  win.on('close', (e) => {
    if (quitting) return;
    e.preventDefault();
    win.hide();
  });

  const tray = electron.createTray();
  const model = createTrayModel({ call: (m, p) => gateway.call(m, p) as never }, (s) => {
    tray.setToolTip(trayTooltip(s));
    tray.setMenu(trayMenu(s, { open: showWindow, approvals: showWindow, quit: () => app.quit() }));
  });
  tray.onClick(showWindow);
  model.setRunning(false);

  gateway.subscribe((e) => {
    model.apply(e);
    // Events can still come while the app quits, after the window is gone.
    if (!win.isDestroyed()) win.webContents.send(EVENT_CHANNEL, e);
  });
  gateway.onExit(() => model.setRunning(false));

  app.on('second-instance', showWindow);
  app.on('activate', showWindow);
  // Quitting waits for the gateway to stop (its ledger flushed, its database closed), then quits again.
  let stopping: Promise<void> | undefined;
  let stopped = false;
  app.on('before-quit', (e) => {
    quitting = true;
    if (stopped) return;
    e.preventDefault();
    stopping ??= gateway
      .stop()
      .catch((err: Error) => console.error('the gateway did not stop cleanly:', err.message))
      .finally(() => {
        stopped = true;
        app.quit();
      });
  });

  // A gateway that cannot start (its port taken, say) still leaves a window that says so.
  try {
    await gateway.start();
    model.setRunning(true);
  } catch (err) {
    console.error('the gateway did not start:', (err as Error).message);
  }
  if (model.state().running) await model.refresh().catch((err: Error) => console.error('could not read the tray state:', err.message));
  if (paths.rendererUrl) await win.loadURL(paths.rendererUrl);
  else await win.loadFile(paths.rendererHtml);
  showWindow();
  return win;
}
