// Fuzzing the MCP endpoint (/mcp, /mcp/{server}) of a real gateway with a real MCP server behind it
// (@modelcontextprotocol/server-everything over stdio): random JSON-RPC messages and batches, wrong versions, odd and
// huge ids, missing, made-up and other keys' session ids, broken bytes, other HTTP methods. Every answer is JSON-RPC
// (a result or an error) or an HTTP 4xx, never a 5xx or a hang, and the gateway and its MCP server keep working.
// A bug it found (fixed) has its own property at the end.
//
// Default: a few hundred exchanges, sized to keep `npx vitest run test/fuzz` under a minute on a 2-core machine.
// Long run: FUZZ_RUNS=100000 npx vitest run test/fuzz (runs per property; no time limit). Replay: FUZZ_SEED=<seed>.
import { createRequire } from 'node:module';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMockOpenAI, type MockOpenAI } from '../fixtures/mock-openai.js';
import { configFor, startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { sseEventsOf } from '../helpers/sse.js';
import { anyValue, byteDamage, damage, jsonText, mutate, mutation, oddScalar, RawJson } from './json-arbitraries.js';
import { fuzzParams, fuzzTimeout } from './runs.js';

const everything = createRequire(import.meta.url).resolve('@modelcontextprotocol/server-everything/dist/index.js');
/** An exchange that takes longer than this hangs, as far as the property is concerned. */
const REQUEST_BOUND_MS = 15_000;
const PROTOCOL = '2025-11-25';

let oai: MockOpenAI;
let gw: TestGateway;
let key: string;
/** Another key: its requests must not reach the first key's sessions. */
let otherKey: string;
/** Sessions the fuzzing sends into (one per endpoint), opened again when a case ends one. */
const sessions = new Map<string, string>();

beforeAll(async () => {
  oai = await startMockOpenAI();
  gw = await startTestGateway(
    configFor(
      oai.url,
      // Tools that wait on the client (sampling, elicitation, roots), run long, or fetch URLs are denied: a denied
      // call is still a call the gateway answers, so the fuzzing still reaches them.
      `mcpServers:
  - id: every
    command: ${process.execPath}
    args: [${JSON.stringify(everything)}, stdio]
    tools: { "*": allow, "trigger-*": deny, "gzip-*": deny, "simulate-*": deny, "toggle-*": deny, "get-roots-list": deny }
approvals: { timeoutSeconds: 1 }
guardrails: { secrets: warn, pii: warn, injection: warn }
`,
    ),
  );
  key = (await gw.newKey({ name: 'mcp-fuzz' })).secret;
  otherKey = (await gw.newKey({ name: 'mcp-fuzz-other' })).secret;
  for (const path of ENDPOINTS) sessions.set(path, await openSession(path, key));
}, 60_000);

afterAll(async () => {
  await gw?.stop();
  await oai?.close();
});

const ENDPOINTS = ['/mcp', '/mcp/every'] as const;

// ---- exchanges -------------------------------------------------------------------------------------

interface Reply {
  status: number;
  contentType: string;
  text: string;
  sessionId: string | null;
}

/**
 * One bounded exchange. A GET with a session opens the server's standing event stream, which is meant to stay
 * open: for it only the status and headers are read.
 */
async function exchange(method: string, path: string, headers: Record<string, string>, body?: Buffer): Promise<Reply> {
  const signal = AbortSignal.timeout(REQUEST_BOUND_MS);
  try {
    const res = await fetch(`${gw.url}${path}`, { method, headers, ...(body !== undefined && method !== 'GET' && method !== 'HEAD' ? { body } : {}), signal });
    const contentType = res.headers.get('content-type') ?? '';
    const standing = method === 'GET' && res.status === 200 && contentType.includes('text/event-stream');
    if (standing) await res.body?.cancel();
    return { status: res.status, contentType, text: standing ? '' : await res.text(), sessionId: res.headers.get('mcp-session-id') };
  } catch (err) {
    if (signal.aborted) throw new Error(`no complete answer within ${REQUEST_BOUND_MS} ms to ${method} ${path}`, { cause: err });
    throw err;
  }
}

const baseHeaders = (secret: string): Record<string, string> => ({
  authorization: `Bearer ${secret}`,
  'content-type': 'application/json',
  accept: 'application/json, text/event-stream',
  'mcp-protocol-version': PROTOCOL,
});

async function openSession(path: string, secret: string): Promise<string> {
  const init = { jsonrpc: '2.0', id: 0, method: 'initialize', params: { protocolVersion: PROTOCOL, capabilities: {}, clientInfo: { name: 'fuzz', version: '1.0.0' } } };
  const r = await exchange('POST', path, baseHeaders(secret), Buffer.from(JSON.stringify(init)));
  expect(r.status, r.text).toBe(200);
  expect(r.sessionId).toBeTruthy();
  const done = await exchange('POST', path, { ...baseHeaders(secret), 'mcp-session-id': r.sessionId! }, Buffer.from(JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' })));
  expect(done.status).toBe(202);
  return r.sessionId!;
}

/** The session of an endpoint, opened again if a case closed it (DELETE, a sweep of the oldest...). */
async function liveSession(path: string): Promise<string> {
  const id = sessions.get(path)!;
  const ping = await exchange('POST', path, { ...baseHeaders(key), 'mcp-session-id': id }, Buffer.from('{"jsonrpc":"2.0","id":"alive","method":"ping"}'));
  if (ping.status === 200) return id;
  expect(ping.status, `a ping on ${path} answered ${ping.status}: ${ping.text}`).toBe(404);
  const fresh = await openSession(path, key);
  sessions.set(path, fresh);
  return fresh;
}

// ---- judging -----------------------------------------------------------------------------------------

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function parsed(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * The MCP SDK (1.32) answers params that fail its schema with -32603 "Internal error" and the zod issues as the
 * message (JSON-RPC's code for that is -32602): that is the SDK's doing, and the message says what was wrong.
 */
function isSdkValidation(message: string): boolean {
  const issues = parsed(message);
  return Array.isArray(issues) && issues.length > 0 && issues.every((i) => isObject(i) && typeof i.code === 'string' && Array.isArray(i.path));
}

/**
 * A JSON-RPC 2.0 message: a response (a result, or a well-formed error that is not an internal failure of the
 * gateway) or a request/notification from the server.
 */
function isJsonRpc(m: unknown): boolean {
  if (!isObject(m) || m.jsonrpc !== '2.0') return false;
  if ('error' in m) {
    if (!isObject(m.error) || !Number.isInteger(m.error.code) || typeof m.error.message !== 'string') return false;
    const message = m.error.message;
    // "MCP error -32603: ..." is the upstream server's own error, relayed as it came (an McpError's message).
    return m.error.code !== -32603 || message.startsWith('MCP error ') || isSdkValidation(message);
  }
  return 'result' in m || typeof m.method === 'string';
}

function judge(reply: Reply, what: string): void {
  const seen = `${what} -> ${reply.status} ${reply.contentType} ${reply.text.slice(0, 500)}`;
  expect(reply.status < 500, `a 5xx: ${seen}`).toBe(true);
  expect(reply.status >= 200, seen).toBe(true);
  if (reply.text === '') return;
  if (reply.contentType.includes('text/event-stream')) {
    for (const ev of sseEventsOf(reply.text)) {
      if (ev.data === '') continue;
      const m = parsed(ev.data);
      expect(Array.isArray(m) ? m.every(isJsonRpc) : isJsonRpc(m), `an event that is not JSON-RPC: ${seen}`).toBe(true);
    }
    return;
  }
  const body = parsed(reply.text);
  if (reply.contentType.includes('application/json')) {
    expect(Array.isArray(body) ? body.every(isJsonRpc) : isJsonRpc(body) || (reply.status >= 400 && isObject(body) && isObject(body.error)), `a JSON answer that is not JSON-RPC: ${seen}`).toBe(true);
  } else {
    expect(reply.status >= 400, `a 2xx body that is neither JSON nor SSE: ${seen}`).toBe(true);
  }
}

async function expectAlive(): Promise<void> {
  const res = await fetch(`${gw.url}/healthz`, { signal: AbortSignal.timeout(REQUEST_BOUND_MS) });
  expect(res.status).toBe(200);
}

// ---- the generated messages ----------------------------------------------------------------------------

const TOOLS = ['every__echo', 'every__get-sum', 'every__get-structured-content', 'every__get-annotated-message', 'every__get-tiny-image', 'every__get-resource-links', 'every__trigger-long-running-operation', 'echo', 'get-sum', 'nope__x', ''];
const METHODS = [
  'initialize',
  'ping',
  'tools/list',
  'tools/call',
  'resources/list',
  'resources/templates/list',
  'resources/read',
  'resources/subscribe',
  'resources/unsubscribe',
  'prompts/list',
  'prompts/get',
  'completion/complete',
  'logging/setLevel',
  'notifications/initialized',
  'notifications/cancelled',
  'notifications/progress',
  'notifications/roots/list_changed',
  'sampling/createMessage',
  'elicitation/create',
  'roots/list',
  'tasks/get',
];

const toolParams = fc.record(
  {
    name: fc.constantFrom(...TOOLS),
    arguments: fc.oneof(fc.constant({ message: 'hi' }), fc.constant({ a: 1, b: 2 }), fc.record({ message: oddScalar }), fc.record({ a: oddScalar, b: oddScalar }), fc.dictionary(fc.string({ maxLength: 8 }), anyValue, { maxKeys: 3 }), anyValue),
    _meta: fc.record({ progressToken: fc.oneof(fc.integer(), fc.string({ maxLength: 8 }), oddScalar) }),
  },
  { requiredKeys: ['name'] },
);
const uriParams = fc.record({ uri: fc.oneof(fc.constantFrom('demo://resource/static/document/architecture.md', 'demo://resource/dynamic/text/1', 'file:///etc/passwd', ''), fc.string({ unit: 'binary', maxLength: 30 }), oddScalar) });
const levelParams = fc.record({ level: fc.oneof(fc.constantFrom('debug', 'info', 'emergency', 'LOUD'), oddScalar) });
const completeParams = fc.record({ ref: fc.oneof(fc.constant({ type: 'ref/prompt', name: 'every__simple-prompt' }), fc.constant({ type: 'ref/resource', uri: 'demo://resource/dynamic/text/{id}' }), anyValue), argument: fc.oneof(fc.constant({ name: 'x', value: 'y' }), anyValue) });
const promptParams = fc.record({ name: fc.oneof(fc.constantFrom('every__simple-prompt', 'every__complex-prompt', 'every__args-prompt', 'nope'), oddScalar), arguments: fc.oneof(fc.constant({ city: 'Paris' }), fc.dictionary(fc.string({ maxLength: 6 }), oddScalar, { maxKeys: 3 })) }, { requiredKeys: ['name'] });
const cancelParams = fc.record({ requestId: oddScalar, reason: oddScalar });
const initParams = fc.record({ protocolVersion: fc.constantFrom(PROTOCOL, '2025-06-18', '2024-11-05', '1999-01-01', ''), capabilities: fc.oneof(fc.constant({}), fc.constant({ sampling: {}, roots: { listChanged: true }, elicitation: {} }), anyValue), clientInfo: fc.oneof(fc.constant({ name: 'f', version: '1' }), anyValue) });
const pageParams = fc.record({ _meta: fc.record({ progressToken: oddScalar }), cursor: oddScalar }, { requiredKeys: [] });

const params: fc.Arbitrary<unknown> = fc.oneof(toolParams, uriParams, levelParams, completeParams, promptParams, cancelParams, initParams, pageParams, anyValue);

/** Each method mostly with params of its own shape (so the handlers run), else any method with any params. */
const methodAndParams: fc.Arbitrary<{ method: unknown; params?: unknown }> = fc.oneof(
  { weight: 3, arbitrary: toolParams.map((params) => ({ method: 'tools/call', params })) },
  { weight: 2, arbitrary: fc.record({ method: fc.constantFrom('resources/read', 'resources/subscribe', 'resources/unsubscribe'), params: uriParams }) },
  { weight: 1, arbitrary: fc.record({ method: fc.constant('logging/setLevel'), params: levelParams }) },
  { weight: 1, arbitrary: fc.record({ method: fc.constant('completion/complete'), params: completeParams }) },
  { weight: 1, arbitrary: fc.record({ method: fc.constant('prompts/get'), params: promptParams }) },
  { weight: 1, arbitrary: fc.record({ method: fc.constantFrom('notifications/cancelled', 'notifications/progress'), params: cancelParams }) },
  { weight: 1, arbitrary: fc.record({ method: fc.constant('initialize'), params: initParams }) },
  { weight: 1, arbitrary: fc.record({ method: fc.constantFrom('tools/list', 'resources/list', 'resources/templates/list', 'prompts/list', 'ping'), params: pageParams }, { requiredKeys: ['method'] }) },
  {
    weight: 3,
    arbitrary: fc.record(
      { method: fc.oneof({ weight: 8, arbitrary: fc.constantFrom(...METHODS) }, { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 20 }) }, { weight: 1, arbitrary: oddScalar }), params },
      { requiredKeys: ['method'] },
    ),
  },
);

/** Ids JSON-RPC allows (strings, numbers) and ones it does not: null, objects, floats, 1e400, 2^64, 100k characters. */
const id = fc.oneof(
  { weight: 10, arbitrary: fc.oneof(fc.integer(), fc.string({ maxLength: 12 })) },
  { weight: 1, arbitrary: fc.constantFrom<unknown>(null, 0, -1, 1.5, true, [], {}, 'x'.repeat(100_000), new RawJson('1e400'), new RawJson('18446744073709551616'), new RawJson('-0')) },
  { weight: 1, arbitrary: oddScalar },
);

const jsonrpc = fc.oneof({ weight: 8, arbitrary: fc.constant<unknown>('2.0') }, { weight: 1, arbitrary: fc.constantFrom<unknown>('1.0', '2', 2, null, '2.0 ', '') });

/** Requests and notifications; now and then a response, or a message with parts broken. */
const message: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ jsonrpc, id, mp: methodAndParams }).map(({ mp, ...m }) => ({ ...m, ...mp })) },
  { weight: 2, arbitrary: fc.record({ jsonrpc, mp: methodAndParams }).map(({ mp, ...m }) => ({ ...m, ...mp })) },
  { weight: 1, arbitrary: fc.record({ jsonrpc, id, result: anyValue }) },
  { weight: 1, arbitrary: fc.record({ jsonrpc, id, error: fc.record({ code: oddScalar, message: oddScalar, data: anyValue }, { requiredKeys: ['code', 'message'] }) }) },
  {
    weight: 2,
    arbitrary: fc.record({ jsonrpc, id, mp: methodAndParams, mutations: fc.array(mutation, { minLength: 1, maxLength: 2 }) }).map(({ mp, mutations, ...m }) => mutate({ ...m, ...mp }, mutations)),
  },
);

