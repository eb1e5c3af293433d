// The renderer's one control-plane client: Electron IPC in the desktop app, /admin/api and its
// event stream (server-sent events) in the web console.
import { CONTROL_EVENTS, type ControlErrorCode, type ControlEvent, type ControlMethod } from '../../shared/contract';
import { ControlError, createControlClient, httpTransport, type ControlClient } from '../../shared/control-client';

interface Bridge {
  call(method: ControlMethod, params: unknown): Promise<unknown>;
  /** Present once the desktop shell forwards events; until then the UI polls. */
  subscribe?(listener: (e: ControlEvent) => void): () => void;
}

const bridge = (): Bridge | undefined => (globalThis as { gatehouse?: Bridge }).gatehouse;

/** In the desktop app (the preload's bridge is there), not the web console. */
export const isDesktop = (): boolean => bridge() !== undefined;

export function controlClient(): ControlClient {
  const b = bridge();
  // Over IPC an error arrives as plain data ({ name: 'ControlError', code, message, details }): made a ControlError again.
  if (b) return createControlClient({ call: (m, p) => b.call(m, p).catch((e: { code?: ControlErrorCode; message?: string; details?: unknown }) => Promise.reject(e?.code ? new ControlError(e.code, e.message ?? e.code, e.details) : e)) });
  // The web console is same-origin and authenticated by its HttpOnly session cookie.
  return createControlClient(httpTransport(globalThis.location.origin));
}

/** Every event the UI listens to: EventSource needs each named event registered. */
export const EVENT_NAMES = CONTROL_EVENTS;

/** `live`: events arrive as they happen; `reconnecting`: the stream dropped and retries; `polling`: no stream here. */
export type EventsState = 'connecting' | 'live' | 'reconnecting' | 'polling';

/**
 * Delivers control-plane events until the returned function is called. After each (re)connection
 * `onState('live')` fires: events may have been missed meanwhile, so listeners re-read what they show.
 */
export function subscribeEvents(onEvent: (e: ControlEvent) => void, onState: (s: EventsState) => void): () => void {
  const b = bridge();
  if (b) {
    if (!b.subscribe) {
      onState('polling');
      return () => undefined;
    }
    onState('live');
    return b.subscribe(onEvent);
  }
  onState('connecting');
  const source = new EventSource('/admin/api/events');
  for (const name of EVENT_NAMES) {
    source.addEventListener(name, (m) => {
      let data: unknown;
      try {
        data = JSON.parse((m as MessageEvent<string>).data);
      } catch {
        return; // not the gateway's frame: nothing to show
      }
      onEvent({ event: name, data } as ControlEvent);
    });
  }
  source.onopen = () => onState('live');
  source.onerror = () => onState(source.readyState === EventSource.CLOSED ? 'polling' : 'reconnecting');
  return () => source.close();
}
