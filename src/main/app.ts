// The Electron main process: the real Electron APIs and the gateway, forked into a utilityProcess, handed to the shell.
import { app, BrowserWindow, ipcMain, Menu, nativeImage, Notification, screen, session, shell, Tray, utilityProcess } from 'electron';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { popupPosition } from './approval-popup';
import { resolveDataDir } from './data-dir';
import { connectGateway, type GatewayProcessOptions } from './gateway-protocol';
import { HIDDEN_FLAG, linuxLoginItem, loginCommand, type LoginItem } from './login-item';
import { findNativeModules } from './native-modules';
import { runShell, type ShellGateway, type ShellTray } from './shell';

/** `entry` is the built main entry: forked again as the gateway's utilityProcess (see index.ts). */
export function startApp(entry: string): Promise<unknown> {
  const here = dirname(entry);
  const resources = join(app.getAppPath(), 'resources');

  const createTray = (): ShellTray => {
    // A template image on macOS (drawn in the menu bar's colour); an empty image when the file is missing still leaves a working tray.
    const icon = nativeImage.createFromPath(join(resources, process.platform === 'darwin' ? 'trayTemplate.png' : 'tray.png'));
    const tray = new Tray(icon);
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

  const loginItem: LoginItem =
    process.platform === 'linux'
      ? linuxLoginItem(process.env, homedir(), loginCommand(process.execPath, process.env))
      : {
          get: async () => app.getLoginItemSettings().openAtLogin,
          set: async (open) => {
            app.setLoginItemSettings({ openAtLogin: open, args: [HIDDEN_FLAG] });
            return app.getLoginItemSettings().openAtLogin;
          },
        };

  const spawnGateway = (userData: string): ShellGateway => {
    const options: GatewayProcessOptions = {
      dataDir: resolveDataDir(userData, process.env),
      migrationsDir: join(here, 'migrations'),
      consoleDir: join(here, '../renderer'),
      nativeModules: findNativeModules(join(here, '..'), process.versions.electron),
    };
    const connection = connectGateway(utilityProcess.fork(entry, [], { serviceName: 'Gatehouse gateway', stdio: 'inherit' }));
    return { ...connection, start: () => connection.start(options) };
  };

  return runShell(
    {
      app,
      ipcMain,
      createWindow: (o) => new BrowserWindow(o),
      createPopup: (o) => {
        const { x, y } = popupPosition(screen.getPrimaryDisplay().workArea, process.platform);
        const popup = new BrowserWindow({ ...o, x, y });
        // Above full-screen apps too, where the OS allows it.
        popup.setAlwaysOnTop(true, 'floating');
        return popup;
      },
      notify: (n) => {
        if (!Notification.isSupported()) return;
        const shown = new Notification({ title: n.title, body: n.body });
        shown.on('click', n.onClick);
        shown.show();
      },
      loginItem,
      createTray,
      restrictPermissions,
      openExternal: (u) => shell.openExternal(u),
    },
    spawnGateway,
    {
      preload: join(here, '../preload/index.cjs'),
      rendererHtml: join(here, '../renderer/index.html'),
      rendererUrl: process.env.ELECTRON_RENDERER_URL,
      startHidden: process.argv.includes(HIDDEN_FLAG),
    },
  );
}