type Payload = { kind: 'one'; message: unknown } | { kind: 'batch'; messages: unknown[] } | { kind: 'random'; value: unknown } | { kind: 'bytes'; message: unknown; damage: Parameters<typeof damage>[1][] } | { kind: 'empty' };
const payload: fc.Arbitrary<Payload> = fc.oneof(
  { weight: 6, arbitrary: message.map((m) => ({ kind: 'one' as const, message: m })) },
  { weight: 2, arbitrary: fc.array(message, { maxLength: 5 }).map((messages) => ({ kind: 'batch' as const, messages })) },
  { weight: 1, arbitrary: anyValue.map((value) => ({ kind: 'random' as const, value })) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('bytes' as const), message, damage: fc.array(byteDamage, { minLength: 1, maxLength: 2 }) }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'empty' as const }) },
);

function bytesOf(p: Payload): Buffer {
  switch (p.kind) {
    case 'one':
      return Buffer.from(jsonText(p.message));
    case 'batch':
      return Buffer.from(jsonText(p.messages));
    case 'random':
      return Buffer.from(jsonText(p.value));
    case 'bytes':
      return p.damage.reduce<Buffer>((bytes, d) => damage(bytes, d), Buffer.from(jsonText(p.message)));
    case 'empty':
      return Buffer.alloc(0);
  }
}

