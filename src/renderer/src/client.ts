// The renderer's one control-plane client: Electron IPC in the desktop app, /admin/api in the web console.
import type { ControlMethod } from '../../shared/contract';
import { createControlClient, httpTransport, type ControlClient } from '../../shared/control-client';

interface Bridge {
  call(method: ControlMethod, params: unknown): Promise<unknown>;
}

export function controlClient(): ControlClient {
  const bridge = (globalThis as { gatehouse?: Bridge }).gatehouse;
  if (bridge) return createControlClient({ call: (m, p) => bridge.call(m, p) });
  // The web console is same-origin and authenticated by its HttpOnly session cookie.
  return createControlClient(httpTransport(globalThis.location.origin));
}
