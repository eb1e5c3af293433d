// Reading upstream SSE: events split anywhere across network chunks, multi-byte characters included.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { SseEvent } from './canonical.js';
import { readSse, sseFrame } from './sse.js';

async function collect(chunks: Buffer[]): Promise<SseEvent[]> {
  async function* source(): AsyncGenerator<Buffer> {
    yield* chunks;
  }
  const out: SseEvent[] = [];
  for await (const batch of readSse(source())) out.push(...batch);
  return out;
}

/** Splits bytes at the given cut points. */
function cut(bytes: Buffer, points: number[]): Buffer[] {
  const sorted = [...new Set(points.map((p) => p % (bytes.length + 1)))].sort((a, b) => a - b);
  const parts: Buffer[] = [];
  let at = 0;
  for (const p of sorted) {
    parts.push(bytes.subarray(at, p));
    at = p;
  }
  parts.push(bytes.subarray(at));
  return parts;
}

describe('readSse', () => {
  it('keeps a multi-byte character that is split between two chunks', async () => {
    const bytes = Buffer.from(sseFrame(JSON.stringify({ text: 'café 🦊' }), 'delta'));
    const fox = bytes.indexOf(Buffer.from('🦊'));
    const events = await collect([bytes.subarray(0, fox + 2), bytes.subarray(fox + 2)]);
    expect(events).toEqual([{ event: 'delta', data: JSON.stringify({ text: 'café 🦊' }) }]);
  });

  it('reads the same events however the bytes are cut (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ event: fc.option(fc.constantFrom('a', 'message_start', 'ping'), { nil: undefined }), data: fc.string({ unit: 'grapheme', maxLength: 40 }) }), {
          minLength: 1,
          maxLength: 8,
        }),
        fc.array(fc.nat(), { maxLength: 12 }),
        async (events, points) => {
          // Data without line breaks: a line break inside data becomes several data lines, which join back with "\n".
          const clean = events.map((e) => ({ ...e, data: e.data.replace(/[\r\n]/g, ' ') }));
          const bytes = Buffer.from(clean.map((e) => sseFrame(e.data, e.event)).join(''));
          const read = await collect(cut(bytes, points));
          expect(read).toEqual(clean.map((e) => (e.event ? { event: e.event, data: e.data } : { data: e.data })));
        },
      ),
    );
  });

  it('does not deliver an event the stream was cut inside', async () => {
    const whole = sseFrame('{"a":1}');
    const events = await collect([Buffer.from(whole + 'data: {"b":')]);
    expect(events).toEqual([{ data: '{"a":1}' }]);
  });
});
