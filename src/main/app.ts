// The Electron main process: the real Electron APIs and the gateway, forked into a utilityProcess, handed to the shell.
import { app, BrowserWindow, ipcMain, Menu, nativeImage, session, shell, Tray, utilityProcess } from 'electron';
import { dirname, join } from 'node:path';
import { resolveDataDir } from './data-dir';
import { connectGateway, type GatewayProcessOptions } from './gateway-protocol';
import { runShell, type ShellGateway, type ShellTray } from './shell';

/** `entry` is the built main entry: forked again as the gateway's utilityProcess (see index.ts). */
export function startApp(entry: string): Promise<unknown> {
  const here = dirname(entry);

  const createTray = (): ShellTray => {
    // An empty image when the icon is missing: the tray still works (macOS shows the title).
    const tray = new Tray(nativeImage.createFromPath(join(app.getAppPath(), 'resources', 'tray.png')));
    if (process.platform === 'darwin') tray.setTitle('Gatehouse');
    return {
      setToolTip: (text) => tray.setToolTip(text),
      setMenu: (template) => tray.setContextMenu(Menu.buildFromTemplate(template)),
      onClick: (listener) => void tray.on('click', listener),
    };
  };

  const restrictPermissions = (allow: (permission: string) => boolean): void => {
    session.defaultSession.setPermissionRequestHandler((_contents, permission, callback) => callback(allow(permission)));
    session.defaultSession.setPermissionCheckHandler((_contents, permission) => allow(permission));
  };

  const gatewayFor = (userData: string): ShellGateway => {
    const options: GatewayProcessOptions = {
      dataDir: resolveDataDir(userData, process.env),
      migrationsDir: join(here, 'migrations'),
      consoleDir: join(here, '../renderer'),
    };
    const connection = connectGateway(utilityProcess.fork(entry, [], { serviceName: 'Gatehouse gateway', stdio: 'inherit' }));
    return { ...connection, start: () => connection.start(options) };
  };

  return runShell(
    { app, ipcMain, createWindow: (o) => new BrowserWindow(o), createTray, restrictPermissions, openExternal: (u) => shell.openExternal(u) },
    gatewayFor,
    { preload: join(here, '../preload/index.cjs'), rendererHtml: join(here, '../renderer/index.html'), rendererUrl: process.env.ELECTRON_RENDERER_URL },
  );
}
