// For the store tests: a control client that answers from handlers per method and records every call.
import type { ControlMethod } from '../../../shared/contract';
import type { ControlClient } from '../../../shared/control-client';

export type Handler = (params: never) => unknown;

/** A method without a handler fails the test ("unexpected call"), so a store cannot call more than it should unnoticed. */
export function fakeClient(handlers: Partial<Record<ControlMethod, Handler>>) {
  const calls: { method: ControlMethod; params: unknown }[] = [];
  const client: ControlClient = {
    call: (async (method: ControlMethod, params: unknown) => {
      calls.push({ method, params });
      const h = handlers[method];
      if (!h) throw new Error(`unexpected call ${method}`);
      return h(params as never);
    }) as ControlClient['call'],
  };
  return { client, calls };
}
