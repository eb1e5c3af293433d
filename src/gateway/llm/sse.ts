// Server-sent events in one place: framing for every dialect's encoder, and reading upstream streams.
import { StringDecoder } from 'node:string_decoder';
import { createParser } from 'eventsource-parser';
import type { SseEvent } from './canonical.js';

/** One SSE frame. Data with newlines becomes several `data:` lines, as the format requires. */
export function sseFrame(data: string, event?: string): string {
  const head = event ? `event: ${event}\n` : '';
  return `${head}data: ${data.split(/\r\n|\r|\n/).join('\ndata: ')}\n\n`;
}

/**
 * Reads a stream of SSE bytes as batches of events (one batch per network chunk), decoding UTF-8
 * across chunk boundaries so a character split between two reads is never mangled.
 */
export async function* readSse(body: AsyncIterable<Buffer>): AsyncGenerator<SseEvent[]> {
  const decoder = new StringDecoder('utf8');
  let batch: SseEvent[] = [];
  const parser = createParser({
    onEvent(ev) {
      batch.push(ev.event ? { event: ev.event, data: ev.data } : { data: ev.data });
    },
  });
  let lastChar = '';
  for await (const chunk of body) {
    const text = decoder.write(chunk);
    if (text) lastChar = text[text.length - 1]!;
    parser.feed(text);
    if (batch.length) {
      const out = batch;
      batch = [];
      yield out;
    }
  }
  // An event not terminated by a blank line is incomplete (the stream was cut inside it) and is
  // not delivered: half a JSON object is not an event.
  // A final bare CR (lines may end with CR alone) is a whole line ending, but the parser waits to see
  // whether LF follows; it never will, so it is told.
  const rest = decoder.end();
  parser.feed(rest);
  if ((rest ? rest[rest.length - 1] : lastChar) === '\r') parser.feed('\n');
  if (batch.length) yield batch;
}
