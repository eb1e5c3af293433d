// The control plane's event stream: what the console and the tray listen to.
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createControlClient, httpTransport } from '../../src/shared/control-client.js';
import { adminToken } from '../../src/gateway/instance.js';
import { startMockOpenAI, type MockOpenAI } from '../fixtures/mock-openai.js';
import { configFor, startTestGateway, type TestGateway } from '../helpers/gateway.js';

let mock: MockOpenAI;
let gw: TestGateway;

beforeAll(async () => {
  mock = await startMockOpenAI();
  gw = await startTestGateway(configFor(mock.url));
});
afterAll(async () => {
  await gw?.stop();
  await mock?.close();
});

describe('GET /admin/api/events', () => {
  it('streams key changes and completed requests as server-sent events', async () => {
    const token = adminToken(gw.dataDir);
    const ac = new AbortController();
    const res = await fetch(`${gw.url}/admin/api/events`, { headers: { authorization: `Bearer ${token}` }, signal: ac.signal });
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const reader = res.body!.getReader();
    let text = '';
    const read = (async () => {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        text += new TextDecoder().decode(value);
      }
    })().catch(() => undefined);

    const client = createControlClient(httpTransport(gw.url, token));
    const created = await client.call('keys:create', { name: 'watched' });
    const sdk = new OpenAI({ apiKey: created.secret, baseURL: `${gw.url}/v1`, maxRetries: 0 });
    await sdk.chat.completions.create({ model: 'fast', messages: [{ role: 'user', content: 'hi' }] });

    await expect.poll(() => text, { timeout: 5000 }).toMatch(/event: request:completed\ndata: .*"outcome":"ok"/);
    expect(text).toMatch(new RegExp(`event: keys:changed\\ndata: \\{"id":"${created.key.id}","change":"created"\\}`));
    expect(text).not.toContain(created.secret);
    ac.abort();
    await read;
  });

  it('the typed client surfaces control errors with their codes', async () => {
    const client = createControlClient(httpTransport(gw.url, adminToken(gw.dataDir)));
    await expect(client.call('keys:revoke', { id: 'key_missing' })).rejects.toMatchObject({ code: 'not_found', message: expect.stringMatching(/no key with id/) });
    const bad = createControlClient(httpTransport(gw.url, 'not-the-token'));
    await expect(bad.call('status:get', {})).rejects.toMatchObject({ message: expect.stringMatching(/admin token/) });
  });
});
