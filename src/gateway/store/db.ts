// Opens the SQLite database: WAL mode, numbered .sql migrations in one transaction, a backup first.
import Database from 'better-sqlite3';
import { chmodSync, existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';

export type Db = Database.Database;

const statements = new WeakMap<Db, Map<string, Database.Statement>>();

/** A prepared statement, prepared once per database: preparing on every call costs more than a small write. */
export function statement(db: Db, sql: string): Database.Statement {
  let byText = statements.get(db);
  if (!byText) statements.set(db, (byText = new Map()));
  let stmt = byText.get(sql);
  if (!stmt) byText.set(sql, (stmt = db.prepare(sql)));
  return stmt;
}

export type StoreErrorCode = 'STORE_TOO_NEW' | 'STORE_OPEN_FAILED' | 'STORE_MIGRATION_FAILED' | 'STORE_WRITE_FAILED';

export class StoreError extends Error {
  constructor(
    readonly code: StoreErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'StoreError';
  }
}

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/** Beside this file in the source tree and in the tsc output; the Electron build passes its own. */
export const DEFAULT_MIGRATIONS_DIR = fileURLToPath(new URL('./migrations/', import.meta.url));

export function readMigrations(dir: string = DEFAULT_MIGRATIONS_DIR): Migration[] {
  const migrations = readdirSync(dir)
    .filter((f) => /^\d{3}_[a-z0-9_]+\.sql$/.test(f))
    .sort()
    .map((f) => ({ version: Number(f.slice(0, 3)), name: f, sql: readFileSync(join(dir, f), 'utf8') }));
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) throw new StoreError('STORE_MIGRATION_FAILED', `migration ${m.name} is out of sequence: expected number ${i + 1}`);
  });
  return migrations;
}

export interface OpenOptions {
  migrationsDir?: string;
  /** better-sqlite3's compiled addon to load instead of its own (the desktop app's Electron build). */
  nativeBinding?: string;
  /** Called with the backup's path when an existing database is backed up before migrating. */
  onBackup?: (path: string) => void;
  now?: () => Date;
}

/**
 * Opens (creating if needed) and migrates the database. A database written by a newer
 * Gatehouse is refused rather than guessed at; an older one is backed up with VACUUM INTO and
 * then upgraded in one transaction, so a failed migration leaves it exactly as it was.
 */
export function openDatabase(path: string, opts: OpenOptions = {}): Db {
  const migrations = readMigrations(opts.migrationsDir);
  const latest = migrations.length;
  const existed = existsSync(path);
  let db: Db;
  try {
    db = new Database(path, opts.nativeBinding ? { nativeBinding: opts.nativeBinding } : {});
  } catch (err) {
    throw new StoreError('STORE_OPEN_FAILED', `cannot open the database at ${path}: ${(err as Error).message}`, { cause: err });
  }
  try {
    // The ledger and key hashes are the user's alone; the WAL and SHM files inherit this mode.
    if (path !== ':memory:') chmodSync(path, 0o600);
    db.pragma('journal_mode = WAL');
    // NORMAL in WAL mode: a committed transaction survives the process being killed (the OS
    // holds the write); only a power loss can take the last commits. Checkpoints run on a timer.
    db.pragma('synchronous = NORMAL');
    db.pragma('wal_autocheckpoint = 0');
    db.pragma('busy_timeout = 5000');
    db.pragma('foreign_keys = ON');

    const current = db.pragma('user_version', { simple: true }) as number;
    if (current > latest) {
      throw new StoreError(
        'STORE_TOO_NEW',
        `the database at ${path} was written by a newer Gatehouse (schema ${current}; this version knows up to ${latest}). ` +
          'Upgrade Gatehouse, or point --data-dir at another directory.',
      );
    }
    if (current < latest) {
      if (existed && current > 0) {
        const stamp = (opts.now?.() ?? new Date()).toISOString().replace(/[:.]/g, '-');
        const backup = `${path}.v${current}-${stamp}.bak`;
        db.prepare('VACUUM INTO ?').run(backup);
        opts.onBackup?.(backup);
      }
      const pending = migrations.slice(current);
      try {
        db.transaction(() => {
          for (const m of pending) db.exec(m.sql);
          db.pragma(`user_version = ${latest}`);
        })();
      } catch (err) {
        throw new StoreError('STORE_MIGRATION_FAILED', `migrating ${path} from schema ${current} to ${latest} failed: ${(err as Error).message}`, {
          cause: err,
        });
      }
    }
    return db;
  } catch (err) {
    db.close();
    throw err;
  }
}

/**
 * The checkpointer's code, run in a worker thread with its own connection: a checkpoint copies the
 * log into the database file, which takes ~30 ms per 2,000 ledger rows on our machines (200 ms after
 * a busy 10 s), and on the gateway's own thread that is a stall of every request and stream.
 * PASSIVE never waits for readers or writers; TRUNCATE, only when the log has grown large anyway.
 */
const CHECKPOINTER = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.module);
const db = new Database(workerData.path, workerData.nativeBinding ? { nativeBinding: workerData.nativeBinding } : {});
db.pragma('busy_timeout = 5000');
const timer = setInterval(() => {
  try {
    const [row] = db.pragma('wal_checkpoint(PASSIVE)');
    if (row && row.log > 16384) db.pragma('wal_checkpoint(TRUNCATE)');
  } catch (err) {
    parentPort.postMessage({ error: String(err && err.message || err) });
  }
}, workerData.intervalMs);
parentPort.on('message', (m) => {
  if (m !== 'stop') return;
  clearInterval(timer);
  db.close();
  process.exit(0);
});
`;

/** How long a stopping checkpointer may take to close its connection before it is terminated. */
const CHECKPOINTER_STOP_MS = 5_000;

/**
 * WAL checkpoints off the request path and off the gateway's thread (see CHECKPOINTER), so the log
 * cannot grow without end. Returns a function that stops the checkpointer and resolves once its
 * thread has exited: after that it no longer touches the database's files (its connection closing
 * while the data directory is removed failed the removal).
 */
export function startCheckpointTimer(db: Db, intervalMs = 10_000, onError?: (err: Error) => void, nativeBinding?: string): () => Promise<void> {
  if (db.memory) return async () => undefined;
  const worker = new Worker(CHECKPOINTER, {
    eval: true,
    workerData: { path: db.name, intervalMs, nativeBinding, module: createRequire(import.meta.url).resolve('better-sqlite3') },
  });
  worker.unref();
  worker.on('message', (m: { error?: string }) => m.error && onError?.(new Error(m.error)));
  worker.on('error', (err) => onError?.(err));
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  return () => {
    // Ignored by a thread that has already exited; `exited` has resolved then.
    worker.postMessage('stop');
    const force = setTimeout(() => void worker.terminate(), CHECKPOINTER_STOP_MS);
    return exited.finally(() => clearTimeout(force));
  };
}
