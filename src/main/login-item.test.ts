// Start at login on Linux: the XDG autostart entry, written, read back and removed in a temp directory.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { autostartEntry, linuxLoginItem, loginCommand, quoteExecArg } from './login-item';

const dirs: string[] = [];
const temp = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'gh-login-'));
  dirs.push(d);
  return d;
};
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('start at login (Linux)', () => {
  it('writes an autostart entry that starts the app hidden, reads it back and removes it', async () => {
    const home = temp();
    const item = linuxLoginItem({}, home, ['/opt/Gatehouse/gatehouse', '--hidden']);
    expect(await item.get()).toBe(false);
    expect(await item.set(true)).toBe(true);
    const file = join(home, '.config/autostart/gatehouse.desktop');
    expect(readFileSync(file, 'utf8')).toContain('Exec=/opt/Gatehouse/gatehouse --hidden\n');
    expect(await item.get()).toBe(true);
    expect(await item.set(false)).toBe(false);
    expect(await item.set(false)).toBe(false); // already off: no error
  });

  it('honours XDG_CONFIG_HOME and an entry the desktop marked hidden', async () => {
    const config = temp();
    const item = linuxLoginItem({ XDG_CONFIG_HOME: config }, '/nonexistent', ['/a']);
    await item.set(true);
    const file = join(config, 'autostart/gatehouse.desktop');
    writeFileSync(file, `${readFileSync(file, 'utf8')}Hidden=true\n`);
    expect(await item.get()).toBe(false);
  });

  it('quotes Exec arguments as the Desktop Entry Specification asks', () => {
    expect(quoteExecArg('/usr/bin/gatehouse')).toBe('/usr/bin/gatehouse');
    expect(quoteExecArg('/home/me/My Apps/Gatehouse.AppImage')).toBe('"/home/me/My Apps/Gatehouse.AppImage"');
    expect(quoteExecArg('/a/$HOME/"x"\\`y`')).toBe('"/a/\\$HOME/\\"x\\"\\\\\\`y\\`"');
    expect(autostartEntry(['/a b', '--hidden'])).toMatch(/^Exec="\/a b" --hidden$/m);
  });

  it('starts the AppImage itself when run from one', () => {
    expect(loginCommand('/tmp/.mount_Gate123/gatehouse', { APPIMAGE: '/home/me/Gatehouse.AppImage' })).toEqual(['/home/me/Gatehouse.AppImage', '--hidden']);
    expect(loginCommand('/usr/lib/gatehouse/gatehouse', {})).toEqual(['/usr/lib/gatehouse/gatehouse', '--hidden']);
  });
});
