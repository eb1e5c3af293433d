// The config file as the source of truth at run time: watched, applied when valid, refused when not.
import OpenAI from 'openai';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ControlEvent } from '../../src/shared/contract.js';
import { startMockOpenAI, type MockOpenAI } from '../fixtures/mock-openai.js';
import { configFor, startTestGateway, type TestGateway } from '../helpers/gateway.js';

let mock: MockOpenAI;
let gw: TestGateway;
let client: OpenAI;
const events: ControlEvent[] = [];

beforeAll(async () => {
  mock = await startMockOpenAI();
  gw = await startTestGateway(`# my gateway\n${configFor(mock.url)}`);
  client = new OpenAI({ apiKey: (await gw.newKey()).secret, baseURL: `${gw.url}/v1`, maxRetries: 0 });
  gw.gateway.control.subscribe((e) => events.push(e));
});
afterAll(async () => {
  await gw?.stop();
  await mock?.close();
});

const ask = (model: string) => client.chat.completions.create({ model, messages: [{ role: 'user', content: 'x' }] });

describe('watching the config file', () => {
  it('applies a valid change written the way editors save (temp file + rename)', async () => {
    await expect(ask('smart')).rejects.toBeInstanceOf(OpenAI.NotFoundError);
    const text = readFileSync(gw.configPath, 'utf8') + '  - name: smart\n    targets: [{ provider: mock, model: gpt-4o }]\n';
    writeFileSync(`${gw.configPath}.tmp`, text);
    renameSync(`${gw.configPath}.tmp`, gw.configPath);
    await expect.poll(() => events.some((e) => e.event === 'config:applied'), { timeout: 5000 }).toBe(true);
    const r = await ask('smart');
    expect(r.choices[0]!.message.content).toBe('echo: x');
    expect(gw.events('config.applied').length).toBeGreaterThanOrEqual(1);
  });

  it('refuses an invalid change, says why, and keeps the previous config running', async () => {
    const good = readFileSync(gw.configPath, 'utf8');
    writeFileSync(gw.configPath, good.replace('type: openai-compatible', 'type: openai-compatable'));
    await expect.poll(() => events.find((e) => e.event === 'config:rejected'), { timeout: 5000 }).toBeTruthy();
    const rejected = events.find((e) => e.event === 'config:rejected')!;
    expect(JSON.stringify(rejected.data)).toMatch(/providers\[0\]\.type/);
    await expect(ask('smart')).resolves.toBeTruthy();
    const snap = await gw.gateway.call('config:get', {}, 'local');
    expect(snap.lastError?.issues[0]?.path).toBe('providers[0].type');
    writeFileSync(gw.configPath, good);
    await expect.poll(async () => (await gw.gateway.call('config:get', {}, 'local')).lastError, { timeout: 5000 }).toBeNull();
  });
});

describe('config:edit', () => {
  it('keeps comments and order, and refuses to overwrite a file changed underneath', async () => {
    const snap = await gw.gateway.call('config:get', {}, 'local');
    const edited = await gw.gateway.call('config:edit', { baseHash: snap.hash, ops: [{ op: 'set', path: ['aliases', 'gpt-*'], value: 'fast' }] }, 'local');
    expect(edited.text.startsWith('# my gateway\n')).toBe(true);
    expect(edited.text).toMatch(/aliases:[\s\S]*gpt-\*/);
    const r = await ask('gpt-4.1-nano');
    expect(r.choices[0]!.message.content).toBe('echo: x');
    expect(gw.events('admin.config.edited').at(-1)).toMatchObject({ before: snap.hash, after: edited.hash });

    writeFileSync(gw.configPath, `${edited.text}# someone else's edit\n`);
    await expect(
      gw.gateway.call('config:edit', { baseHash: edited.hash, ops: [{ op: 'set', path: ['server', 'logLevel'], value: 'debug' }] }, 'local'),
    ).rejects.toThrow(/changed on disk/);
    expect(readFileSync(gw.configPath, 'utf8')).toContain("# someone else's edit");
  });

  it('refuses an edit that would make the config invalid, leaving the file as it was', async () => {
    const snap = await gw.gateway.call('config:get', {}, 'local');
    await expect(
      gw.gateway.call('config:edit', { baseHash: snap.hash, ops: [{ op: 'set', path: ['server', 'port'], value: 'eighty' }] }, 'local'),
    ).rejects.toThrow(/server\.port/);
    expect(readFileSync(gw.configPath, 'utf8')).toBe(snap.text);
  });
});
