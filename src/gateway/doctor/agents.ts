// What each agent sends, replayed in order: the calls Claude Code, Codex, Gemini CLI and the
// OpenAI-format agents (Continue, opencode, Aider) make in a session, with the headers they use.
// Each step checks the answer's shape the way the agent's own client would read it.
import { callJson, callStream, openResponsesSocket, ProbeFailure, type ProbeTarget } from './probe.js';

export const DOCTOR_AGENTS = ['claude-code', 'codex', 'gemini', 'openai-chat'] as const;
export type DoctorAgent = (typeof DOCTOR_AGENTS)[number];

/** The API family an agent speaks (its native provider family). */
export const AGENT_FAMILY: Record<DoctorAgent, 'anthropic' | 'openai' | 'gemini'> = {
  'claude-code': 'anthropic',
  codex: 'openai',
  gemini: 'gemini',
  'openai-chat': 'openai',
};

export const AGENT_TITLE: Record<DoctorAgent, string> = {
  'claude-code': 'Claude Code',
  codex: 'Codex CLI',
  gemini: 'Gemini CLI',
  'openai-chat': 'Continue, opencode, Aider (OpenAI Chat Completions)',
};

export interface StepContext {
  key: string;
  model: string;
  /** A session id the replay sends, so its records can be told apart in the ledger. */
  session: string;
}

export interface Step {
  name: string;
  /** A failure is reported as a warning: the agent works without it (e.g. autocomplete). */
  optional?: boolean;
  run(t: ProbeTarget, c: StepContext): Promise<void>;
}

const USER_AGENT = 'gatehouse-doctor';
const PROMPT = 'Reply with the single word ok.';
const MAX_TOKENS = 32;

