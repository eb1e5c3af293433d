// providers:test against the mock OpenAI, Anthropic and Gemini servers through a real gateway: the models found, and each failure told as what to do.
import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MOCK_ANTHROPIC_KEY, MOCK_ANTHROPIC_MODEL_IDS, startMockAnthropic, type MockAnthropic } from '../../../test/fixtures/mock-anthropic.js';
import { MOCK_GEMINI_KEY, MOCK_GEMINI_MODELS, startMockGemini, type MockGemini } from '../../../test/fixtures/mock-gemini.js';
import { MOCK_MODEL_IDS, MOCK_UPSTREAM_KEY, startMockOpenAI, type MockOpenAI } from '../../../test/fixtures/mock-openai.js';
import { memorySecretStore, startTestGateway, type TestGateway } from '../../../test/helpers/gateway.js';
import { providerSchema } from '../config/schema.js';
import { createProvider } from '../llm/providers/registry.js';
import { createSecretResolver } from '../secrets/resolver.js';
import { testProvider } from './provider-test.js';

const WRONG_KEY = 'sk-wrong-but-long-enough-to-redact';

let oai: MockOpenAI;
let anth: MockAnthropic;
let gem: MockGemini;
let gw: TestGateway;
let closedPort: number;

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

beforeAll(async () => {
  [oai, anth, gem] = await Promise.all([startMockOpenAI(), startMockAnthropic(), startMockGemini({ modelsPageSize: 2 })]);
  closedPort = await freePort();
  const secrets = memorySecretStore({ 'oai-key': MOCK_UPSTREAM_KEY, 'oai-wrong': WRONG_KEY, 'anth-key': MOCK_ANTHROPIC_KEY, 'gem-key': MOCK_GEMINI_KEY });
  gw = await startTestGateway(
    `version: 1
server: { port: 0 }
providers:
  - { id: oai, type: openai-compatible, baseUrl: "${oai.url}", apiKey: keychain:oai-key }
  - { id: oai-wrong, type: openai-compatible, baseUrl: "${oai.url}", apiKey: keychain:oai-wrong }
  - { id: oai-missing, type: openai-compatible, baseUrl: "${oai.url}", apiKey: keychain:never-stored }
  - { id: oai-env, type: openai-compatible, baseUrl: "${oai.url}", apiKey: env:GH_TEST_UNSET_KEY }
  - { id: anth, type: anthropic, baseUrl: "${anth.url}", apiKey: keychain:anth-key }
  - { id: gem, type: gemini, baseUrl: "${gem.url}", apiKey: keychain:gem-key }
  - { id: down, type: openai-compatible, baseUrl: "http://127.0.0.1:${closedPort}/v1", apiKey: keychain:oai-key }
`,
    { secretStore: secrets },
  );
});

afterAll(async () => {
  await gw?.stop();
  await Promise.all([oai?.close(), anth?.close(), gem?.close()]);
});

const test = (provider: string) => gw.gateway.call('providers:test', { provider }, 'local');

