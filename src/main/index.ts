// The Electron entry: hands the real Electron APIs and the gateway to the shell wiring.
import { app, BrowserWindow, ipcMain, shell } from 'electron';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createGateway } from '../gateway/index';
import { resolveDataDir } from './data-dir';
import { runShell } from './shell';

const here = fileURLToPath(new URL('.', import.meta.url));

void runShell(
  { app, ipcMain, createWindow: (o) => new BrowserWindow(o), openExternal: (u) => shell.openExternal(u) },
  (userData) =>
    createGateway({
      dataDir: resolveDataDir(userData, process.env),
      migrationsDir: join(here, 'migrations'),
      consoleDir: join(here, '../renderer'),
    }),
  { preload: join(here, '../preload/index.cjs'), rendererHtml: join(here, '../renderer/index.html'), rendererUrl: process.env.ELECTRON_RENDERER_URL },
);
