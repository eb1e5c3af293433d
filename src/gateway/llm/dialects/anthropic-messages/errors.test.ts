// Anthropic's error envelope: every documented type both ways, and bodies that are not the envelope.
import { describe, expect, it } from 'vitest';
import type { ErrorKind } from '../../canonical.js';
import { ANTHROPIC_ERROR_TYPES, anthropicMessages } from './index.js';

describe('anthropic errors', () => {
  it('writes the envelope with the documented type for each kind', () => {
    const cases: [ErrorKind, string][] = [
      ['invalid_request', 'invalid_request_error'],
      ['authentication', 'authentication_error'],
      ['budget', 'billing_error'],
      ['permission', 'permission_error'],
      ['not_found', 'not_found_error'],
      ['request_too_large', 'request_too_large'],
      ['rate_limit', 'rate_limit_error'],
      ['upstream', 'api_error'],
      ['internal', 'api_error'],
      ['timeout', 'timeout_error'],
      ['overloaded', 'overloaded_error'],
      ['content_filter', 'invalid_request_error'],
    ];
    for (const [kind, type] of cases) {
      expect(anthropicMessages.errorBody({ status: 400, kind, message: `m-${kind}` })).toEqual({ type: 'error', error: { type, message: `m-${kind}` } });
    }
  });

  it('reads every documented type back to its kind, whatever the status says', () => {
    const statuses = Object.values(ANTHROPIC_ERROR_TYPES).map((t) => t.status);
    expect(statuses).toEqual([400, 401, 402, 403, 404, 413, 429, 500, 504, 529]);
    for (const [type, { kind }] of Object.entries(ANTHROPIC_ERROR_TYPES)) {
      const body = { type: 'error', error: { type, message: 'why' }, request_id: 'req_1' };
      expect(anthropicMessages.parseError(500, body)).toEqual({ kind, type, message: 'why' });
      expect(anthropicMessages.parseError(500, JSON.stringify(body))).toEqual({ kind, type, message: 'why' });
      // Written and read back, the kind survives.
      expect(anthropicMessages.parseError(500, anthropicMessages.errorBody({ status: 500, kind, message: 'x' }))?.kind).toBe(kind);
    }
  });

  it('falls back to the status for types it does not know, and returns null for other bodies', () => {
    expect(anthropicMessages.parseError(529, { type: 'error', error: { type: 'brand_new_error', message: 'm' } })).toEqual({ kind: 'overloaded', type: 'brand_new_error', message: 'm' });
    expect(anthropicMessages.parseError(418, { type: 'error', error: { type: 'brand_new_error', message: 'm' } })?.kind).toBe('invalid_request');
    expect(anthropicMessages.parseError(503, { type: 'error', error: { message: 'm' } })?.kind).toBe('upstream');
    expect(anthropicMessages.parseError(500, { error: { message: 'OpenAI shaped', type: 'server_error', code: null } })?.kind).toBe('upstream');
    expect(anthropicMessages.parseError(502, '<html>Bad gateway</html>')).toBeNull();
    expect(anthropicMessages.parseError(500, { detail: 'x' })).toBeNull();
    expect(anthropicMessages.parseError(500, null)).toBeNull();
  });
});