/** Whose session the request names: the live one of its endpoint, another endpoint's, a made-up one, none. */
const sessionChoice = fc.oneof(
  { weight: 2, arbitrary: fc.constant({ kind: 'none' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'other-endpoint' as const }) },
  { weight: 2, arbitrary: fc.oneof(fc.string({ maxLength: 40 }), fc.constantFrom('x'.repeat(8_000), ' ', 'A'.repeat(32))).map((value) => ({ kind: 'made-up' as const, value })) },
);

type SessionChoice = { kind: 'live' } | { kind: 'none' } | { kind: 'other-endpoint' } | { kind: 'made-up'; value: string };

interface Envelope {
  method: string;
  path: string;
  session: SessionChoice;
  /** Sent with another key than the session's. */
  otherKey: boolean;
  accept: string | undefined;
  contentType: string | undefined;
  protocol: string | undefined;
}

const WELL_FORMED: Envelope = { method: 'POST', path: '/mcp', session: { kind: 'live' }, otherKey: false, accept: 'application/json, text/event-stream', contentType: 'application/json', protocol: PROTOCOL };

/** How the message travels: mostly as a client would send it (so the message itself is what is fuzzed), else with one or more things wrong. */
const envelope: fc.Arbitrary<Envelope> = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...ENDPOINTS).map((path) => ({ ...WELL_FORMED, path })) },
  { weight: 1, arbitrary: fc.constantFrom(...ENDPOINTS).map((path) => ({ ...WELL_FORMED, path, session: { kind: 'none' as const } })) },
  {
    weight: 3,
    arbitrary: fc.record({
      method: fc.oneof({ weight: 4, arbitrary: fc.constant('POST') }, { weight: 1, arbitrary: fc.constantFrom('GET', 'DELETE', 'PUT', 'PATCH', 'OPTIONS') }),
      path: fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...ENDPOINTS) }, { weight: 1, arbitrary: fc.constantFrom('/mcp/nope', '/mcp/every/extra', '/mcp/', '/mcp/%ff', '/mcp?toolset=nope') }),
      session: fc.oneof({ weight: 2, arbitrary: fc.constant<SessionChoice>({ kind: 'live' }) }, { weight: 3, arbitrary: sessionChoice }),
      otherKey: fc.boolean(),
      accept: fc.constantFrom<string | undefined>('application/json, text/event-stream', 'application/json', 'text/event-stream', '*/*', undefined),
      contentType: fc.constantFrom<string | undefined>('application/json', 'text/plain', undefined),
      protocol: fc.constantFrom<string | undefined>(PROTOCOL, '2025-06-18', '2024-11-05', 'nonsense', undefined),
    }),
  },
);

