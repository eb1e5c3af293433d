// Fits a canonical request to another family's rules before it is encoded: tool names, tool-call ids,
// empty text. What is renamed is mapped back in the reply, so the client sees its own names.
import { createHash } from 'node:crypto';
import type { CanonicalRequest, CanonicalResponse, ContentPart, Family, Message, StreamEvent } from './canonical.js';

interface FamilyRules {
  /** Whether a tool name is accepted as it is. */
  nameOk(name: string): boolean;
  maxName: number;
  /** Whether a tool-call id is accepted as it is. */
  idOk(id: string): boolean;
  /** Whether empty text parts are rejected (they are dropped first). */
  noEmptyText: boolean;
}

// Sources (read 2026-11): OpenAI function names ^[a-zA-Z0-9_-]{1,64}$ and tool_call ids of at most 40
// characters (https://platform.openai.com/docs/api-reference/chat/create); Anthropic tool names
// ^[a-zA-Z0-9_-]{1,64}$, tool_use ids ^[a-zA-Z0-9_-]+$, and "text content blocks must be non-empty"
// (https://docs.anthropic.com/en/api/messages); Gemini function names start with a letter or
// underscore, then letters, digits, _ . : -, at most 64 (https://ai.google.dev/api/caching#FunctionDeclaration).
const RULES: Record<Family, FamilyRules> = {
  openai: {
    nameOk: (n) => /^[a-zA-Z0-9_-]{1,64}$/.test(n),
    maxName: 64,
    idOk: (id) => id.length > 0 && id.length <= 40,
    noEmptyText: false,
  },
  anthropic: {
    nameOk: (n) => /^[a-zA-Z0-9_-]{1,64}$/.test(n),
    maxName: 64,
    idOk: (id) => /^[a-zA-Z0-9_-]{1,200}$/.test(id),
    noEmptyText: true,
  },
  gemini: {
    nameOk: (n) => /^[a-zA-Z_][a-zA-Z0-9_.:-]{0,63}$/.test(n),
    maxName: 64,
    idOk: () => true,
    noEmptyText: true,
  },
};

function shortHash(text: string, length: number): string {
  return createHash('sha256').update(text).digest('base64url').replace(/[^a-zA-Z0-9]/g, '').slice(0, length);
}

/**
 * A name the family accepts, derived from `name` alone (so the same tool gets the same name on
 * every turn of a session, and prompt caches stay warm): invalid characters become `_`, and a
 * name that had to change or is too long ends in a hash of the original so two names never collide.
 */
export function fitToolName(name: string, family: Family): string {
  const rules = RULES[family];
  if (rules.nameOk(name)) return name;
  let base = name.replace(/[^a-zA-Z0-9_-]/g, '_');
  if (family === 'gemini' && !/^[a-zA-Z_]/.test(base)) base = `_${base}`;
  const suffix = `_${shortHash(name, 8)}`;
  return base.slice(0, rules.maxName - suffix.length) + suffix;
}

/** A tool-call id the family accepts, derived from `id` alone (the call and its result stay paired). */
export function fitToolCallId(id: string, family: Family): string {
  if (RULES[family].idOk(id)) return id;
  return `call_${shortHash(id, 32)}`;
}

/**
 * The tool that carries a structured reply to Anthropic, which has no `response_format` in the
 * Messages API version the gateway speaks: the schema becomes this tool's input schema, the tool
 * is forced, and its input comes back to the client as the reply's text.
 */
export const JSON_REPLY_TOOL = 'json_reply';

/** Undoes, in a reply, what fitting changed in the request. Stateful for streams: one per reply. */
export interface Restorer {
  response(res: CanonicalResponse): CanonicalResponse;
  /** The events to send for one upstream event (a structured reply's tool call becomes text). */
  event(ev: StreamEvent): StreamEvent[];
  /** True once the answer must end here (an output guardrail blocked it): nothing more is sent. */
  halted?(): boolean;
}

export interface Fitted {
  request: CanonicalRequest;
  restore(): Restorer;
}

