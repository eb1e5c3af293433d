// Both ends of the main <-> gateway-process protocol, joined by an in-memory channel instead of a utilityProcess.
import { describe, expect, it } from 'vitest';
import type { ControlEvent, ControlMethod } from '../shared/contract';
import { ControlError } from '../shared/control-client';
import { connectGateway, serveGateway, toWireError, type FromGateway, type GatewayChild, type ServedGateway, type ToGateway } from './gateway-protocol';

const tick = () => new Promise((r) => setTimeout(r, 0));

/** A fake utilityProcess: what main posts reaches the child's parentPort, and back, asynchronously like the real thing. */
function channel() {
  const toChild: ((e: { data: unknown }) => void)[] = [];
  const toMain: ((m: FromGateway) => void)[] = [];
  const exits: ((code: number) => void)[] = [];
  const posted: ToGateway[] = [];
  let killed = 0;
  const child: GatewayChild = {
    postMessage: (m) => {
      posted.push(m);
      queueMicrotask(() => toChild.forEach((l) => l({ data: structuredClone(m) })));
    },
    on: ((ev: 'message' | 'exit', l: never) => void (ev === 'message' ? toMain.push(l) : exits.push(l))) as GatewayChild['on'],
    kill: () => {
      killed++;
      return true;
    },
  };
  const port = {
    on: (_ev: 'message', l: (e: { data: unknown }) => void) => void toChild.push(l),
    postMessage: (m: FromGateway) => queueMicrotask(() => toMain.forEach((l) => l(structuredClone(m)))),
  };
  return { child, port, posted, exit: (code: number) => exits.forEach((l) => l(code)), killed: () => killed };
}

function fakeGateway() {
  const listeners = new Set<(e: ControlEvent) => void>();
  const log: string[] = [];
  const gateway: ServedGateway = {
    start: async () => {
      log.push('start');
      return { url: 'http://127.0.0.1:4000' };
    },
    stop: async () => void log.push('stop'),
    call: async (method: ControlMethod, params: unknown, actor: string) => {
      log.push(`${actor} ${method}`);
      if (method === 'keys:revoke') throw new ControlError('not_found', 'no such key', { id: (params as { id: string }).id });
      if (method === 'keys:rotate') throw new TypeError('boom');
      if (method === 'keys:list') return new Promise((r) => setTimeout(() => r(['slow']), 5));
      return { method, params };
    },
    control: { subscribe: (l) => (listeners.add(l), () => void listeners.delete(l)) },
  };
  return { gateway, log, emit: (e: ControlEvent) => listeners.forEach((l) => l(e)) };
}

function connected() {
  const ch = channel();
  const g = fakeGateway();
  const created: unknown[] = [];
  serveGateway(ch.port, (options) => (created.push(options), g.gateway));
  return { ...ch, ...g, created, conn: connectGateway(ch.child) };
}

describe('gateway process protocol', () => {
  it('starts the gateway with the options given, then serves calls as the desktop actor', async () => {
    const c = connected();
    expect(await c.conn.start({ dataDir: '/d' })).toEqual({ url: 'http://127.0.0.1:4000' });
    expect(c.created).toEqual([{ dataDir: '/d' }]);
    expect(await c.conn.call('status:get', {})).toEqual({ method: 'status:get', params: {} });
    expect(c.log).toEqual(['start', 'desktop status:get']);
  });

  it('matches answers to requests by id, whatever order they come back in', async () => {
    const c = connected();
    await c.conn.start({ dataDir: '/d' });
    const slow = c.conn.call('keys:list', {});
    const fast = c.conn.call('users:list', {});
    expect(await fast).toEqual({ method: 'users:list', params: {} });
    expect(await slow).toEqual(['slow']);
    const ids = c.posted.map((m) => m.id);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('carries errors as ControlError shapes: codes and details kept, anything else internal', async () => {
    const c = connected();
    await c.conn.start({ dataDir: '/d' });
    const notFound = await c.conn.call('keys:revoke', { id: 'k9' }).catch((e: unknown) => e);
    expect(notFound).toBeInstanceOf(ControlError);
    expect(notFound).toMatchObject({ code: 'not_found', message: 'no such key', details: { id: 'k9' } });
    await expect(c.conn.call('keys:rotate', {})).rejects.toMatchObject({ code: 'internal', message: 'boom' });
    await expect(c.conn.call('fs:read' as ControlMethod, {})).rejects.toMatchObject({ code: 'unknown_method' });
  });

  it('answers a call before start as unavailable, and a second start as a conflict', async () => {
    const c = connected();
    await expect(c.conn.call('status:get', {})).rejects.toMatchObject({ code: 'unavailable' });
    await c.conn.start({ dataDir: '/d' });
    await expect(c.conn.start({ dataDir: '/d' })).rejects.toMatchObject({ code: 'conflict' });
  });

  it('fans events out to every subscriber until each unsubscribes', async () => {
    const c = connected();
    await c.conn.start({ dataDir: '/d' });
    const a: ControlEvent[] = [];
    const b: ControlEvent[] = [];
    const offA = c.conn.subscribe((e) => a.push(e));
    c.conn.subscribe((e) => b.push(e));
    const e1 = { event: 'keys:changed', data: { id: 'k1', change: 'created' } } as const;
    c.emit(e1);
    await tick();
    offA();
    c.emit({ event: 'secrets:changed', data: { name: 'openai', change: 'set' } });
    await tick();
    expect(a).toEqual([e1]);
    expect(b).toHaveLength(2);
  });

  it('rejects pending and later calls as unavailable once the process exits', async () => {
    const c = connected();
    await c.conn.start({ dataDir: '/d' });
    let exitCode: number | undefined;
    c.conn.onExit((code) => (exitCode = code));
    const pending = c.conn.call('keys:list', {});
    c.exit(9);
    await expect(pending).rejects.toMatchObject({ code: 'unavailable', message: expect.stringContaining('code 9') });
    await expect(c.conn.call('status:get', {})).rejects.toMatchObject({ code: 'unavailable' });
    expect(exitCode).toBe(9);
  });

  it('stops the gateway, then ends its process', async () => {
    const c = connected();
    await c.conn.start({ dataDir: '/d' });
    await c.conn.stop();
    expect(c.log).toEqual(['start', 'stop']);
    expect(c.killed()).toBe(1);
  });

  it('answers malformed messages with an id instead of dropping them', async () => {
    const c = connected();
    const answers: FromGateway[] = [];
    c.child.on('message', (m) => answers.push(m));
    c.child.postMessage({ type: 'nonsense', id: 77 } as unknown as ToGateway);
    await tick();
    expect(answers).toEqual([{ type: 'result', id: 77, ok: false, error: { code: 'invalid_params', message: 'unknown message type nonsense', details: undefined } }]);
  });

  it('turns thrown values into wire errors', () => {
    expect(toWireError(new ControlError('conflict', 'changed', { hash: 'h' }))).toEqual({ code: 'conflict', message: 'changed', details: { hash: 'h' } });
    expect(toWireError('text')).toEqual({ code: 'internal', message: 'text' });
  });
});
