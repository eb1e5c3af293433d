// Tests for Google's error envelope: writing the gateway's errors and reading Gemini's.
import { describe, expect, it } from 'vitest';
import type { ErrorKind } from '../../canonical.js';
import { geminiErrorBody, parseGeminiError } from './errors.js';

describe('geminiErrorBody', () => {
  it('writes {error:{code,message,status}} with the status for each kind', () => {
    const status = (kind: ErrorKind) => (geminiErrorBody({ status: 418, kind, message: 'm' }).error as { status: string }).status;
    expect(geminiErrorBody({ status: 400, kind: 'invalid_request', message: 'bad' })).toEqual({ error: { code: 400, message: 'bad', status: 'INVALID_ARGUMENT' } });
    expect(status('authentication')).toBe('UNAUTHENTICATED');
    expect(status('permission')).toBe('PERMISSION_DENIED');
    expect(status('not_found')).toBe('NOT_FOUND');
    expect(status('request_too_large')).toBe('INVALID_ARGUMENT');
    expect(status('rate_limit')).toBe('RESOURCE_EXHAUSTED');
    expect(status('budget')).toBe('RESOURCE_EXHAUSTED');
    expect(status('overloaded')).toBe('UNAVAILABLE');
    expect(status('upstream')).toBe('UNAVAILABLE');
    expect(status('timeout')).toBe('DEADLINE_EXCEEDED');
    expect(status('content_filter')).toBe('INVALID_ARGUMENT');
    expect(status('internal')).toBe('INTERNAL');
  });

  it('carries a machine code and a parameter in Google’s detail types, and reads them back', () => {
    const body = geminiErrorBody({ status: 404, kind: 'not_found', message: 'no such model', code: 'model_not_found', param: 'model' });
    expect(body).toEqual({
      error: {
        code: 404,
        message: 'no such model',
        status: 'NOT_FOUND',
        details: [
          { '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'model_not_found', domain: 'gatehouse' },
          { '@type': 'type.googleapis.com/google.rpc.BadRequest', fieldViolations: [{ field: 'model', description: 'no such model' }] },
        ],
      },
    });
    expect(parseGeminiError(404, body)).toEqual({ kind: 'not_found', message: 'no such model', type: 'NOT_FOUND', code: 'model_not_found', param: 'model' });
  });
});

describe('parseGeminiError', () => {
  it('reads Gemini’s statuses as kinds', () => {
    const kind = (code: number, status: string, message = 'x') => parseGeminiError(code, { error: { code, message, status } })?.kind;
    expect(kind(400, 'INVALID_ARGUMENT')).toBe('invalid_request');
    expect(kind(400, 'FAILED_PRECONDITION')).toBe('invalid_request');
    expect(kind(400, 'INVALID_ARGUMENT', 'The input token count (1200000) exceeds the maximum number of tokens allowed (1048576).')).toBe('request_too_large');
    expect(kind(401, 'UNAUTHENTICATED')).toBe('authentication');
    expect(kind(403, 'PERMISSION_DENIED')).toBe('permission');
    expect(kind(404, 'NOT_FOUND')).toBe('not_found');
    expect(kind(429, 'RESOURCE_EXHAUSTED')).toBe('rate_limit');
    expect(kind(500, 'INTERNAL')).toBe('upstream');
    expect(kind(503, 'UNAVAILABLE')).toBe('overloaded');
    expect(kind(504, 'DEADLINE_EXCEEDED')).toBe('timeout');
  });

  it('reads an invalid API key (a 400 with reason API_KEY_INVALID) as an authentication failure', () => {
    const body = {
      error: {
        code: 400,
        message: 'API key not valid. Please pass a valid API key.',
        status: 'INVALID_ARGUMENT',
        details: [{ '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'API_KEY_INVALID', domain: 'googleapis.com' }],
      },
    };
    expect(parseGeminiError(400, body)).toEqual({ kind: 'authentication', message: 'API key not valid. Please pass a valid API key.', type: 'INVALID_ARGUMENT', code: 'API_KEY_INVALID' });
  });

  it('reads the array form, falls back on the HTTP status, and rejects what is not an envelope', () => {
    expect(parseGeminiError(503, [{ error: { code: 503, message: 'busy', status: 'UNAVAILABLE' } }])).toMatchObject({ kind: 'overloaded', message: 'busy' });
    expect(parseGeminiError(429, { error: { message: 'slow down' } })).toEqual({ kind: 'rate_limit', message: 'slow down' });
    expect(parseGeminiError(500, { error: 'x' })).toBeNull();
    expect(parseGeminiError(500, { message: 'x' })).toBeNull();
    expect(parseGeminiError(500, 'Internal Server Error')).toBeNull();
    expect(parseGeminiError(500, { error: { code: 500 } })).toBeNull();
  });
});