function expect(ok: boolean, message: string): void {
  if (!ok) throw new ProbeFailure(message);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const READ_FILE_SCHEMA = { type: 'object', properties: { path: { type: 'string', description: 'the file to read' } }, required: ['path'] };

/** GET /v1/models must list the route: both the OpenAI and the Anthropic list shapes carry `data[].id`. */
function modelListStep(name: string, headers: (c: StepContext) => Record<string, string>): Step {
  return {
    name,
    async run(t, c) {
      const list = await callJson(t, 'GET', '/v1/models', headers(c));
      const ids = Array.isArray(list.data) ? list.data.map((m) => (isObject(m) ? m.id : undefined)) : [];
      expect(ids.includes(c.model), `"${c.model}" is not in the key's model list (${ids.slice(0, 8).join(', ') || 'empty'})`);
    },
  };
}

// ---- Claude Code: Anthropic Messages (https://docs.anthropic.com/en/api/messages-streaming) ----

function anthropicHeaders(c: StepContext): Record<string, string> {
  return { authorization: `Bearer ${c.key}`, 'anthropic-version': '2023-06-01', 'x-claude-code-session-id': c.session, 'user-agent': `${USER_AGENT} (claude-code)` };
}

/** The events a Messages stream must carry, in order, ending with message_stop. */
function checkMessagesStream(events: { event: string | undefined; json: unknown }[]): void {
  const types = events.map((e) => e.event);
  const error = events.find((e) => e.event === 'error');
  if (error) throw new ProbeFailure('the stream carried an error event', { status: 0, body: JSON.stringify(error.json) });
  expect(types[0] === 'message_start', `the stream began with "${types[0]}" instead of message_start`);
  expect(types.at(-1) === 'message_stop', `the stream ended with "${types.at(-1)}" instead of message_stop (cut short?)`);
  expect(types.includes('content_block_start'), 'the stream had no content block');
}

const claudeCode: Step[] = [
  modelListStep('list models (GET /v1/models, Anthropic shape)', anthropicHeaders),
  {
    name: 'count tokens (POST /v1/messages/count_tokens)',
    async run(t, c) {
      const counted = await callJson(t, 'POST', '/v1/messages/count_tokens', anthropicHeaders(c), { model: c.model, messages: [{ role: 'user', content: PROMPT }] });
      expect(typeof counted.input_tokens === 'number' && counted.input_tokens > 0, `count_tokens answered ${JSON.stringify(counted)} without input_tokens`);
    },
  },
  {
    name: 'streamed turn (POST /v1/messages, stream)',
    async run(t, c) {
      checkMessagesStream(
        await callStream(t, '/v1/messages', anthropicHeaders(c), { model: c.model, max_tokens: MAX_TOKENS, stream: true, system: 'You are a terse assistant.', messages: [{ role: 'user', content: PROMPT }] }),
      );
    },
  },
  {
    name: 'tool call round trip (tool_use, tool_result)',
    async run(t, c) {
      checkMessagesStream(
        await callStream(t, '/v1/messages', anthropicHeaders(c), {
          model: c.model,
          max_tokens: MAX_TOKENS,
          stream: true,
          tools: [{ name: 'read_file', description: 'Read a file', input_schema: READ_FILE_SCHEMA }],
          messages: [
            { role: 'user', content: 'What does notes.txt say?' },
            { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_doctor01', name: 'read_file', input: { path: 'notes.txt' } }] },
            { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_doctor01', content: 'ok' }] },
          ],
        }),
      );
    },
  },
];

// ---- Codex: the Responses API over SSE and WebSocket (https://platform.openai.com/docs/api-reference/responses-streaming) ----

function codexHeaders(c: StepContext): Record<string, string> {
  return { authorization: `Bearer ${c.key}`, session_id: c.session, originator: 'codex_exec', 'user-agent': `${USER_AGENT} (codex)` };
}

/** A request shaped as Codex sends it: store false, encrypted reasoning asked for, function and namespace tools. */
function codexRequest(c: StepContext, input: unknown[]): Record<string, unknown> {
  return {
    model: c.model,
    instructions: 'You are a coding agent.',
    input,
    tools: [
      { type: 'function', name: 'exec_command', description: 'Run a shell command', strict: false, parameters: { type: 'object', properties: { cmd: { type: 'string' } }, required: ['cmd'] } },
      { type: 'namespace', name: 'files', description: 'File tools', tools: [{ type: 'function', name: 'read', description: 'Read a file', parameters: READ_FILE_SCHEMA }] },
    ],
    tool_choice: 'auto',
    parallel_tool_calls: false,
    store: false,
    stream: true,
    include: ['reasoning.encrypted_content'],
    prompt_cache_key: c.session,
    max_output_tokens: MAX_TOKENS,
  };
}

const userMessage = (text: string): Record<string, unknown> => ({ type: 'message', role: 'user', content: [{ type: 'input_text', text }] });

function checkResponsesEvents(types: unknown[]): void {
  expect(types[0] === 'response.created', `the stream began with "${String(types[0])}" instead of response.created`);
  expect(types.at(-1) === 'response.completed', `the stream ended with "${String(types.at(-1))}" instead of response.completed`);
}

const codex: Step[] = [
  {
    name: 'streamed turn (POST /v1/responses, SSE)',
    async run(t, c) {
      const events = await callStream(t, '/v1/responses', codexHeaders(c), codexRequest(c, [userMessage(PROMPT)]));
      const failed = events.find((e) => e.event === 'error' || e.event === 'response.failed');
      if (failed) throw new ProbeFailure(`the stream carried ${failed.event}`, { status: 0, body: failed.data });
      checkResponsesEvents(events.map((e) => (isObject(e.json) ? e.json.type : e.event)));
    },
  },
  {
    name: 'tool call round trip (function_call, function_call_output)',
    async run(t, c) {
      const events = await callStream(
        t,
        '/v1/responses',
        codexHeaders(c),
        codexRequest(c, [
          userMessage('List the files.'),
          { type: 'function_call', call_id: 'call_doctor01', name: 'exec_command', arguments: '{"cmd":"ls"}' },
          { type: 'function_call_output', call_id: 'call_doctor01', output: 'notes.txt' },
        ]),
      );
      checkResponsesEvents(events.map((e) => (isObject(e.json) ? e.json.type : e.event)));
    },
  },
  {
    name: 'WebSocket turns (GET /v1/responses upgrade, previous_response_id)',
    async run(t, c) {
      const socket = await openResponsesSocket(t, codexHeaders(c));
      try {
        const first = await socket.turn(codexRequest(c, [userMessage(PROMPT)]));
        checkResponsesEvents(first.map((e) => e.type));
        const completed = first.at(-1)!;
        const id = isObject(completed.response) ? completed.response.id : undefined;
        expect(typeof id === 'string', 'response.completed carried no response id');
        // Codex continues on the same connection with only the new items.
        const second = await socket.turn({ ...codexRequest(c, [userMessage('Once more.')]), previous_response_id: id });
        checkResponsesEvents(second.map((e) => e.type));
      } finally {
        socket.close();
      }
    },
  },
];

// ---- Gemini CLI: the Gemini API (https://ai.google.dev/api/generate-content) ----

function geminiHeaders(c: StepContext): Record<string, string> {
  return { 'x-goog-api-key': c.key, 'user-agent': `${USER_AGENT} (gemini)`, 'x-gatehouse-session': c.session };
}

const geminiPath = (c: StepContext, method: string): string => `/v1beta/models/${encodeURIComponent(c.model)}:${method}`;

function checkGeminiStream(events: { json: unknown; data: string }[]): void {
  expect(events.length > 0, 'the stream had no chunks');
  const err = events.find((e) => isObject(e.json) && 'error' in e.json);
  if (err) throw new ProbeFailure('the stream carried an error', { status: 0, body: err.data });
  const last = events.at(-1)!.json;
  const finish = isObject(last) && Array.isArray(last.candidates) && isObject(last.candidates[0]) ? last.candidates[0].finishReason : undefined;
  expect(typeof finish === 'string', 'the last chunk had no finishReason (cut short?)');
}

const gemini: Step[] = [
  {
    name: 'list models (GET /v1beta/models)',
    async run(t, c) {
      const list = await callJson(t, 'GET', '/v1beta/models', geminiHeaders(c));
      const names = Array.isArray(list.models) ? list.models.map((m) => (isObject(m) ? m.name : undefined)) : [];
      expect(names.includes(`models/${c.model}`), `"models/${c.model}" is not in the key's model list`);
    },
  },
  {
    name: 'count tokens (:countTokens)',
    async run(t, c) {
      const counted = await callJson(t, 'POST', geminiPath(c, 'countTokens'), geminiHeaders(c), { contents: [{ role: 'user', parts: [{ text: PROMPT }] }] });
      expect(typeof counted.totalTokens === 'number' && counted.totalTokens > 0, `countTokens answered ${JSON.stringify(counted)} without totalTokens`);
    },
  },
  {
    name: 'streamed turn (:streamGenerateContent?alt=sse)',
    async run(t, c) {
      checkGeminiStream(
        await callStream(t, `${geminiPath(c, 'streamGenerateContent')}?alt=sse`, geminiHeaders(c), {
          contents: [{ role: 'user', parts: [{ text: PROMPT }] }],
          systemInstruction: { parts: [{ text: 'You are a terse assistant.' }] },
          generationConfig: { maxOutputTokens: MAX_TOKENS },
        }),
      );
    },
  },
  {
    name: 'tool call round trip (functionCall, functionResponse)',
    async run(t, c) {
      checkGeminiStream(
        await callStream(t, `${geminiPath(c, 'streamGenerateContent')}?alt=sse`, geminiHeaders(c), {
          contents: [
            { role: 'user', parts: [{ text: 'What does notes.txt say?' }] },
            { role: 'model', parts: [{ functionCall: { name: 'read_file', args: { path: 'notes.txt' } } }] },
            { role: 'user', parts: [{ functionResponse: { name: 'read_file', response: { content: 'ok' } } }] },
          ],
          tools: [{ functionDeclarations: [{ name: 'read_file', description: 'Read a file', parameters: READ_FILE_SCHEMA }] }],
          generationConfig: { maxOutputTokens: MAX_TOKENS },
        }),
      );
    },
  },
];

// ---- Continue, opencode, Aider: OpenAI Chat Completions (https://platform.openai.com/docs/api-reference/chat-streaming) ----

function openaiHeaders(c: StepContext): Record<string, string> {
  return { authorization: `Bearer ${c.key}`, 'user-agent': `${USER_AGENT} (openai-chat)`, 'x-gatehouse-session': c.session };
}

function checkChatStream(events: { data: string; json: unknown }[], wantUsage: boolean): void {
  const err = events.find((e) => isObject(e.json) && 'error' in e.json);
  if (err) throw new ProbeFailure('the stream carried an error', { status: 0, body: err.data });
  expect(events.at(-1)?.data === '[DONE]', 'the stream did not end with [DONE] (cut short?)');
  const finished = events.some((e) => isObject(e.json) && Array.isArray(e.json.choices) && e.json.choices.some((ch) => isObject(ch) && typeof ch.finish_reason === 'string'));
  expect(finished, 'no chunk carried a finish_reason');
  if (wantUsage) expect(events.some((e) => isObject(e.json) && isObject(e.json.usage)), 'stream_options.include_usage was asked for and no usage chunk came');
}

const openaiChat: Step[] = [
  modelListStep('list models (GET /v1/models)', openaiHeaders),
  {
    name: 'streamed turn with usage (POST /v1/chat/completions, stream)',
    async run(t, c) {
      const events = await callStream(t, '/v1/chat/completions', openaiHeaders(c), {
        model: c.model,
        stream: true,
        stream_options: { include_usage: true },
        max_tokens: MAX_TOKENS,
        messages: [
          { role: 'system', content: 'You are a terse assistant.' },
          { role: 'user', content: PROMPT },
        ],
      });
      checkChatStream(events, true);
    },
  },
  {
    name: 'tool call round trip (tool_calls, tool message)',
    async run(t, c) {
      const events = await callStream(t, '/v1/chat/completions', openaiHeaders(c), {
        model: c.model,
        stream: true,
        max_tokens: MAX_TOKENS,
        tools: [{ type: 'function', function: { name: 'read_file', description: 'Read a file', parameters: READ_FILE_SCHEMA } }],
        messages: [
          { role: 'user', content: 'What does notes.txt say?' },
          { role: 'assistant', content: null, tool_calls: [{ id: 'call_doctor01', type: 'function', function: { name: 'read_file', arguments: '{"path":"notes.txt"}' } }] },
          { role: 'tool', tool_call_id: 'call_doctor01', content: 'ok' },
        ],
      });
      checkChatStream(events, false);
    },
  },
  {
    name: 'autocomplete (POST /v1/completions, used by Continue)',
    optional: true,
    async run(t, c) {
      const done = await callJson(t, 'POST', '/v1/completions', openaiHeaders(c), { model: c.model, prompt: 'function add(a, b) {', max_tokens: 16 });
      expect(Array.isArray(done.choices), 'the completion had no choices');
    },
  },
];

export const AGENT_STEPS: Record<DoctorAgent, Step[]> = { 'claude-code': claudeCode, codex, gemini, 'openai-chat': openaiChat };
