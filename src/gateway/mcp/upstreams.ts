// The configured MCP servers, as clients of the official SDK: started on first use (stdio servers
// spawned with an allow-listed environment, remote ones with their headers' secrets filled in),
// their tool lists cached until they say the list changed, and restarted with backoff when they die.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { getDefaultEnvironment } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import {
  CreateMessageRequestSchema,
  ElicitRequestSchema,
  ListRootsRequestSchema,
  LoggingMessageNotificationSchema,
  PromptListChangedNotificationSchema,
  ResourceListChangedNotificationSchema,
  ResourceUpdatedNotificationSchema,
  ToolListChangedNotificationSchema,
  type CallToolResult,
  type ClientCapabilities,
  type CreateMessageRequest,
  type CreateMessageResult,
  type ElicitRequest,
  type ElicitResult,
  type ListRootsResult,
  type Progress,
  type ServerCapabilities,
  type ServerNotification,
  type Tool,
} from '@modelcontextprotocol/sdk/types.js';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import type { GatehouseConfig } from '../config/schema.js';
import { GatewayError } from '../errors.js';
import type { Logger } from '../log.js';
import type { SecretResolver } from '../secrets/resolver.js';
import { inWireOrder, StdioTransport } from './transports.js';

export type McpServerConfig = GatehouseConfig['mcpServers'][number];

/** How long a server has to answer `initialize` and `tools/list`. */
const CONNECT_TIMEOUT_MS = 30_000;
/** A tool call may take long; progress notifications keep it alive up to the total. */
const CALL_TIMEOUT_MS = 120_000;
const CALL_TOTAL_TIMEOUT_MS = 30 * 60_000;
const BACKOFF_FIRST_MS = 1_000;
const BACKOFF_MAX_MS = 60_000;

export interface UpstreamEvents {
  /** A server's tool list changed (it said so, or it restarted): sessions showing it are told. */
  toolsChanged(serverId: string): void;
  /** A stdio server is about to be spawned: the exact command, for the record. */
  starting(serverId: string, command: string): void;
  /** A notification for the sessions showing the server: resources or prompts changed, a resource updated, a log message. */
  notification(serverId: string, notification: ServerNotification): void;
}

/**
 * What one server offers, through whichever connection a session uses: the shared one, or the
 * session's own (a server configured `sessions: per-session`).
 */
export interface UpstreamView {
  tools(): Promise<Tool[]>;
  call(tool: string, args: Record<string, unknown> | undefined, options: { signal: AbortSignal; onprogress?: (p: Progress) => void }): Promise<CallToolResult>;
  client(): Promise<Client>;
  capabilities(): ServerCapabilities | undefined;
  serverVersion(): string | null;
}

/** A session's own connection to a server: its requests to the client are answered by that session's client. */
export interface SessionUpstream extends UpstreamView {
  close(): Promise<void>;
  /** The session's client changed its roots: the server is told. */
  rootsChanged(): void;
}

/** How a per-session connection answers a server's requests: through the downstream client of that session. */
export interface ClientSide {
  /** What the downstream client declared (sampling, elicitation, roots): the upstream connection declares the same. */
  capabilities: ClientCapabilities;
  createMessage(params: CreateMessageRequest['params'], signal: AbortSignal): Promise<CreateMessageResult>;
  elicit(params: ElicitRequest['params'], signal: AbortSignal): Promise<ElicitResult>;
  listRoots(signal: AbortSignal): Promise<ListRootsResult>;
  toolsChanged(): void;
  notification(n: ServerNotification): void;
}

export interface Upstreams {
  /** Applies the config's `mcpServers`: servers removed or changed are stopped (and restarted on next use). */
  configure(servers: readonly McpServerConfig[]): void;
  ids(): string[];
  has(serverId: string): boolean;
  /** The server's tools, connecting first if needed. Throws GatewayError('MCP_UPSTREAM') when it cannot be reached. */
  tools(serverId: string): Promise<Tool[]>;
  call(serverId: string, tool: string, args: Record<string, unknown> | undefined, options: { signal: AbortSignal; onprogress?: (p: Progress) => void }): Promise<CallToolResult>;
  /** The connected SDK client, for the requests beyond tools (resources, prompts, completion). */
  client(serverId: string): Promise<Client>;
  /** What the server said it can do when it connected (undefined before). */
  capabilities(serverId: string): ServerCapabilities | undefined;
  /** The version the server reported when it connected (part of its tools' pins); null before or when it gave none. */
  serverVersion(serverId: string): string | null;
  /** The shared connection's view of a server. */
  view(serverId: string): UpstreamView;
  /** A connection of the session's own (started now), for a server configured `sessions: per-session`. */
  openSession(serverId: string, side: ClientSide): Promise<SessionUpstream>;
  /** What a stdio server runs, as one line (shown to the user before it first starts). */
  commandLine(serverId: string): string | undefined;
  close(): Promise<void>;
}

