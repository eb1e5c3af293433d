// Where Gatehouse keeps its files: the per-user data directory and the names inside it.
import { homedir } from 'node:os';
import { join } from 'node:path';

/**
 * The OS's per-user app-data folder, the same one Electron's `app.getPath('userData')` gives for
 * productName "Gatehouse", so the desktop app and the CLI share one data directory.
 */
export function defaultDataDir(env: Record<string, string | undefined> = process.env, platform = process.platform): string {
  if (platform === 'win32') return join(env.APPDATA ?? join(homedir(), 'AppData', 'Roaming'), 'Gatehouse');
  if (platform === 'darwin') return join(homedir(), 'Library', 'Application Support', 'Gatehouse');
  return join(env.XDG_CONFIG_HOME || join(homedir(), '.config'), 'Gatehouse');
}

/** Flag > GATEHOUSE_DATA_DIR > the OS default. */
export function resolveDataDir(flag: string | undefined, env: Record<string, string | undefined> = process.env): string {
  return flag || env.GATEHOUSE_DATA_DIR || defaultDataDir(env);
}

export const dataFiles = {
  config: 'gatehouse.yaml',
  database: 'gatehouse.sqlite',
  lock: 'gatehouse.lock',
  adminToken: 'admin-token',
} as const;
