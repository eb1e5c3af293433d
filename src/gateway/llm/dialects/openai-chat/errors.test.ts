// OpenAI's error envelope: the body written for each kind, and provider errors read back into kinds.
import { describe, expect, it } from 'vitest';
import type { ErrorKind } from '../../canonical.js';
import { errorBody, parseError } from './errors.js';

describe('errorBody', () => {
  it('writes OpenAI error types for each kind', () => {
    const kinds: ErrorKind[] = ['invalid_request', 'not_found', 'request_too_large', 'authentication', 'permission', 'rate_limit', 'budget', 'overloaded', 'timeout', 'upstream', 'internal'];
    expect(kinds.map((kind) => (errorBody({ status: 400, kind, message: 'm' }).error as { type: string }).type)).toEqual([
      'invalid_request_error',
      'invalid_request_error',
      'invalid_request_error',
      'authentication_error',
      'permission_error',
      'rate_limit_error',
      'insufficient_quota',
      'api_error',
      'api_error',
      'api_error',
      'api_error',
    ]);
  });

  it('carries param and code, with null where absent, and code content_filter for filtered content', () => {
    expect(errorBody({ status: 400, kind: 'invalid_request', message: 'bad', param: 'messages[0]', code: 'bad_request' })).toEqual({
      error: { message: 'bad', type: 'invalid_request_error', param: 'messages[0]', code: 'bad_request' },
    });
    expect(errorBody({ status: 502, kind: 'upstream', message: 'x' })).toEqual({ error: { message: 'x', type: 'api_error', param: null, code: null } });
    expect(errorBody({ status: 400, kind: 'content_filter', message: 'filtered', code: 'upstream_error' })).toEqual({
      error: { message: 'filtered', type: 'invalid_request_error', param: null, code: 'content_filter' },
    });
  });
});

describe('parseError', () => {
  it("reads OpenAI's envelope, kind from the status", () => {
    const body = { error: { message: 'Invalid value', type: 'invalid_request_error', param: 'temperature', code: 'invalid_value' } };
    expect(parseError(400, body)).toEqual({ kind: 'invalid_request', message: 'Invalid value', type: 'invalid_request_error', param: 'temperature', code: 'invalid_value' });
    expect(parseError(401, { error: { message: 'Incorrect API key', type: 'invalid_request_error', code: 'invalid_api_key', param: null } })?.kind).toBe('authentication');
    expect(parseError(404, { error: { message: 'no model', code: 'model_not_found' } })?.kind).toBe('not_found');
    expect(parseError(429, { error: { message: 'slow', type: 'requests', code: 'rate_limit_exceeded' } })?.kind).toBe('rate_limit');
    expect(parseError(503, { error: { message: 'busy', type: 'server_error' } })?.kind).toBe('overloaded');
    expect(parseError(500, JSON.stringify({ error: { message: 'oops', type: 'server_error' } }))?.kind).toBe('upstream');
  });

  it('tells an exhausted quota and filtered content apart from their status', () => {
    expect(parseError(429, { error: { message: 'You exceeded your current quota', type: 'insufficient_quota', code: 'insufficient_quota' } })?.kind).toBe('budget');
    expect(parseError(400, { error: { message: 'The response was filtered', code: 'content_filter', param: 'prompt' } })?.kind).toBe('content_filter');
  });

  it('uses the type when there is no HTTP status (an error inside a stream)', () => {
    expect(parseError(0, { error: { message: 'm', type: 'rate_limit_error' } })?.kind).toBe('rate_limit');
    expect(parseError(0, { error: { message: 'm', type: 'something_new' } })?.kind).toBe('upstream');
  });

  it("reads compatible servers' shapes and refuses what is not an error body", () => {
    expect(parseError(404, { error: 'model "llama9" not found, try pulling it first' })).toEqual({ kind: 'not_found', message: 'model "llama9" not found, try pulling it first' });
    expect(parseError(400, { object: 'error', message: 'max_tokens is too large', type: 'BadRequestError', param: null, code: 400 })).toEqual({
      kind: 'invalid_request',
      message: 'max_tokens is too large',
      type: 'BadRequestError',
      code: '400',
    });
    const mistral = parseError(422, { object: 'error', message: { detail: [{ type: 'extra_forbidden', loc: ['body', 'user'] }] }, type: 'invalid_request_error' });
    expect(mistral?.kind).toBe('invalid_request');
    expect(mistral?.message).toContain('extra_forbidden');
    for (const notError of [undefined, null, 'not json', '[1]', { message: 'no envelope' }, { error: {} }, { type: 'error', error: { type: 'x' } }]) {
      expect(parseError(500, notError)).toBeNull();
    }
  });
});
