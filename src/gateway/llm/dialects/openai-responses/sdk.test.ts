// The official openai SDK against what this dialect writes: its streams, whole responses and errors must be accepted and read right.
import { createServer, type Server } from 'node:http';
import OpenAI from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import { rejection } from '../../../../../test/helpers/thrown.js';
import { GatewayError, wireInput } from '../../../errors.js';
import type { CanonicalResponse, SseEvent, StreamEvent } from '../../canonical.js';
import { createStreamDecoder as createChatDecoder } from '../openai-chat/stream.js';
import { openaiResponses } from './index.js';

interface Reply {
  status: number;
  contentType: string;
  body: string;
}

interface Upstream {
  client: OpenAI;
  requests: Record<string, unknown>[];
}

const servers: Server[] = [];

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
});

/** A tiny server that records each request body and answers with `reply(body)`; a client pointed at it. */
async function upstream(reply: (body: Record<string, unknown>) => Reply): Promise<Upstream> {
  const requests: Record<string, unknown>[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
      requests.push(body);
      const out = reply(body);
      res.writeHead(out.status, { 'content-type': out.contentType });
      res.end(out.body);
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return { client: new OpenAI({ baseURL: `http://127.0.0.1:${port}/v1`, apiKey: 'x', maxRetries: 0 }), requests };
}

/** The gateway's inbound path in miniature: read the request (errors in the dialect's shape), answer with `events` or `res`. */
function gateway(events: StreamEvent[], res?: CanonicalResponse): (body: Record<string, unknown>) => Reply {
  return (body) => {
    let req;
    try {
      req = openaiResponses.requestToCanonical(body);
    } catch (err) {
      if (!(err instanceof GatewayError)) throw err;
      return { status: err.status, contentType: 'application/json', body: JSON.stringify(openaiResponses.errorBody(wireInput(err))) };
    }
    if (!req.stream && res) return { status: 200, contentType: 'application/json', body: JSON.stringify(openaiResponses.responseFromCanonical(res)) };
    const encoder = openaiResponses.streamEncoder({ id: 'resp_gw1', model: 'routed-model', includeUsage: false });
    return { status: 200, contentType: 'text/event-stream', body: events.map((e) => encoder.encode(e)).join('') + encoder.end() };
  };
}

const usage = { inputTokens: 12, cacheReadTokens: 8, cacheWriteTokens: 0, outputTokens: 30, reasoningTokens: 10 };

const answer: StreamEvent[] = [
  { type: 'start', id: 'up', model: 'up-model' },
  { type: 'block_start', index: 0, block: 'reasoning', family: 'openai' },
  { type: 'reasoning_delta', index: 0, signature: 'rs_up1' },
  { type: 'reasoning_delta', index: 0, text: 'Look up the weather.' },
  { type: 'reasoning_delta', index: 0, opaque: 'gAAAAB+/enc==' },
  { type: 'block_end', index: 0 },
  { type: 'block_start', index: 1, block: 'text' },
  { type: 'text_delta', index: 1, text: 'Hello ' },
  { type: 'text_delta', index: 1, text: 'world' },
  { type: 'block_end', index: 1 },
  { type: 'block_start', index: 2, block: 'tool_call', id: 'call_w', name: 'weather' },
  { type: 'tool_args_delta', index: 2, json: '{"city":' },
  { type: 'tool_args_delta', index: 2, json: '"Oslo"}' },
  { type: 'block_end', index: 2 },
  { type: 'usage', usage },
  { type: 'finish', stopReason: 'tool_calls' },
];

const weather = { type: 'function' as const, name: 'weather', description: 'Weather for a city.', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'], additionalProperties: false }, strict: true };

const usageWire = { input_tokens: 20, input_tokens_details: { cached_tokens: 8, cache_write_tokens: 0 }, output_tokens: 30, output_tokens_details: { reasoning_tokens: 10 }, total_tokens: 50 };

describe('the openai SDK reads what the Responses dialect writes', () => {
  it('responses.create with stream: true yields every event, in order, ending with response.completed', async () => {
    const { client } = await upstream(gateway(answer));
    const stream = await client.responses.create({ model: 'gpt-5', input: 'weather in Oslo?', stream: true });
    const seen: OpenAI.Responses.ResponseStreamEvent[] = [];
    for await (const ev of stream) seen.push(ev);
    expect(seen.map((e) => e.sequence_number)).toEqual(seen.map((_, i) => i));
    expect(seen[0]?.type).toBe('response.created');
    const text = seen.flatMap((e) => (e.type === 'response.output_text.delta' ? [e.delta] : [])).join('');
    expect(text).toBe('Hello world');
    const last = seen.at(-1);
    expect(last?.type).toBe('response.completed');
    if (last?.type !== 'response.completed') return;
    expect(last.response.id).toBe('resp_gw1');
    expect(last.response.usage).toEqual(usageWire);
  });

  it('responses.stream(...).finalResponse() carries the text, the tool call, reasoning and usage', async () => {
    const { client, requests } = await upstream(gateway(answer));
    const runner = client.responses.stream({
      model: 'gpt-5',
      instructions: 'Be brief.',
      input: [{ role: 'user', content: 'weather in Oslo?' }],
      tools: [weather],
      include: ['reasoning.encrypted_content'],
      store: false,
    });
    const snapshots: string[] = [];
    runner.on('response.output_text.delta', (e) => snapshots.push(e.snapshot));
    const final = await runner.finalResponse();
    expect(snapshots).toEqual(['Hello ', 'Hello world']);
    expect(final.status).toBe('completed');
    expect(final.output_text).toBe('Hello world');
    expect(final.usage).toEqual(usageWire);
    const call = final.output.find((i) => i.type === 'function_call');
    expect(call).toMatchObject({ call_id: 'call_w', name: 'weather', arguments: '{"city":"Oslo"}', parsed_arguments: { city: 'Oslo' }, status: 'completed' });
    expect(final.output[0]).toEqual({ id: 'rs_up1', type: 'reasoning', summary: [{ type: 'summary_text', text: 'Look up the weather.' }], encrypted_content: 'gAAAAB+/enc==' });
    // What the SDK sent reads as the request it is.
    const req = openaiResponses.requestToCanonical(requests[0] ?? {});
    expect(req).toMatchObject({ model: 'gpt-5', system: [{ type: 'text', text: 'Be brief.' }], stream: true, tools: [{ name: 'weather', strict: true }] });
  });

  it('a Chat source with interleaved parallel tool calls still gives the SDK both calls whole', async () => {
    const chunk = (delta: Record<string, unknown>, finish: string | null = null): SseEvent => ({
      data: JSON.stringify({ id: 'c', object: 'chat.completion.chunk', created: 1, model: 'gpt-4o', choices: [{ index: 0, delta, finish_reason: finish }] }),
    });
    const chat = createChatDecoder();
    const events = [
      chunk({ tool_calls: [{ index: 0, id: 'call_a', type: 'function', function: { name: 'weather', arguments: '{"ci' } }] }),
      chunk({ tool_calls: [{ index: 1, id: 'call_b', type: 'function', function: { name: 'weather', arguments: '{"city":"Rome"}' } }] }),
      chunk({ tool_calls: [{ index: 0, function: { arguments: 'ty":"Oslo"}' } }] }),
      chunk({}, 'tool_calls'),
      { data: JSON.stringify({ id: 'c', object: 'chat.completion.chunk', created: 1, model: 'gpt-4o', choices: [], usage: { prompt_tokens: 5, completion_tokens: 6, total_tokens: 11 } }) },
      { data: '[DONE]' },
    ].flatMap((e) => chat.decode(e));
    const { client } = await upstream(gateway(events));
    const final = await client.responses.stream({ model: 'gpt-5', input: 'two cities', tools: [weather] }).finalResponse();
    expect(final.output.map((i) => (i.type === 'function_call' ? [i.call_id, i.parsed_arguments] : i.type))).toEqual([
      ['call_a', { city: 'Oslo' }],
      ['call_b', { city: 'Rome' }],
    ]);
    expect(final.usage).toMatchObject({ input_tokens: 5, output_tokens: 6, total_tokens: 11 });
  });

  it('a whole (non-stream) response reads with output_text, the tool call and usage', async () => {
    const res: CanonicalResponse = {
      id: 'resp_whole',
      model: 'm',
      content: [
        { type: 'text', text: 'Sure.' },
        { type: 'tool_call', id: 'call_1', name: 'weather', arguments: '{"city":"Oslo"}' },
      ],
      stopReason: 'tool_calls',
      usage,
    };
    const { client } = await upstream(gateway([], res));
    const out = await client.responses.create({ model: 'gpt-5', input: 'hi' });
    expect(out.id).toBe('resp_whole');
    expect(out.output_text).toBe('Sure.');
    expect(out.output[1]).toMatchObject({ type: 'function_call', call_id: 'call_1', name: 'weather', arguments: '{"city":"Oslo"}' });
    expect(out.usage).toEqual(usageWire);
  });

  it('a refused request (previous_response_id) is a BadRequestError naming the parameter', async () => {
    const { client } = await upstream(gateway(answer));
    const err = await rejection(client.responses.create({ model: 'gpt-5', input: 'next', previous_response_id: 'resp_old' }));
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    const e = err as InstanceType<typeof OpenAI.BadRequestError>;
    expect(e.status).toBe(400);
    expect(e.param).toBe('previous_response_id');
    expect(e.code).toBe('bad_request');
    expect(e.message).toContain('the gateway keeps no responses');
  });

  it('a stream that fails midway ends with an error event the SDK yields with its code and message', async () => {
    const { client } = await upstream((body) => {
      expect(body.stream).toBe(true);
      const encoder = openaiResponses.streamEncoder({ id: 'resp_e', model: 'm', includeUsage: false });
      const text =
        encoder.encode({ type: 'block_start', index: 0, block: 'text' }) +
        encoder.encode({ type: 'text_delta', index: 0, text: 'par' }) +
        encoder.error({ status: 502, kind: 'upstream', code: 'upstream_cut', message: 'the provider ended the stream' });
      return { status: 200, contentType: 'text/event-stream', body: text };
    });
    const stream = await client.responses.create({ model: 'gpt-5', input: 'x', stream: true });
    const seen: OpenAI.Responses.ResponseStreamEvent[] = [];
    for await (const ev of stream) seen.push(ev);
    expect(seen.at(-1)).toEqual({ type: 'error', code: 'upstream_cut', message: 'the provider ended the stream', param: null, sequence_number: 5 });
  });
});
