// What the ledger keeps of request and response bodies: SHA-256 and size by default, size only with
// `ledger.bodies: none`, never the content.
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMockOpenAI, type MockOpenAI } from '../fixtures/mock-openai.js';
import { configFor, startTestGateway } from '../helpers/gateway.js';

let oai: MockOpenAI;
beforeAll(async () => {
  oai = await startMockOpenAI();
});
afterAll(async () => oai?.close());

describe('ledger.bodies', () => {
  for (const bodies of ['hash', 'none'] as const) {
    it(`${bodies}: the record has ${bodies === 'hash' ? 'hashes and sizes' : 'sizes only'}, and no content`, async () => {
      const gw = await startTestGateway(configFor(oai.url, `ledger: { bodies: ${bodies} }\n`));
      try {
        const { secret } = await gw.newKey({ name: 'b' });
        const client = new OpenAI({ apiKey: secret, baseURL: `${gw.url}/v1`, maxRetries: 0 });
        await client.chat.completions.create({ model: 'fast', messages: [{ role: 'user', content: 'the secret recipe is 42' }] });
        const rec = gw.events('llm.request').at(-1)!;
        const req = rec.request as { bytes: number; sha256?: string };
        const res = rec.response as { bytes: number; sha256?: string };
        expect(req.bytes).toBeGreaterThan(0);
        expect(res.bytes).toBeGreaterThan(0);
        if (bodies === 'hash') {
          expect(req.sha256).toMatch(/^[0-9a-f]{64}$/);
          expect(res.sha256).toMatch(/^[0-9a-f]{64}$/);
        } else {
          expect(req.sha256).toBeUndefined();
          expect(res.sha256).toBeUndefined();
        }
        expect(JSON.stringify(gw.events())).not.toContain('secret recipe');
      } finally {
        await gw.stop();
      }
    });
  }
});
