// Tests for live reload: real files, the ways editors save them, and what the handlers are told.
import { linkSync, mkdirSync, mkdtempSync, renameSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ConfigIssue } from '../../shared/contract.js';
import { hashConfigText, loadConfigFile, type LoadedConfig } from './load.js';
import { watchConfig, type ConfigWatcher } from './watch.js';

const DEBOUNCE_MS = 40;
const EVENT_TIMEOUT_MS = 5_000;

type WatchEvent = { kind: 'applied'; loaded: LoadedConfig } | { kind: 'rejected'; issues: ConfigIssue[]; hash: string } | { kind: 'error'; err: Error };

/** Collects handler calls in order; `next()` waits for the next one, with a timeout. */
class Recorder {
  readonly events: WatchEvent[] = [];
  private waiting: ((event: WatchEvent) => void) | undefined;
  private read = 0;

  push(event: WatchEvent): void {
    this.events.push(event);
    this.waiting?.(event);
  }

  next(): Promise<WatchEvent> {
    const index = this.read++;
    const ready = this.events[index];
    if (ready) return Promise.resolve(ready);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no watch event within ${EVENT_TIMEOUT_MS} ms; seen: ${JSON.stringify(this.events.map((e) => e.kind))}`)), EVENT_TIMEOUT_MS);
      this.waiting = () => {
        const event = this.events[index];
        if (!event) return;
        clearTimeout(timer);
        this.waiting = undefined;
        resolve(event);
      };
    });
  }

  /** Every event so far has been read with next(). */
  get drained(): boolean {
    return this.read === this.events.length;
  }
}

const configText = (port: number) => `version: 1\nserver:\n  port: ${port}\n`;

let dir: string;
let path: string;
let watcher: ConfigWatcher | undefined;
let recorder: Recorder;
let lastApplied: LoadedConfig;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'gatehouse-watch-'));
  path = join(dir, 'gatehouse.yaml');
  writeFileSync(path, configText(4000));
  recorder = new Recorder();
  lastApplied = loadConfigFile(path);
});
afterEach(() => {
  watcher?.close();
  watcher = undefined;
  rmSync(dir, { recursive: true, force: true });
});

function start(): void {
  watcher = watchConfig(
    lastApplied,
    {
      onApplied(loaded) {
        lastApplied = loaded;
        recorder.push({ kind: 'applied', loaded });
      },
      onRejected(issues, hash) {
        recorder.push({ kind: 'rejected', issues, hash });
      },
      onError(err) {
        recorder.push({ kind: 'error', err });
      },
    },
    { debounceMs: DEBOUNCE_MS },
  );
}

/** How editors such as vim and VS Code save: write a temp file, rename it over the original. */
function saveByRename(text: string): void {
  const tmp = join(dir, '.gatehouse.yaml.swp');
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}

async function nextApplied(): Promise<LoadedConfig> {
  const event = await recorder.next();
  if (event.kind !== 'applied') throw new Error(`expected applied, got ${JSON.stringify(event)}`);
  return event.loaded;
}

async function nextRejected(): Promise<{ issues: ConfigIssue[]; hash: string }> {
  const event = await recorder.next();
  if (event.kind !== 'rejected') throw new Error(`expected rejected, got ${JSON.stringify(event)}`);
  return event;
}

describe('watchConfig', () => {
  it('applies a valid change saved by rename-replace', async () => {
    start();
    saveByRename(configText(4100));
    const loaded = await nextApplied();
    expect(loaded.config.server.port).toBe(4100);
    expect(loaded.text).toBe(configText(4100));
    expect(loaded.hash).toBe(hashConfigText(configText(4100)));
    expect(loaded.path).toBe(path);
  });

  it('applies a valid change written in place, and keeps following the file after a rename-replace', async () => {
    start();
    writeFileSync(path, configText(4200));
    expect((await nextApplied()).config.server.port).toBe(4200);
    saveByRename(configText(4300));
    expect((await nextApplied()).config.server.port).toBe(4300);
    writeFileSync(path, configText(4400));
    expect((await nextApplied()).config.server.port).toBe(4400);
  });

  it('rejects an invalid file, reports it once, and never applies it', async () => {
    start();
    const invalid = 'version: 1\nserver:\n  port: abc\n';
    saveByRename(invalid);
    const rejected = await nextRejected();
    expect(rejected.hash).toBe(hashConfigText(invalid));
    expect(rejected.issues).toEqual([{ path: 'server.port', message: 'got "abc" (a string); expected a number', line: 3, column: 9 }]);
    expect(lastApplied.config.server.port).toBe(4000);

    // The same invalid text saved again is not news; the next distinct version is.
    writeFileSync(path, invalid);
    await sleep(DEBOUNCE_MS * 4);
    writeFileSync(path, configText(4500));
    expect((await nextApplied()).config.server.port).toBe(4500);
    expect(recorder.drained).toBe(true);
  });

  it('treats a deleted file as a rejection and applies it again when it comes back', async () => {
    start();
    unlinkSync(path);
    const rejected = await nextRejected();
    expect(rejected.hash).toBe('');
    expect(rejected.issues).toHaveLength(1);
    expect(rejected.issues[0]?.message).toMatch(/was deleted or renamed; the running configuration is kept/);
    expect(lastApplied.config.server.port).toBe(4000);

    writeFileSync(path, configText(4000));
    const back = await nextApplied();
    expect(back.config.server.port).toBe(4000);
  });

  it.skipIf(process.platform !== 'linux')('ignores changes to other files in the folder', async () => {
    // Change the config through a hard link in another folder: inotify reports that to watchers of
    // the other folder only, so only a watcher that wrongly reacts to other names would notice.
    const elsewhere = join(dir, 'elsewhere');
    mkdirSync(elsewhere);
    const backdoor = join(elsewhere, 'link.yaml');
    linkSync(path, backdoor);
    start();
    writeFileSync(backdoor, configText(4600));

    writeFileSync(join(dir, 'other.yaml'), 'x: 1\n');
    writeFileSync(join(dir, 'gatehouse.yaml.bak'), 'x: 1\n');
    writeFileSync(join(dir, '.other.tmp'), 'not even yaml: [');
    renameSync(join(dir, '.other.tmp'), join(dir, 'other.yaml'));
    await sleep(DEBOUNCE_MS * 6);
    expect(recorder.events).toEqual([]);

    // A touch of the real name shows the watcher was alive all along.
    writeFileSync(path, configText(4600));
    expect((await nextApplied()).config.server.port).toBe(4600);
  });

  it('notices a change made between loading and watching', async () => {
    writeFileSync(path, configText(4700));
    start();
    expect((await nextApplied()).config.server.port).toBe(4700);
  });

  it('reports exceptions from a handler to onError instead of throwing', async () => {
    const errors: Error[] = [];
    watcher = watchConfig(
      lastApplied,
      {
        onApplied() {
          throw new Error('handler failed');
        },
        onRejected() {},
        onError(err) {
          errors.push(err);
          recorder.push({ kind: 'error', err });
        },
      },
      { debounceMs: DEBOUNCE_MS },
    );
    writeFileSync(path, configText(4800));
    const event = await recorder.next();
    expect(event.kind).toBe('error');
    expect(errors.map((e) => e.message)).toEqual(['handler failed']);
  });

  it('calls nothing after close', async () => {
    start();
    writeFileSync(path, configText(4900));
    watcher?.close();
    await sleep(DEBOUNCE_MS * 4);
    expect(recorder.events).toEqual([]);
  });
});
