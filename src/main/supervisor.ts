// Keeps the gateway's utilityProcess running: a crashed gateway is started again after a backoff,
// until it crashes too often, and then waits for a person to restart it from the tray.
import type { ControlEvent, ControlMethod } from '../shared/contract';
import { ControlError } from '../shared/control-client';

/** One gateway process as the main process reaches it (connectGateway() over a fresh utilityProcess). */
export interface GatewayConnection {
  start(): Promise<unknown>;
  stop(): Promise<void>;
  call(method: ControlMethod, params: unknown): Promise<unknown>;
  subscribe(listener: (e: ControlEvent) => void): () => void;
  /** Fires once when the process ends, whatever the reason (also after stop()). */
  onExit(listener: (code: number) => void): void;
}

export type GatewayState =
  | { status: 'starting' }
  | { status: 'running' }
  /** It exited on its own; started again in `retryInMs`. */
  | { status: 'restarting'; exitCode: number; attempt: number; retryInMs: number }
  /** It could not start, or crashed too often: waits for restart(). `reason` says what happened. */
  | { status: 'failed'; reason: string }
  | { status: 'stopped' };

export interface SupervisorOptions {
  /** Waits before each restart after a crash (the last one repeats). */
  delaysMs?: readonly number[];
  /** This many crashes inside `windowMs` and it stops trying. */
  maxCrashes?: number;
  windowMs?: number;
  now?: () => number;
  setTimer?: (run: () => void, ms: number) => { cancel(): void };
}

const DEFAULTS = { delaysMs: [1000, 2000, 5000, 10_000, 30_000], maxCrashes: 5, windowMs: 120_000 };

const defaultTimer = (run: () => void, ms: number) => {
  const t = setTimeout(run, ms);
  return { cancel: () => clearTimeout(t) };
};

export interface SupervisedGateway {
  /** Starts the first process; rejects (state `failed`) when it cannot start. */
  start(): Promise<void>;
  /** Stops the process for good: no restart follows. */
  stop(): Promise<void>;
  /** Stops whatever runs and starts a fresh process, forgetting past crashes (the tray's "Restart gateway"). */
  restart(): Promise<void>;
  /** Reaches the running gateway; while none runs, rejects with `unavailable` saying why. */
  call(method: ControlMethod, params: unknown): Promise<unknown>;
  /** Events of whichever process runs; the subscription survives restarts. */
  subscribe(listener: (e: ControlEvent) => void): () => void;
  state(): GatewayState;
}

export function superviseGateway(spawn: () => GatewayConnection, onState: (s: GatewayState) => void, options: SupervisorOptions = {}): SupervisedGateway {
  const { delaysMs, maxCrashes, windowMs } = { ...DEFAULTS, ...options };
  const now = options.now ?? Date.now;
  const setTimer = options.setTimer ?? defaultTimer;
  const listeners = new Set<(e: ControlEvent) => void>();
  let current: GatewayConnection | undefined;
  let state: GatewayState = { status: 'stopped' };
  let crashes: number[] = [];
  let timer: { cancel(): void } | undefined;

  const set = (s: GatewayState): void => {
    state = s;
    onState(s);
  };

  const launch = async (): Promise<void> => {
    const conn = spawn();
    current = conn;
    conn.subscribe((e) => {
      if (conn === current) for (const l of listeners) l(e);
    });
    // Only the current process's exit is a crash: stop() and restart() let go of it first.
    conn.onExit((code) => {
      if (conn !== current) return;
      current = undefined;
      crashed(`the gateway process exited with code ${code}`, code);
    });
    set({ status: 'starting' });
    try {
      await conn.start();
    } catch (err) {
      if (conn !== current) return;
      current = undefined;
      // The process may still be alive after a failed start (a port taken): end it before retrying.
      await conn.stop().catch(() => undefined);
      throw err;
    }
    if (conn === current) set({ status: 'running' });
  };

  const crashed = (reason: string, exitCode: number): void => {
    const t = now();
    crashes = [...crashes.filter((c) => t - c < windowMs), t];
    if (crashes.length >= maxCrashes) {
      set({ status: 'failed', reason: `${reason}; it stopped ${crashes.length} times in ${Math.round(windowMs / 1000)} s, so it is not restarted again — see the log, then restart it from the tray` });
      return;
    }
    const retryInMs = delaysMs[Math.min(crashes.length - 1, delaysMs.length - 1)]!;
    set({ status: 'restarting', exitCode, attempt: crashes.length, retryInMs });
    timer = setTimer(() => {
      timer = undefined;
      launch().catch((err: Error) => crashed(`the gateway did not start again: ${err.message}`, exitCode));
    }, retryInMs);
  };

  const end = async (): Promise<void> => {
    timer?.cancel();
    timer = undefined;
    const conn = current;
    current = undefined;
    await conn?.stop();
  };

  const unavailable = (): string => {
    switch (state.status) {
      case 'restarting':
        return `the gateway stopped unexpectedly and restarts in ${Math.ceil(state.retryInMs / 1000)} s`;
      case 'failed':
        return `the gateway is not running: ${state.reason}`;
      case 'starting':
        return 'the gateway is starting';
      default:
        return 'the gateway is not running';
    }
  };

  return {
    async start() {
      try {
        await launch();
      } catch (err) {
        set({ status: 'failed', reason: `the gateway did not start: ${(err as Error).message}` });
        throw err;
      }
    },
    async stop() {
      await end();
      set({ status: 'stopped' });
    },
    async restart() {
      await end();
      crashes = [];
      await this.start();
    },
    call(method, params) {
      if (state.status !== 'running' || !current) return Promise.reject(new ControlError('unavailable', unavailable()));
      return current.call(method, params);
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
    state: () => state,
  };
}
