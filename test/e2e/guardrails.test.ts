// Guardrails on model calls, end to end with the official SDKs: with the default config, secrets and
// card numbers in a prompt reach the provider as placeholders, and the answer comes back with the
// real values restored — passed through or translated, whole or streamed (placeholders split over
// chunks, inside tool-call arguments). A blocking rule refuses in the client's dialect.
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MOCK_ANTHROPIC_KEY, startMockAnthropic, type MockAnthropic } from '../fixtures/mock-anthropic.js';
import { startMockOpenAI, type MockOpenAI } from '../fixtures/mock-openai.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';

// Fake credentials, assembled at run time: the right shapes, no real secret.
const AWS = ['AKIA', 'Q7WERTY2UIOP4ASD'].join('');
const GHP = ['ghp_', 'a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8'].join('');
const DB_PASSWORD = 'S3cr3tPassw0rd';
const CARD = '4111 1111 1111 1111';
const SECRETS = [AWS, GHP, DB_PASSWORD, CARD];
const PROMPT = `deploy with ${AWS} and ${GHP}; db postgres://app:${DB_PASSWORD}@db.internal:5432/app; pay with ${CARD}`;

let oai: MockOpenAI;
let anth: MockAnthropic;
let gw: TestGateway;

function config(extra = ''): string {
  return `version: 1
server: { port: 0 }
providers:
  - { id: mock, type: openai-compatible, baseUrl: ${oai.url}, apiKey: env:MOCK_UPSTREAM_KEY }
  - { id: anth, type: anthropic, baseUrl: ${anth.url}, apiKey: env:ANTH_KEY }
routing: { retries: 0 }
models:
  - name: gpt
    targets: [{ provider: mock, model: gpt-4o-mini }]
  - name: claude
    targets: [{ provider: anth, model: claude-sonnet-4-5 }]
${extra}`;
}

beforeAll(async () => {
  // Many small deltas: placeholders are cut across chunks.
  [oai, anth] = await Promise.all([startMockOpenAI({ chunks: 40 }), startMockAnthropic({ chunks: 40 })]);
  gw = await startTestGateway(config(), { env: { ANTH_KEY: MOCK_ANTHROPIC_KEY } });
});
afterAll(async () => {
  await gw?.stop();
  await Promise.all([oai?.close(), anth?.close()]);
});

function expectMasked(sent: string): void {
  for (const s of SECRETS) expect(sent).not.toContain(s);
  expect(sent).toMatch(/\[\[masked:aws-access-key-id:\d+\]\]/);
  expect(sent).toMatch(/\[\[masked:github-pat:\d+\]\]/);
  expect(sent).toMatch(/\[\[masked:card-number:\d+\]\]/);
}

