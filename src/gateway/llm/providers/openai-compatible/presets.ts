// Known OpenAI-compatible vendors: documented base URLs and the ways each departs from OpenAI's
// request rules, so a config can say `preset: groq` and requests are fitted to the vendor.
import { OPENAI_QUIRKS, type ChatQuirks } from '../../dialects/openai-chat/index.js';

export interface Preset {
  /** The documented API base (for local servers, their default address). */
  baseUrl: string;
  quirks: ChatQuirks;
  /** False where the vendor has no `GET /models`. */
  listsModels: boolean;
}

/** A vendor that takes the older `max_tokens` and otherwise OpenAI's rules. */
const MAX_TOKENS_ONLY: ChatQuirks = { ...OPENAI_QUIRKS, maxTokensField: 'max_tokens' };

// Each quirk names its source (read 2026-11) or its reason. A field is dropped only where the
// vendor is known to reject it: most servers ignore fields they do not know, and dropping what a
// vendor accepts would change the answer silently.
export const OPENAI_COMPATIBLE_PRESETS = {
  // https://platform.openai.com/docs/api-reference/chat/create
  openai: { baseUrl: 'https://api.openai.com/v1', quirks: OPENAI_QUIRKS, listsModels: true },

  // https://console.groq.com/docs/openai: logprobs, logit_bias, top_logprobs and messages[].name
  // "will result in a 400 error". Its API reference takes max_completion_tokens and stream_options.
  groq: {
    baseUrl: 'https://api.groq.com/openai/v1',
    quirks: { ...OPENAI_QUIRKS, drop: ['logprobs', 'logit_bias', 'top_logprobs'], dropMessageNames: true },
    listsModels: true,
  },

  // https://docs.mistral.ai/api/#tag/chat: the request schema forbids unknown fields (422
  // "extra_forbidden"). It has max_tokens and random_seed, no user, prompt_cache_key, logprobs or
  // stream_options (rejected: github.com/dnakov/anon-kode/issues/53), and sends stream usage in the
  // final chunk unasked. messages[].name is rejected (github.com/Gage-Technologies/mistral-go/pull/2).
  mistral: {
    baseUrl: 'https://api.mistral.ai/v1',
    quirks: {
      streamUsage: 'always',
      maxTokensField: 'max_tokens',
      drop: ['stream_options', 'user', 'safety_identifier', 'prompt_cache_key', 'logprobs', 'top_logprobs', 'logit_bias', 'service_tier', 'store'],
      rename: { seed: 'random_seed' },
      dropMessageNames: true,
    },
    listsModels: true,
  },

  // https://api-docs.deepseek.com/api/create-chat-completion: max_tokens, stream_options.include_usage.
  deepseek: { baseUrl: 'https://api.deepseek.com', quirks: MAX_TOKENS_ONLY, listsModels: true },

  // https://openrouter.ai/docs/api-reference/chat-completion: its documented output limit is max_tokens.
  openrouter: { baseUrl: 'https://openrouter.ai/api/v1', quirks: MAX_TOKENS_ONLY, listsModels: true },

  // https://docs.together.ai/docs/openai-api-compatibility: its chat reference documents max_tokens.
  together: { baseUrl: 'https://api.together.xyz/v1', quirks: MAX_TOKENS_ONLY, listsModels: true },

  // https://docs.fireworks.ai/tools-sdks/openai-compatibility: max_tokens; usage stats come in the
  // final chunk of every stream.
  fireworks: { baseUrl: 'https://api.fireworks.ai/inference/v1', quirks: { ...MAX_TOKENS_ONLY, streamUsage: 'always' }, listsModels: true },

  // https://docs.x.ai/docs/api-reference#chat-completions: OpenAI's fields. reasoning_effort is
  // accepted by some Grok models and rejected by others, so it is left to the client.
  xai: { baseUrl: 'https://api.x.ai/v1', quirks: OPENAI_QUIRKS, listsModels: true },

  // https://docs.perplexity.ai/api-reference/chat-completions-post: no version path, max_tokens,
  // usage on the streamed chunks unasked, and no model listing endpoint.
  perplexity: { baseUrl: 'https://api.perplexity.ai', quirks: { ...MAX_TOKENS_ONLY, streamUsage: 'always' }, listsModels: false },

  // https://inference-docs.cerebras.ai/resources/openai: frequency_penalty, presence_penalty,
  // logit_bias, parallel_tool_calls and service_tier are answered with a 400; it takes
  // max_completion_tokens.
  cerebras: {
    baseUrl: 'https://api.cerebras.ai/v1',
    quirks: { ...OPENAI_QUIRKS, drop: ['frequency_penalty', 'presence_penalty', 'logit_bias', 'parallel_tool_calls', 'service_tier'] },
    listsModels: true,
  },

  // https://docs.ollama.com/api/openai-compatibility: default port 11434; its supported fields list
  // max_tokens (not max_completion_tokens, which it would silently ignore) and stream_options.include_usage.
  ollama: { baseUrl: 'http://127.0.0.1:11434/v1', quirks: MAX_TOKENS_ONLY, listsModels: true },

  // https://lmstudio.ai/docs/app/api/endpoints/openai: default port 1234; documents max_tokens.
  lmstudio: { baseUrl: 'http://127.0.0.1:1234/v1', quirks: MAX_TOKENS_ONLY, listsModels: true },

  // https://docs.vllm.ai/en/latest/serving/openai_compatible_server.html: `vllm serve` listens on
  // port 8000 and takes OpenAI's fields, max_completion_tokens and stream_options included.
  vllm: { baseUrl: 'http://127.0.0.1:8000/v1', quirks: OPENAI_QUIRKS, listsModels: true },
} as const satisfies Record<string, Preset>;

export type PresetName = keyof typeof OPENAI_COMPATIBLE_PRESETS;

export function presetNamed(name: string): Preset | undefined {
  return Object.hasOwn(OPENAI_COMPATIBLE_PRESETS, name) ? OPENAI_COMPATIBLE_PRESETS[name as PresetName] : undefined;
}
