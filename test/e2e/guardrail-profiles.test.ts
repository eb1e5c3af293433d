// Guardrail settings per route and per key (profiles), custom rules, and acting on answers
// (`output: enforce`): masked while streaming, or ended at a blocking rule, in the client's dialect.
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MOCK_ANTHROPIC_KEY, startMockAnthropic, type MockAnthropic } from '../fixtures/mock-anthropic.js';
import { startMockOpenAI, type MockOpenAI } from '../fixtures/mock-openai.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';

const AWS = ['AKIA', 'Q7WERTY2UIOP4ASD'].join('');

let oai: MockOpenAI;
let anth: MockAnthropic;
let gw: TestGateway;

// The mocks echo the prompt: a rule that looks only at answers (at: [llm.output]) sees in the
// answer what the prompt carried, so it can be exercised without a scripted model.
const CONFIG = (oaiUrl: string, anthUrl: string): string => `version: 1
server: { port: 0 }
providers:
  - { id: mock, type: openai-compatible, baseUrl: ${oaiUrl}, apiKey: env:MOCK_UPSTREAM_KEY }
  - { id: anth, type: anthropic, baseUrl: ${anthUrl}, apiKey: env:ANTH_KEY }
routing: { retries: 0 }
guardrails:
  custom:
    - { name: codename, keywords: ['Project Falcon'], action: mask, at: [llm.output] }
    - { name: launch, keywords: ['launch codes'], action: block, at: [llm.output] }
    - { name: ticket, patterns: ['\\bINC-\\d{6}\\b'], action: warn }
  profiles:
    enforce: { output: enforce }
    lax: { secrets: warn, cards: warn }
    strict: { secrets: block }
    careful: { pii: ask }
models:
  - name: gpt
    targets: [{ provider: mock, model: gpt-4o-mini }]
  - name: gpt-enforced
    targets: [{ provider: mock, model: gpt-4o-mini }]
    guardrails: enforce
  - name: claude-enforced
    targets: [{ provider: anth, model: claude-sonnet-4-5 }]
    guardrails: { output: enforce }
  - name: gpt-local
    targets: [{ provider: mock, model: gpt-4o-mini }]
    guardrails: lax
  - name: gpt-careful
    targets: [{ provider: mock, model: gpt-4o-mini }]
    guardrails: careful
`;

beforeAll(async () => {
  [oai, anth] = await Promise.all([startMockOpenAI({ chunks: 40 }), startMockAnthropic({ chunks: 40 })]);
  gw = await startTestGateway(CONFIG(oai.url, anth.url), { env: { ANTH_KEY: MOCK_ANTHROPIC_KEY } });
});
afterAll(async () => {
  await gw?.stop();
  await Promise.all([oai?.close(), anth?.close()]);
});

async function streamText(client: OpenAI, model: string, content: string): Promise<{ text: string; finish: string | null }> {
  const stream = await client.chat.completions.create({ model, messages: [{ role: 'user', content }], stream: true });
  let text = '';
  let finish: string | null = null;
  for await (const c of stream) {
    text += c.choices[0]?.delta?.content ?? '';
    finish = c.choices[0]?.finish_reason ?? finish;
  }
  return { text, finish };
}

const PADDING = 'Here is some ordinary text that goes on for a while so the answer streams in many small pieces.';

