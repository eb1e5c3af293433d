// What the gateway changes in the SDK's client transports to MCP servers: messages handled in the
// order they came in, and a stdio server's output read a chunk per turn of the event loop.
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { ChildProcess } from 'node:child_process';

/**
 * Makes the SDK handle a response after the notifications that came before it. The SDK's Protocol runs
 * a notification's handler a microtask after it is read but a response's at once, and a response drops
 * its request's progress handler: progress notifications read in the same chunk as the result (the last
 * ones of a call, under load) were lost. Handing each response over a microtask later keeps wire order,
 * since the handlers of the notifications before it are already queued.
 */
export function inWireOrder<T extends Transport>(transport: T): T {
  let deliver: Transport['onmessage'];
  Object.defineProperty(transport, 'onmessage', {
    configurable: true,
    enumerable: true,
    get: () => deliver,
    set: (handler: Transport['onmessage']) => {
      deliver =
        handler &&
        ((message, extra) => {
          // A response has an id and no method (the SDK's own type guards run a schema: too slow for every message).
          if ('id' in message && !('method' in message)) queueMicrotask(() => handler(message, extra));
          else handler(message, extra);
        });
    },
  });
  return transport;
}

/**
 * The SDK's stdio transport, with the server's output read one chunk per turn of the event loop.
 * libuv reads a readable pipe up to 32 times in a row, and the SDK handles every message of each read
 * at once: a server that writes thousands of notifications at once held the whole gateway (its other
 * clients, /healthz) for most of a second. Pausing after each chunk ends that run of reads; the next
 * chunk is taken after the other I/O of the turn was served.
 */
export class StdioTransport extends StdioClientTransport {
  override start(): Promise<void> {
    const started = super.start();
    // The child is spawned synchronously inside start(); its output cannot have been read yet.
    const stdout = (this as unknown as { _process?: ChildProcess })._process?.stdout;
    if (!stdout) throw new Error('the MCP SDK stdio transport no longer keeps its child process where the gateway expects it');
    stdout.on('data', () => {
      stdout.pause();
      setImmediate(() => stdout.resume());
    });
    return started;
  }
}
