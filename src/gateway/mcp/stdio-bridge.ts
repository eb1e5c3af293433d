// `gatehouse mcp-stdio`: a stdio MCP server for clients that can only launch one, relaying every
// JSON-RPC message as-is to the gateway's /mcp over Streamable HTTP and every answer back.
import { StreamableHTTPClientTransport, StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { ErrorCode, isJSONRPCErrorResponse, isJSONRPCRequest, isJSONRPCResultResponse, type JSONRPCMessage, type RequestId } from '@modelcontextprotocol/sdk/types.js';
import type { Readable, Writable } from 'node:stream';

export const BRIDGE_EXIT = { ok: 0, failed: 1, usage: 2 } as const;

/** After stdin ends, answers still owed are awaited this long: a piped script closes stdin early. */
const DRAIN_MS = 10_000;
/** Closing the session must not hold the exit up when the gateway does not answer. */
const CLOSE_MS = 3_000;

export interface StdioBridgeOptions {
  /** The gateway (`http://127.0.0.1:4141`, /mcp is added) or its `/mcp` or `/mcp/{server}` endpoint. */
  url: string;
  /** The virtual key (`gh_...`). */
  key: string;
  /** The environment variable the key was read from: named in messages, never the key itself. */
  keyEnv?: string;
  stdin?: Readable;
  stdout?: Writable;
  stderr?: Writable;
  /** Aborting ends the bridge at once (SIGTERM from the client), closing the session. */
  signal?: AbortSignal;
}

/**
 * The endpoint a `--url` names: a URL whose path ends in `/mcp` or `/mcp/{server}` is used as it
 * is; any other (the gateway's base, with or without a path prefix) gets `/mcp` appended.
 */
export function mcpEndpointUrl(text: string): URL {
  const url = new URL(text);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new TypeError(`${url.protocol} is not http: or https:`);
  const path = url.pathname.replace(/\/+$/, '');
  url.pathname = /(^|\/)mcp(\/[^/]+)?$/.test(path) ? path : `${path}/mcp`;
  return url;
}

function missingKeyMessage(keyEnv: string | undefined): string {
  // Pasting the key where the variable's name goes is the likely slip; it also leaks the key into `ps`.
  if (keyEnv?.startsWith('gh_')) return '--key-env takes the NAME of an environment variable that holds the key, not the key itself; e.g. --key-env GATEHOUSE_KEY with GATEHOUSE_KEY=gh_... in the environment';
  const where = keyEnv ? `the environment variable ${keyEnv} is not set or is empty` : 'no Gatehouse key was given';
  return `${where}: set ${keyEnv ?? 'it'} to a Gatehouse virtual key (gh_...), e.g. in the "env" of this server in your MCP client's config. Create a key with: gatehouse keys create --name NAME`;
}

/** The gateway's own words from an error body (JSON-RPC or API error), else the body's start. */
function gatewayMessage(body: string): string {
  try {
    const parsed = JSON.parse(body) as { error?: { message?: unknown }; message?: unknown };
    const message = parsed.error?.message ?? parsed.message;
    if (typeof message === 'string') return message;
  } catch {
    // Not JSON: the text itself says what it can.
  }
  return body.slice(0, 300) || '(no body)';
}

async function within<T>(ms: number, work: Promise<T>): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([work, new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

/** Relays until stdin ends (0), the gateway refuses, cannot be reached or ends the session (1), or the options are unusable (2). */
export async function runStdioBridge(options: StdioBridgeOptions): Promise<number> {
  const stderr = options.stderr ?? process.stderr;
  const say = (line: string): void => void stderr.write(`gatehouse mcp-stdio: ${line}\n`);
  const key = options.key.trim();
  if (!key) {
    say(missingKeyMessage(options.keyEnv));
    return BRIDGE_EXIT.usage;
  }
  let endpoint: URL;
  try {
    endpoint = mcpEndpointUrl(options.url);
  } catch (err) {
    say(`--url ${options.url} is not usable (${(err as Error).message}): give the gateway's address, e.g. http://127.0.0.1:4141`);
    return BRIDGE_EXIT.usage;
  }
  if (options.signal?.aborted) return BRIDGE_EXIT.ok;
  const keyLabel = options.keyEnv ? `the key in ${options.keyEnv}` : 'the key';
  const stdin = options.stdin ?? process.stdin;
  const stdout = options.stdout ?? process.stdout;

  // The gateway's explanation of the last refused request: the SDK's error keeps only the status.
  let refusal: { status: number; detail: string } | undefined;
  const http = new StreamableHTTPClientTransport(endpoint, {
    requestInit: { headers: { authorization: `Bearer ${key}` } },
    fetch: async (url, init) => {
      const res = await fetch(url, init);
      if (!res.ok) refusal = { status: res.status, detail: gatewayMessage(await res.clone().text()) };
      return res;
    },
  });
  const stdio = new StdioServerTransport(stdin, stdout);

  /** The client's requests not yet answered: on a failure each gets an error, so no client waits forever. */
  const pending = new Set<RequestId>();
  let inflight = 0;
  let initializeId: RequestId | undefined;
  // Until initialize's answer arrives there is no session id to send anything else with.
  let sessionReady: Promise<unknown> = Promise.resolve();
  const handled = new WeakSet<Error>();
  let idle: (() => void) | undefined;
  let done = false;
  let exit!: (code: number) => void;
  const exited = new Promise<number>((resolve) => (exit = resolve));

  const checkIdle = (): void => {
    if (inflight === 0 && pending.size === 0) idle?.();
  };

  function explain(err: unknown): string {
    if (err instanceof StreamableHTTPError) {
      const detail = refusal && refusal.status === err.code ? refusal.detail : err.message;
      if (err.code === 401) return `the gateway at ${endpoint.href} refused ${keyLabel} (401): ${detail}`;
      if (err.code === 404 && http.sessionId) {
        return `the gateway ended the MCP session (404 ${detail}); it was idle too long, or the gateway restarted. Restart this MCP server in your client to open a new session.`;
      }
      return `the gateway at ${endpoint.href} answered ${err.code}: ${detail}`;
    }
    const cause = (err as Error).cause as { code?: string; message?: string } | undefined;
    if (err instanceof TypeError && cause) {
      return `cannot reach the gateway at ${endpoint.origin} (${cause.code ?? cause.message}): start it (gatehouse serve, or the Gatehouse app), or correct --url.`;
    }
    return `relaying to the gateway failed: ${(err as Error).message}`;
  }

  async function finish(code: number, message?: string): Promise<void> {
    if (done) return;
    done = true;
    if (message) say(message);
    await within(CLOSE_MS, (async () => {
      for (const id of pending) {
        const error: JSONRPCMessage = { jsonrpc: '2.0', id, error: { code: ErrorCode.ConnectionClosed, message: `Gatehouse: ${message ?? 'the bridge stopped'}` } };
        await stdio.send(error);
      }
      // DELETE: the gateway frees the session now rather than after its idle timeout.
      await http.terminateSession().catch(() => undefined);
    })());
    pending.clear();
    await http.close();
    await stdio.close();
    exit(code);
  }

  stdio.onmessage = (message) => {
    if (done) return;
    const isInitialize = isJSONRPCRequest(message) && message.method === 'initialize';
    if (isJSONRPCRequest(message)) pending.add(message.id);
    if (isInitialize) initializeId = message.id;
    inflight++;
    const sent = sessionReady
      .then(() => http.send(message))
      .catch((err: Error) => {
        handled.add(err);
        return finish(BRIDGE_EXIT.failed, explain(err));
      })
      .finally(() => {
        inflight--;
        checkIdle();
      });
    if (isInitialize) sessionReady = sent;
  };
  stdio.onerror = (err) => {
    say(err instanceof SyntaxError || err.name === 'ZodError' ? 'skipped a line on stdin that is not a JSON-RPC message' : `stdin: ${err.message}`);
  };
  stdio.onclose = () => void finish(BRIDGE_EXIT.failed, 'stopped reading stdin after the error above');

  http.onmessage = (message) => {
    if (done) return;
    if ((isJSONRPCResultResponse(message) || isJSONRPCErrorResponse(message)) && message.id !== undefined) {
      pending.delete(message.id);
      // The client SDK would do this itself; relayed, the header must still follow the negotiated version.
      if (message.id === initializeId && isJSONRPCResultResponse(message) && typeof message.result.protocolVersion === 'string') {
        http.setProtocolVersion(message.result.protocolVersion);
      }
      checkIdle();
    }
    void stdio.send(message);
  };
  http.onerror = (err) => {
    // A failed send reports here and also rejects: wait a turn, so that one is told once, by explain().
    setImmediate(() => {
      if (done || handled.has(err)) return;
      // The standalone stream's reconnect meets these when the session or the key is gone.
      if (err instanceof StreamableHTTPError && (err.code === 401 || err.code === 404)) void finish(BRIDGE_EXIT.failed, explain(err));
      else say(`warning: ${err.message}`);
    });
  };

  stdin.once('end', () => {
    void (async () => {
      const drained = new Promise<void>((resolve) => {
        idle = resolve;
        checkIdle();
      });
      await within(DRAIN_MS, drained);
      await finish(BRIDGE_EXIT.ok);
    })();
  });
  // The client is gone (EPIPE): nobody is left to answer. `on`, not `once`: each later write fails too.
  stdout.on('error', () => void finish(BRIDGE_EXIT.ok));
  options.signal?.addEventListener('abort', () => void finish(BRIDGE_EXIT.ok), { once: true });

  await http.start();
  await stdio.start();
  say(`relaying stdio to ${endpoint.href}`);
  return exited;
}