describe('default guardrails on model calls', () => {
  it('OpenAI client, passed through: the provider sees placeholders; the answer has the real values, whole and streamed', async () => {
    const { secret } = await gw.newKey({ name: 'guard-openai' });
    const client = new OpenAI({ apiKey: secret, baseURL: `${gw.url}/v1`, maxRetries: 0 });
    const whole = await client.chat.completions.create({ model: 'gpt', messages: [{ role: 'user', content: PROMPT }] });
    expectMasked(oai.requests.at(-1)!.rawBody);
    expect(whole.choices[0]!.message.content).toBe(`echo: ${PROMPT}`);

    const stream = await client.chat.completions.create({ model: 'gpt', messages: [{ role: 'user', content: PROMPT }], stream: true });
    let text = '';
    let chunks = 0;
    for await (const c of stream) {
      text += c.choices[0]?.delta?.content ?? '';
      chunks++;
    }
    expect(chunks).toBeGreaterThan(10);
    expect(text).toBe(`echo: ${PROMPT}`);
    // The answer is looked at too, after it was sent: recorded, not acted on.
    await expect
      .poll(() => gw.events('guardrail.findings').filter((e) => e.location === 'llm.output').length)
      .toBeGreaterThanOrEqual(2);
    const out = gw.events('guardrail.findings').find((e) => e.location === 'llm.output')!;
    expect(out).toMatchObject({ recordedOnly: true, findings: expect.arrayContaining([expect.objectContaining({ rule: 'aws-access-key-id', location: 'llm.output' })]) });
    // What the mock streamed had the placeholders, cut over several chunks.
    expect(oai.requests.at(-1)!.reply).not.toContain(AWS);
  });

  it('gives the same value the same placeholder through a session, and records findings without the values', async () => {
    const { id, secret } = await gw.newKey({ name: 'guard-session' });
    const client = new OpenAI({ apiKey: secret, baseURL: `${gw.url}/v1`, maxRetries: 0, defaultHeaders: { 'x-gatehouse-session': 'sess-1' } });
    await client.chat.completions.create({ model: 'gpt', messages: [{ role: 'user', content: `first ${AWS}` }] });
    const first = /\[\[masked:aws-access-key-id:\d+\]\]/.exec(oai.requests.at(-1)!.rawBody)![0];
    await client.chat.completions.create({ model: 'gpt', messages: [{ role: 'user', content: `again ${AWS} and ${GHP}` }] });
    expect(oai.requests.at(-1)!.rawBody).toContain(first);
    const findings = gw.events('guardrail.findings').filter((e) => e.keyId === id && e.location === 'llm.input');
    expect(findings).toHaveLength(2);
    expect(findings[1]!.findings).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ type: 'secret', rule: 'aws-access-key-id', action: 'mask-and-restore', location: 'llm.input', path: 'messages[0].content' }),
        expect.objectContaining({ rule: 'github-pat' }),
      ]),
    );
    const ledger = JSON.stringify(gw.events());
    for (const s of SECRETS) expect(ledger).not.toContain(s);
  });

  it('Anthropic client, passed through and translated, streamed: restored in text', async () => {
    const { secret } = await gw.newKey({ name: 'guard-anthropic' });
    const client = new Anthropic({ apiKey: secret, baseURL: gw.url, maxRetries: 0 });
    for (const model of ['claude', 'gpt']) {
      const message = await client.messages.stream({ model, max_tokens: 200, messages: [{ role: 'user', content: PROMPT }] }).finalMessage();
      const text = message.content.map((b) => (b.type === 'text' ? b.text : '')).join('');
      expect(text, model).toContain(PROMPT);
    }
    expectMasked(anth.requests.at(-1)!.rawBody);
  });

  it('puts values back inside tool-call arguments, escaped as JSON, streamed in fragments', async () => {
    const { secret } = await gw.newKey({ name: 'guard-tools' });
    const client = new OpenAI({ apiKey: secret, baseURL: `${gw.url}/v1`, maxRetries: 0 });
    const pem = `-----BEGIN RSA PRIVATE KEY-----\n${'MIIEowIBAAKCAQEA7v'.repeat(4)}\n${'q1w2e3r4t5y6u7i8o9'.repeat(4)}\n-----END RSA PRIVATE KEY-----`;
    const content = `use the tool with ${AWS} and "${pem}"`;
    const tools = [{ type: 'function' as const, function: { name: 'deploy', parameters: { type: 'object', properties: { query: { type: 'string' } } } } }];
    const stream = await client.chat.completions.create({ model: 'gpt', messages: [{ role: 'user', content }], tools, stream: true });
    let args = '';
    for await (const c of stream) args += c.choices[0]?.delta?.tool_calls?.[0]?.function?.arguments ?? '';
    expect(oai.requests.at(-1)!.rawBody).not.toContain('MIIEowIBAAKCAQEA7v');
    expect(JSON.parse(args)).toEqual({ query: content });
  });
});

