// Reads SSE text as a client's parser would (eventsource-parser, the library the gateway uses), for tests of stream encoders.
import { createParser } from 'eventsource-parser';
import type { SseEvent } from '../../src/gateway/llm/canonical.js';

export function sseEventsOf(text: string): SseEvent[] {
  const events: SseEvent[] = [];
  const parser = createParser({ onEvent: (ev) => events.push(ev.event === undefined ? { data: ev.data } : { event: ev.event, data: ev.data }) });
  parser.feed(text);
  return events;
}