describe('providers:test', () => {
  it("lists each family's models with its own auth: OpenAI Bearer, Anthropic x-api-key + anthropic-version, Gemini x-goog-api-key (all pages)", async () => {
    const o = await test('oai');
    expect(o).toMatchObject({ provider: 'oai', ok: true, models: [...MOCK_MODEL_IDS], modelCount: MOCK_MODEL_IDS.length });
    expect(o.error).toBeUndefined();
    expect(o.latencyMs).toBeGreaterThanOrEqual(0);
    expect(o.latencyMs).toBeLessThan(10_000);
    expect(Date.parse(o.testedAt)).not.toBeNaN();
    expect(oai.requests.at(-1)).toMatchObject({ method: 'GET', path: '/v1/models' });
    expect(oai.requests.at(-1)!.headers['authorization']).toBe(`Bearer ${MOCK_UPSTREAM_KEY}`);

    const a = await test('anth');
    expect(a).toMatchObject({ ok: true, models: [...MOCK_ANTHROPIC_MODEL_IDS] });
    const seenA = anth.requests.at(-1)!;
    expect(seenA.path).toBe('/v1/models');
    expect(seenA.headers['x-api-key']).toBe(MOCK_ANTHROPIC_KEY);
    expect(seenA.headers['anthropic-version']).toBeTruthy();

    const g = await test('gem');
    // Two per page: the listing followed nextPageToken to the end.
    expect(g).toMatchObject({ ok: true, models: MOCK_GEMINI_MODELS.map((m) => m.name.replace(/^models\//, '')) });
    expect(gem.requests.filter((r) => r.path === '/v1beta/models').length).toBeGreaterThanOrEqual(3);
    expect(gem.requests.at(-1)!.headers['x-goog-api-key']).toBe(MOCK_GEMINI_KEY);
  });

  it('a refused key says so with the status and how to set it again, without the key', async () => {
    const r = await test('oai-wrong');
    expect(r.ok).toBe(false);
    expect(r.error).toMatchObject({ code: 'key_refused', status: 401 });
    expect(r.error!.message).toMatch(/^the key was refused \(HTTP 401\): store it again with `gatehouse secrets set oai-wrong`/);
    expect(JSON.stringify(r)).not.toContain(WRONG_KEY);
    expect(r.models).toEqual([]);
  });

  it('a key missing from the keychain or the environment names the command or variable that fixes it', async () => {
    const k = await test('oai-missing');
    expect(k.error).toEqual({ code: 'key_missing', message: expect.stringContaining('the key keychain:never-stored is not in the OS keychain: store it again with `gatehouse secrets set never-stored`') });
    const e = await test('oai-env');
    expect(e.error).toMatchObject({ code: 'key_missing', message: expect.stringContaining('set the environment variable GH_TEST_UNSET_KEY') });
  });

  it('a refused connection names the URL', async () => {
    const r = await test('down');
    expect(r.error).toMatchObject({ code: 'unreachable', message: expect.stringContaining(`http://127.0.0.1:${closedPort}`) });
    expect(r.error!.message).toMatch(/ECONNREFUSED/);
  });

  it('an unknown provider is not_found; a malformed id is refused before anything is called', async () => {
    await expect(test('nope')).rejects.toMatchObject({ code: 'not_found', message: expect.stringContaining('no provider "nope"') });
    await expect(test('Not An Id')).rejects.toMatchObject({ code: 'invalid_params' });
  });
});

describe('testProvider', () => {
  let silent: Server;
  const sockets = new Set<Socket>();
  beforeAll(async () => {
    // Accepts connections and never answers: the test must give up on its own.
    silent = createServer((socket) => void sockets.add(socket));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
  });
  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((r) => silent.close(r));
  });

  it('gives up after its timeout and says the provider did not answer', async () => {
    const cfg = providerSchema.parse({ id: 'slow', type: 'openai-compatible', baseUrl: `http://127.0.0.1:${(silent.address() as { port: number }).port}/v1` });
    const runtime = createProvider(cfg, createSecretResolver(memorySecretStore(), {}));
    try {
      const started = Date.now();
      const r = await testProvider('slow', { config: () => cfg, runtime: () => runtime, secretNames: async () => [] }, () => new Date(), 300);
      expect(Date.now() - started).toBeLessThan(5_000);
      expect(r).toMatchObject({ ok: false, error: { code: 'timeout', message: expect.stringContaining(`no answer from ${cfg.baseUrl} within 300 ms`) } });
      expect(r.latencyMs).toBeGreaterThanOrEqual(250);
    } finally {
      await runtime.close();
    }
  });

  it('a keychain that cannot be read is said as such, not as a missing key', async () => {
    const cfg = providerSchema.parse({ id: 'locked', type: 'openai', apiKey: 'keychain:locked-key' });
    // Never primed: the provider is unavailable for want of its key, as after a failed keychain read.
    const runtime = createProvider(cfg, createSecretResolver(memorySecretStore(), {}));
    try {
      const probe = { config: () => cfg, runtime: () => runtime, secretNames: () => Promise.reject(new Error('OS keychain unavailable (list)')) };
      const r = await testProvider('locked', probe, () => new Date());
      expect(r.error).toEqual({ code: 'keychain', message: 'the OS keychain could not be read, so the key keychain:locked-key is out of reach: OS keychain unavailable (list)' });
    } finally {
      await runtime.close();
    }
  });
});
