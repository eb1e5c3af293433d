// Known OpenAI-compatible vendors: their documented base URLs, so a config can say `preset: groq`.
export const OPENAI_COMPATIBLE_PRESETS = {
  // https://platform.openai.com/docs/api-reference
  openai: 'https://api.openai.com/v1',
  // https://console.groq.com/docs/openai
  groq: 'https://api.groq.com/openai/v1',
  // https://openrouter.ai/docs/quickstart
  openrouter: 'https://openrouter.ai/api/v1',
  // https://docs.together.ai/docs/openai-api-compatibility
  together: 'https://api.together.xyz/v1',
  // https://github.com/ollama/ollama/blob/main/docs/openai.md
  ollama: 'http://127.0.0.1:11434/v1',
} as const satisfies Record<string, string>;
