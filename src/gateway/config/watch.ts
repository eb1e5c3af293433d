// Live reload: watch gatehouse.yaml and report each new version of it as applied (valid) or
// rejected (invalid, unreadable or deleted). Deciding what to do with a new config is the caller's.
import { readFileSync, watch, type FSWatcher } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import type { ConfigIssue } from '../../shared/contract.js';
import { ConfigError, hashConfigText, parseConfigText, ROOT_PATH, unreadableMessage, type LoadedConfig } from './load.js';

export interface ConfigWatchHandlers {
  /** A new, valid version of the file. Never called for an invalid one. */
  onApplied(loaded: LoadedConfig): void;
  /**
   * A new version that cannot be used; whatever config is running keeps running. `hash` is the
   * SHA-256 of the rejected text, or '' when the file could not be read (deleted, unreadable).
   */
  onRejected(issues: ConfigIssue[], hash: string): void;
  /** Problems of the watcher itself, and exceptions thrown by the handlers above. */
  onError?(err: Error): void;
}

export interface ConfigWatcher {
  /** Stops watching; no handler is called after it returns. */
  close(): void;
}

/** How a missing or unreadable file is remembered, so it is reported once, not on every event. */
const UNREADABLE = 'unreadable:';

/**
 * Watches `initial.path` for changes. Handlers are called one at a time, in the order the file's
 * versions were seen, and at most once per distinct content: saving the same text twice, or a
 * burst of writes within `debounceMs`, gives one call.
 */
export function watchConfig(initial: LoadedConfig, handlers: ConfigWatchHandlers, opts: { debounceMs?: number } = {}): ConfigWatcher {
  const debounceMs = opts.debounceMs ?? 150;
  const file = resolve(initial.path);
  const name = basename(file);
  let lastSeen = initial.hash;
  let timer: NodeJS.Timeout | undefined;
  let closed = false;
  let retriedMissing = false;

  const report = (err: unknown): void => {
    const error = err instanceof Error ? err : new Error(String(err));
    if (!handlers.onError) {
      process.emitWarning(error);
      return;
    }
    try {
      handlers.onError(error);
    } catch (inner) {
      // Nothing further up can take it: an exception here would escape from an fs event.
      process.emitWarning(inner instanceof Error ? inner : new Error(String(inner)));
    }
  };

  const schedule = (): void => {
    if (closed) return;
    if (timer) clearTimeout(timer);
    timer = setTimeout(check, debounceMs);
  };

  const check = (): void => {
    timer = undefined;
    if (closed) return;
    try {
      let text: string;
      try {
        text = readFileSync(file, 'utf8');
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code ?? 'error';
        // Some editors save by deleting and then recreating the file: look once more before
        // calling it gone.
        if (code === 'ENOENT' && !retriedMissing) {
          retriedMissing = true;
          schedule();
          return;
        }
        retriedMissing = false;
        if (lastSeen === UNREADABLE + code) return;
        lastSeen = UNREADABLE + code;
        const message =
          code === 'ENOENT'
            ? `config file ${initial.path} was deleted or renamed; the running configuration is kept until the file is back`
            : `${unreadableMessage(initial.path, err)}; the running configuration is kept`;
        handlers.onRejected([{ path: ROOT_PATH, message }], '');
        return;
      }
      retriedMissing = false;
      const hash = hashConfigText(text);
      if (hash === lastSeen) return;
      lastSeen = hash;
      const result = parseConfigText(text);
      if (result.ok) handlers.onApplied({ config: result.config, text, hash, path: initial.path });
      else handlers.onRejected(result.issues, hash);
    } catch (err) {
      report(err);
    }
  };

  let watcher: FSWatcher;
  try {
    // The directory, not the file: editors save by writing a temp file and renaming it over the
    // original, and a watch on the file would follow the old, replaced inode.
    watcher = watch(dirname(file), (_event, changed) => {
      // Some platforms do not say which file changed; then look, the hash check makes it cheap.
      if (changed === null || changed === name) schedule();
    });
  } catch (err) {
    throw new ConfigError('CONFIG_UNREADABLE', `cannot watch the folder of ${initial.path} for changes: ${(err as Error).message}`, [], { cause: err });
  }
  watcher.on('error', report);

  // The file may have changed between being loaded and being watched.
  try {
    if (hashConfigText(readFileSync(file, 'utf8')) !== initial.hash) schedule();
  } catch {
    // Unreadable right now: the check reports it properly, with the retry for editors' saves.
    schedule();
  }

  return {
    close() {
      closed = true;
      if (timer) clearTimeout(timer);
      timer = undefined;
      watcher.close();
    },
  };
}
