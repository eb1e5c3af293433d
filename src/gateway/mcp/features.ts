// What the endpoint relays besides tools: resources (list, templates, read, subscribe), prompts
// (list, get), completion and logging, over the servers a session shows. On /mcp prompts are named
// `server__prompt`; resource URIs stay as the servers give them, and each is sent back to the server
// that listed it.
import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import {
  CompleteRequestSchema,
  ErrorCode,
  GetPromptRequestSchema,
  ListPromptsRequestSchema,
  ListResourcesRequestSchema,
  ListResourceTemplatesRequestSchema,
  McpError,
  ReadResourceRequestSchema,
  SetLevelRequestSchema,
  SubscribeRequestSchema,
  UnsubscribeRequestSchema,
  type LoggingLevel,
  type Prompt,
  type Resource,
  type ResourceTemplate,
  type ServerCapabilities,
} from '@modelcontextprotocol/sdk/types.js';
import { globMatch } from '../policy/keys.js';
import { namespaced, SEPARATOR } from './names.js';
import type { UpstreamView } from './upstreams.js';

/** The connection a session uses for a server (shared, or its own). */
export type Views = (serverId: string) => Promise<UpstreamView>;

/** Severity order of MCP log levels (RFC 5424), lowest first. */
export const LOG_LEVELS: readonly LoggingLevel[] = ['debug', 'info', 'notice', 'warning', 'error', 'critical', 'alert', 'emergency'];

export interface FeatureSession {
  /** The one server of `/mcp/{id}`, or undefined for the aggregate. */
  scope: string | undefined;
  /** The servers this session may see beyond tools: those the key's grants reach. */
  servers(): string[];
  /** URIs this session subscribed to, per server. */
  subscriptions: Map<string, Set<string>>;
  /** The level set with logging/setLevel (undefined: no log messages are sent). */
  logLevel: LoggingLevel | undefined;
}

/** Whether a key's MCP grants (globs over `server__tool`; none means all) reach a server at all. */
export function serverGranted(grants: readonly string[], serverId: string): boolean {
  if (grants.length === 0) return true;
  return grants.some((g) => {
    const at = g.indexOf(SEPARATOR);
    return globMatch(at < 0 ? g : g.slice(0, at), serverId);
  });
}

async function each<T>(views: Views, ids: string[], can: (c: ServerCapabilities) => unknown, fn: (serverId: string) => Promise<T[]>): Promise<{ serverId: string; items: T[] }[]> {
  const out = await Promise.all(
    ids.map(async (serverId) => {
      try {
        const view = await views(serverId);
        await view.client();
        const caps = view.capabilities();
        return { serverId, items: caps && can(caps) ? await fn(serverId) : [] };
      } catch {
        // One server down leaves the others' resources and prompts usable.
        return { serverId, items: [] as T[] };
      }
    }),
  );
  return out;
}

/** The capabilities the endpoint declares: what it relays. */
export const RELAYED_CAPABILITIES: ServerCapabilities = {
  tools: { listChanged: true },
  resources: { subscribe: true, listChanged: true },
  prompts: { listChanged: true },
  completions: {},
  logging: {},
};

