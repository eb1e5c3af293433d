// Starting and stopping the benchmark's servers as child processes, each stopped by its own PID.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

export interface Service {
  name: string;
  pid: number;
  /** `http://127.0.0.1:PORT`, as the process printed it. */
  url: string;
  /** The last few KB the process wrote to stderr: for error messages. */
  stderrTail(): string;
  /** SIGTERM, then SIGKILL if it has not exited after `graceMs`. Safe to call twice. */
  stop(graceMs?: number): Promise<void>;
}

const READY = /listening on (http:\/\/127\.0\.0\.1:\d+)/;
const TAIL_BYTES = 4096;

function exited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

/** Signals one PID; a process that is already gone (ESRCH) is what we wanted anyway. */
function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
  }
}

/**
 * Spawns `node ...args` and resolves once it prints `... listening on http://127.0.0.1:PORT`.
 * Its output is drained for its whole life so a full pipe never stalls it. A process that
 * exits or stays silent past `readyTimeoutMs` is stopped and the promise rejects.
 */
export async function startService(
  name: string,
  args: string[],
  opts: { cwd: string; env?: NodeJS.ProcessEnv; readyTimeoutMs?: number },
): Promise<Service> {
  const child = spawn(process.execPath, args, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
  if (child.pid === undefined) {
    await once(child, 'error').catch(() => undefined);
    throw new Error(`${name}: could not start ${process.execPath} ${args.join(' ')}`);
  }
  const pid = child.pid;
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (s: string) => {
    stderr = (stderr + s).slice(-TAIL_BYTES);
  });

  const stop = async (graceMs = 5000): Promise<void> => {
    if (exited(child)) return;
    const done = once(child, 'exit');
    signal(pid, 'SIGTERM');
    const gone = await Promise.race([done.then(() => true), sleep(graceMs).then(() => false)]);
    if (!gone && !exited(child)) {
      signal(pid, 'SIGKILL');
      await Promise.race([done, sleep(graceMs)]);
    }
  };

  const url = await new Promise<string>((resolve, reject) => {
    let stdout = '';
    const timer = setTimeout(() => fail(new Error(`${name} did not report ready within ${opts.readyTimeoutMs ?? 20_000} ms`)), opts.readyTimeoutMs ?? 20_000);
    const onData = (s: string): void => {
      stdout = (stdout + s).slice(-TAIL_BYTES);
      const m = READY.exec(stdout);
      if (m?.[1]) {
        cleanup();
        resolve(m[1]);
      }
    };
    const onExit = (code: number | null, signal: string | null): void => fail(new Error(`${name} exited before it was ready (code ${code}, signal ${signal})`));
    const cleanup = (): void => {
      clearTimeout(timer);
      child.stdout.off('data', onData);
      child.off('exit', onExit);
    };
    const fail = (err: Error): void => {
      cleanup();
      void stop(1000).finally(() => reject(new Error(`${err.message}\n${stderr.trim()}`)));
    };
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', onData);
    child.once('exit', onExit);
  });
  // Keep draining: the gateway writes more lines after it is ready.
  child.stdout.resume();

  return { name, pid, url, stderrTail: () => stderr, stop };
}

/** Runs `node ...args` to completion with a time limit and returns its stdout. */
export async function runNode(args: string[], opts: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs: number }): Promise<string> {
  const child = spawn(process.execPath, args, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (s: string) => (out += s));
  child.stderr.setEncoding('utf8').on('data', (s: string) => (err = (err + s).slice(-TAIL_BYTES)));
  const timer = setTimeout(() => {
    if (child.pid !== undefined && !exited(child)) signal(child.pid, 'SIGKILL');
  }, opts.timeoutMs);
  try {
    const [code, signal] = (await once(child, 'close')) as [number | null, string | null];
    if (code !== 0) throw new Error(`node ${args.join(' ')} failed (code ${code}, signal ${signal}):\n${err.trim()}`);
    return out;
  } finally {
    clearTimeout(timer);
  }
}

let ticksPerSecond: number | undefined;

/**
 * CPU time (user + system, all threads) a process has used so far, in ms, from
 * /proc/PID/stat; NaN where there is no /proc. Its resolution is one clock tick (10 ms).
 */
export function processCpuMs(pid: number): number {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return Number.NaN;
  }
  ticksPerSecond ??= Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8', timeout: 5000 }).trim()) || 100;
  // Fields after the command name, which is in parentheses and may hold spaces: utime and
  // stime are fields 14 and 15 of the line, so 11 and 12 after the closing parenthesis.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / ticksPerSecond;
}

/** Resident set size of a process in MiB, from /proc/PID/status; NaN where there is no /proc. */
export function processRssMiB(pid: number): number {
  try {
    const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m?.[1] ? Math.round(Number(m[1]) / 1024) : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

/** Resident set size of a process in KiB (what /proc/PID/status reports), unrounded; NaN where there is no /proc. */
export function processRssKiB(pid: number): number {
  try {
    const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m?.[1] ? Number(m[1]) : Number.NaN;
  } catch {
    return Number.NaN;
  }
}
