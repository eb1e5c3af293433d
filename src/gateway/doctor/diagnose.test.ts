// The doctor's diagnosis: each family's error shape read back to the gateway's cause and a fix.
import { describe, expect, it } from 'vitest';
import { diagnose } from './diagnose.js';
import { ProbeFailure } from './probe.js';

const ctx = { model: 'claude', keyName: 'laptop' };
const answered = (status: number, body: unknown): ProbeFailure => new ProbeFailure(`POST /v1/messages answered HTTP ${status}`, { status, body: JSON.stringify(body) });

describe('diagnose', () => {
  it('reads the OpenAI shape by its code', () => {
    const d = diagnose(answered(403, { error: { code: 'model_not_granted', message: 'key "laptop" is not granted the model "claude"' } }), ctx);
    expect(d.fix).toBe('grant it: gatehouse keys update KEY_ID --models "claude,..." (the key "laptop")');
  });

  it('reads the Anthropic shape, which has no code, by the message', () => {
    const d = diagnose(answered(502, { type: 'error', error: { type: 'api_error', message: `provider "anth" refused the gateway's credentials (HTTP 401): invalid x-api-key. Check the provider's apiKey secret.` } }), ctx);
    expect(d.cause).toMatch(/^provider "anth" refused/);
    expect(d.fix).toMatch(/^store the right API key for provider "anth": printf %s "\$KEY" \| gatehouse secrets set NAME/);
  });

  it('reads the Gemini shape', () => {
    const d = diagnose(answered(404, { error: { code: 404, status: 'NOT_FOUND', message: 'the model "claude" is not a route, alias or provider/model in the config.' } }), ctx);
    expect(d.fix).toMatch(/^add a route named "claude"/);
  });

  it('tells a gateway that is not running from one that answered', () => {
    expect(diagnose(new ProbeFailure('cannot reach http://127.0.0.1:4141: connect ECONNREFUSED'), ctx).fix).toMatch(/gatehouse serve/);
    const ws = new ProbeFailure('the WebSocket upgrade to ws://127.0.0.1:4141/v1/responses answered HTTP 404', { status: 404, body: '' });
    expect(diagnose(ws, ctx).fix).toMatch(/supports_websockets = false/);
  });

  it('falls back to the message and the request log for what it does not know', () => {
    const d = diagnose(answered(418, { error: { message: 'short and stout' } }), ctx);
    expect(d).toEqual({ cause: 'POST /v1/messages answered HTTP 418: short and stout', fix: 'see the message; the gateway log has the request (x-request-id)' });
  });
});
