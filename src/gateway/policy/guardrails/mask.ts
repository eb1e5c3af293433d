// Guarding a request body as it is (any API's JSON): every string a model reads is scanned, masked
// spans replaced by the session's placeholders, and what the config blocks reported. Fields that
// carry no text for the model (ids, signatures, base64 media, tool definitions) are left alone.
import type { ActedFinding, Guardrails } from './pipeline.js';
import type { GuardLocation } from './types.js';
import type { Vault } from './vault.js';

/** Keys whose values are not prose the model reads, or are opaque tokens that must go back unchanged. */
const SKIP_KEYS = new Set([
  'model',
  'role',
  'type',
  'id',
  'name',
  'tool_call_id',
  'tool_use_id',
  'call_id',
  'signature',
  'encrypted_content',
  'data',
  'media_type',
  'mime_type',
  'mimeType',
  'previous_response_id',
  'metadata',
  'cache_control',
  'tools',
  'tool_choice',
  'response_format',
  'text_format',
  'safety_settings',
  'safetySettings',
  'generationConfig',
  'stream_options',
  'prompt_cache_key',
  'user',
  'service_tier',
  'reasoning_effort',
]);

export interface GuardedBody {
  /** Every finding, with where it was (JSON path) and what was done; never the matched text. */
  findings: (Omit<ActedFinding, 'start' | 'end'> & { path: string })[];
  /** The first finding whose action is `block`, if any: the request must be refused. */
  blocked?: { rule: string; path: string };
  /** Spans replaced by placeholders. */
  masked: number;
}

/** Scans and masks `body` in place. */
export function guardBody(body: unknown, guard: Guardrails, vault: Vault, location: GuardLocation): GuardedBody {
  const out: GuardedBody = { findings: [], masked: 0 };
  const visit = (value: unknown, path: string, depth: number, where: GuardLocation): unknown => {
    if (depth > 64) return value;
    if (typeof value === 'string') return guardString(value, path, where);
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) value[i] = visit(value[i], `${path}[${i}]`, depth + 1, where);
      return value;
    }
    if (value && typeof value === 'object') {
      const obj = value as Record<string, unknown>;
      // What a tool returned, carried in the conversation, is a tool result wherever it travels.
      const inner = location === 'llm.input' && isToolResult(obj) ? 'tool.result' : where;
      for (const k of Object.keys(obj)) {
        if (SKIP_KEYS.has(k)) continue;
        obj[k] = visit(obj[k], path ? `${path}.${k}` : k, depth + 1, k === 'functionResponse' ? 'tool.result' : inner);
      }
    }
    return value;
  };
  const guardString = (text: string, path: string, where: GuardLocation): string => {
    // Inline media and placeholders already in place are not text to scan.
    if (text.length < 8 || text.startsWith('data:')) return text;
    const findings = guard.scan(text, where);
    if (findings.length === 0) return text;
    let result = '';
    let at = 0;
    for (const f of findings) {
      out.findings.push({ type: f.type, rule: f.rule, score: f.score, action: f.action, location: f.location, path, ...(f.warnOnly ? { warnOnly: true } : {}) });
      if (f.action === 'block' && !out.blocked) out.blocked = { rule: f.rule, path };
      if (f.action !== 'mask' && f.action !== 'mask-and-restore') continue;
      const value = text.slice(f.start, f.end);
      if (value.startsWith('[[masked:')) continue;
      result += text.slice(at, f.start) + vault.placeholder(value, f.rule, f.action === 'mask-and-restore');
      at = f.end;
      out.masked++;
    }
    return at === 0 ? text : result + text.slice(at);
  };
  visit(body, '', 0, location);
  return out;
}

/** A tool's output in each API's shape: Anthropic tool_result, OpenAI role "tool", Responses function_call_output. */
function isToolResult(obj: Record<string, unknown>): boolean {
  return obj.type === 'tool_result' || obj.type === 'function_call_output' || obj.role === 'tool';
}

/** Findings on every string of a value (a tool's arguments or result), with their JSON paths; nothing is changed. */
export function scanValue(value: unknown, guard: Guardrails, location: GuardLocation): GuardedBody['findings'] {
  const out: GuardedBody['findings'] = [];
  const visit = (v: unknown, path: string, depth: number): void => {
    if (depth > 64) return;
    if (typeof v === 'string') {
      if (v.length < 8 || v.startsWith('data:')) return;
      for (const f of guard.scan(v, location)) out.push({ type: f.type, rule: f.rule, score: f.score, action: f.action, location: f.location, path, ...(f.warnOnly ? { warnOnly: true } : {}) });
    } else if (Array.isArray(v)) v.forEach((x, i) => visit(x, `${path}[${i}]`, depth + 1));
    else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) if (k !== 'data' && k !== '_meta') visit(x, path ? `${path}.${k}` : k, depth + 1);
  };
  visit(value, '', 0);
  return out;
}

/** Strings longer than this are cut in a record: the hash identifies the whole. */
const RECORD_STRING_MAX = 256;

/**
 * A copy of a value fit for the ledger: secrets and card numbers replaced by `[[rule]]` whatever the
 * configured action, other PII left as it is, long strings cut. (`off` kinds are not looked for.)
 */
export function redactForRecord(value: unknown, guard: Guardrails, location: GuardLocation, depth = 0): unknown {
  if (depth > 32) return '[[too deep]]';
  if (typeof value === 'string') {
    let text = value;
    const spans = guard.scan(value, location).filter((f) => !f.warnOnly && (f.type === 'secret' || f.rule === 'card-number'));
    for (const f of [...spans].sort((a, b) => b.start - a.start)) text = `${text.slice(0, f.start)}[[${f.rule}]]${text.slice(f.end)}`;
    return text.length > RECORD_STRING_MAX ? `${text.slice(0, RECORD_STRING_MAX)}…(+${text.length - RECORD_STRING_MAX} chars)` : text;
  }
  if (Array.isArray(value)) return value.slice(0, 100).map((v) => redactForRecord(v, guard, location, depth + 1));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value).slice(0, 100)) out[k] = redactForRecord(v, guard, location, depth + 1);
    return out;
  }
  return value;
}
