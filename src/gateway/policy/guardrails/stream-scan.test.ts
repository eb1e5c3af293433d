// The answer scanner: secrets masked however the stream is cut, bounded holding back, blocks end it.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createGuardrails, type GuardConfig } from './pipeline.js';
import { createStreamScanner, STREAM_MAX, type Released } from './stream-scan.js';

const AWS = ['AKIA', 'Q7WERTY2UIOP4ASD'].join('');
const GH = ['ghp_', 'x7Yb2Qk9Lm4Np8Rs3Tv6Wz1Ac5De0Fg2Hj7K'].join('');
const PEM = ['-----BEGIN RSA PRIVATE', ' KEY-----\nMIIEpAIBAAKCAQEA7vJ2x9q1', 'Lk3mN8pQ4rS6tU0vW2xY5zA7bC9dE1fG3hI5jK7lM9nO1pQ3rS5tU7vW9xY1zA3bC5dE7fG9hI1jK3lM5nO7pQ9rS1tU3vW5xY7zA9bC1dE3fG5hI7jK9lM1nO3pQ5rS7tU9vW1xY3zA5bC7dE9fG1hI3jK5lM7nO9pQ1rS3tU5vW7xY9zA1bC3dE5fG7hI9jK1lM3nO5pQ7rS9tU1vW3xY5zA7bC9dE1fG3hI5\n-----END RSA PRIVATE KEY-----'].join('');
const config = (over: Partial<GuardConfig> = {}): GuardConfig => ({ secrets: 'mask', cards: 'mask', pii: 'off', injection: 'off', ...over });

function scanner(cfg: GuardConfig, own: string[] = [], opts: { hold?: number; max?: number } = {}) {
  const g = createGuardrails(() => cfg);
  return createStreamScanner({ scan: (t) => g.scan(t, 'llm.output'), mask: (f) => `[masked:${f.rule}]`, own: (v) => own.includes(v), ...opts });
}

/** Feeds the text in the given pieces; returns what came out and every result. */
function feed(s: ReturnType<typeof scanner>, pieces: string[]): { text: string; results: Released[] } {
  const results = [...pieces.map((p) => s.push(p)), s.flush()];
  return { text: results.map((r) => r.text).join(''), results };
}

const chunks = (text: string, cuts: number[]): string[] => {
  const points = [...new Set(cuts.map((c) => c % (text.length + 1)))].sort((a, b) => a - b);
  const out: string[] = [];
  let at = 0;
  for (const p of points) {
    out.push(text.slice(at, p));
    at = p;
  }
  out.push(text.slice(at));
  return out;
};

describe('createStreamScanner', () => {
  it('masks a secret cut across chunks, whatever the cuts, and reports it once', () => {
    const answer = `Here is the config you asked about. The key is ${AWS} and the token ${GH}; rotate both soon. `.repeat(2);
    fc.assert(
      fc.property(fc.array(fc.nat(), { maxLength: 30 }), (cuts) => {
        const { text, results } = feed(scanner(config()), chunks(answer, cuts));
        expect(text).not.toContain(AWS);
        expect(text).not.toContain(GH.slice(4));
        expect(text).toBe(answer.replaceAll(AWS, '[masked:aws-access-key-id]').replaceAll(GH, '[masked:github-pat]'));
        expect(results.flatMap((r) => r.findings).map((f) => f.rule)).toEqual(['aws-access-key-id', 'github-pat', 'aws-access-key-id', 'github-pat']);
      }),
      { numRuns: 200 },
    );
  });

  it('passes clean text through unchanged, holding back only a short tail', () => {
    const s = scanner(config());
    const first = s.push('The quick brown fox jumps over the lazy dog. '.repeat(10));
    expect(first.text.length).toBeGreaterThan(300);
    expect(first.text.length + s.flush().text.length).toBe(450);
  });

  it('holds an unterminated private key block until it ends, then masks it whole', () => {
    const s = scanner(config());
    const before = s.push(`Your key:\n${PEM.slice(0, 200)}`);
    expect(before.text).toBe('Your key:\n');
    const rest = s.push(`${PEM.slice(200)}\nKeep it safe. ${'More words follow here. '.repeat(8)}`);
    const all = before.text + rest.text + s.flush().text;
    expect(all).not.toContain('MIIEpAIBAAKCAQEA');
    expect(all).toContain('[masked:');
    expect(all).toContain('Keep it safe.');
  });

  it('leaves values the client sent itself in the answer', () => {
    const { text, results } = feed(scanner(config(), [AWS]), [`Use ${AWS} `, 'for the deploy, as you said. '.repeat(6)]);
    expect(text).toContain(AWS);
    expect(results.reduce((n, r) => n + r.masked, 0)).toBe(0);
  });

  it('stops at a blocked finding: what came before it is released, none of it', () => {
    const s = scanner(config({ secrets: 'block' }));
    const r1 = s.push(`Sure. Here is a long preamble that is perfectly harmless and clean to send. ${'More. '.repeat(20)}The key is ${AWS.slice(0, 8)}`);
    expect(r1.blocked).toBeUndefined();
    const r2 = s.push(`${AWS.slice(8)} and more text after it to release the tail ${'x '.repeat(60)}`);
    expect(r2.blocked?.rule).toBe('aws-access-key-id');
    expect(r1.text + r2.text).toContain('Here is a long preamble');
    expect(r1.text + r2.text).not.toContain(AWS.slice(0, 8));
  });

  it('never holds more than its bound, even for text with no spaces', () => {
    const s = scanner(config(), [], { max: 2048 });
    let out = 0;
    for (let i = 0; i < 100; i++) out += s.push('a'.repeat(100)).text.length;
    expect(10_000 - out).toBeLessThanOrEqual(2048);
    expect(out + s.flush().text.length).toBe(10_000);
    expect(STREAM_MAX).toBeGreaterThan(4096);
  });

  it('masks card numbers written with spaces across chunks', () => {
    const answer = `The card on file is 4111 1111 1111 1111, expiring soon. ${'Thanks for asking. '.repeat(6)}`;
    for (let cut = 0; cut < 60; cut += 3) {
      const { text } = feed(scanner(config()), [answer.slice(0, cut), answer.slice(cut)]);
      expect(text).not.toContain('4111 1111 1111 1111');
      expect(text).toContain('[masked:card-number]');
    }
  });
});
