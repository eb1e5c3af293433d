import { describe, expect, it } from 'vitest';
import { createLogger, scrubText } from './log.js';

const VKEY = 'gh_' + 'A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8S9t0U1v';
const UPSTREAM = 'sk-upstream-0123456789abcdef';

function capture(scrub?: (t: string) => string): { log: ReturnType<typeof createLogger>; lines: () => string } {
  const chunks: string[] = [];
  const log = createLogger({ level: 'info', scrub, destination: { write: (s: string) => void chunks.push(s) } });
  return { log, lines: () => chunks.join('') };
}

describe('log redaction', () => {
  it('redacts credential headers at the top, one and two levels down', () => {
    const { log, lines } = capture();
    const headers = {
      authorization: `Bearer ${VKEY}`,
      'x-api-key': 'xak-secret-1',
      'x-goog-api-key': 'xgak-secret-2',
      'x-gatehouse-key': 'xgk-secret-3',
      'x-gatehouse-internal': 'internal-secret-4',
      'api-key': 'azure-secret-5',
      cookie: 'gatehouse_session=cookie-secret-6',
      'proxy-authorization': 'Basic proxy-secret-7',
      'content-type': 'application/json',
    };
    log.info({ headers }, 'top');
    log.info({ req: { headers } }, 'one down');
    log.info({ upstream: { req: { headers } } }, 'two down');
    const out = lines();
    for (const v of Object.values(headers).filter((v) => v !== 'application/json')) expect(out).not.toContain(v);
    expect(out).not.toContain(VKEY);
    expect(out.match(/\[redacted\]/g)!.length).toBeGreaterThanOrEqual(24);
    // What is not a credential stays.
    expect(out).toContain('application/json');
  });

  it('redacts credential fields at the top and one level down', () => {
    const { log, lines } = capture();
    log.info({ apiKey: 'f-1-secret', api_key: 'f-2-secret', token: 'f-3-secret', password: 'f-4-secret', secret: 'f-5-secret', value: 'f-6-secret', provider: { apiKey: 'f-7-secret', token: 'f-8-secret' } }, 'fields');
    const out = lines();
    for (let i = 1; i <= 8; i++) expect(out).not.toContain(`f-${i}-secret`);
    expect(JSON.parse(out)).toMatchObject({ apiKey: '[redacted]', provider: { apiKey: '[redacted]' } });
  });

  it('scrubs secrets out of messages and errors, logged as Errors or as their message', () => {
    const { log, lines } = capture((t) => t.split(UPSTREAM).join('[redacted]'));
    log.error(`upstream said: invalid key ${UPSTREAM}`);
    log.error({ err: `401 from provider: key ${UPSTREAM} is wrong` }, 'attempt failed');
    log.error({ err: new Error(`echoed ${UPSTREAM} and ${VKEY}`) }, 'request failed');
    log.warn({ error: `Authorization: Bearer ${VKEY}` }, 'relay');
    log.info(`a client sent ${VKEY}`);
    const out = lines();
    expect(out).not.toContain(UPSTREAM);
    expect(out).not.toContain(VKEY);
    expect(out).toContain('gh_[redacted]');
    expect(out).toContain('Bearer [redacted]');
    // The Error keeps its shape: type and a stack, scrubbed.
    const err = out.split('\n').map((l) => (l ? JSON.parse(l) : {})).find((l) => l.msg === 'request failed').err;
    expect(err).toMatchObject({ type: 'Error', message: 'echoed [redacted] and gh_[redacted]' });
    expect(err.stack).toContain('echoed [redacted]');
  });

  it('knows credentials by shape without a scrubber', () => {
    expect(scrubText(`key ${VKEY} and Bearer abc.def`)).toBe('key gh_[redacted] and Bearer [redacted]');
    expect(scrubText('gh_short and plain text')).toBe('gh_short and plain text');
  });
});
