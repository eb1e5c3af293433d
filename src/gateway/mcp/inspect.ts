// The guardrail hook on MCP tool definitions: the injection detector over every text a model reads
// in a tool (title, description, and the descriptions inside its schemas).
import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import { DEFAULT_INJECTION_THRESHOLD, injectionScore } from '../policy/guardrails/injection.js';
import type { DefinitionInspector } from './pins.js';

/** Every string in a JSON value, depth-first (schema descriptions, enum values, defaults). */
function strings(value: unknown, out: string[], depth = 0): void {
  if (depth > 32) return;
  if (typeof value === 'string') out.push(value);
  else if (Array.isArray(value)) for (const v of value) strings(v, out, depth + 1);
  else if (value && typeof value === 'object') for (const v of Object.values(value)) strings(v, out, depth + 1);
}

export function injectionInspector(threshold = DEFAULT_INJECTION_THRESHOLD): DefinitionInspector {
  return (_serverId, tool: Tool) => {
    const texts: string[] = [];
    if (tool.title) texts.push(tool.title);
    if (tool.description) texts.push(tool.description);
    strings(tool.inputSchema, texts);
    strings(tool.outputSchema, texts);
    const { score, findings } = injectionScore(texts.join('\n'));
    if (score < threshold) return undefined;
    const rules = [...new Set(findings.map((f) => f.rule))].join(', ');
    return `it reads like a prompt injection (score ${score.toFixed(2)}: ${rules})`;
  };
}
