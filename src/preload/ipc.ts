// The IPC between the windows and the main process: its channels, their payloads, and the event names they may carry.
import { CONTROL_EVENTS, type ControlErrorBody } from '../shared/contract';

/** The renderer invokes contract methods here (`ipcRenderer.invoke(CALL_CHANNEL, method, params)`). */
export const CALL_CHANNEL = 'control:call';
/** The main process sends each control-plane event here as `{ event, data }`. */
export const EVENT_CHANNEL = 'control:event';

/** "Start at login" (the desktop app's Settings): read it, or set it and get what it now is. */
export const LOGIN_ITEM_GET_CHANNEL = 'login-item:get';
export const LOGIN_ITEM_SET_CHANNEL = 'login-item:set';

/** What `control:call` answers: the result, or the control plane's error as plain data (Error subclasses lose their fields over IPC). */
export type CallReply = { ok: true; result: unknown } | { ok: false; error: ControlErrorBody['error'] };

/** The contract's events, the only names the bridge delivers. */
export const CONTROL_EVENT_NAMES = CONTROL_EVENTS;
