// The desktop app in development loads better-sqlite3 and keytar built for Electron's ABI from
// out/native (made by scripts/native-electron.ts), so node_modules stays built for Node and
// `npm test` keeps working in the same checkout. A packaged app has them rebuilt in place.
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export const SQLITE_ADDON = join('better-sqlite3', 'build', 'Release', 'better_sqlite3.node');
export const KEYTAR_ADDON = join('keytar', 'build', 'Release', 'keytar.node');

/** `out/native/electron-<version>/node_modules`: one folder per Electron version, so an upgrade never loads a stale build. */
export const nativeModulesDir = (outDir: string, electronVersion: string): string => join(outDir, 'native', `electron-${electronVersion}`, 'node_modules');

/** The Electron builds present for this version (each one on its own: a missing keytar still leaves SQLite). */
export function findNativeModules(outDir: string, electronVersion: string, exists: (path: string) => boolean = existsSync): { sqlite?: string; keytarDir?: string } {
  const dir = nativeModulesDir(outDir, electronVersion);
  const found: { sqlite?: string; keytarDir?: string } = {};
  if (exists(join(dir, SQLITE_ADDON))) found.sqlite = join(dir, SQLITE_ADDON);
  if (exists(join(dir, KEYTAR_ADDON))) found.keytarDir = join(dir, 'keytar');
  return found;
}
