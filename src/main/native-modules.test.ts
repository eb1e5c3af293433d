// Which Electron-ABI addons the desktop app loads in development.
import { describe, expect, it } from 'vitest';
import { findNativeModules } from './native-modules';

describe('native modules for Electron', () => {
  it('uses the builds for this Electron version when present, each on its own', () => {
    const present = new Set(['/app/out/native/electron-45.4.1/node_modules/better-sqlite3/build/Release/better_sqlite3.node']);
    expect(findNativeModules('/app/out', '45.4.1', (p) => present.has(p))).toEqual({ sqlite: '/app/out/native/electron-45.4.1/node_modules/better-sqlite3/build/Release/better_sqlite3.node' });
    present.add('/app/out/native/electron-45.4.1/node_modules/keytar/build/Release/keytar.node');
    expect(findNativeModules('/app/out', '45.4.1', (p) => present.has(p)).keytarDir).toBe('/app/out/native/electron-45.4.1/node_modules/keytar');
    // Another Electron version's builds are never loaded; nothing found means node_modules' own (a packaged app).
    expect(findNativeModules('/app/out', '46.0.0', (p) => present.has(p))).toEqual({});
  });
});
