// The Responses API's WebSocket mode through the gateway: the official OpenAI SDK's ResponsesWS
// client (and a raw `ws` client for what the SDK does not send) against mock providers.
import OpenAI from 'openai';
import { ResponsesWS } from 'openai/resources/responses/ws';
import type { ResponsesServerEvent } from 'openai/resources/responses/responses';
import { WebSocket } from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MOCK_REPLY_SUFFIX, startMockAnthropic, type MockAnthropic } from '../fixtures/mock-anthropic.js';
import { mockReplyFor, startMockOpenAI, type MockOpenAI } from '../fixtures/mock-openai.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';

let oai: MockOpenAI;
let anth: MockAnthropic;
let gw: TestGateway;
let key: string;

beforeAll(async () => {
  oai = await startMockOpenAI();
  anth = await startMockAnthropic();
  gw = await startTestGateway(
    `version: 1
server: { port: 0 }
providers:
  - { id: oai, type: openai-compatible, baseUrl: ${oai.url}, apiKey: env:MOCK_UPSTREAM_KEY }
  - { id: anth, type: anthropic, baseUrl: ${anth.url}, apiKey: env:ANTH_KEY }
routing: { retries: 0 }
models:
  - name: gpt
    targets: [{ provider: oai, model: gpt-4o-mini }]
  - name: claude
    targets: [{ provider: anth, model: claude-sonnet-4-5 }]
`,
    { env: { ANTH_KEY: 'sk-ant-mock' } },
  );
  key = (await gw.newKey({ name: 'ws' })).secret;
});
afterAll(async () => {
  await gw?.stop();
  await oai?.close();
  await anth?.close();
});

type ServerEvent = Record<string, unknown> & { type: string };

