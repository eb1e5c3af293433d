// "Start at login": Electron's login items on macOS and Windows, an XDG autostart entry on Linux
// (Electron has no login items there). The app then starts hidden, in the tray.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** The flag the login entry starts the app with: no window, just the tray. */
export const HIDDEN_FLAG = '--hidden';

export interface LoginItem {
  get(): Promise<boolean>;
  set(open: boolean): Promise<boolean>;
}

/** An argument of a desktop entry's Exec key, quoted as the Desktop Entry Specification asks. */
export function quoteExecArg(arg: string): string {
  if (!/[\s"'\\`$<>|&;*?#()~]/.test(arg) && arg !== '') return arg;
  return `"${arg.replace(/["`$\\]/g, (c) => `\\${c}`)}"`;
}

export function autostartEntry(command: readonly string[]): string {
  return ['[Desktop Entry]', 'Type=Application', 'Name=Gatehouse', 'Comment=A personal governed AI gateway', `Exec=${command.map(quoteExecArg).join(' ')}`, 'Terminal=false', 'X-GNOME-Autostart-enabled=true', ''].join('\n');
}

/** Linux: `$XDG_CONFIG_HOME/autostart/gatehouse.desktop` (~/.config by default). */
export function linuxLoginItem(env: Record<string, string | undefined>, home: string, command: readonly string[]): LoginItem {
  const dir = join(env.XDG_CONFIG_HOME || join(home, '.config'), 'autostart');
  const file = join(dir, 'gatehouse.desktop');
  const enabled = (): boolean => {
    try {
      return /^X-GNOME-Autostart-enabled=true$/m.test(readFileSync(file, 'utf8')) && !/^Hidden=true$/m.test(readFileSync(file, 'utf8'));
    } catch {
      return false;
    }
  };
  return {
    get: async () => enabled(),
    set: async (open) => {
      if (open) {
        mkdirSync(dir, { recursive: true });
        writeFileSync(file, autostartEntry(command), { mode: 0o644 });
      } else {
        rmSync(file, { force: true });
      }
      return enabled();
    },
  };
}

/** The command that starts this app at login: the AppImage itself when run from one (its mount path changes each run). */
export function loginCommand(execPath: string, env: Record<string, string | undefined>): string[] {
  return [env.APPIMAGE || execPath, HIDDEN_FLAG];
}
