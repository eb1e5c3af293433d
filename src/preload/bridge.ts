// The API the preload exposes as `window.gatehouse`: contract calls and contract events, and the
// one desktop-only setting (start at login), nothing else.
import { CONTROL_METHODS, type ControlErrorBody, type ControlEvent, type ControlEventName, type ControlMethod, type ControlParams, type ControlResult } from '../shared/contract';
import { CALL_CHANNEL, CONTROL_EVENT_NAMES, EVENT_CHANNEL, LOGIN_ITEM_GET_CHANNEL, LOGIN_ITEM_SET_CHANNEL, type CallReply } from './ipc';

/** The few ipcRenderer calls the bridge makes (a fake in tests). */
export interface BridgeIpc {
  invoke(channel: string, ...args: unknown[]): Promise<unknown>;
  on(channel: string, listener: (event: unknown, payload: unknown) => void): unknown;
  removeListener(channel: string, listener: (event: unknown, payload: unknown) => void): unknown;
}

/**
 * How a failed call rejects: plain data, since contextBridge copies only an Error's message.
 * The renderer's client turns it back into a ControlError.
 */
export type BridgeError = { name: 'ControlError' } & ControlErrorBody['error'];

const METHODS = new Set<string>(CONTROL_METHODS);
const EVENTS = new Set<string>(CONTROL_EVENT_NAMES);

const bridgeError = (error: ControlErrorBody['error']): BridgeError => ({ name: 'ControlError', code: error.code, message: error.message, details: error.details });

export function createBridge(ipc: BridgeIpc) {
  return {
    /** Calls a control-plane method; rejects with a BridgeError. Methods outside the contract never leave the window. */
    async call<M extends ControlMethod>(method: M, params: ControlParams<M>): Promise<ControlResult<M>> {
      if (typeof method !== 'string' || !METHODS.has(method)) throw bridgeError({ code: 'unknown_method', message: `unknown control method ${String(method)}` });
      const reply = (await ipc.invoke(CALL_CHANNEL, method, params)) as CallReply;
      if (!reply.ok) throw bridgeError(reply.error);
      return reply.result as ControlResult<M>;
    },
    /** Delivers the contract's events until the returned function is called; anything else on the channel is dropped. */
    subscribe(listener: (e: ControlEvent) => void): () => void {
      const handler = (_event: unknown, payload: unknown) => {
        if (!payload || typeof payload !== 'object') return;
        const { event, data } = payload as { event?: unknown; data?: unknown };
        if (typeof event !== 'string' || !EVENTS.has(event)) return;
        listener({ event: event as ControlEventName, data } as ControlEvent);
      };
      ipc.on(EVENT_CHANNEL, handler);
      return () => void ipc.removeListener(EVENT_CHANNEL, handler);
    },
    /** Settings that belong to the desktop app, not the gateway. */
    app: {
      loginItem: {
        get: async (): Promise<boolean> => (await ipc.invoke(LOGIN_ITEM_GET_CHANNEL)) === true,
        /** Returns whether the app now starts at login. */
        set: async (open: boolean): Promise<boolean> => (await ipc.invoke(LOGIN_ITEM_SET_CHANNEL, open === true)) === true,
      },
    },
  };
}

export type GatehouseBridge = ReturnType<typeof createBridge>;