/** A raw WebSocket client that collects text frames; `turn` sends one and waits for the turn's last frame. */
async function rawSocket(headers: Record<string, string> = { authorization: `Bearer ${key}` }): Promise<{
  ws: WebSocket;
  frames: ServerEvent[];
  /** Sends a frame and resolves with the frames since, once one of type `until` (default: any turn-ending type) arrives. */
  turn(message: unknown, until?: string): Promise<ServerEvent[]>;
  closed: Promise<{ code: number; reason: string }>;
}> {
  const ws = new WebSocket(`${gw.url.replace('http:', 'ws:')}/v1/responses`, { headers });
  const frames: ServerEvent[] = [];
  let waiter: (() => void) | undefined;
  ws.on('message', (data) => {
    frames.push(JSON.parse(data.toString()) as ServerEvent);
    waiter?.();
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  const terminal = new Set(['response.completed', 'response.failed', 'response.incomplete', 'error']);
  return {
    ws,
    frames,
    closed,
    turn(message, until) {
      const from = frames.length;
      ws.send(typeof message === 'string' ? message : JSON.stringify(message));
      return new Promise((resolve) => {
        const check = (): void => {
          const mine = frames.slice(from);
          if (mine.some((f) => (until ? f.type === until : terminal.has(f.type)))) {
            waiter = undefined;
            resolve(mine);
          }
        };
        waiter = check;
        check();
      });
    },
  };
}

/** The refusal an upgrade gets: status and JSON body, read from the raw HTTP answer. */
function upgradeRefusal(headers: Record<string, string>): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${gw.url.replace('http:', 'ws:')}/v1/responses`, { headers });
    ws.on('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    ws.on('open', () => reject(new Error('the upgrade was accepted')));
    ws.on('error', () => undefined);
  });
}

function textOf(events: ServerEvent[]): string {
  return events
    .filter((e) => e.type === 'response.output_text.delta')
    .map((e) => e.delta as string)
    .join('');
}

describe('WebSocket mode on /v1/responses', () => {
  it('answers turns from the official SDK client, one record per turn, with the session from the upgrade headers', async () => {
    const client = new OpenAI({ apiKey: key, baseURL: `${gw.url}/v1`, maxRetries: 0 });
    const rws = new ResponsesWS(client, { headers: { session_id: 'ws-session-1', 'user-agent': 'ws-test/1.0' } });
    const events: ResponsesServerEvent[] = [];
    const errors: unknown[] = [];
    rws.on('error', (e) => errors.push(e));
    let onCompleted: (() => void) | undefined;
    rws.on('event', (e) => {
      events.push(e);
      if (e.type === 'response.completed') onCompleted?.();
    });
    const completed = (): Promise<void> => new Promise((resolve) => (onCompleted = resolve));
    const before = gw.events('llm.request').length;
    let done = completed();
    rws.send({ type: 'response.create', model: 'claude', instructions: 'be brief', input: 'hello over a socket' });
    await done;
    const first = events.find((e) => e.type === 'response.completed');
    expect(textOf(events as unknown as ServerEvent[])).toBe(`Echo: hello over a socket${MOCK_REPLY_SUFFIX}`);
    expect(events[0]!.type).toBe('response.created');
    expect(events.map((e) => e.sequence_number)).toEqual(events.map((_, i) => i));

    // The second turn continues from the first on the same connection.
    events.length = 0;
    done = completed();
    const firstId = first && 'response' in first ? first.response.id : '';
    rws.send({ type: 'response.create', model: 'claude', previous_response_id: firstId, input: [{ type: 'message', role: 'user', content: 'and again' }] });
    await done;
    expect(textOf(events as unknown as ServerEvent[])).toBe(`Echo: and again${MOCK_REPLY_SUFFIX}`);
    rws.close({ code: 1000, reason: 'done' });
    expect(errors).toEqual([]);

    // The provider saw the whole conversation: first input, the first answer, the new input.
    const last = anth.requests.filter((q) => q.path === '/v1/messages').at(-1)!.body as { messages: { role: string; content: unknown }[] };
    expect(last.messages.map((m) => m.role)).toEqual(['user', 'assistant', 'user']);
    expect(JSON.stringify(last.messages[1]!.content)).toContain(`Echo: hello over a socket${MOCK_REPLY_SUFFIX}`);

    await expect.poll(() => gw.events('llm.request').length).toBe(before + 2);
    const rows = gw.events('llm.request').slice(before);
    for (const row of rows) {
      expect(row).toMatchObject({ api: 'openai-responses', transport: 'websocket', session: 'ws-session-1', client: 'ws-test/1.0', route: 'claude', provider: 'anth', translated: true, stream: true, status: 200, outcome: 'ok' });
      expect((row.usage as { outputTokens: number }).outputTokens).toBeGreaterThan(0);
    }
  });

  it('warms up with generate: false (no model call), then continues from that response with only new input', async () => {
    const s = await rawSocket();
    const upstreamBefore = oai.requests.length;
    const warm = await s.turn({ type: 'response.create', model: 'gpt', generate: false, instructions: 'sys', input: [{ type: 'message', role: 'user', content: 'first words' }] });
    expect(warm.map((f) => f.type)).toEqual(['response.created', 'response.completed']);
    expect(oai.requests.length).toBe(upstreamBefore);
    const id = (warm[1]!.response as { id: string }).id;
    const turn = await s.turn({ type: 'response.create', model: 'gpt', instructions: 'sys', previous_response_id: id, input: [] });
    expect(turn.at(-1)!.type).toBe('response.completed');
    const body = oai.requests.at(-1)!.body as { messages: { role: string; content: unknown }[] };
    expect(body.messages.at(-1)).toMatchObject({ role: 'user' });
    expect(textOf(turn)).toBe(mockReplyFor(body as Record<string, unknown>).content);
    expect(JSON.stringify(body.messages)).toContain('first words');
    s.ws.close();
  });

  it('refuses an unknown previous_response_id, a second turn while one runs, bad JSON and unknown frames, and keeps serving', async () => {
    const s = await rawSocket();
    const [unknown] = await s.turn({ type: 'response.create', model: 'gpt', previous_response_id: 'resp_nope', input: 'x' });
    expect(unknown).toMatchObject({ type: 'error', status: 400, error: { code: 'previous_response_not_found', param: 'previous_response_id' } });
    const [bad] = await s.turn('{not json');
    expect(bad).toMatchObject({ type: 'error', status: 400, error: { type: 'invalid_request_error' } });
    expect(String((bad!.error as { message: string }).message)).toMatch(/not valid JSON/);
    const [odd] = await s.turn({ type: 'session.update' });
    expect(String((odd!.error as { message: string }).message)).toMatch(/unknown frame type "session.update"/);
    const [noModel] = await s.turn({ type: 'response.create', model: 'no-such-route', input: 'x' });
    expect(noModel).toMatchObject({ type: 'error', status: 404, error: { code: 'model_not_found' } });

    anth.setNext({ delayMs: 300 });
    const slow = s.turn({ type: 'response.create', model: 'claude', input: 'slow one' }, 'response.completed');
    await new Promise((r) => setTimeout(r, 50));
    const from = s.frames.length;
    s.ws.send(JSON.stringify({ type: 'response.create', model: 'claude', input: 'too soon' }));
    const events = await slow;
    expect(s.frames.slice(from).find((f) => f.type === 'error')).toMatchObject({ status: 400, error: { message: expect.stringMatching(/already in progress/) } });
    expect(events.filter((f) => f.type !== 'error').at(-1)!.type).toBe('response.completed');
    expect(textOf(events)).toBe(`Echo: slow one${MOCK_REPLY_SUFFIX}`);
    s.ws.close();
  });

  it('sends an upstream failure as an error frame with its status, then serves the next turn', async () => {
    const s = await rawSocket();
    anth.setNext({ status: 529 });
    const [failed] = await s.turn({ type: 'response.create', model: 'claude', input: 'x' });
    expect(failed).toMatchObject({ type: 'error', status: 529, error: { message: expect.stringMatching(/provider "anth"/) } });
    anth.setNext({ streamErrorAfterEvents: 4, errorType: 'overloaded_error', message: 'busy now' });
    const cut = await s.turn({ type: 'response.create', model: 'claude', input: 'this will break' });
    expect(cut.at(-1)).toMatchObject({ type: 'error', status: expect.any(Number), error: { message: expect.stringMatching(/busy now/) } });
    const ok = await s.turn({ type: 'response.create', model: 'claude', input: 'fine again' });
    expect(textOf(ok)).toBe(`Echo: fine again${MOCK_REPLY_SUFFIX}`);
    s.ws.close();
  });

  it('checks the key and the origin at the upgrade, and a revoked key at the next turn', async () => {
    expect(await upgradeRefusal({})).toMatchObject({ status: 401, body: expect.stringMatching(/no Gatehouse key/) });
    expect(await upgradeRefusal({ authorization: 'Bearer gh_wrong' })).toMatchObject({ status: 401, body: expect.stringMatching(/not a valid Gatehouse key/) });
    expect((await upgradeRefusal({ authorization: `Bearer ${key}`, origin: 'https://evil.example' })).status).toBe(403);
    const refused = gw.events('http.refused').filter((e) => e.upgrade === true);
    expect(refused.length).toBeGreaterThanOrEqual(3);
    expect(JSON.stringify(refused)).not.toContain(key);

    const own = await gw.newKey({ name: 'soon-revoked' });
    const s = await rawSocket({ authorization: `Bearer ${own.secret}` });
    expect((await s.turn({ type: 'response.create', model: 'gpt', input: 'hi' })).at(-1)!.type).toBe('response.completed');
    await gw.gateway.call('keys:revoke', { id: own.id }, 'cli');
    const [refusal] = await s.turn({ type: 'response.create', model: 'gpt', input: 'hi again' });
    expect(refusal).toMatchObject({ type: 'error', status: 401, error: { message: expect.stringMatching(/revoked/) } });
    expect((await s.closed).code).toBe(1008);
  });

  it('aborts the upstream call when the client disconnects mid-turn and records it', async () => {
    const s = await rawSocket();
    anth.setNext({ delayMs: 200 });
    const before = gw.events('llm.request').length;
    s.ws.send(JSON.stringify({ type: 'response.create', model: 'claude', input: 'leaving early' }));
    await new Promise((r) => setTimeout(r, 50));
    s.ws.terminate();
    await expect.poll(() => gw.events('llm.request').length).toBe(before + 1);
    expect(gw.events('llm.request').at(-1)).toMatchObject({ outcome: 'client_aborted' });
  });
});