describe('enforced output guardrails', () => {
  it('mask a rule that looks at answers while the answer streams, whole or cut into 40 chunks', async () => {
    const { secret } = await gw.newKey({ name: 'out-mask' });
    const client = new OpenAI({ apiKey: secret, baseURL: `${gw.url}/v1`, maxRetries: 0 });
    const prompt = `${PADDING} Status of Project Falcon? ${PADDING}`;
    const streamed = await streamText(client, 'gpt-enforced', prompt);
    expect(streamed.text).toBe(`echo: ${prompt.replace('Project Falcon', '[masked:custom.codename]')}`);
    expect(streamed.finish).toBe('stop');
    // The provider saw the prompt as it was: the rule looks only at answers.
    expect(oai.requests.at(-1)!.rawBody).toContain('Project Falcon');
    const whole = await client.chat.completions.create({ model: 'gpt-enforced', messages: [{ role: 'user', content: prompt }] });
    expect(whole.choices[0]!.message.content).not.toContain('Project Falcon');
    expect(whole.choices[0]!.message.content).toContain('[masked:custom.codename]');
    await expect.poll(() => gw.events('guardrail.findings').filter((e) => e.location === 'llm.output' && e.masked === 1).length).toBe(2);
    const rec = gw.events('guardrail.findings').find((e) => e.location === 'llm.output')!;
    expect(rec.recordedOnly).toBeUndefined();
    expect(JSON.stringify(rec)).not.toContain('Project Falcon');
  });

  it('end a streamed answer at a blocking rule as a content filter would: OpenAI finish_reason content_filter', async () => {
    const { secret } = await gw.newKey({ name: 'out-block' });
    const client = new OpenAI({ apiKey: secret, baseURL: `${gw.url}/v1`, maxRetries: 0 });
    const { text, finish } = await streamText(client, 'gpt-enforced', `${PADDING} The launch codes are 0000. ${PADDING}`);
    expect(finish).toBe('content_filter');
    expect(text).toContain(PADDING);
    expect(text).not.toContain('launch codes');
    expect(text).toContain('Gatehouse withheld the rest of this answer');
    const req = gw.events('llm.request').at(-1)!;
    expect(req.outcome).toBe('guardrail_blocked');
    await expect.poll(() => gw.events('guardrail.findings').some((e) => e.location === 'llm.output' && e.blocked === 'custom.launch')).toBe(true);
  });

  it('end an Anthropic answer (translated or not) with stop_reason refusal', async () => {
    const { secret } = await gw.newKey({ name: 'out-block-anth' });
    const client = new Anthropic({ apiKey: secret, baseURL: gw.url, maxRetries: 0 });
    for (const model of ['claude-enforced', 'gpt-enforced']) {
      const stream = client.messages.stream({ model, max_tokens: 500, messages: [{ role: 'user', content: `${PADDING} The launch codes are 0000.` }] });
      const final = await stream.finalMessage();
      expect(final.stop_reason, model).toBe('refusal');
      const text = final.content.map((b) => (b.type === 'text' ? b.text : '')).join('');
      expect(text).not.toContain('launch codes');
      const whole = await client.messages.create({ model, max_tokens: 500, messages: [{ role: 'user', content: `The launch codes are 0000.` }] });
      expect(whole.stop_reason, model).toBe('refusal');
      expect(JSON.stringify(whole.content)).not.toContain('launch codes');
    }
  });

  it('leave answers alone where output is only recorded (the default)', async () => {
    const { secret } = await gw.newKey({ name: 'out-record' });
    const client = new OpenAI({ apiKey: secret, baseURL: `${gw.url}/v1`, maxRetries: 0 });
    const { text } = await streamText(client, 'gpt', 'Status of Project Falcon?');
    expect(text).toBe('echo: Status of Project Falcon?');
    await expect.poll(() => gw.events('guardrail.findings').some((e) => e.location === 'llm.output' && e.recordedOnly === true)).toBe(true);
  });
});

describe('profiles per route and per key', () => {
  it('a route may loosen the global settings (a local model): the secret reaches it as sent, recorded', async () => {
    const { id, secret } = await gw.newKey({ name: 'route-lax' });
    const client = new OpenAI({ apiKey: secret, baseURL: `${gw.url}/v1`, maxRetries: 0 });
    await client.chat.completions.create({ model: 'gpt-local', messages: [{ role: 'user', content: `use ${AWS}` }] });
    expect(oai.requests.at(-1)!.rawBody).toContain(AWS);
    await client.chat.completions.create({ model: 'gpt', messages: [{ role: 'user', content: `use ${AWS}` }] });
    expect(oai.requests.at(-1)!.rawBody).not.toContain(AWS);
    const recorded = gw.events('guardrail.findings').filter((e) => e.keyId === id && e.location === 'llm.input');
    expect(recorded.map((e) => (e.findings as { action: string }[])[0]!.action)).toEqual(['warn', 'mask-and-restore']);
  });

  it("a key's profile applies on every route, and where the route and the key both set a kind, the stricter wins", async () => {
    const made = await gw.gateway.call('keys:create', { name: 'key-strict', guardrails: 'strict' }, 'local');
    expect(made.key.guardrails).toBe('strict');
    const client = new OpenAI({ apiKey: made.secret, baseURL: `${gw.url}/v1`, maxRetries: 0 });
    const before = oai.requests.length;
    for (const model of ['gpt', 'gpt-local']) {
      const err = (await client.chat.completions.create({ model, messages: [{ role: 'user', content: `use ${AWS}` }] }).catch((e: unknown) => e)) as { status: number; message: string };
      expect(err.status, model).toBe(400);
      expect(err.message).toContain('aws-access-key-id');
      expect(err.message).not.toContain(AWS);
    }
    expect(oai.requests.length).toBe(before);
    // A key may also switch answers to enforced.
    const enforced = await gw.gateway.call('keys:create', { name: 'key-enforce', guardrails: 'enforce' }, 'local');
    const c2 = new OpenAI({ apiKey: enforced.secret, baseURL: `${gw.url}/v1`, maxRetries: 0 });
    expect((await streamText(c2, 'gpt', 'Project Falcon')).text).toBe('echo: [masked:custom.codename]');
  });

  it('a key cannot name a profile the config does not define', async () => {
    await expect(gw.gateway.call('keys:create', { name: 'bad', guardrails: 'nope' }, 'local')).rejects.toThrow(/no guardrail profile "nope".*enforce, lax, strict/);
    const { id } = await gw.newKey({ name: 'later' });
    await expect(gw.gateway.call('keys:update', { id, guardrails: 'nope' }, 'local')).rejects.toThrow(/no guardrail profile "nope"/);
    const updated = await gw.gateway.call('keys:update', { id, guardrails: 'lax' }, 'local');
    expect(updated.guardrails).toBe('lax');
  });

  it('custom rules: a pattern with its own action is recorded with its rule id, never the text', async () => {
    const { id, secret } = await gw.newKey({ name: 'custom-warn' });
    const client = new OpenAI({ apiKey: secret, baseURL: `${gw.url}/v1`, maxRetries: 0 });
    await client.chat.completions.create({ model: 'gpt', messages: [{ role: 'user', content: 'see INC-123456 for details' }] });
    expect(oai.requests.at(-1)!.rawBody).toContain('INC-123456');
    const rec = gw.events('guardrail.findings').find((e) => e.keyId === id && e.location === 'llm.input')!;
    expect(rec.findings).toEqual([expect.objectContaining({ type: 'custom', rule: 'custom.ticket', action: 'warn' })]);
    expect(JSON.stringify(rec)).not.toContain('INC-123456');
  });
});