interface State {
  config: McpServerConfig;
  /** The config as JSON: a change of it restarts the server. */
  fingerprint: string;
  client?: Client;
  connecting?: Promise<Client>;
  tools?: Tool[];
  failures: number;
  retryAt: number;
  lastError?: string;
  /** Set once the server is removed or the gateway stops: nothing restarts it. */
  closed: boolean;
}

/** `npx -y pkg@1.2.3 /path` as one line, arguments quoted where needed. */
export function commandLineOf(config: Pick<McpServerConfig, 'command' | 'args'>): string {
  const quote = (s: string): string => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);
  return [config.command ?? '', ...config.args].map(quote).join(' ');
}

export function createUpstreams(deps: { secrets: SecretResolver; log: () => Logger; events: UpstreamEvents; version: string; now?: () => number }): Upstreams {
  const now = deps.now ?? (() => Date.now());
  const states = new Map<string, State>();

  function state(serverId: string): State {
    const s = states.get(serverId);
    if (!s) throw new GatewayError('NOT_FOUND', `no MCP server "${serverId}" is configured`);
    return s;
  }

  async function transportFor(s: State): Promise<Transport> {
    const c = s.config;
    const templates = [...Object.values(c.env), ...Object.values(c.headers)];
    await deps.secrets.prime(templates.flatMap((t) => deps.secrets.refsIn(t)));
    if (c.command !== undefined) {
      const env: Record<string, string> = { ...getDefaultEnvironment() };
      for (const [k, v] of Object.entries(c.env)) env[k] = deps.secrets.interpolate(v);
      deps.events.starting(c.id, commandLineOf(c));
      const t = new StdioTransport({ command: c.command, args: c.args, env, stderr: 'pipe' });
      // The server's own diagnostics go to the logs, a line at a time, secrets scrubbed.
      const stderr = t.stderr as Readable | null;
      if (stderr) {
        createInterface({ input: stderr }).on('line', (line) => deps.log().info({ mcpServer: c.id }, deps.secrets.redact(line.slice(0, 2000))));
      }
      return inWireOrder(t);
    }
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(c.headers)) headers[k] = deps.secrets.interpolate(v);
    const url = new URL(c.url!);
    return inWireOrder(c.transport === 'sse' ? new SSEClientTransport(url, { requestInit: { headers } }) : new StreamableHTTPClientTransport(url, { requestInit: { headers } }));
  }

  async function connect(s: State): Promise<Client> {
    const client = new Client({ name: 'gatehouse', version: deps.version }, { capabilities: {} });
    client.setNotificationHandler(ToolListChangedNotificationSchema, () => {
      s.tools = undefined;
      deps.events.toolsChanged(s.config.id);
    });
    for (const schema of [ResourceListChangedNotificationSchema, ResourceUpdatedNotificationSchema, PromptListChangedNotificationSchema, LoggingMessageNotificationSchema]) {
      client.setNotificationHandler(schema, (n) => deps.events.notification(s.config.id, n as ServerNotification));
    }
    const transport = await transportFor(s);
    client.onclose = () => {
      if (s.client !== client) return;
      s.client = undefined;
      s.tools = undefined;
      if (s.closed) return;
      // It died: the next use starts it again, after a backoff that grows with each failure.
      s.failures++;
      s.retryAt = now() + Math.min(BACKOFF_MAX_MS, BACKOFF_FIRST_MS * 2 ** (s.failures - 1));
      s.lastError = 'the server closed its connection';
      deps.log().warn({ mcpServer: s.config.id, failures: s.failures }, 'MCP server connection closed; it is restarted on next use');
      deps.events.toolsChanged(s.config.id);
    };
    try {
      await client.connect(transport, { timeout: CONNECT_TIMEOUT_MS });
    } catch (err) {
      await client.close().catch(() => undefined);
      throw err;
    }
    if (s.closed) {
      await client.close().catch(() => undefined);
      throw new GatewayError('MCP_UPSTREAM', `MCP server "${s.config.id}" was removed from the config`);
    }
    s.failures = 0;
    s.lastError = undefined;
    return client;
  }

  async function clientOf(s: State): Promise<Client> {
    if (s.client) return s.client;
    if (!s.connecting) {
      const wait = s.retryAt - now();
      if (wait > 0) {
        throw new GatewayError('MCP_UPSTREAM', `MCP server "${s.config.id}" is down (${s.lastError ?? 'it failed'}); it is restarted in ${Math.ceil(wait / 1000)} s`);
      }
      s.connecting = connect(s).then(
        (client) => {
          s.client = client;
          s.connecting = undefined;
          return client;
        },
        (err: unknown) => {
          s.connecting = undefined;
          s.failures++;
          s.retryAt = now() + Math.min(BACKOFF_MAX_MS, BACKOFF_FIRST_MS * 2 ** (s.failures - 1));
          s.lastError = deps.secrets.redact(err instanceof Error ? err.message : String(err));
          deps.log().warn({ mcpServer: s.config.id, err: s.lastError }, 'MCP server could not be started');
          throw new GatewayError('MCP_UPSTREAM', `MCP server "${s.config.id}" could not be reached: ${s.lastError}`, { cause: err });
        },
      );
    }
    return s.connecting;
  }

  function stop(s: State): void {
    s.closed = true;
    const client = s.client;
    s.client = undefined;
    s.tools = undefined;
    if (client) void client.close().catch((e: Error) => deps.log().warn({ mcpServer: s.config.id, err: e.message }, 'MCP server did not close cleanly'));
    else if (s.connecting) void s.connecting.then((c) => c.close()).catch(() => undefined);
  }

  async function listAll(client: Client): Promise<Tool[]> {
    const tools: Tool[] = [];
    let cursor: string | undefined;
    do {
      const page = await client.listTools(cursor === undefined ? {} : { cursor }, { timeout: CONNECT_TIMEOUT_MS });
      tools.push(...page.tools);
      cursor = page.nextCursor;
    } while (cursor !== undefined && tools.length < 10_000);
    return tools;
  }

  /** A call may run `timeoutSeconds` (default 120 s) without progress, and 30 minutes in all. */
  const callOptions = (config: McpServerConfig, options: { signal: AbortSignal; onprogress?: (p: Progress) => void }) => ({
    signal: options.signal,
    onprogress: options.onprogress,
    timeout: config.timeoutSeconds !== undefined ? config.timeoutSeconds * 1000 : CALL_TIMEOUT_MS,
    resetTimeoutOnProgress: true,
    maxTotalTimeout: CALL_TOTAL_TIMEOUT_MS,
  });

  const self: Upstreams = {
    configure(servers) {
      const wanted = new Map(servers.map((c) => [c.id, c]));
      for (const [id, s] of states) {
        const next = wanted.get(id);
        if (!next || JSON.stringify(next) !== s.fingerprint) {
          stop(s);
          states.delete(id);
          deps.events.toolsChanged(id);
        }
      }
      for (const c of servers) {
        if (states.has(c.id)) continue;
        states.set(c.id, { config: c, fingerprint: JSON.stringify(c), failures: 0, retryAt: 0, closed: false });
        const loose = unpinnedPackage(c);
        if (loose) deps.log().warn({ mcpServer: c.id, package: loose }, `MCP server "${c.id}" runs ${loose} without an exact version: what it runs can change under the same config; name one (e.g. ${loose.replace(/@[^@/]*$/, '')}@1.2.3)`);
      }
    },
    ids: () => [...states.keys()],
    serverVersion: (id) => states.get(id)?.client?.getServerVersion()?.version ?? null,
    capabilities: (id) => states.get(id)?.client?.getServerCapabilities(),
    client: (id) => clientOf(state(id)),
    has: (id) => states.has(id),
    commandLine: (id) => {
      const c = states.get(id)?.config;
      return c?.command === undefined ? undefined : commandLineOf(c);
    },
    async tools(serverId) {
      const s = state(serverId);
      if (s.tools) return s.tools;
      const client = await clientOf(s);
      const tools = await listAll(client);
      if (s.client === client) s.tools = tools;
      return tools;
    },
    async call(serverId, tool, args, options) {
      const s = state(serverId);
      const client = await clientOf(s);
      return (await client.callTool({ name: tool, arguments: args }, undefined, callOptions(s.config, options))) as CallToolResult;
    },
    view(serverId) {
      return {
        tools: () => self.tools(serverId),
        call: (tool, args, options) => self.call(serverId, tool, args, options),
        client: () => self.client(serverId),
        capabilities: () => self.capabilities(serverId),
        serverVersion: () => self.serverVersion(serverId),
      };
    },
    async openSession(serverId, side) {
      const s = state(serverId);
      const client = new Client({ name: 'gatehouse', version: deps.version }, { capabilities: side.capabilities });
      let tools: Tool[] | undefined;
      client.setNotificationHandler(ToolListChangedNotificationSchema, () => {
        tools = undefined;
        side.toolsChanged();
      });
      for (const schema of [ResourceListChangedNotificationSchema, ResourceUpdatedNotificationSchema, PromptListChangedNotificationSchema, LoggingMessageNotificationSchema]) {
        client.setNotificationHandler(schema, (n) => side.notification(n as ServerNotification));
      }
      // The server's requests go to the session's own client, which declared it can answer them.
      if (side.capabilities.sampling) client.setRequestHandler(CreateMessageRequestSchema, (r, extra) => side.createMessage(r.params, extra.signal));
      if (side.capabilities.elicitation) client.setRequestHandler(ElicitRequestSchema, (r, extra) => side.elicit(r.params, extra.signal));
      if (side.capabilities.roots) client.setRequestHandler(ListRootsRequestSchema, (_r, extra) => side.listRoots(extra.signal));
      await client.connect(await transportFor(s), { timeout: CONNECT_TIMEOUT_MS });
      return {
        tools: async () => (tools ??= await listAll(client)),
        call: async (tool, args, options) => (await client.callTool({ name: tool, arguments: args }, undefined, callOptions(s.config, options))) as CallToolResult,
        client: async () => client,
        capabilities: () => client.getServerCapabilities(),
        serverVersion: () => client.getServerVersion()?.version ?? null,
        rootsChanged: () => void client.sendRootsListChanged().catch(() => undefined),
        close: () => client.close(),
      };
    },
    async close() {
      const all = [...states.values()];
      states.clear();
      await Promise.all(
        all.map(async (s) => {
          s.closed = true;
          const client = s.client ?? (s.connecting ? await s.connecting.catch(() => undefined) : undefined);
          s.client = undefined;
          await client?.close().catch(() => undefined);
        }),
      );
    },
  };
  return self;
}

