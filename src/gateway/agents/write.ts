// Writing an agent's settings file: a backup of the old one first, then the new text atomically.
import { randomBytes } from 'node:crypto';
import { closeSync, fchmodSync, fsyncSync, mkdirSync, openSync, readFileSync, realpathSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { SetupError, type ReadFile } from './recipe.js';
import type { FileEdit } from './setup.js';

/** Reads a file as text; null when it does not exist, a SetupError when it cannot be read. */
export const readTextFile: ReadFile = (path) => {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new SetupError('SETUP_UNREADABLE', `cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, { cause: err });
  }
};

/** `20261124T151800Z`: sorts by time and has no characters a file system refuses. */
function utcStamp(now: Date): string {
  return now.toISOString().replace(/\.\d+Z$/, 'Z').replace(/[-:]/g, '');
}

function writeExclusive(path: string, text: string, mode: number): void {
  const fd = openSync(path, 'wx', mode);
  try {
    // fchmod as well: the umask may have narrowed the mode openSync asked for.
    fchmodSync(fd, mode);
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Temp file beside the target, then rename: the agent never reads half a file. */
function writeAtomically(path: string, text: string, mode: number): void {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    writeExclusive(tmp, text, mode);
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}

export interface WriteResult {
  path: string;
  /** Where the previous file was copied, or null when there was none. */
  backup: string | null;
}

/**
 * Writes one edit: checks the file still holds what the edit was computed from, copies it to
 * `<file>.gatehouse-backup-<UTC time>` (mode 0600: it may hold secrets), then replaces it
 * atomically. A symbolic link (dotfiles kept in a repository) is followed, not replaced. A file
 * holding the key is written mode 0600; any other keeps its mode (0644 when new).
 */
export function writeEdit(edit: FileEdit, now: Date): WriteResult {
  const current = readTextFile(edit.path);
  if (current !== edit.before) throw new SetupError('SETUP_CHANGED', `${edit.path} changed while Gatehouse was reading it: run this again`);
  try {
    let backup: string | null = null;
    let target = edit.path;
    let mode = 0o644;
    if (edit.before !== null) {
      target = realpathSync(edit.path);
      mode = statSync(target).mode & 0o777;
      const stem = `${edit.path}.gatehouse-backup-${utcStamp(now)}`;
      for (let n = 1; backup === null; n++) {
        const candidate = n === 1 ? stem : `${stem}-${n}`;
        try {
          writeExclusive(candidate, edit.before, 0o600);
          backup = candidate;
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || n >= 100) throw err;
        }
      }
    } else {
      // The agent's folder may not exist yet; it is private like the file it will hold.
      mkdirSync(dirname(edit.path), { recursive: true, mode: 0o700 });
    }
    writeAtomically(target, edit.after, edit.secret ? 0o600 : mode);
    return { path: edit.path, backup };
  } catch (err) {
    throw new SetupError('SETUP_WRITE', `cannot write ${edit.path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, { cause: err });
  }
}