describe('the credential kinds an agent pastes', () => {
  // Fake values of each shape, built at run time from a fixed pseudo-random alphabet walk.
  const noise = (n: number, seed: number): string => {
    const alphabet = 'aB3dE5fG7hJ9kL2mN4pQ6rS8tU0vW1xY';
    let out = '';
    let x = seed;
    for (let i = 0; i < n; i++) {
      x = (x * 31 + i * 7) % 9973;
      out += alphabet[x % alphabet.length];
    }
    return out;
  };
  const b64u = (o: object): string => Buffer.from(JSON.stringify(o)).toString('base64url');
  const KINDS: Record<string, string> = {
    'gitlab-pat': `glpat-${noise(20, 1)}`,
    'openai-api-key': `sk-proj-${noise(48, 2)}T3BlbkFJ${noise(20, 3)}`,
    'anthropic-api-key': `sk-ant-api03-${noise(93, 4)}AA`,
    'slack-bot-token': ['xoxb', '1234567890123', '1234567890123', noise(24, 5)].join('-'),
    'stripe-secret-key': `sk_live_${noise(24, 6)}`,
    'sendgrid-api-key': `SG.${noise(22, 7)}.${noise(43, 8)}`,
    jwt: [b64u({ alg: 'HS256', typ: 'JWT' }), b64u({ sub: '1234567890', iat: 1516239022 }), noise(43, 9)].join('.'),
    'openssh-private-key': `-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\nQyNTUxOQAAACB${noise(40, 10)}\n-----END OPENSSH PRIVATE KEY-----`,
  };

  it('each reaches the provider masked and comes back restored', async () => {
    const { secret } = await gw.newKey({ name: 'guard-kinds' });
    const client = new OpenAI({ apiKey: secret, baseURL: `${gw.url}/v1`, maxRetries: 0 });
    const prompt = Object.entries(KINDS)
      .map(([k, v]) => `${k}: ${v}`)
      .join('\n');
    const stream = await client.chat.completions.create({ model: 'gpt', messages: [{ role: 'user', content: prompt }], stream: true });
    let text = '';
    for await (const c of stream) text += c.choices[0]?.delta?.content ?? '';
    const sent = oai.requests.at(-1)!.rawBody;
    for (const [rule, value] of Object.entries(KINDS)) {
      expect(sent, rule).not.toContain(value.replace(/\n/g, '\\n'));
      expect(sent, rule).toContain(`[[masked:${rule}:`);
    }
    expect(text).toBe(`echo: ${prompt}`);
  });
});

describe('a blocking rule', () => {
  it('refuses in the client\'s dialect, naming the rule, and sends nothing upstream', async () => {
    const g = await startTestGateway(config('guardrails: { secrets: block }\n'), { env: { ANTH_KEY: MOCK_ANTHROPIC_KEY } });
    try {
      const { secret } = await g.newKey({ name: 'guard-block' });
      const before = oai.requests.length;
      const client = new OpenAI({ apiKey: secret, baseURL: `${g.url}/v1`, maxRetries: 0 });
      const err = (await client.chat.completions.create({ model: 'gpt', messages: [{ role: 'user', content: `key ${AWS}` }] }).catch((e: unknown) => e)) as { status: number; message: string };
      expect(err.status).toBe(400);
      expect(err.message).toMatch(/blocked by the guardrail rule "aws-access-key-id" \(found in messages\[0\]\.content\)/);
      expect(err.message).not.toContain(AWS);
      const anthropic = new Anthropic({ apiKey: secret, baseURL: g.url, maxRetries: 0 });
      await expect(anthropic.messages.create({ model: 'claude', max_tokens: 10, messages: [{ role: 'user', content: `key ${GHP}` }] })).rejects.toMatchObject({ status: 400 });
      expect(oai.requests.length).toBe(before);
      // Text without a secret goes through.
      expect((await client.chat.completions.create({ model: 'gpt', messages: [{ role: 'user', content: 'hello' }] })).choices[0]!.message.content).toBe('echo: hello');
    } finally {
      await g.stop();
    }
  });
});