/** Package runners and how each names a package's version (`pkg@1.2.3`; uvx also `pkg==1.2.3`). */
const RUNNERS: Record<string, { skip: RegExp }> = {
  npx: { skip: /^-/ },
  bunx: { skip: /^-/ },
  pnpx: { skip: /^-/ },
  uvx: { skip: /^-/ },
};

/**
 * The package a runner-launched server runs when it names no exact version (`npx -y pkg`,
 * `pnpm dlx pkg@latest`): what it runs can change under the same config, so it is warned about.
 * Undefined for a pinned package or a server not started by a package runner.
 */
export function unpinnedPackage(config: Pick<McpServerConfig, 'command' | 'args'>): string | undefined {
  if (config.command === undefined) return undefined;
  const runner = config.command.split(/[\\/]/).pop()!.replace(/\.(cmd|exe)$/, '');
  let args = config.args;
  if ((runner === 'pnpm' || runner === 'yarn') && args[0] === 'dlx') args = args.slice(1);
  else if (runner === 'npm' && args[0] === 'exec') args = args.slice(1);
  else if (!Object.hasOwn(RUNNERS, runner)) return undefined;
  const pkg = args.find((a) => !a.startsWith('-') && a !== '--');
  if (!pkg) return undefined;
  // A scoped name's first "@" is the scope: the version is after the last "@" past the first character.
  const at = pkg.lastIndexOf('@');
  const version = at > 0 ? pkg.slice(at + 1) : pkg.includes('==') ? pkg.split('==')[1]! : '';
  return /^\d+\.\d+\.\d+([-+][\w.]+)?$/.test(version) ? undefined : pkg;
}
