// One streamed chat completion read as a client would: SSE parsed, each content chunk timed on arrival.
import { createParser } from 'eventsource-parser';
import type { Dispatcher } from 'undici';
import type { Request } from './measure.js';
import { STREAM_CHUNKS } from './stream-shape.js';

export interface StreamTiming {
  /** From sending the request to the first content chunk, ms. */
  ttftMs: number;
  /** Between consecutive content chunks, ms (STREAM_CHUNKS − 1 of them for a whole stream). */
  gapsMs: number[];
  contentChunks: number;
  /** A chunk carried a `usage` object (the final usage chunk). */
  usage: boolean;
  /** `data: [DONE]` arrived. */
  done: boolean;
}

interface ChunkJson {
  choices?: { delta?: { content?: string | null } }[];
  usage?: unknown;
}

/** Sends one streaming request and reads it to the end; rejects on a non-200 answer or a malformed event. */
export async function streamOnce(client: Dispatcher, request: Request, signal?: AbortSignal): Promise<StreamTiming> {
  const t0 = performance.now();
  const res = await client.request({ path: request.path, method: 'POST', headers: request.headers, body: request.body, signal });
  if (res.statusCode !== 200) {
    const text = await res.body.text();
    throw new Error(`HTTP ${res.statusCode} for a stream: ${text.slice(0, 300)}`);
  }
  const timing: StreamTiming = { ttftMs: Number.NaN, gapsMs: [], contentChunks: 0, usage: false, done: false };
  let last = 0;
  let bad: Error | undefined;
  const parser = createParser({
    onEvent: (event) => {
      const now = performance.now();
      if (event.data === '[DONE]') {
        timing.done = true;
        return;
      }
      let chunk: ChunkJson;
      try {
        chunk = JSON.parse(event.data) as ChunkJson;
      } catch {
        bad ??= new Error(`a stream event is not JSON: ${event.data.slice(0, 200)}`);
        return;
      }
      if (chunk.usage && typeof chunk.usage === 'object') timing.usage = true;
      if (!chunk.choices?.[0]?.delta?.content) return;
      if (timing.contentChunks === 0) timing.ttftMs = now - t0;
      else timing.gapsMs.push(now - last);
      last = now;
      timing.contentChunks++;
    },
  });
  // A chunk boundary may split a UTF-8 character: the decoder carries it over.
  const decoder = new TextDecoder();
  for await (const bytes of res.body) parser.feed(decoder.decode(bytes as Buffer, { stream: true }));
  parser.feed(decoder.decode());
  if (bad) throw bad;
  return timing;
}

/** A whole stream: every content chunk, the final usage chunk when asked for, and `[DONE]`. */
export function isWholeStream(t: StreamTiming, expectUsage: boolean): boolean {
  return t.contentChunks === STREAM_CHUNKS && t.done && (!expectUsage || t.usage);
}
