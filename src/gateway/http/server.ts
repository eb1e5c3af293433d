// The one HTTP server: every request passes the Host/Origin guard, then authentication, then its route.
import { randomUUID, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { ControlService } from '../control/service.js';
import { asGatewayError, GatewayError, isRecorded, plainError, wireInput } from '../errors.js';
import type { Logger } from '../log.js';
import type { AuthThrottle } from '../policy/auth-throttle.js';
import { presentedKey, type KeyIndex, type PresentedKey } from '../policy/keys.js';
import type { KeyRow } from '../store/keys.js';
import type { Ledger } from '../store/ledger.js';
import { handleAdmin, handleConsole, type AdminAuth } from './admin.js';
import { anthropicMessagesApi, dialectForPath, geminiGenerateApi, openaiChatApi, openaiCompletionsApi, openaiEmbeddingsApi, openaiResponsesApi } from './apis.js';
import { generate, type CallContext, type LlmContext } from './llm.js';
import { checkOwners } from '../policy/owners.js';
import { MAX_MCP_MESSAGE_BYTES, type McpEndpoint } from '../mcp/downstream.js';
import type { MetricsEndpoint } from '../observability/observe.js';
import { countGeminiTokens, countTokens, listGeminiModels, listModels } from './models.js';
import { readJson, sendJson } from './io.js';
import { httpReply } from './reply.js';
import { createResponsesSocket, type ResponsesSocket } from './responses-ws.js';

export interface ServerContext {
  /** The current guard; replaced when the config's allowed hosts or origins change. */
  guard: () => (host: string | undefined, origin: string | undefined) => void;
  keys: KeyIndex;
  /** Failed virtual-key authentications, per client address. */
  keyThrottle: AuthThrottle;
  /** Failed admin authentications, per client address (stricter). */
  adminThrottle: AuthThrottle;
  adminAuth: AdminAuth;
  control: ControlService;
  llm: LlmContext;
  /**
   * The gateway's own calls on a key's behalf (an MCP server's sampling request): a token that never
   * leaves the process, sent with the key id over loopback.
   */
  internalToken: string;
  /** The MCP endpoint (`/mcp`, `/mcp/{serverId}`). */
  mcp: McpEndpoint;
  ledger: Ledger;
  log: Logger;
  now: () => Date;
  version: string;
  consoleDir: string | undefined;
  /** `GET /metrics` (Prometheus text); absent: the route is not served. */
  metrics?: MetricsEndpoint;
}

type LlmRoute = (ctx: LlmContext, call: CallContext) => Promise<void>;

const LLM_ROUTES: Record<string, { method: string; handler: LlmRoute }> = {
  '/v1/chat/completions': { method: 'POST', handler: (ctx, call) => generate(ctx, call, openaiChatApi) },
  '/v1/messages': { method: 'POST', handler: (ctx, call) => generate(ctx, call, anthropicMessagesApi) },
  '/v1/responses': { method: 'POST', handler: (ctx, call) => generate(ctx, call, openaiResponsesApi) },
  '/v1/embeddings': { method: 'POST', handler: (ctx, call) => generate(ctx, call, openaiEmbeddingsApi) },
  '/v1/completions': { method: 'POST', handler: (ctx, call) => generate(ctx, call, openaiCompletionsApi) },
  '/v1/messages/count_tokens': { method: 'POST', handler: countTokens },
  '/v1/models': { method: 'GET', handler: listModels },
};

/**
 * The Gemini API's paths carry the model: `/v1beta/models/{model}:{method}`. A route or
 * `provider/model` name may contain "/", so everything up to the last ":" is the model.
 */
function geminiRoute(path: string, url: URL): { method: string; handler: LlmRoute } | undefined {
  if (path === '/v1beta/models') return { method: 'GET', handler: (ctx, call) => listGeminiModels(ctx, call) };
  const m = /^\/v1beta\/models\/(.+?)(?::(generateContent|streamGenerateContent|countTokens))?$/.exec(path);
  if (!m) return undefined;
  let model: string;
  try {
    model = decodeURIComponent(m[1]!);
  } catch {
    throw new GatewayError('BAD_REQUEST', 'the model name in the path is not valid percent-encoding', { param: 'model' });
  }
  switch (m[2]) {
    case undefined:
      return { method: 'GET', handler: (ctx, call) => listGeminiModels(ctx, call, model) };
    case 'generateContent':
      return { method: 'POST', handler: (ctx, call) => generate(ctx, call, geminiGenerateApi(model, false)) };
    case 'streamGenerateContent':
      if (url.searchParams.get('alt') !== 'sse') {
        throw new GatewayError('BAD_REQUEST', 'streamGenerateContent is served as server-sent events only: add ?alt=sse (the Google SDKs and Gemini CLI do)', { param: 'alt' });
      }
      return { method: 'POST', handler: (ctx, call) => generate(ctx, call, geminiGenerateApi(model, true)) };
    default:
      return { method: 'POST', handler: (ctx, call) => countGeminiTokens(ctx, call, model) };
  }
}

/** Errors in the shape the path's clients expect: their API family's, or plain for the rest. */
function respondError(req: IncomingMessage, res: ServerResponse, err: GatewayError, path: string, requestId: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const headers: Record<string, string> = { 'x-request-id': requestId };
  if (err.retryAfterSeconds !== undefined) headers['retry-after'] = String(err.retryAfterSeconds);
  // The OpenAI and Anthropic SDKs honour this: a spent budget is not retried.
  if (err.code === 'BUDGET_EXCEEDED') headers['x-should-retry'] = 'false';
  // A body left unread (too large) is not drained: the connection ends with the reply.
  if (!req.complete) headers.connection = 'close';
  const dialect = dialectForPath(path, req);
  sendJson(res, err.status, dialect ? dialect.errorBody(wireInput(err)) : plainError(err), headers);
}

/** The key a request authenticated with, so an error after authentication is attributed to it. */
const authenticated = new WeakMap<IncomingMessage, string>();

function clientAddress(req: IncomingMessage): string {
  // A request whose body was cut off has lost its socket by the time its refusal is recorded.
  return req.socket?.remoteAddress ?? 'unknown';
}

/**
 * Every request that ends in an error is an event: `http.refused` for the caller's mistakes and
 * policy (4xx), `http.failed` for ours or the upstream's (5xx). Not awaited: nothing was acknowledged.
 */
function recordRefusal(ctx: ServerContext, req: IncomingMessage, url: URL, err: GatewayError, requestId: string, extra: Record<string, unknown> = {}): void {
  ctx.ledger
    .append({
      type: err.status >= 500 ? 'http.failed' : 'http.refused',
      requestId,
      code: err.code,
      status: err.status,
      method: req.method ?? '',
      path: url.pathname,
      host: req.headers.host ?? null,
      origin: req.headers.origin ?? null,
      remote: clientAddress(req),
      keyId: authenticated.get(req) ?? null,
      ...extra,
    })
    .catch((e: Error) => ctx.log.error({ err: e.message }, 'could not record a refusal'));
}

const INTERNAL = 'x-gatehouse-internal';

/** A call the gateway makes to itself on a key's behalf: its token, from loopback, naming an active key. */
function internalCaller(ctx: ServerContext, req: IncomingMessage): { key: KeyRow; presented: PresentedKey } | undefined {
  const token = req.headers[INTERNAL];
  if (typeof token !== 'string') return undefined;
  const a = Buffer.from(token);
  const b = Buffer.from(ctx.internalToken);
  const loopback = ['127.0.0.1', '::1', '::ffff:127.0.0.1'].includes(clientAddress(req));
  if (!loopback || a.length !== b.length || !timingSafeEqual(a, b)) throw new GatewayError('AUTH_INVALID', 'the internal credential is not valid');
  const id = req.headers['x-gatehouse-internal-key'];
  const result = ctx.keys.onBehalfOf(typeof id === 'string' ? id : '', ctx.now());
  if (!result.ok) throw new GatewayError('AUTH_INVALID', `the key the call is made for is ${result.reason === 'unknown' ? 'unknown' : result.reason}`);
  authenticated.set(req, result.key.id);
  return { key: result.key, presented: { secret: '', source: 'x-gatehouse-key', callerCredentialsPassThrough: false } };
}

function authenticateKey(ctx: ServerContext, req: IncomingMessage, url: URL): { key: KeyRow; presented: PresentedKey } {
  const internal = internalCaller(ctx, req);
  if (internal) return internal;
  const address = clientAddress(req);
  const wait = ctx.keyThrottle.retryAfter(address);
  if (wait > 0) {
    throw new GatewayError('AUTH_THROTTLED', `too many failed authentications from ${address}; try again in ${wait} s`, { retryAfterSeconds: wait });
  }
  const presented = presentedKey(req.headers, url);
  if (!presented) {
    throw new GatewayError(
      'AUTH_MISSING',
      'no Gatehouse key in the request: send it as "Authorization: Bearer gh_..." (or x-api-key, or x-gatehouse-key). Create one with: gatehouse keys create --name NAME',
    );
  }
  const result = ctx.keys.authenticate(presented.secret, ctx.now());
  if (!result.ok) {
    ctx.keyThrottle.fail(address);
    const which = result.prefix ? `the key ${result.prefix}…` : 'the key in the request';
    const why =
      result.reason === 'revoked' ? `${which} has been revoked` : result.reason === 'expired' ? `${which} has expired` : `${which} is not a valid Gatehouse key`;
    throw new GatewayError('AUTH_INVALID', `${why} (sent in ${presented.source}). Check the key, or create one with: gatehouse keys create --name NAME`);
  }
  authenticated.set(req, result.key.id);
  return { key: result.key, presented };
}

/**
 * `GET /metrics`: the admin token or the metrics token (`observability.metrics.token`), as a Bearer;
 * never a virtual key or a console session. Failures count against the admin throttle: the admin
 * token is accepted here too, so it must not be guessable here either.
 */
async function serveMetrics(ctx: ServerContext, metrics: MetricsEndpoint, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const address = clientAddress(req);
  const wait = ctx.adminThrottle.retryAfter(address);
  if (wait > 0) throw new GatewayError('AUTH_THROTTLED', `too many failed admin authentications; try again in ${wait} s`, { retryAfterSeconds: wait });
  const bearer = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
  if (!bearer || !(ctx.adminAuth.check(req) === 'token' || metrics.acceptsToken(bearer))) {
    if (bearer) ctx.adminThrottle.fail(address);
    throw new GatewayError('ADMIN_AUTH_REQUIRED', '/metrics needs the admin token or the metrics token (observability.metrics.token) as "Authorization: Bearer ..."; a virtual key is not accepted');
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') throw new GatewayError('METHOD_NOT_ALLOWED', 'use GET for /metrics');
  const { contentType, body } = await metrics.scrape();
  res.writeHead(200, { 'content-type': contentType, 'cache-control': 'no-store' });
  res.end(req.method === 'HEAD' ? undefined : body);
}

async function route(ctx: ServerContext, req: IncomingMessage, res: ServerResponse, url: URL, requestId: string, startedAt: number): Promise<void> {
  const path = url.pathname;
  if (path === '/healthz') {
    sendJson(res, 200, { ok: true, version: ctx.version });
    return;
  }
  if (path.startsWith('/admin/api/') || path === '/admin/api') {
    const address = clientAddress(req);
    const wait = ctx.adminThrottle.retryAfter(address);
    if (wait > 0) throw new GatewayError('AUTH_THROTTLED', `too many failed admin authentications; try again in ${wait} s`, { retryAfterSeconds: wait });
    const via = ctx.adminAuth.check(req);
    if (!via) {
      ctx.adminThrottle.fail(address);
      throw new GatewayError('ADMIN_AUTH_REQUIRED', 'the admin API needs the admin token (Authorization: Bearer ...) or a console session');
    }
    await handleAdmin(req, res, url, ctx.control, via, ctx.log);
    return;
  }
  const llm = LLM_ROUTES[path] ?? geminiRoute(path, url);
  if (llm) {
    if (req.method !== llm.method) throw new GatewayError('METHOD_NOT_ALLOWED', `use ${llm.method} for ${path}`);
    const { key, presented } = authenticateKey(ctx, req, url);
    await llm.handler(ctx.llm, { req, reply: httpReply(res), key, presented, requestId, startedAt });
    return;
  }
  if (path === '/mcp' || path.startsWith('/mcp/')) {
    const { key } = authenticateKey(ctx, req, url);
    checkOwners(key, ctx.llm.owners(key));
    let body: unknown;
    if (req.method === 'POST') {
      try {
        body = (await readJson(req, MAX_MCP_MESSAGE_BYTES)).json;
      } catch (err) {
        if (!(err instanceof GatewayError && err.code === 'BAD_REQUEST')) throw err;
        sendJson(res, 400, { jsonrpc: '2.0', error: { code: -32700, message: `Parse error: ${err.message}` }, id: null });
        return;
      }
    }
    await ctx.mcp.handle(req, res, url, key, requestId, body);
    return;
  }
  if (path === '/metrics' && ctx.metrics?.enabled()) {
    await serveMetrics(ctx, ctx.metrics, req, res);
    return;
  }
  if (path.startsWith('/v1/') || path.startsWith('/v1beta/') || path === '/metrics') {
    authenticateKey(ctx, req, url);
    throw new GatewayError('NOT_FOUND', `${req.method} ${path} is not served by this version of Gatehouse`);
  }
  handleConsole(req, res, url, ctx.adminAuth, ctx.consoleDir);
}

const upgraded = new WeakMap<Server, ResponsesSocket>();

/** Closes the WebSocket connections a server upgraded (server.close() does not end them). */
export function closeUpgraded(server: Server): void {
  upgraded.get(server)?.closeAll();
}

export function createHttpServer(ctx: ServerContext): Server {
  const server = createServer({ keepAliveTimeout: 65_000, requestTimeout: 0 }, (req, res) => {
    const startedAt = performance.now();
    const requestId = `req_${randomUUID().replace(/-/g, '')}`;
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://gateway.invalid');
    } catch {
      res.writeHead(400).end();
      return;
    }
    const fail = (e: unknown): void => {
      const err = asGatewayError(e);
      if (err.code === 'INTERNAL') ctx.log.error({ err: e, requestId, path: url.pathname }, 'request failed');
      else ctx.log.debug({ code: err.code, requestId, path: url.pathname }, err.message);
      if (!isRecorded(err)) recordRefusal(ctx, req, url, err, requestId);
      respondError(req, res, err, url.pathname, requestId);
    };
    try {
      ctx.guard()(req.headers.host, req.headers.origin);
    } catch (e) {
      fail(e);
      return;
    }
    route(ctx, req, res, url, requestId, startedAt).catch(fail);
  });

  // Upgrades pass the same Host/Origin guard as every request (so a foreign page learns nothing),
  // then the key check; only the Responses API takes a WebSocket.
  const responsesSocket = createResponsesSocket({
    llm: ctx.llm,
    log: ctx.log,
    authenticate: (req, url) => authenticateKey(ctx, req, url),
    stillValid: (presented) => {
      const result = ctx.keys.authenticate(presented.secret, ctx.now());
      return result.ok ? undefined : new GatewayError('AUTH_INVALID', `the key ${result.prefix ?? ''}… is no longer valid (${result.reason}); the connection is closed`);
    },
    refused: (req, url, err, requestId) => recordRefusal(ctx, req, url, err, requestId, { upgrade: true }),
  });
  upgraded.set(server, responsesSocket);
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const requestId = `req_${randomUUID().replace(/-/g, '')}`;
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://gateway.invalid');
    } catch {
      socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
      return;
    }
    try {
      ctx.guard()(req.headers.host, req.headers.origin);
    } catch (e) {
      const err = asGatewayError(e);
      recordRefusal(ctx, req, url, err, requestId, { upgrade: true });
      socket.end(`HTTP/1.1 ${err.status} Forbidden\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`);
      return;
    }
    if (url.pathname === '/v1/responses') {
      responsesSocket.upgrade(req, socket, head, url);
      return;
    }
    socket.end('HTTP/1.1 404 Not Found\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
  });

  server.on('clientError', (_err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
  });
  return server;
}