export function registerFeatures(server: Server, views: Views, session: FeatureSession): void {
  const clientOf = async (serverId: string) => (await views(serverId)).client();
  /** Which server listed a URI (last listing wins), so a read or subscribe goes back to it. */
  const owners = new Map<string, string>();

  const promptName = (serverId: string, name: string): string => (session.scope === undefined ? namespaced(serverId, name) : name);
  function promptTarget(name: string): { serverId: string; prompt: string } {
    const servers = session.servers();
    if (session.scope !== undefined) return { serverId: session.scope, prompt: name };
    // The longest server id that prefixes the name: ids may themselves contain the separator.
    const serverId = servers.filter((id) => name.startsWith(`${id}${SEPARATOR}`)).sort((a, b) => b.length - a.length)[0];
    if (!serverId) throw new McpError(ErrorCode.InvalidParams, `Unknown prompt: ${name}`);
    return { serverId, prompt: name.slice(serverId.length + SEPARATOR.length) };
  }
  async function uriOwner(uri: string): Promise<string> {
    const known = owners.get(uri);
    if (known && session.servers().includes(known)) return known;
    // Not listed (yet): the server one of whose templates could produce it, else the only server.
    const servers = session.servers();
    if (servers.length === 1) return servers[0]!;
    const templates = await each(views, servers, (c) => c.resources, async (id) => (await (await clientOf(id)).listResourceTemplates()).resourceTemplates);
    for (const t of templates) {
      for (const tpl of t.items) {
        const prefix = tpl.uriTemplate.split('{')[0]!;
        if (prefix && uri.startsWith(prefix)) return t.serverId;
      }
    }
    throw new McpError(ErrorCode.InvalidParams, `Resource not found: ${uri} is not a resource of any server this key can use`);
  }

  server.setRequestHandler(ListResourcesRequestSchema, async () => {
    const lists = await each(views, session.servers(), (c) => c.resources, async (id) => {
      const client = await clientOf(id);
      const all: Resource[] = [];
      let cursor: string | undefined;
      do {
        const page = await client.listResources(cursor === undefined ? {} : { cursor });
        all.push(...page.resources);
        cursor = page.nextCursor;
      } while (cursor !== undefined && all.length < 10_000);
      return all;
    });
    const resources: Resource[] = [];
    for (const l of lists) {
      for (const r of l.items) {
        owners.set(r.uri, l.serverId);
        resources.push(r);
      }
    }
    return { resources };
  });

  server.setRequestHandler(ListResourceTemplatesRequestSchema, async () => {
    const lists = await each(views, session.servers(), (c) => c.resources, async (id) => (await (await clientOf(id)).listResourceTemplates()).resourceTemplates);
    const resourceTemplates: ResourceTemplate[] = lists.flatMap((l) => l.items);
    return { resourceTemplates };
  });

  server.setRequestHandler(ReadResourceRequestSchema, async (request, extra) => {
    const serverId = await uriOwner(request.params.uri);
    return (await clientOf(serverId)).readResource(request.params, { signal: extra.signal });
  });

  server.setRequestHandler(SubscribeRequestSchema, async (request) => {
    const serverId = await uriOwner(request.params.uri);
    if (!(await views(serverId)).capabilities()?.resources?.subscribe) throw new McpError(ErrorCode.MethodNotFound, `MCP server "${serverId}" does not support resource subscriptions`);
    await (await clientOf(serverId)).subscribeResource(request.params);
    const set = session.subscriptions.get(serverId) ?? new Set<string>();
    set.add(request.params.uri);
    session.subscriptions.set(serverId, set);
    return {};
  });

  server.setRequestHandler(UnsubscribeRequestSchema, async (request) => {
    const serverId = await uriOwner(request.params.uri);
    session.subscriptions.get(serverId)?.delete(request.params.uri);
    // The upstream subscription is shared by every session: it stays while another session holds it.
    return {};
  });

  server.setRequestHandler(ListPromptsRequestSchema, async () => {
    const lists = await each(views, session.servers(), (c) => c.prompts, async (id) => (await (await clientOf(id)).listPrompts()).prompts);
    const prompts: Prompt[] = lists.flatMap((l) => l.items.map((p) => ({ ...p, name: promptName(l.serverId, p.name) })));
    return { prompts };
  });

  server.setRequestHandler(GetPromptRequestSchema, async (request, extra) => {
    const { serverId, prompt } = promptTarget(request.params.name);
    return (await clientOf(serverId)).getPrompt({ ...request.params, name: prompt }, { signal: extra.signal });
  });

  server.setRequestHandler(CompleteRequestSchema, async (request, extra) => {
    const ref = request.params.ref;
    if (ref.type === 'ref/prompt') {
      const { serverId, prompt } = promptTarget(ref.name);
      return (await clientOf(serverId)).complete({ ...request.params, ref: { ...ref, name: prompt } }, { signal: extra.signal });
    }
    const serverId = await uriOwner(ref.uri);
    return (await clientOf(serverId)).complete(request.params, { signal: extra.signal });
  });

  // The upstream connections are shared: a session's level filters what it is sent, the servers' own level is left alone.
  server.setRequestHandler(SetLevelRequestSchema, async (request) => {
    session.logLevel = request.params.level;
    return {};
  });
}

/** Whether a log message at `level` goes to a session that asked for `min`. */
export function logPasses(level: LoggingLevel, min: LoggingLevel | undefined): boolean {
  return min !== undefined && LOG_LEVELS.indexOf(level) >= LOG_LEVELS.indexOf(min);
}
