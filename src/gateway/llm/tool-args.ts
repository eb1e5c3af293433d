// Tool-call arguments between formats that carry them as JSON text (OpenAI) and as objects (Anthropic, Gemini).

/** The key that carries arguments that were not a JSON object, so nothing the model wrote is lost. */
export const UNPARSED_ARGUMENTS_KEY = '_gatehouse_unparsed_arguments';

/**
 * Models sometimes produce arguments that are not valid JSON, or JSON that is not an object.
 * Formats that need an object get `{}` for empty text, the object itself when it parses to one,
 * and otherwise `{"_gatehouse_unparsed_arguments": "<the text>"}`: the call still goes through,
 * the model sees exactly what it wrote, and `argumentsFromObject` restores the text.
 */
export function argumentsToObject(text: string): Record<string, unknown> {
  if (text.trim() === '') return {};
  try {
    const v: unknown = JSON.parse(text);
    if (v && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
  } catch {
    // not JSON: carried as text below
  }
  return { [UNPARSED_ARGUMENTS_KEY]: text };
}

/** The inverse of `argumentsToObject`. */
export function argumentsFromObject(value: unknown): string {
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    const o = value as Record<string, unknown>;
    const keys = Object.keys(o);
    if (keys.length === 1 && keys[0] === UNPARSED_ARGUMENTS_KEY && typeof o[UNPARSED_ARGUMENTS_KEY] === 'string') return o[UNPARSED_ARGUMENTS_KEY];
    return JSON.stringify(o);
  }
  return value === undefined ? '{}' : JSON.stringify(value);
}