/** Returns the request fitted to `family` (the same object when nothing had to change). */
export function fitRequest(req: CanonicalRequest, family: Family): Fitted {
  const rules = RULES[family];
  const restoreNames = new Map<string, string>();
  let changed = false;
  const name = (n: string): string => {
    const fitted = fitToolName(n, family);
    if (fitted !== n) {
      restoreNames.set(fitted, n);
      changed = true;
    }
    return fitted;
  };
  const id = (i: string): string => {
    const fitted = fitToolCallId(i, family);
    if (fitted !== i) changed = true;
    return fitted;
  };
  const fitPart = (p: ContentPart): ContentPart | null => {
    switch (p.type) {
      case 'text':
        if (rules.noEmptyText && p.text === '') {
          changed = true;
          return null;
        }
        return p;
      case 'tool_call':
        return { ...p, id: id(p.id), name: name(p.name) };
      case 'tool_result':
        return { ...p, toolCallId: id(p.toolCallId), ...(p.name !== undefined ? { name: name(p.name) } : {}) };
      default:
        return p;
    }
  };
  const messages: Message[] = [];
  for (const m of req.messages) {
    const content = m.content.map(fitPart).filter((p): p is ContentPart => p !== null);
    if (content.length === 0 && rules.noEmptyText) {
      changed = true;
      continue;
    }
    messages.push({ ...m, content });
  }
  let tools = req.tools?.map((t) => ({ ...t, name: name(t.name) }));
  let toolChoice = req.toolChoice?.type === 'tool' ? { type: 'tool' as const, name: name(req.toolChoice.name) } : req.toolChoice;
  let responseFormat = req.responseFormat;
  let jsonReply = false;
  if (family === 'anthropic' && (responseFormat?.type === 'json_schema' || responseFormat?.type === 'json_object')) {
    const schema = responseFormat.type === 'json_schema' ? responseFormat.schema : { type: 'object' };
    const description = (responseFormat.type === 'json_schema' && responseFormat.description) || 'Give the reply as this tool\'s input, matching its schema.';
    tools = [...(tools ?? []).filter((t) => t.name !== JSON_REPLY_TOOL), { name: JSON_REPLY_TOOL, description, parameters: schema }];
    toolChoice = { type: 'tool', name: JSON_REPLY_TOOL };
    responseFormat = undefined;
    jsonReply = true;
    changed = true;
  }
  const system = rules.noEmptyText ? req.system.filter((p) => p.text !== '') : req.system;
  if (system.length !== req.system.length) changed = true;
  const restore = (): Restorer => createRestorer(restoreNames, jsonReply);
  if (!changed) return { request: req, restore };
  const { responseFormat: _dropped, ...rest } = req;
  return {
    request: { ...rest, system, messages, ...(tools ? { tools } : {}), ...(toolChoice ? { toolChoice } : {}), ...(responseFormat ? { responseFormat } : {}) },
    restore,
  };
}

function createRestorer(restoreNames: Map<string, string>, jsonReply: boolean): Restorer {
  const rename = (n: string): string => restoreNames.get(n) ?? n;
  /** Stream blocks that carry the structured reply: their argument deltas are the reply's text. */
  const jsonBlocks = new Set<number>();
  return {
    response(res) {
      if (restoreNames.size === 0 && !jsonReply) return res;
      let structured = false;
      const content = res.content.map((p) => {
        if (p.type !== 'tool_call') return p;
        if (jsonReply && p.name === JSON_REPLY_TOOL) {
          structured = true;
          return { type: 'text' as const, text: p.arguments };
        }
        return { ...p, name: rename(p.name) };
      });
      return { ...res, content, ...(structured && res.stopReason === 'tool_calls' ? { stopReason: 'end' as const } : {}) };
    },
    event(ev) {
      if (jsonReply) {
        if (ev.type === 'block_start' && ev.block === 'tool_call' && ev.name === JSON_REPLY_TOOL) {
          jsonBlocks.add(ev.index);
          return [{ type: 'block_start', index: ev.index, block: 'text' }];
        }
        if (ev.type === 'tool_args_delta' && jsonBlocks.has(ev.index)) return [{ type: 'text_delta', index: ev.index, text: ev.json }];
        if (ev.type === 'finish' && ev.stopReason === 'tool_calls' && jsonBlocks.size > 0) return [{ ...ev, stopReason: 'end' }];
      }
      if (ev.type === 'block_start' && ev.block === 'tool_call' && restoreNames.size > 0) return [{ ...ev, name: rename(ev.name) }];
      return [ev];
    },
  };
}