describe('ask on model calls', () => {
  it('a prompt with an ask finding waits for a person: allowed, it goes as sent; denied, it is refused and nothing is sent', async () => {
    const { secret } = await gw.newKey({ name: 'asker' });
    const client = new OpenAI({ apiKey: secret, baseURL: `${gw.url}/v1`, maxRetries: 0 });
    const prompt = 'Write to jane.doe@example.com about the invoice';
    const before = oai.requests.length;
    const answer = client.chat.completions.create({ model: 'gpt-careful', messages: [{ role: 'user', content: prompt }] });
    await expect.poll(async () => (await gw.gateway.call('approvals:list', {}, 'local')).length).toBe(1);
    const [pending] = await gw.gateway.call('approvals:list', {}, 'local');
    expect(pending).toMatchObject({ server: 'llm', tool: 'gpt-careful', name: 'gpt-careful', keyName: 'asker', findings: [expect.objectContaining({ rule: 'email', action: 'ask' })] });
    expect(pending!.arguments).toEqual({ 'messages[0].content': prompt });
    expect(oai.requests.length).toBe(before);
    await gw.gateway.call('approvals:decide', { id: pending!.id, decision: 'once' }, 'local');
    expect((await answer).choices[0]!.message.content).toBe(`echo: ${prompt}`);

    const refused = client.chat.completions.create({ model: 'gpt-careful', messages: [{ role: 'user', content: prompt }] }).catch((e: unknown) => e);
    await expect.poll(async () => (await gw.gateway.call('approvals:list', {}, 'local')).length).toBe(1);
    const [second] = await gw.gateway.call('approvals:list', {}, 'local');
    await gw.gateway.call('approvals:decide', { id: second!.id, decision: 'deny' }, 'local');
    const err = (await refused) as { status: number; message: string };
    expect(err.status).toBe(400);
    expect(err.message).toMatch(/rule email, which asks a person first, and .* denied it; nothing was sent/);
    expect(oai.requests.length).toBe(before + 1);
    // Human oversight is in the ledger: what was asked (never the prompt) and who decided.
    const asked = gw.events('approval.requested').filter((e) => e.server === 'llm');
    expect(asked).toHaveLength(2);
    expect(JSON.stringify(asked)).not.toContain('jane.doe');
    await expect.poll(() => gw.events('approval.resolved').map((e) => e.outcome)).toEqual(['approved', 'denied']);
  });
});

describe('config checks', () => {
  it('refuses unknown profiles, bad patterns and unknown custom rule names with their place in the file', async () => {
    const { parseConfigText } = await import('../../src/gateway/config/load.js');
    const r = parseConfigText(`version: 1
guardrails:
  custom:
    - { name: bad, patterns: ['(a+)+$'] }
    - { name: empty }
  profiles:
    p: { custom: { nosuch: block } }
mcpServers:
  - { id: s, command: node, guardrails: missing }
`);
    expect(r.ok).toBe(false);
    const issues = r.ok ? [] : r.issues.map((i) => `${i.path}@${i.line}: ${i.message}`);
    expect(issues.join('\n')).toMatch(/custom rule "bad".*could make a scan take very long/);
    expect(issues.join('\n')).toMatch(/needs "keywords" or "patterns"/);
    expect(issues.join('\n')).toMatch(/no custom rule is named "nosuch"/);
    expect(issues.join('\n')).toMatch(/no guardrail profile is named "missing"/);
  });
});
