// The Electron shell: one instance, one window, the gateway started in-process and reached over IPC.
import { app, BrowserWindow, ipcMain, shell } from 'electron';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createGateway } from '../gateway/index';
import { CONTROL_METHODS, type ControlMethod } from '../shared/contract';
import { resolveDataDir } from './data-dir';

const KNOWN = new Set<string>(CONTROL_METHODS);
const here = fileURLToPath(new URL('.', import.meta.url));

async function run(): Promise<void> {
  if (!app.requestSingleInstanceLock()) {
    app.quit();
    return;
  }
  await app.whenReady();
  const gateway = createGateway({
    dataDir: resolveDataDir(app.getPath('userData'), process.env),
    migrationsDir: join(here, 'migrations'),
    consoleDir: join(here, '../renderer'),
  });
  await gateway.start();

  // The renderer may call contract methods and nothing else.
  ipcMain.handle('control:call', (_e, method: unknown, params: unknown) => {
    if (typeof method !== 'string' || !KNOWN.has(method)) throw new Error(`unknown control method ${String(method)}`);
    return gateway.call(method as ControlMethod, params, 'desktop');
  });

  const win = new BrowserWindow({
    width: 1100,
    height: 720,
    title: 'Gatehouse',
    webPreferences: { preload: join(here, '../preload/index.cjs'), contextIsolation: true, sandbox: true, nodeIntegration: false },
  });
  win.webContents.setWindowOpenHandler(({ url }) => {
    if (url.startsWith('https://')) void shell.openExternal(url);
    return { action: 'deny' };
  });
  win.webContents.on('will-navigate', (e) => e.preventDefault());
  if (process.env.ELECTRON_RENDERER_URL) await win.loadURL(process.env.ELECTRON_RENDERER_URL);
  else await win.loadFile(join(here, '../renderer/index.html'));

  app.on('second-instance', () => {
    if (win.isMinimized()) win.restore();
    win.focus();
  });
  app.on('before-quit', () => void gateway.stop());
}

void run();
