// The desktop shell's wiring, written against the few Electron APIs it uses so it can be tested with fakes.
import type { BrowserWindowConstructorOptions, IpcMainInvokeEvent, MenuItemConstructorOptions } from 'electron';
import type { ControlEvent, PendingApproval } from '../shared/contract';
// The channel names and payloads are the preload's (the bridge is their other end).
import { CALL_CHANNEL, EVENT_CHANNEL, LOGIN_ITEM_GET_CHANNEL, LOGIN_ITEM_SET_CHANNEL, type CallReply } from '../preload/ipc';
import { createApprovalPopup, POPUP_OPTIONS, type OsNotification, type PopupWindow } from './approval-popup';
import { isControlMethod, toWireError } from './gateway-protocol';
import type { LoginItem } from './login-item';
import { superviseGateway, type GatewayConnection, type SupervisorOptions } from './supervisor';
import { createTrayModel, trayMenu, trayTooltip } from './tray';

export interface ShellWindow {
  loadURL(url: string): Promise<void>;
  loadFile(path: string, options?: { hash?: string }): Promise<void>;
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

/** The approval popup's window: a ShellWindow that can also appear without taking the focus. */
export type ShellPopup = ShellWindow & PopupWindow;

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
  /** The popup's window, placed by the tray. */
  createPopup(options: BrowserWindowConstructorOptions): ShellPopup;
  /** An OS notification (nothing when the OS has none). */
  notify(n: OsNotification): void;
  loginItem: LoginItem;
  createTray(): ShellTray;
  /** Answers every permission request and check of the app's session with `allow` (after app ready). */
  restrictPermissions(allow: (permission: string) => boolean): void;
  openExternal(url: string): Promise<void>;
}

/** One gateway process as the shell sees it: in production a utilityProcess behind connectGateway(). */
export type ShellGateway = GatewayConnection;

export interface ShellPaths {
  preload: string;
  rendererHtml: string;
  rendererUrl?: string;
  /** Started at login: the tray only, no window until asked for. */
  startHidden?: boolean;
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

/**
 * Runs the desktop app: the window, the approval popup, the tray, and a supervised gateway process
 * (`spawnGateway` makes a fresh one each time it has to start).
 */
export async function runShell(electron: ShellElectron, spawnGateway: (userData: string) => ShellGateway, paths: ShellPaths, supervision?: SupervisorOptions): Promise<ShellWindow | null> {
  const { app } = electron;
  if (!app.requestSingleInstanceLock()) {
    app.quit();
    return null;
  }
  await app.whenReady();
  electron.restrictPermissions(allowPermission);
  const userData = app.getPath('userData');

  const win = electron.createWindow(WINDOW_OPTIONS(paths.preload));
  const popupWin = electron.createPopup(POPUP_OPTIONS(paths.preload));
  const windows = [win, popupWin];
  const popup = createApprovalPopup(popupWin, (n) => electron.notify(n));

  const tray = electron.createTray();
  const showWindow = () => {
    if (win.isMinimized()) win.restore();
    win.show();
    win.focus();
  };
  const model = createTrayModel({ call: (m, p) => gateway.call(m, p) as never }, (s) => {
    tray.setToolTip(trayTooltip(s));
    tray.setMenu(trayMenu(s, { open: showWindow, approvals: () => popup.open(), restart: () => void restart(), quit: () => app.quit() }));
  });

  // Each time a gateway process comes up (first start or after a crash) the tray and the popup re-read what waits.
  const resync = async (): Promise<void> => {
    await model.refresh();
    popup.reset((await gateway.call('approvals:list', {})) as PendingApproval[]);
  };
  const gateway = superviseGateway(
    () => spawnGateway(userData),
    (s) => {
      model.setGateway(s);
      if (s.status === 'running') void resync().catch((err: Error) => console.error('could not read the tray state:', err.message));
      if (s.status === 'restarting') console.error(`the gateway process exited (code ${s.exitCode}); starting it again in ${s.retryInMs} ms`);
      if (s.status === 'failed') console.error(s.reason);
    },
    supervision,
  );
  const restart = (): Promise<void> => gateway.restart().catch((err: Error) => console.error('the gateway did not start:', err.message));

  // Only our two windows may call, only contract methods; errors travel as data.
  const ours = (e: IpcMainInvokeEvent): boolean => windows.some((w) => !w.isDestroyed() && e.sender.id === w.webContents.id);
  electron.ipcMain.handle(CALL_CHANNEL, async (e, method, params): Promise<CallReply> => {
    if (!ours(e)) return { ok: false, error: { code: 'unauthorized', message: 'control calls come from the Gatehouse windows only' } };
    if (!isControlMethod(method)) return { ok: false, error: { code: 'unknown_method', message: `unknown control method ${String(method)}` } };
    try {
      return { ok: true, result: await gateway.call(method, params) };
    } catch (err) {
      return { ok: false, error: toWireError(err) };
    }
  });
  // Start at login: the main window's Settings only.
  const fromMain = (e: IpcMainInvokeEvent): void => {
    if (e.sender.id !== win.webContents.id) throw new Error('only the Gatehouse window may change how it starts');
  };
  electron.ipcMain.handle(LOGIN_ITEM_GET_CHANNEL, (e) => (fromMain(e), electron.loginItem.get()));
  electron.ipcMain.handle(LOGIN_ITEM_SET_CHANNEL, (e, open) => (fromMain(e), electron.loginItem.set(open === true)));

  for (const w of windows) {
    w.webContents.setWindowOpenHandler(({ url }) => {
      if (url.startsWith('https://')) void electron.openExternal(url);
      return { action: 'deny' };
    });
    w.webContents.on('will-navigate', (e) => e.preventDefault());
  }

  // Closing a window hides it (the main one to the tray); only Quit (or the OS) ends the app.
  let quitting = false;
  for (const w of windows) {
    w.on('close', (e) => {
      if (quitting) return;
      e.preventDefault();
      w.hide();
    });
  }

  tray.onClick(showWindow);
  gateway.subscribe((e) => {
    model.apply(e);
    popup.apply(e);
    // Events can still come while the app quits, after the windows are gone.
    for (const w of windows) if (!w.isDestroyed()) w.webContents.send(EVENT_CHANNEL, e);
  });

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

  // A gateway that cannot start (its port taken, say) still leaves a window (and a tray) that says so.
  await gateway.start().catch((err: Error) => console.error('the gateway did not start:', err.message));
  const load = (w: ShellWindow, hash: string) => (paths.rendererUrl ? w.loadURL(`${paths.rendererUrl}#${hash}`) : w.loadFile(paths.rendererHtml, { hash }));
  await Promise.all([load(win, '/overview'), load(popupWin, '/popup')]);
  if (!paths.startHidden) showWindow();
  return win;
}
