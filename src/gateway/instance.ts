// The running instance's files in the data directory: the admin token and the lockfile.
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeFileSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { dataFiles } from './paths.js';

export interface LockInfo {
  pid: number;
  url: string;
  startedAt: string;
  version: string;
}

/** The data directory holds credentials and the ledger: the user only. */
export function ensureDataDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
}

/** The admin token: 256 bits, created on first run, readable by the user only. */
export function adminToken(dir: string): string {
  const path = join(dir, dataFiles.adminToken);
  try {
    const existing = readFileSync(path, 'utf8').trim();
    if (existing.length >= 32) return existing;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const token = randomBytes(32).toString('base64url');
  writeFileSync(path, `${token}\n`, { mode: 0o600 });
  chmodSync(path, 0o600);
  return token;
}

/**
 * Replaces the admin token with a new one (256 bits) and returns it. Written to a temporary file
 * and renamed over the old one, so a CLI command reading it meanwhile sees the old token or the
 * new one, never half of either.
 */
export function rotateAdminToken(dir: string): string {
  const path = join(dir, dataFiles.adminToken);
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const token = randomBytes(32).toString('base64url');
  try {
    writeFileSync(tmp, `${token}\n`, { mode: 0o600, flag: 'wx' });
    chmodSync(tmp, 0o600);
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
  return token;
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function readLock(dir: string): LockInfo | null {
  try {
    const info = JSON.parse(readFileSync(join(dir, dataFiles.lock), 'utf8')) as LockInfo;
    return typeof info.pid === 'number' && typeof info.url === 'string' ? info : null;
  } catch {
    return null;
  }
}

export class InstanceLockedError extends Error {
  readonly code = 'INSTANCE_LOCKED';
  constructor(readonly holder: LockInfo) {
    super(`another gateway (pid ${holder.pid}) is already serving this data directory at ${holder.url}; stop it first or use another --data-dir`);
  }
}

/**
 * Takes the lock: created exclusively, so two gateways cannot both believe they own the data
 * directory; a lock left by a process that no longer exists is replaced.
 */
export function takeLock(dir: string, info: LockInfo): void {
  const path = join(dir, dataFiles.lock);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx', 0o600);
      writeFileSync(fd, JSON.stringify(info, null, 2));
      closeSync(fd);
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const holder = readLock(dir);
      if (holder && holder.pid !== process.pid && isAlive(holder.pid)) throw new InstanceLockedError(holder);
      rmSync(path, { force: true });
    }
  }
  throw new Error(`could not take the lock ${path}`);
}

export function releaseLock(dir: string): void {
  const holder = readLock(dir);
  if (holder && holder.pid === process.pid) rmSync(join(dir, dataFiles.lock), { force: true });
}
