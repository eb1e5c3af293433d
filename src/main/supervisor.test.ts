// The gateway supervisor against fake processes and a fake clock: restarts with backoff, gives up, restarts on demand.
import { describe, expect, it } from 'vitest';
import type { ControlEvent } from '../shared/contract';
import { superviseGateway, type GatewayConnection, type GatewayState } from './supervisor';

interface FakeProcess extends GatewayConnection {
  n: number;
  exit(code: number): void;
  emit(e: ControlEvent): void;
  stopped: boolean;
}

function world(startFailures: number[] = []) {
  const processes: FakeProcess[] = [];
  const timers: { run: () => void; ms: number; cancelled: boolean }[] = [];
  let clock = 0;
  const spawn = (): GatewayConnection => {
    const n = processes.length;
    let onExit: ((code: number) => void) | undefined;
    const listeners: ((e: ControlEvent) => void)[] = [];
    const p: FakeProcess = {
      n,
      stopped: false,
      start: async () => {
        if (startFailures.includes(n)) throw new Error(`port 4141 is taken (process ${n})`);
      },
      stop: async () => {
        p.stopped = true;
        onExit?.(0);
      },
      call: async (method) => `process ${n} answered ${method}`,
      subscribe: (l) => (listeners.push(l), () => undefined),
      onExit: (l) => void (onExit = l),
      exit: (code) => onExit?.(code),
      emit: (e) => listeners.forEach((l) => l(e)),
    };
    processes.push(p);
    return p;
  };
  const states: GatewayState[] = [];
  const gw = superviseGateway(spawn, (s) => states.push(s), {
    delaysMs: [1000, 5000],
    maxCrashes: 3,
    windowMs: 60_000,
    now: () => clock,
    setTimer: (run, ms) => {
      const t = { run, ms, cancelled: false };
      timers.push(t);
      return { cancel: () => void (t.cancelled = true) };
    },
  });
  const fire = async (): Promise<void> => {
    const t = timers.find((x) => !x.cancelled && x.run);
    if (!t) throw new Error('no timer pending');
    t.cancelled = true;
    clock += t.ms;
    t.run();
    await new Promise((r) => setTimeout(r, 0));
  };
  return { gw, processes, timers, states, fire, tick: (ms: number) => (clock += ms), statuses: () => states.map((s) => s.status) };
}

const event = (id: string): ControlEvent => ({ event: 'keys:changed', data: { id, change: 'created' } });

describe('gateway supervisor', () => {
  it('starts the gateway again after a crash, with growing waits, keeping subscriptions', async () => {
    const w = world();
    const got: string[] = [];
    w.gw.subscribe((e) => got.push((e.data as { id: string }).id));
    await w.gw.start();
    expect(await w.gw.call('keys:list', {})).toBe('process 0 answered keys:list');
    w.processes[0]!.emit(event('a'));

    w.processes[0]!.exit(137);
    expect(w.gw.state()).toEqual({ status: 'restarting', exitCode: 137, attempt: 1, retryInMs: 1000 });
    // Meanwhile calls say why they cannot be answered, instead of hanging.
    await expect(w.gw.call('keys:list', {})).rejects.toMatchObject({ code: 'unavailable', message: 'the gateway stopped unexpectedly and restarts in 1 s' });
    await w.fire();
    expect(w.gw.state()).toEqual({ status: 'running' });
    expect(await w.gw.call('keys:list', {})).toBe('process 1 answered keys:list');
    w.processes[1]!.emit(event('b'));
    // An old process's late event is not delivered as the new one's.
    w.processes[0]!.emit(event('stale'));
    expect(got).toEqual(['a', 'b']);

    w.processes[1]!.exit(1);
    expect(w.gw.state()).toMatchObject({ status: 'restarting', attempt: 2, retryInMs: 5000 });
    await w.fire();
    expect(w.statuses()).toEqual(['starting', 'running', 'restarting', 'starting', 'running', 'restarting', 'starting', 'running']);
  });

  it('gives up after too many crashes in the window, and restart() starts afresh', async () => {
    const w = world();
    await w.gw.start();
    for (let i = 0; i < 2; i++) {
      w.processes.at(-1)!.exit(1);
      await w.fire();
    }
    w.processes.at(-1)!.exit(1);
    const state = w.gw.state();
    expect(state.status).toBe('failed');
    expect(state.status === 'failed' && state.reason).toMatch(/exited with code 1; it stopped 3 times in 60 s, so it is not restarted again/);
    expect(w.timers.filter((t) => !t.cancelled)).toEqual([]);
    await expect(w.gw.call('status:get', {})).rejects.toMatchObject({ code: 'unavailable', message: expect.stringMatching(/^the gateway is not running: /) });

    await w.gw.restart();
    expect(w.gw.state()).toEqual({ status: 'running' });
    expect(w.processes).toHaveLength(4);
    // The crash count was forgotten: one more crash is a restart, not a give-up.
    w.processes[3]!.exit(1);
    expect(w.gw.state()).toMatchObject({ status: 'restarting', attempt: 1 });
  });

  it('forgets crashes older than the window', async () => {
    const w = world();
    await w.gw.start();
    for (let i = 0; i < 4; i++) {
      w.processes.at(-1)!.exit(1);
      expect(w.gw.state().status).toBe('restarting');
      await w.fire();
      w.tick(61_000);
    }
  });

  it('a first start that fails is reported (not retried) and the half-started process is stopped', async () => {
    const w = world([0]);
    await expect(w.gw.start()).rejects.toThrow('port 4141 is taken (process 0)');
    expect(w.gw.state()).toEqual({ status: 'failed', reason: 'the gateway did not start: port 4141 is taken (process 0)' });
    expect(w.processes[0]!.stopped).toBe(true);
    expect(w.timers).toEqual([]);
  });

  it('a restart that fails to start counts as another crash', async () => {
    const w = world([1]);
    await w.gw.start();
    w.processes[0]!.exit(9);
    await w.fire();
    expect(w.gw.state()).toMatchObject({ status: 'restarting', attempt: 2, exitCode: 9 });
    await w.fire();
    expect(w.gw.state()).toEqual({ status: 'running' });
    expect(await w.gw.call('keys:list', {})).toBe('process 2 answered keys:list');
  });

  it('stop() ends the process for good: its exit is not a crash and a pending restart is cancelled', async () => {
    const w = world();
    await w.gw.start();
    await w.gw.stop();
    expect(w.processes[0]!.stopped).toBe(true);
    expect(w.gw.state()).toEqual({ status: 'stopped' });
    expect(w.timers).toEqual([]);

    const v = world();
    await v.gw.start();
    v.processes[0]!.exit(1);
    await v.gw.stop();
    expect(v.timers.every((t) => t.cancelled)).toBe(true);
    expect(v.processes).toHaveLength(1);
  });
});