const fuzzCase = fc.record({ envelope, payload });

type Case = typeof fuzzCase extends fc.Arbitrary<infer T> ? T : never;

async function run({ envelope: e, payload: p }: Case): Promise<void> {
  const scope = (ENDPOINTS as readonly string[]).includes(e.path) ? e.path : '/mcp';
  const headers: Record<string, string> = { authorization: `Bearer ${e.otherKey ? otherKey : key}` };
  if (e.accept !== undefined) headers.accept = e.accept;
  if (e.contentType !== undefined) headers['content-type'] = e.contentType;
  if (e.protocol !== undefined) headers['mcp-protocol-version'] = e.protocol;
  if (e.session.kind === 'live') headers['mcp-session-id'] = await liveSession(scope);
  else if (e.session.kind === 'other-endpoint') headers['mcp-session-id'] = await liveSession(scope === '/mcp' ? '/mcp/every' : '/mcp');
  else if (e.session.kind === 'made-up') headers['mcp-session-id'] = e.session.value;
  const reply = await exchange(e.method, e.path, headers, bytesOf(p));
  judge(reply, `${e.method} ${e.path}`);
  await expectAlive();
}

describe('fuzzing the MCP endpoint', () => {
  it('answers random JSON-RPC, batches, bad versions, odd ids and wrong sessions with JSON-RPC or a 4xx, never a 5xx or a hang', async () => {
    await fc.assert(fc.asyncProperty(fuzzCase, run), fuzzParams(300));
  }, fuzzTimeout(120_000));

  // A bug this found (fixed): a tool call whose arguments RFC 8785 cannot encode — a lone
  // surrogate ("\ud800", valid JSON) or a number beyond a double (1e400 parses to Infinity) — was answered with
  // JSON-RPC -32603 "Lone surrogate is not allowed" / "Infinity is not allowed": src/gateway/mcp/downstream.ts:318
  // digests the arguments with `canonicalize` (downstream.ts:98) while building the mcp.call record, before any
  // decision, so the call was neither made nor recorded and the client was told the gateway failed.
  // Minimal: {"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"every__echo","arguments":{"message":"\ud800"}}}
  // and {"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"every__echo","arguments":{"message":"hi","n":1e400}}}
  it('a tool call whose arguments canonical JSON cannot hold gets a result or a clean invalid-params error', async () => {
    const loneSurrogate = fc.tuple(fc.string({ maxLength: 8 }), fc.integer({ min: 0xd800, max: 0xdfff }), fc.string({ maxLength: 8 })).map(([a, c, b]) => `${a}${String.fromCharCode(c)}${b}`);
    const args = fc.oneof(
      loneSurrogate.map((message) => jsonText({ message })),
      fc.constantFrom('1e400', '-1e400', `1${'0'.repeat(400)}`).map((n) => `{"message":"hi","n":${n}}`),
    );
    await fc.assert(
      fc.asyncProperty(args, async (argsText) => {
        const call = `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"every__echo","arguments":${argsText}}}`;
        const reply = await exchange('POST', '/mcp', { ...baseHeaders(key), 'mcp-session-id': await liveSession('/mcp') }, Buffer.from(call));
        const [answer] = sseEventsOf(reply.text).map((ev) => parsed(ev.data));
        expect(isObject(answer) && isObject(answer.error) ? answer.error.code : 'result').not.toBe(-32603);
      }),
      { ...fuzzParams(10), endOnFailure: true },
    );
  }, fuzzTimeout(30_000));

  it('still serves a well-behaved client afterwards: the official SDK lists and calls a tool', async () => {
    const client = new Client({ name: 'after-fuzz', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${gw.url}/mcp`), { requestInit: { headers: { authorization: `Bearer ${key}` } } }));
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name)).toContain('every__echo');
    const r = (await client.callTool({ name: 'every__echo', arguments: { message: 'still here' } })) as { content: { text?: string }[] };
    expect(r.content.map((c) => c.text ?? '').join('')).toContain('still here');
    await client.close();
  }, 30_000);
});
