// The MCP endpoint clients connect to: `/mcp` aggregates every server the key is granted (tools
// named `server__tool`), `/mcp/{serverId}` serves one server with its own names. Streamable HTTP
// sessions from the official SDK, each bound to the key that opened it; every call is checked
// against the key's grants and the server's tool policy, and recorded.
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { CallToolRequestSchema, ErrorCode, ListToolsRequestSchema, McpError, RootsListChangedNotificationSchema, type CreateMessageRequest, type CreateMessageResult, type CallToolResult, type ServerNotification, type Tool } from '@modelcontextprotocol/sdk/types.js';
import { createHash, randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { GatewayError } from '../errors.js';
import type { Logger } from '../log.js';
import type { KeyRow } from '../store/keys.js';
import { canonicalText, type Ledger } from '../store/ledger.js';
import { chainOf, type Owners } from '../policy/owners.js';
import { exposeTools, namespaced, type ExposedTool, type NameProblem } from './names.js';
import { argumentVerdict, toolGranted, toolPrice, toolVerdict, type ToolDecision } from './policy.js';

const RANK: Record<ToolDecision, number> = { allow: 0, ask: 1, deny: 2 };
import type { McpServerConfig, SessionUpstream, Upstreams, UpstreamView } from './upstreams.js';
import type { Approvals } from './approvals.js';
import { logPasses, registerFeatures, RELAYED_CAPABILITIES, serverGranted, type FeatureSession } from './features.js';
import type { Pins } from './pins.js';
import { redactForRecord, scanValue } from '../policy/guardrails/mask.js';
import type { GuardAction, Guardrails } from '../policy/guardrails/pipeline.js';
import type { ClassifierVerdict } from '../policy/guardrails/classifier.js';
import type { Reservation } from '../policy/budgets.js';
import type { QuarantinedTool } from '../../shared/contract.js';

/** MCP messages are small; a tool's arguments beyond this are refused. */
export const MAX_MCP_MESSAGE_BYTES = 4 * 1024 * 1024;
/** A session nobody used for this long is closed; its client re-initializes when it comes back. */
const SESSION_IDLE_MS = 60 * 60_000;
const MAX_SESSIONS = 1_000;

export interface McpContext {
  upstreams: Upstreams;
  servers(): readonly McpServerConfig[];
  /** The config's named tool subsets (globs over `server__tool`). */
  toolsets(): Record<string, string[]>;
  owners(key: KeyRow): Owners;
  approvals: Approvals;
  pins: Pins;
  /** The configured guardrails: tool arguments and results are scanned. */
  guardrails: Guardrails;
  /** Whether tool arguments are recorded masked, or by hash only. */
  recordArguments(): 'masked' | 'hash';
  /**
   * The model layer of injection detection on a tool result: a configured route asked to classify
   * the text on the key's behalf. Undefined when the config names no classifier.
   */
  classify?(key: KeyRow, text: string, signal: AbortSignal): Promise<ClassifierVerdict> | undefined;
  /** A sampling request answered on a route, as a model call of the key (see sampling.ts). */
  sample(keyId: string, route: string, params: CreateMessageRequest['params'], signal: AbortSignal): Promise<CreateMessageResult>;
  /**
   * Reserves a priced call's price on every budget of the key's chain: a reservation to settle,
   * `{ refused }` with the reason when a budget cannot pay, undefined when no budget applies.
   */
  reserveToolCall(key: KeyRow, requestId: string, priceUsd: number): Reservation | { refused: string } | undefined;
  /** How long an ask waits for a person (read at each call: the config may change). */
  approvalTimeoutMs(): number;
  ledger: Ledger;
  log(): Logger;
  version: string;
}

export interface McpCallEvent {
  type: 'mcp.call';
  requestId: string;
  keyId: string;
  session: string;
  server: string;
  tool: string;
  /** The name the client called it by (`server__tool` on /mcp). */
  name: string;
  /** Their size and hash, and (ledger.toolArguments: masked) a copy with secrets and card numbers masked and long strings cut. */
  arguments: { bytes: number; sha256: string; masked?: unknown };
  decision: ToolDecision;
  /** Who decided: the policy rule, or the grant that was missing. */
  decidedBy: string;
  outcome: 'ok' | 'tool_error' | 'refused' | 'upstream_error' | 'cancelled';
  /** The call's price (USD) when the server's `prices:` names one and the call reached the server; else null. */
  costUsd: number | null;
  durationMs: number;
  result: { bytes: number; sha256: string } | null;
  /** Guardrail findings on the arguments and the result: kind, rule, action, where — never the text. */
  findings?: { type: string; rule: string; action: string; location: string; path: string }[];
  /** The model layer's verdict on the result (guardrails.classifier), or why there was none. */
  classifier?: { injection: boolean; score: number; cached: boolean } | { error: string };
  error?: string;
}

type ScannedFinding = ReturnType<typeof scanValue>[number];

/** The text a model would read of a tool result: its text parts and structured content. */
function resultText(result: CallToolResult): string {
  const parts = (result.content ?? []).map((c) => (c.type === 'text' ? c.text : c.type === 'resource' && 'text' in c.resource ? String(c.resource.text) : ''));
  if (result.structuredContent) parts.push(JSON.stringify(result.structuredContent));
  return parts.filter(Boolean).join('\n');
}

interface Session extends FeatureSession {
  id: string;
  keyId: string;
  /** Its own connections, to the servers configured `sessions: per-session`. */
  own: Map<string, Promise<SessionUpstream>>;
  /** The toolset the session is limited to (`?toolset=`, else the key's), if any. */
  toolset: string | undefined;
  transport: StreamableHTTPServerTransport;
  server: Server;
  lastSeen: number;
}

function digest(value: unknown): { bytes: number; sha256: string } {
  const text = canonicalText(value ?? null) ?? 'null';
  return { bytes: Buffer.byteLength(text), sha256: createHash('sha256').update(text).digest('hex') };
}

function toolError(text: string): CallToolResult {
  return { content: [{ type: 'text', text }], isError: true };
}

/** The grants of the key's chain that leave a tool out, named; undefined when every link grants it. */
function missingToolGrant(key: KeyRow, owners: Owners, serverId: string, tool: string): string | undefined {
  for (const link of chainOf(key, owners)) {
    if (!toolGranted(link.row.mcpTools, serverId, tool)) return `${link.label} is not granted the tool ${serverId}__${tool} (its MCP tool grants: ${link.row.mcpTools.join(', ')})`;
  }
  return undefined;
}

export interface McpEndpoint {
  /** One HTTP request of a session; `body` is the parsed JSON of a POST. */
  handle(req: IncomingMessage, res: ServerResponse, url: URL, key: KeyRow, requestId: string, body: unknown): Promise<void>;
  /** Tells the sessions showing a server that its tools changed. */
  toolsChanged(serverId: string): void;
  /** Passes a server's notification to the sessions it concerns (subscribers, log levels). */
  notification(serverId: string, notification: ServerNotification): void;
  sessionCount(): number;
  close(): Promise<void>;
}

export function createMcpEndpoint(ctx: McpContext): McpEndpoint {
  const sessions = new Map<string, Session>();
  const reported = new Set<string>();

  const sweep = setInterval(() => {
    const idle = Date.now() - SESSION_IDLE_MS;
    for (const s of sessions.values()) if (s.lastSeen < idle) void s.transport.close();
  }, 60_000);
  sweep.unref();

  function serverConfig(id: string): McpServerConfig | undefined {
    return ctx.servers().find((s) => s.id === id);
  }

  function reportProblems(problems: NameProblem[]): void {
    for (const p of problems) {
      const id = `${p.problem}\n${p.name}\n${p.serverId}`;
      if (reported.has(id)) continue;
      reported.add(id);
      ctx.log().warn({ mcpServer: p.serverId, tool: p.tool, name: p.name, problem: p.problem }, p.problem === 'collision' ? 'two MCP tools would share a name; neither is offered' : 'an MCP tool name is too long for clients; it is not offered');
      ctx.ledger.append({ type: 'mcp.tool.conflict', ...p }).catch((e: Error) => ctx.log().error({ err: e.message }, 'could not record an MCP name conflict'));
    }
  }

  /**
   * Every tool the session's servers offer, by the name the client sees, with its definition;
   * quarantined tools (changed since pinned, or flagged) by the same names, kept apart.
   */
  async function catalog(session: Session): Promise<{ exposed: Map<string, ExposedTool>; defs: Map<string, Tool>; held: Map<string, QuarantinedTool> }> {
    const scope = session.scope;
    const ids = scope === undefined ? ctx.upstreams.ids() : [scope];
    const lists = await Promise.all(
      ids.map(async (serverId) => {
        try {
          const view = await viewOf(session, serverId);
          return { serverId, tools: await view.tools(), version: view.serverVersion() };
        } catch (err) {
          // One server down leaves the others usable; its tools come back when it does.
          ctx.log().warn({ mcpServer: serverId, err: (err as Error).message }, 'MCP server left out of the tool list');
          if (scope !== undefined) throw err;
          return { serverId, tools: [] as Tool[], version: null };
        }
      }),
    );
    const defs = new Map<string, Tool>();
    const held = new Map<string, QuarantinedTool>();
    const offered: { serverId: string; tool: string }[] = [];
    for (const l of lists) {
      const { allowed, quarantined } = ctx.pins.check(l.serverId, l.version, l.tools);
      for (const t of allowed) {
        defs.set(`${l.serverId}\n${t.name}`, t);
        offered.push({ serverId: l.serverId, tool: t.name });
      }
      for (const [tool, q] of quarantined) held.set(scope === undefined ? namespaced(l.serverId, tool) : tool, q);
    }
    const { exposed, problems } = exposeTools(offered, scope === undefined);
    reportProblems(problems);
    return { exposed, defs, held };
  }

  /** Whether a tool is in the session's toolset (always, without one); a toolset removed from the config offers nothing. */
  function inToolset(toolset: string | undefined, serverId: string, tool: string): boolean {
    if (toolset === undefined) return true;
    return toolGranted(ctx.toolsets()[toolset] ?? ['\u0000'], serverId, tool);
  }

  /**
   * The connection a session uses for a server: the shared one, or — for a server configured
   * `sessions: per-session` — its own, opened on first use, whose requests to the client (sampling,
   * elicitation, roots) go to this session's client and whose notifications to it alone.
   */
  function viewOf(session: Session, serverId: string): Promise<UpstreamView> {
    if (serverConfig(serverId)?.sessions !== 'per-session') return Promise.resolve(ctx.upstreams.view(serverId));
    let own = session.own.get(serverId);
    if (!own) {
      const caps = session.server.getClientCapabilities() ?? {};
      const sampling = serverConfig(serverId)?.sampling;
      own = ctx.upstreams.openSession(serverId, {
        capabilities: {
          // Sampling answered by the gateway on a route needs nothing of the client.
          ...(sampling ? { sampling: {} } : caps.sampling ? { sampling: caps.sampling } : {}),
          ...(caps.elicitation ? { elicitation: caps.elicitation } : {}),
          ...(caps.roots ? { roots: caps.roots } : {}),
        },
        createMessage: (params, signal) => (sampling ? ctx.sample(session.keyId, sampling.route, params, signal) : session.server.createMessage(params, { signal })),
        elicit: (params, signal) => session.server.elicitInput(params, { signal }),
        listRoots: (signal) => session.server.listRoots(undefined, { signal }),
        toolsChanged: () => void session.server.sendToolListChanged().catch(() => undefined),
        notification: (n) => deliver(session, serverId, n),
      });
      // A connection that could not open is not kept: the next use tries again.
      own.catch(() => session.own.delete(serverId));
      session.own.set(serverId, own);
    }
    return own;
  }

  /** A server's notification to one session, if it concerns it (its subscriptions, its log level). */
  function deliver(s: Session, serverId: string, n: ServerNotification): void {
    if (!s.servers().includes(serverId)) return;
    if (n.method === 'notifications/resources/updated' && !s.subscriptions.get(serverId)?.has(n.params.uri)) return;
    if (n.method === 'notifications/message' && !logPasses(n.params.level, s.logLevel)) return;
    void s.server.notification(n).catch(() => undefined);
  }

  function closeOwn(s: Session): void {
    for (const own of s.own.values()) void own.then((u) => u.close()).catch(() => undefined);
    s.own.clear();
  }

  function newSession(key: KeyRow, scope: string | undefined, toolset: string | undefined): Session {
    const server = new Server({ name: 'gatehouse', version: ctx.version }, { capabilities: RELAYED_CAPABILITIES });
    const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
      // 192 random bits: a session id is a bearer of the session, next to the key.
      sessionIdGenerator: () => randomBytes(24).toString('base64url'),
      onsessioninitialized: (id) => {
        session.id = id;
        sessions.set(id, session);
      },
      onsessionclosed: (id) => {
        sessions.delete(id);
        ctx.approvals.endSession(id);
        closeOwn(session);
      },
    });
    const session: Session = {
      id: '',
      keyId: key.id,
      own: new Map(),
      toolset,
      scope,
      transport,
      server,
      lastSeen: Date.now(),
      subscriptions: new Map(),
      logLevel: undefined,
      // Resources and prompts of the servers the key's grants reach (all of its chain's).
      servers: () => {
        const owners = ctx.owners(key);
        const grants = chainOf(key, owners).map((l) => l.row.mcpTools);
        return (scope === undefined ? ctx.upstreams.ids() : [scope]).filter((id) => grants.every((g) => serverGranted(g, id)));
      },
    };
    registerFeatures(server, (serverId) => viewOf(session, serverId), session);
    // The client's roots changed: the servers it has its own connection to are told.
    server.setNotificationHandler(RootsListChangedNotificationSchema, async () => {
      for (const own of session.own.values()) void own.then((u) => u.rootsChanged()).catch(() => undefined);
    });
    transport.onclose = () => {
      closeOwn(session);
      if (!session.id) return;
      sessions.delete(session.id);
      ctx.approvals.endSession(session.id);
    };

    server.setRequestHandler(ListToolsRequestSchema, async () => {
      const owners = ctx.owners(key);
      const { exposed, defs } = await catalog(session);
      const tools: Tool[] = [];
      for (const t of exposed.values()) {
        if (missingToolGrant(key, owners, t.serverId, t.tool)) continue;
        if (!inToolset(session.toolset, t.serverId, t.tool)) continue;
        // A denied tool is not offered: an agent should not plan around it.
        if (toolVerdict(serverConfig(t.serverId)?.tools ?? {}, t.tool).decision === 'deny') continue;
        tools.push({ ...defs.get(`${t.serverId}\n${t.tool}`)!, name: t.name });
      }
      return { tools };
    });

    server.setRequestHandler(CallToolRequestSchema, async (request, extra) => {
      const started = performance.now();
      const name = request.params.name;
      const args = request.params.arguments;
      const requestId = `mcp_${randomBytes(12).toString('hex')}`;
      const { exposed, held } = await catalog(session);
      const target = exposed.get(name);
      if (!target) {
        const q = held.get(name);
        // A key that may not use the tool learns nothing about it, quarantined or not.
        if (q && !missingToolGrant(key, ctx.owners(key), q.server, q.tool) && inToolset(session.toolset, q.server, q.tool)) {
          await ctx.ledger.append({ type: 'mcp.call', requestId, keyId: key.id, session: session.id, server: q.server, tool: q.tool, name, arguments: digest(args), decision: 'deny', decidedBy: `quarantine: ${q.reason}`, outcome: 'refused', costUsd: null, durationMs: 0, result: null });
          return toolError(
            `Gatehouse refused the call: ${q.message}. The tool is quarantined until a person reviews it: gatehouse pins list, then gatehouse pins accept ${q.server} ${q.tool}`,
          );
        }
        throw new McpError(ErrorCode.InvalidParams, `Unknown tool: ${name}`);
      }
      // The global guardrails as the server's and the key's profiles change them.
      const guard = ctx.guardrails.for({ scope: serverConfig(target.serverId)?.guardrails, profile: key.guardrails });
      const event: McpCallEvent = {
        type: 'mcp.call',
        requestId,
        keyId: key.id,
        session: session.id,
        server: target.serverId,
        tool: target.tool,
        name,
        arguments: { ...digest(args), ...(ctx.recordArguments() === 'masked' ? { masked: redactForRecord(args ?? {}, guard, 'tool.arguments') } : {}) },
        decision: 'deny',
        decidedBy: '',
        outcome: 'refused',
        costUsd: null,
        durationMs: 0,
        result: null,
      };
      // Progress sent before the result must reach the client before it: the result waits for them.
      const notified: Promise<void>[] = [];
      /** The price held on the budgets while a priced call runs. */
      let reservation: Reservation | undefined;
      const finish = async (result: CallToolResult): Promise<CallToolResult> => {
        await Promise.all(notified);
        event.durationMs = Math.round((performance.now() - started) * 1000) / 1000;
        // The record is committed before the client sees the result, the reservation's note removed in its transaction.
        const held = reservation;
        await ctx.ledger.append({ ...event }, held ? { with: () => held.recorded() } : undefined);
        return result;
      };

      const missing = missingToolGrant(key, ctx.owners(key), target.serverId, target.tool);
      if (missing) {
        event.decidedBy = 'grant';
        return finish(toolError(`Gatehouse refused the call: ${missing}.`));
      }
      if (!inToolset(session.toolset, target.serverId, target.tool)) {
        event.decidedBy = 'toolset';
        return finish(toolError(`Gatehouse refused the call: ${name} is not in this session's toolset "${session.toolset}".`));
      }
      const config = serverConfig(target.serverId);
      const byTool = toolVerdict(config?.tools ?? {}, target.tool);
      // An argument rule (a path outside the allowed directories) can only make the decision stricter.
      const byArgs = argumentVerdict(config?.rules ?? [], target.tool, args);
      let verdict = byArgs && RANK[byArgs.decision] > RANK[byTool.decision] ? byArgs : byTool;
      // The guardrails on the arguments: a block refuses, an ask makes the call an approval; masking
      // is not done here (the tool needs the real value), only recorded.
      const argFindings = scanValue(args ?? {}, guard, 'tool.arguments');
      const short = (f: { type: string; rule: string; action: string; location: string; path: string }) => ({ type: f.type, rule: f.rule, action: f.action, location: f.location, path: f.path });
      if (argFindings.length) event.findings = argFindings.map(short);
      const strictest = argFindings.find((f) => f.action === 'block') ?? argFindings.find((f) => f.action === 'ask');
      if (strictest) {
        const decision = strictest.action === 'block' ? 'deny' : 'ask';
        if (RANK[decision] > RANK[verdict.decision]) verdict = { decision, rule: `guardrails: ${strictest.type} ${strictest.rule} in arguments.${strictest.path}` };
      }
      event.decision = verdict.decision;
      event.decidedBy = `policy: ${verdict.rule}`;
      if (verdict.decision === 'deny') return finish(toolError(`Gatehouse refused the call: the tool ${name} is denied by the policy of MCP server "${target.serverId}" (${verdict.rule}).`));
      const progressToken = request.params._meta?.progressToken;
      const progress = (p: { progress: number; total?: number; message?: string }): void => {
        if (progressToken !== undefined) notified.push(extra.sendNotification({ method: 'notifications/progress', params: { ...p, progressToken } }).catch(() => undefined));
      };
      if (verdict.decision === 'ask') {
        const remembered = ctx.approvals.remembered(target.serverId, target.tool, key.id, session.id, args);
        if (remembered) event.decidedBy = `person: ${remembered}`;
        else {
          const owners = ctx.owners(key);
          const answer = await ctx.approvals.request(
            {
              server: target.serverId,
              tool: target.tool,
              name,
              arguments: args ?? {},
              reason: verdict.rule,
              keyId: key.id,
              keyName: key.name,
              findings: argFindings.map((f) => ({ type: f.type, rule: f.rule, action: f.action })),
              user: owners.user?.name ?? null,
              team: owners.team?.name ?? null,
              session: session.id,
            },
            {
              signal: extra.signal,
              timeoutMs: ctx.approvalTimeoutMs(),
              // Progress while a person decides keeps the client's request timeout from running out.
              onWaiting: (waited, total) => progress({ progress: waited, total, message: 'waiting for approval in Gatehouse' }),
            },
          );
          if (answer.outcome === 'withdrawn') {
            event.decidedBy = 'withdrawn: the client cancelled the call';
            event.outcome = 'cancelled';
            return finish(toolError('cancelled'));
          }
          if (!answer.approved) {
            event.decidedBy = answer.outcome === 'timeout' ? 'no answer in time' : `person: ${answer.by} (deny)`;
            return finish(
              toolError(
                answer.outcome === 'timeout'
                  ? `Gatehouse refused the call: no one approved ${name} in time, so it was denied. Approve it in the Gatehouse window or with: gatehouse approvals list`
                  : `Gatehouse refused the call: a person denied ${name} (${answer.by}).`,
              ),
            );
          }
          event.decidedBy = `person: ${answer.by} (${answer.decision})`;
        }
      }

      // A priced call takes its price from the budgets before it goes out; it is charged once the server was called.
      const price = toolPrice(serverConfig(target.serverId)?.prices ?? {}, target.tool);
      if (price !== undefined) {
        const r = ctx.reserveToolCall(key, requestId, price);
        if (r && 'refused' in r) {
          event.decidedBy = 'budget';
          event.decision = 'deny';
          return finish(toolError(`Gatehouse refused the call: ${r.refused}`));
        }
        reservation = r;
        // Its note is committed before the server is called; a note that cannot be written refuses the call.
        if (r) await r.held;
      }
      const charge = (reached: boolean): void => {
        if (price === undefined) return;
        event.costUsd = reached ? price : null;
        if (reached) reservation?.settle(price);
        else reservation?.release();
      };
      try {
        try {
          const result = await (await viewOf(session, target.serverId)).call(target.tool, args, {
            signal: extra.signal,
            onprogress: progressToken === undefined ? undefined : progress,
          });
          event.outcome = result.isError ? 'tool_error' : 'ok';
          event.result = digest(result);
          charge(true);
          // What a tool brings back is where injected instructions come from: scanned, recorded, withheld on a block.
          const resultFindings = scanValue({ content: result.content, structuredContent: result.structuredContent }, guard, 'tool.result');
          if (!resultFindings.some((f) => f.action === 'block') && guard.settings.injection !== 'off') {
            const modelFinding = await classifyResult(key, result, guard.settings.injection, event, extra.signal);
            if (modelFinding) resultFindings.push(modelFinding);
          }
          if (resultFindings.length) event.findings = [...(event.findings ?? []), ...resultFindings.map(short)];
          const blocked = resultFindings.find((f) => f.action === 'block');
          if (blocked) {
            event.outcome = 'refused';
            event.decidedBy = `guardrails: ${blocked.type} ${blocked.rule} in the result`;
            return await finish(toolError(`Gatehouse withheld the result of ${name}: the guardrail rule "${blocked.rule}" (${blocked.type}) matched it.`));
          }
          return await finish(result);
        } catch (err) {
          // A server that could not be reached did no work; one that failed mid-call may have.
          charge(!(err instanceof GatewayError && err.code === 'MCP_UPSTREAM'));
          if (extra.signal.aborted) {
            event.outcome = 'cancelled';
            await finish(toolError('cancelled')).catch(() => undefined);
            throw err;
          }
          event.outcome = 'upstream_error';
          event.error = (err as Error).message.slice(0, 500);
          // A JSON-RPC error from the server (invalid params, unknown tool there) goes back as it came.
          if (err instanceof McpError && err.code !== ErrorCode.RequestTimeout && err.code !== ErrorCode.ConnectionClosed) {
            await finish(toolError(err.message));
            throw err;
          }
          return await finish(toolError(`MCP server "${target.serverId}" failed: ${event.error}`));
        }
      } finally {
        // Settled above, or released here; a record that could not be written leaves the note for the next start.
        reservation?.release();
      }
    });
    return session;
  }

  /**
   * Asks the classifier route about a result the heuristics let through. Fails open: a route that
   * is down or slow leaves the call as the heuristics decided, with the reason in its record.
   */
  async function classifyResult(key: KeyRow, result: CallToolResult, action: GuardAction, event: McpCallEvent, signal: AbortSignal): Promise<ScannedFinding | undefined> {
    const text = resultText(result);
    if (!text.trim()) return undefined;
    const pending = ctx.classify?.(key, text, signal);
    if (!pending) return undefined;
    const verdict = await pending;
    if (!verdict.ok) {
      event.classifier = { error: verdict.error };
      return undefined;
    }
    event.classifier = { injection: verdict.injection, score: verdict.score, cached: verdict.cached };
    if (!verdict.injection) return undefined;
    return { type: 'injection', rule: 'injection.model', score: verdict.score, action, location: 'tool.result', path: 'content' };
  }

  function jsonRpcError(res: ServerResponse, status: number, code: number, message: string): void {
    const text = JSON.stringify({ jsonrpc: '2.0', error: { code, message }, id: null });
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) }).end(text);
  }

  return {
    async handle(req, res, url, key, requestId, body) {
      const rest = url.pathname === '/mcp' ? '' : url.pathname.slice('/mcp/'.length);
      let scope: string | undefined;
      if (rest !== '') {
        if (!serverConfig(rest) || !ctx.upstreams.has(rest)) throw new GatewayError('NOT_FOUND', `no MCP server "${rest}" is configured; the servers are: ${ctx.upstreams.ids().join(', ') || '(none)'}`);
        scope = rest;
      }
      const sid = req.headers['mcp-session-id'];
      if (typeof sid === 'string') {
        const session = sessions.get(sid);
        // Another key's session, or another endpoint's, is as unknown as a made-up one.
        if (!session || session.keyId !== key.id || session.scope !== scope) return jsonRpcError(res, 404, -32001, 'Session not found: start a new session (initialize)');
        session.lastSeen = Date.now();
        await session.transport.handleRequest(req, res, body);
        return;
      }
      if (req.method !== 'POST') return jsonRpcError(res, 400, ErrorCode.InvalidRequest, 'Bad Request: no mcp-session-id header; a session starts with a POST of initialize');
      if (sessions.size >= MAX_SESSIONS) {
        // The least recently used session makes room.
        const oldest = [...sessions.values()].sort((a, b) => a.lastSeen - b.lastSeen)[0];
        await oldest?.transport.close();
      }
      // The toolset: asked for in the URL, else the key's own; one the config does not name is refused.
      const toolset = url.searchParams.get('toolset') ?? key.mcpToolset ?? undefined;
      if (toolset !== undefined && !Object.hasOwn(ctx.toolsets(), toolset)) {
        throw new GatewayError('NOT_FOUND', `no MCP toolset "${toolset}" in the config; its toolsets are: ${Object.keys(ctx.toolsets()).join(', ') || '(none)'}`);
      }
      const session = newSession(key, scope, toolset);
      ctx.log().debug({ requestId, keyId: key.id, scope }, 'MCP session starting');
      await session.server.connect(session.transport);
      await session.transport.handleRequest(req, res, body);
      // Anything but a successful initialize leaves no session behind.
      if (!session.id) await session.transport.close();
    },
    toolsChanged(serverId) {
      for (const s of sessions.values()) {
        if (s.scope === undefined || s.scope === serverId) void s.server.sendToolListChanged().catch(() => undefined);
      }
    },
    notification(serverId, n) {
      // From a shared connection: to every session showing the server through it.
      for (const s of sessions.values()) {
        if (s.scope !== undefined && s.scope !== serverId) continue;
        if (serverConfig(serverId)?.sessions === 'per-session') continue;
        deliver(s, serverId, n);
      }
    },
    sessionCount: () => sessions.size,
    async close() {
      clearInterval(sweep);
      const all = [...sessions.values()];
      sessions.clear();
      await Promise.all(all.map((s) => s.transport.close().catch(() => undefined)));
    },
  };
}
