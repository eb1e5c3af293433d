// The messages between the Electron main process and the gateway's utilityProcess, and both ends of them.
import { CONTROL_METHODS, type ControlErrorBody, type ControlErrorCode, type ControlEvent, type ControlMethod } from '../shared/contract';
import { ControlError } from '../shared/control-client';

/** Options the main process gives the gateway (plain data: it crosses a process boundary). */
export interface GatewayProcessOptions {
  dataDir: string;
  migrationsDir?: string;
  consoleDir?: string;
  /** Electron-ABI builds of the native addons (development only; see native-modules.ts). */
  nativeModules?: { sqlite?: string; keytarDir?: string };
}

export type ToGateway =
  | { type: 'start'; id: number; options: GatewayProcessOptions }
  | { type: 'call'; id: number; method: ControlMethod; params: unknown }
  | { type: 'stop'; id: number };

export type WireError = ControlErrorBody['error'];

export type FromGateway =
  | { type: 'result'; id: number; ok: true; result: unknown }
  | { type: 'result'; id: number; ok: false; error: WireError }
  | { type: 'event'; event: ControlEvent };

const CODES = new Set<ControlErrorCode>(['invalid_params', 'unknown_method', 'not_found', 'conflict', 'unauthorized', 'unavailable', 'internal']);
const KNOWN_METHODS = new Set<string>(CONTROL_METHODS);

export function isControlMethod(method: unknown): method is ControlMethod {
  return typeof method === 'string' && KNOWN_METHODS.has(method);
}

/** Any thrown value as the control plane's wire error: a ControlError keeps its code, anything else is `internal`. */
export function toWireError(err: unknown): WireError {
  if (err instanceof ControlError && CODES.has(err.code)) return { code: err.code, message: err.message, details: err.details };
  return { code: 'internal', message: err instanceof Error ? err.message : String(err) };
}

/** What the gateway process needs of createGateway's result. */
export interface ServedGateway {
  start(): Promise<unknown>;
  stop(): Promise<void>;
  call(method: ControlMethod, params: unknown, actor: 'desktop'): Promise<unknown>;
  control: { subscribe(listener: (e: ControlEvent) => void): () => void };
}

/** The child's end of the channel: Electron's `process.parentPort`, or a fake. */
export interface ChildPort {
  on(event: 'message', listener: (e: { data: unknown }) => void): unknown;
  postMessage(message: FromGateway): void;
}

/**
 * Serves the gateway over `port`. The first message must be `start` (it creates the gateway); a
 * call before it, or any malformed message with an id, is answered with an error, never dropped.
 * Events are forwarded from the moment the gateway exists, before `start` resolves.
 */
export function serveGateway(port: ChildPort, create: (options: GatewayProcessOptions) => ServedGateway): void {
  let gateway: ServedGateway | undefined;
  const reply = (id: number, run: () => Promise<unknown>): void => {
    run().then(
      (result) => port.postMessage({ type: 'result', id, ok: true, result }),
      (err: unknown) => port.postMessage({ type: 'result', id, ok: false, error: toWireError(err) }),
    );
  };
  port.on('message', ({ data }) => {
    const msg = data as Partial<ToGateway> | null;
    if (!msg || typeof msg !== 'object' || typeof msg.id !== 'number') return;
    const id = msg.id;
    switch (msg.type) {
      case 'start':
        reply(id, async () => {
          if (gateway) throw new ControlError('conflict', 'the gateway is already started');
          gateway = create((msg as Extract<ToGateway, { type: 'start' }>).options);
          gateway.control.subscribe((event) => port.postMessage({ type: 'event', event }));
          return gateway.start();
        });
        return;
      case 'call':
        reply(id, async () => {
          if (!gateway) throw new ControlError('unavailable', 'the gateway is not started');
          if (!isControlMethod(msg.method)) throw new ControlError('unknown_method', `unknown control method ${String(msg.method)}`);
          return gateway.call(msg.method, msg.params, 'desktop');
        });
        return;
      case 'stop':
        reply(id, async () => {
          await gateway?.stop();
          return null;
        });
        return;
      default:
        reply(id, async () => {
          throw new ControlError('invalid_params', `unknown message type ${String(msg.type)}`);
        });
    }
  });
}

/** The main process's handle on the child: Electron's UtilityProcess, or a fake. */
export interface GatewayChild {
  postMessage(message: ToGateway): void;
  on(event: 'message', listener: (message: FromGateway) => void): unknown;
  on(event: 'exit', listener: (code: number) => void): unknown;
  kill(): boolean;
}

export interface GatewayConnection {
  start(options: GatewayProcessOptions): Promise<unknown>;
  stop(): Promise<void>;
  /** Rejects with a ControlError: the gateway's own, or `unavailable` once the process has exited. */
  call(method: ControlMethod, params: unknown): Promise<unknown>;
  subscribe(listener: (e: ControlEvent) => void): () => void;
  onExit(listener: (code: number) => void): void;
}

type WithoutId<T> = T extends unknown ? Omit<T, 'id'> : never;

/** The main process's end: numbered requests, answers matched by id, events fanned out to every subscriber. */
export function connectGateway(child: GatewayChild): GatewayConnection {
  let nextId = 1;
  let exited: number | null = null;
  const pending = new Map<number, { resolve(v: unknown): void; reject(e: ControlError): void }>();
  const listeners = new Set<(e: ControlEvent) => void>();
  const exitListeners: ((code: number) => void)[] = [];

  child.on('message', (msg) => {
    if (msg.type === 'event') {
      for (const l of [...listeners]) l(msg.event);
      return;
    }
    const p = pending.get(msg.id);
    if (!p) return;
    pending.delete(msg.id);
    if (msg.ok) p.resolve(msg.result);
    else p.reject(new ControlError(msg.error.code, msg.error.message, msg.error.details));
  });
  child.on('exit', (code) => {
    exited = code;
    for (const p of pending.values()) p.reject(new ControlError('unavailable', `the gateway process exited (code ${code})`));
    pending.clear();
    for (const l of exitListeners) l(code);
  });

  const request = (msg: WithoutId<ToGateway>): Promise<unknown> => {
    if (exited !== null) return Promise.reject(new ControlError('unavailable', `the gateway process exited (code ${exited})`));
    const id = nextId++;
    return new Promise((resolve, reject) => {
      pending.set(id, { resolve, reject });
      child.postMessage({ ...msg, id } as ToGateway);
    });
  };

  return {
    start: (options) => request({ type: 'start', options }),
    /** Stops the gateway (closing its database and listeners) and then ends its process. */
    stop: async () => {
      if (exited !== null) return;
      try {
        await request({ type: 'stop' });
      } finally {
        child.kill();
      }
    },
    call: (method, params) => request({ type: 'call', method, params }),
    subscribe(listener) {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
    onExit: (l) => void exitListeners.push(l),
  };
}
