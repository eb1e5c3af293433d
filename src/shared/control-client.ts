// One typed client for the control plane, over any transport (admin HTTP API, Electron IPC).
import type { ControlErrorBody, ControlErrorCode, ControlMethod, ControlParams, ControlResult } from './contract.js';

/** Carries one call; resolves with the method's result or rejects with a ControlError. */
export interface ControlTransport {
  call(method: ControlMethod, params: unknown): Promise<unknown>;
}

export class ControlError extends Error {
  constructor(
    readonly code: ControlErrorCode,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'ControlError';
  }
}

export interface ControlClient {
  call<M extends ControlMethod>(method: M, params: ControlParams<M>): Promise<ControlResult<M>>;
}

export function createControlClient(transport: ControlTransport): ControlClient {
  return {
    call: (method, params) => transport.call(method, params) as never,
  };
}

/** `keys:create` is served at `POST /admin/api/keys/create`. */
export function methodPath(method: ControlMethod): string {
  return `/admin/api/${method.replace(':', '/')}`;
}

/**
 * HTTP transport for the CLI and the web console. `token` is the admin token (CLI); the web
 * console leaves it out and relies on its session cookie.
 */
export function httpTransport(baseUrl: string, token?: string, fetchImpl: typeof fetch = fetch): ControlTransport {
  return {
    async call(method, params) {
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (token) headers.authorization = `Bearer ${token}`;
      const res = await fetchImpl(new URL(methodPath(method), baseUrl), {
        method: 'POST',
        headers,
        body: JSON.stringify(params ?? {}),
      });
      const text = await res.text();
      let body: unknown;
      try {
        body = text ? JSON.parse(text) : undefined;
      } catch {
        throw new ControlError('internal', `the gateway answered ${res.status} with a body that is not JSON`);
      }
      if (!res.ok) {
        const err = (body as ControlErrorBody | undefined)?.error;
        throw new ControlError(err?.code ?? 'internal', err?.message ?? `the gateway answered ${res.status}`, err?.details);
      }
      return body;
    },
  };
}
