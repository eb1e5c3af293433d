// OpenAI's non-chat endpoints, passed through to OpenAI-format providers: legacy text completions
// (autocomplete in Continue and others) and embeddings. Only what the gateway must read is decoded:
// usage, and the completion stream's text for first-content detection and estimates.
import type { SseEvent, StreamDecoder, StreamEvent } from '../../canonical.js';
import { usageFromOpenAI, type Usage } from '../../usage.js';

function record(v: unknown): Record<string, unknown> | undefined {
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

/** Usage of a `/completions` or `/embeddings` reply (embeddings report prompt tokens only). */
export function usageOfOpenAIReply(body: Record<string, unknown>): Usage | null {
  return usageFromOpenAI(body.usage);
}

/**
 * The body for an upstream: the client's own, addressed to the target's model. A streamed
 * completion asks for usage, as chat does (https://platform.openai.com/docs/api-reference/completions/create).
 */
export function addressBody(body: Record<string, unknown>, model: string, stream: boolean): Record<string, unknown> {
  const out: Record<string, unknown> = { ...body, model };
  if (stream) out.stream_options = { ...(record(body.stream_options) ?? {}), include_usage: true };
  return out;
}

/** Reads a legacy completions stream: `text_completion` chunks, a usage chunk, then `[DONE]`. */
export function completionsStreamDecoder(): StreamDecoder {
  let started = false;
  let textOpen = false;
  let done = false;
  return {
    get done() {
      return done;
    },
    decode(ev: SseEvent): StreamEvent[] {
      if (ev.data === '[DONE]') {
        done = true;
        return [];
      }
      let chunk: Record<string, unknown> | undefined;
      try {
        chunk = record(JSON.parse(ev.data));
      } catch {
        chunk = undefined;
      }
      if (!chunk) return [{ type: 'error', status: 502, kind: 'upstream', message: 'the provider sent a stream event that is not a JSON object' }];
      const error = record(chunk.error);
      if (error) return [{ type: 'error', status: 502, kind: 'upstream', message: typeof error.message === 'string' ? error.message : 'the provider reported an error mid-stream' }];
      const out: StreamEvent[] = [];
      if (!started) {
        started = true;
        out.push({ type: 'start', id: typeof chunk.id === 'string' ? chunk.id : '', model: typeof chunk.model === 'string' ? chunk.model : '' });
      }
      const choice = record(Array.isArray(chunk.choices) ? chunk.choices[0] : undefined);
      if (choice && typeof choice.text === 'string' && choice.text !== '') {
        if (!textOpen) {
          textOpen = true;
          out.push({ type: 'block_start', index: 0, block: 'text' });
        }
        out.push({ type: 'text_delta', index: 0, text: choice.text });
      }
      if (choice && typeof choice.finish_reason === 'string') {
        if (textOpen) out.push({ type: 'block_end', index: 0 });
        textOpen = false;
        out.push({ type: 'finish', stopReason: choice.finish_reason === 'length' ? 'max_tokens' : choice.finish_reason === 'content_filter' ? 'content_filter' : 'end' });
      }
      const usage = usageFromOpenAI(chunk.usage);
      if (usage) out.push({ type: 'usage', usage });
      return out;
    },
  };
}
